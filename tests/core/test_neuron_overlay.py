"""The hovered neuron's large picture: the right values, in the thumbnail's colours, oriented right."""

import colorsys

import numpy as np
import pytest

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec
from workbench.core.present.network_layout import feature_maps, palette_for
from workbench.core.present.neuron_overlay import (
    MAX_OVERLAY_SIZE,
    OVERLAY_ALPHA,
    enlarge_map,
    grid,
    neuron_overlay,
    neuron_values,
    overlay_palette,
    overlay_size,
    thumbnail_overlay,
    to_bytes,
)
from workbench.core.present.views import neuron_maps

SPEC = NetworkSpec(("x", "y", "xy"), (LayerSpec(5, "tanh"), LayerSpec(3, "relu")), 3)
BOUNDS = (-3.0, 5.0, -2.0, 2.0)


@pytest.mark.parametrize("layer", [1, 2, 3, 4])
def test_neuron_values_of_a_graph_include_its_links(layer):
    spec = NetworkSpec(("x", "y"), (LayerSpec(3, "tanh"), LayerSpec(4, "relu"), LayerSpec(3, "tanh")), 2)
    network = Network(spec.with_links([Link(0, 3), Link(1, 4)], [Link(1, 3)]).validate(), seed=1)
    points = np.random.default_rng(0).normal(size=(20, 2))
    expected = network.layer_outputs(points)[layer]
    assert neuron_values(network, layer, 1, points) == pytest.approx(expected[:, 1], abs=1e-6)
    assert overlay_size(network.spec, layer, budget=10**6) <= overlay_size(spec, layer, budget=10**6)


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_neuron_values_are_that_neurons_column_of_the_layer_outputs(layer):
    network = Network(SPEC, seed=3)
    points = np.random.default_rng(0).normal(size=(50, 2)) * 2
    expected = network.layer_outputs(points)[layer]
    for neuron in range(expected.shape[1]):
        assert neuron_values(network, layer, neuron, points) == pytest.approx(expected[:, neuron], abs=1e-5)
    with pytest.raises(ValueError, match="not a hidden or output layer"):
        neuron_values(network, 4, 0, points)


def test_overlay_matches_the_thumbnail_scaling_and_palette():
    network = Network(SPEC, seed=1)
    size = 32
    for layer in (1, 2, 3):
        thumbnails = neuron_maps(network, SPEC, BOUNDS, size)[layer - 1]
        for neuron in range(thumbnails.shape[0]):
            rgba, rect = neuron_overlay(network, layer, neuron, BOUNDS, CLASS_COLORS, size=size)
            palette = overlay_palette(SPEC, layer, neuron, CLASS_COLORS)
            same_colours = rgba[..., :3] == palette[thumbnails[neuron]]
            assert same_colours.all(axis=-1).mean() > 0.97  # float32 vs float64 rounding at a few pixels
            assert (rgba[..., 3] == round(OVERLAY_ALPHA * 255)).all()
            assert rect == (-3.0, -2.0, 8.0, 4.0)


def test_input_overlay_is_the_feature_map_with_row_zero_at_the_bottom():
    network = Network(SPEC, seed=1)
    rgba, _ = neuron_overlay(network, 0, 1, BOUNDS, CLASS_COLORS)  # spec.features[1] == "y"
    assert rgba.shape == (MAX_OVERLAY_SIZE, MAX_OVERLAY_SIZE, 4)
    palette = overlay_palette(SPEC, 0, 1, CLASS_COLORS)
    assert (rgba[..., :3] == palette[feature_maps(BOUNDS, MAX_OVERLAY_SIZE)["y"]]).all()
    bottom, top = rgba[0, 80, :3].astype(int), rgba[-1, 80, :3].astype(int)
    assert bottom[0] > bottom[2] and top[2] > top[0]  # y < 0 orange at the bottom, y > 0 blue on top


def test_output_overlay_is_the_class_probability():
    network = Network(SPEC, seed=2)
    rgba, _ = neuron_overlay(network, 3, 2, BOUNDS, CLASS_COLORS, size=20)
    probability = network.predict_proba(grid(BOUNDS, 20))[:, 2].reshape(20, 20)
    palette = overlay_palette(SPEC, 3, 2, CLASS_COLORS)
    expected = palette[np.clip(np.rint(probability * 255), 0, 255).astype(np.uint8)]
    assert np.abs(rgba[..., :3].astype(int) - expected.astype(int)).max() <= 3


def test_overlay_colours_are_the_thumbnail_colours_lightened():
    for layer, neuron in [(0, 0), (1, 2), (2, 0), (3, 1)]:
        thumbnail = palette_for(SPEC, layer, neuron, CLASS_COLORS).astype(int)
        overlay = overlay_palette(SPEC, layer, neuron, CLASS_COLORS).astype(int)
        assert (overlay >= thumbnail).all() and (overlay > thumbnail).any()
        hue = [colorsys.rgb_to_hsv(*(p[-1] / 255))[0] for p in (thumbnail, overlay)]
        assert hue[0] == pytest.approx(hue[1], abs=0.01)  # the same colour, only paler


def test_grid_size_shrinks_for_big_networks_and_gives_up_for_huge_ones():
    small = overlay_size(SPEC, 3)
    assert small == MAX_OVERLAY_SIZE
    wide = NetworkSpec(("x", "y"), (LayerSpec(100, "tanh"), LayerSpec(100, "tanh")), 2)
    assert 0 < overlay_size(wide, 2) < MAX_OVERLAY_SIZE
    assert overlay_size(wide, 1) > overlay_size(wide, 2)  # only the layers up to the hovered one count
    huge = NetworkSpec(("x", "y"), (LayerSpec(1024, "tanh"), LayerSpec(1024, "tanh")), 2)
    assert overlay_size(huge, 2) == 0


def test_relu_maps_use_their_own_range_and_keep_zero_in_the_middle_when_negative():
    spec = NetworkSpec(("x",), (LayerSpec(1, "relu"),), 2)
    assert to_bytes(np.array([0.0, 2.0, 4.0]), spec, 1).tolist() == [0, 128, 255]
    leaky = NetworkSpec(("x",), (LayerSpec(1, "leaky_relu"),), 2)
    assert to_bytes(np.array([-1.0, 0.0, 2.0]), leaky, 1).tolist() == [64, 128, 255]
    assert to_bytes(np.zeros(3), spec, 1).tolist() == [0, 0, 0]  # a dead neuron: flat, no division by 0


def test_enlarged_thumbnails_keep_values_and_orientation():
    small = np.array([[0, 100], [200, 255]], dtype=np.uint8)
    big = enlarge_map(small, 4)
    assert big.shape == (8, 8)
    assert big[0, 0] == 0 and big[-1, -1] == 255 and big[0, -1] == 100 and big[-1, 0] == 200
    assert (np.diff(big[:, 0].astype(int)) >= 0).all()  # smooth ramp, no jumps back
    rgba, rect = thumbnail_overlay(small, SPEC, 1, 0, BOUNDS, CLASS_COLORS)
    assert rgba.shape == (8, 8, 4) and rect == (-3.0, -2.0, 8.0, 4.0)
