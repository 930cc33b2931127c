"""Geometry of the network drawing: readable at any size (no overlaps), collapsing, hit tests, edge styles."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layout_checks import all_boxes, overlaps

from workbench.core.model.engine.network import Network
from workbench.core.model.spec import ACTIVATIONS, FEATURES, LayerSpec, NetworkSpec
from workbench.core.present.network_layout import (
    ACTIVATION_FORMULAS,
    Metrics,
    diverging_palette,
    edge_levels,
    edge_values,
    feature_maps,
    format_weight,
    header_tooltip,
    hit_test,
    layout_network,
    level_style,
    metrics_for_height,
    palette_for,
    sequential_palette,
    slots_for_height,
    visible_count,
)

specs = st.builds(
    NetworkSpec,
    features=st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True).map(tuple),
    hidden=st.lists(st.builds(LayerSpec, st.integers(1, 1024), st.sampled_from(ACTIVATIONS)), max_size=8).map(
        tuple
    ),
    n_classes=st.integers(1, 8),
)


@settings(max_examples=60, deadline=None)
@given(spec=specs, height=st.integers(200, 1400))
def test_nothing_overlaps_and_everything_fits_the_canvas(spec, height):
    metrics = metrics_for_height(height)
    layout = layout_network(spec, slots_for_height(height, metrics), metrics)
    boxes = all_boxes(layout)
    for a, b in itertools.combinations(boxes, 2):
        assert not overlaps(a, b), (a, b)
    for box in boxes:
        assert box.x >= 0 and box.x + box.w <= layout.width
        assert box.y >= 0 and box.y + box.h <= layout.height
    xs = [column.x for column in layout.columns]
    assert xs == sorted(xs) and len(layout.columns) == len(spec.hidden) + 2


def test_wide_layers_collapse_to_the_first_neurons_and_a_marker():
    spec = NetworkSpec(("x", "y"), (LayerSpec(64), LayerSpec(3)), 2)
    layout = layout_network(spec, max_slots=10)
    wide, narrow = layout.columns[1], layout.columns[2]
    assert [n.neuron for n in wide.nodes] == list(range(9))
    assert wide.more is not None and wide.hidden_count == 55
    assert wide.more.y > wide.nodes[-1].rect.y
    assert narrow.more is None and len(narrow.nodes) == 3
    # A taller panel shows more neurons of the same layer.
    taller = layout_network(spec, max_slots=20)
    assert taller.columns[1].hidden_count == 64 - 19
    assert visible_count(10, 10) == 10 and visible_count(11, 10) == 9


def test_input_column_shows_all_seven_features_disabled_ones_without_edges():
    spec = NetworkSpec(("y", "sinx"), (LayerSpec(4),), 2)
    layout = layout_network(spec)
    inputs = layout.columns[0]
    assert [n.feature for n in inputs.nodes] == list(FEATURES)
    enabled = {n.feature: n.neuron for n in inputs.nodes if n.enabled}
    assert enabled == {"y": 0, "sinx": 1}
    first_layer_edges = layout.edges.layer == 0
    assert first_layer_edges.sum() == 2 * 4
    assert set(layout.edges.src[first_layer_edges].tolist()) == {0, 1}


def test_edges_join_the_drawn_nodes():
    spec = NetworkSpec(("x", "y"), (LayerSpec(30), LayerSpec(2)), 3)
    layout = layout_network(spec, max_slots=8)
    drawn = [sum(n.enabled for n in c.nodes) for c in layout.columns]
    assert len(layout.edges) == sum(a * b for a, b in itertools.pairwise(drawn))
    for i in range(len(layout.edges)):
        layer, src, dst = (int(v[i]) for v in (layout.edges.layer, layout.edges.src, layout.edges.dst))
        a = (
            layout.node(layer, src)
            if layer > 0
            else next(n for n in layout.columns[0].nodes if n.neuron == src)
        )
        b = layout.node(layer + 1, dst)
        assert layout.edges.x0[i] == a.rect.x + a.rect.w and layout.edges.y0[i] == a.rect.center[1]
        assert layout.edges.x1[i] == b.rect.x and layout.edges.y1[i] == b.rect.center[1]


def test_hit_test_finds_nodes_labels_markers_headers_and_edges():
    spec = NetworkSpec(("x", "y"), (LayerSpec(40), LayerSpec(4)), 2)
    layout = layout_network(spec, max_slots=6)
    node = layout.node(2, 3)
    hit = hit_test(layout, *node.rect.center)
    assert (hit.kind, hit.layer, hit.neuron) == ("node", 2, 3)
    label = layout.columns[0].nodes[4].label  # "x·y", disabled
    hit = hit_test(layout, *label.center)
    assert (hit.kind, hit.feature, hit.enabled, hit.neuron) == ("node", "xy", False, -1)
    more = layout.columns[1].more
    assert hit_test(layout, *more.center).kind == "more"
    header_hit = hit_test(
        layout, layout.columns[2].controls.title.x + 3, layout.columns[2].controls.title.y + 3
    )
    assert (header_hit.kind, header_hit.layer) == ("header", 2)
    i = 17
    mid = ((layout.edges.x0[i] + layout.edges.x1[i]) / 2, (layout.edges.y0[i] + layout.edges.y1[i]) / 2)
    hit = hit_test(layout, *mid)
    assert (hit.kind, hit.edge, hit.layer) == ("edge", i, int(layout.edges.layer[i]) + 1)
    assert hit_test(layout, layout.width - 1, layout.height - 1) is None


def test_edge_values_read_the_weight_matrix_and_grey_out_what_does_not_fit():
    spec = NetworkSpec(("x", "y", "xy"), (LayerSpec(5, "tanh"),), 2)
    layout = layout_network(spec)
    weights = Network(spec, seed=4).get_weights()
    values = edge_values(layout, weights)
    for i in range(len(values)):
        w = weights[layout.edges.layer[i]][0]
        assert values[i] == pytest.approx(w[layout.edges.src[i], layout.edges.dst[i]])
    stale = Network(NetworkSpec(("x", "y"), (LayerSpec(5, "tanh"),), 2), seed=0).get_weights()
    mixed = edge_values(layout, stale)  # first layer has 2 inputs, spec wants 3: unknown; second layer fits
    assert np.isnan(mixed[layout.edges.layer == 0]).all()
    assert np.isfinite(mixed[layout.edges.layer == 1]).all()
    assert np.isnan(edge_values(layout, None)).all()


def test_edge_thickness_grows_with_magnitude_and_saturates():
    levels = edge_levels(np.array([0.0, 0.1, -0.5, 1.0, -3.0, 50.0, np.nan]))
    assert levels[-1] == -1
    assert list(levels[:6]) == sorted(levels[:6].tolist())
    assert levels[0] == 0 and levels[5] == 9
    assert edge_levels(np.array([-0.7]))[0] == edge_levels(np.array([0.7]))[0]
    (w0, a0), (w9, a9) = level_style(0), level_style(9)
    assert w0 < 1 < 3 < w9 and a0 < a9 <= 1


def test_weight_tooltip_names_source_target_and_value():
    spec = NetworkSpec(("x", "y2"), (LayerSpec(3),), 2)
    layout = layout_network(spec)
    i = int(np.flatnonzero((layout.edges.layer == 0) & (layout.edges.src == 1) & (layout.edges.dst == 2))[0])
    assert format_weight(layout, i, -0.53251) == "weight -0.533\ny² → layer 1, neuron 3"
    j = int(np.flatnonzero((layout.edges.layer == 1) & (layout.edges.dst == 1))[0])
    assert "output blue" in format_weight(layout, j, 1.0, ("red", "blue"))
    assert "not trained" in format_weight(layout, j, float("nan"))


def test_header_tooltips_show_the_activation_formula():
    spec = NetworkSpec(("x", "y"), (LayerSpec(3, "tanh"), LayerSpec(2, "relu")), 2)
    assert "(e^z − e^−z)/(e^z + e^−z)".replace("/", " / ") in header_tooltip(spec, 1)
    assert "max(0, z)" in header_tooltip(spec, 2)
    assert "softmax" in header_tooltip(spec, 3)
    assert "click" in header_tooltip(spec, 0)
    assert set(ACTIVATION_FORMULAS) == set(ACTIVATIONS)


def test_palettes_center_zero_on_white_and_use_class_colours_for_outputs():
    div = diverging_palette()
    assert div.shape == (256, 3) and div.dtype == np.uint8
    assert tuple(div[0]) == (0xE6, 0x9F, 0x00) and tuple(div[255]) == (0x00, 0x72, 0xB2)
    assert div[127:129].min() > 240
    seq = sequential_palette("#009E73")
    assert tuple(seq[0]) == (255, 255, 255) and tuple(seq[255]) == (0x00, 0x9E, 0x73)
    spec = NetworkSpec(("x", "y"), (LayerSpec(3, "relu"), LayerSpec(3, "tanh")), 3)
    colors = ("#111111", "#222222", "#333333")
    assert tuple(palette_for(spec, 3, 2, colors)[255]) == (0x33, 0x33, 0x33)
    assert tuple(palette_for(spec, 1, 0)[0]) == (255, 255, 255)  # ReLU: 0 = off = white
    assert tuple(palette_for(spec, 2, 0)[0]) == (0xE6, 0x9F, 0x00)  # tanh: -1 = orange


def test_feature_maps_are_oriented_with_row_zero_at_the_bottom():
    maps = feature_maps((-2.0, 2.0, -1.0, 3.0), size=8)
    assert set(maps) == set(FEATURES)
    assert maps["x"][0, 0] < maps["x"][0, -1]  # x grows to the right
    assert maps["y"][0, 0] < maps["y"][-1, 0]  # y grows upwards, row 0 = bottom (y0)
    assert maps["x2"].min() >= 127  # never negative: white to blue
    assert maps["y"].max() == 255 and maps["x"].min() == 0


def test_short_panels_shrink_nodes_and_tall_ones_show_more_neurons():
    short, tall = metrics_for_height(300), metrics_for_height(900)
    assert short.node < tall.node == Metrics().node
    assert slots_for_height(900, tall) > slots_for_height(500, tall) >= Metrics().min_slots
