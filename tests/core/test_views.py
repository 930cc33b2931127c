"""View computations: decision image, neuron thumbnails, hidden space (numbers the user sees as pictures)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec
from workbench.core.present import views

BOUNDS = (-2.0, 2.0, -1.0, 3.0)


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])


def _y_classifier(sharpness: float = 20.0) -> Network:
    """Logistic regression that says class 1 above y = 1 and class 0 below."""
    network = Network(NetworkSpec(hidden=(), n_classes=2))
    weights = np.array([[0.0, 0.0], [0.0, sharpness]], dtype=np.float32)
    network.set_weights([(weights, np.array([0.0, -sharpness], dtype=np.float32))])
    return network


def test_decision_image_is_contiguous_rgba_with_row_zero_at_the_bottom() -> None:
    image, rect = views.decision_image(_y_classifier(), BOUNDS, 32)
    assert image.shape == (32, 32, 4) and image.dtype == np.uint8 and image.flags.c_contiguous
    assert rect == (-2.0, -1.0, 4.0, 4.0)
    np.testing.assert_array_equal(image[0, :, :3], np.tile(_rgb(CLASS_COLORS[0]), (32, 1)))  # bottom: class 0
    np.testing.assert_array_equal(image[-1, :, :3], np.tile(_rgb(CLASS_COLORS[1]), (32, 1)))  # top: class 1


def test_chunked_probabilities_equal_the_networks_own() -> None:
    network = Network(NetworkSpec(hidden=(LayerSpec(7, "relu"), LayerSpec(5, "leaky_relu")), n_classes=3), 4)
    points = views.grid_points(BOUNDS, 50)
    np.testing.assert_allclose(
        views.class_probabilities(network, points, chunk=333), network.predict_proba(points)
    )


def test_confidence_blending_limits() -> None:
    uniform = np.full((4, 3), 1 / 3)
    certain = np.eye(3)[[0, 1, 2, 2]]
    faint = views.probabilities_to_rgba(uniform, 2, 2)
    strong = views.probabilities_to_rgba(certain, 2, 2)
    assert (faint[..., 3] == 0).all()  # no preference: fully transparent
    full = round(views.DECISION_ALPHA * 255)
    assert (strong[..., 3] == full).all()
    np.testing.assert_array_equal(strong.reshape(-1, 4)[:, :3], [_rgb(CLASS_COLORS[c]) for c in (0, 1, 2, 2)])
    half = views.probabilities_to_rgba(np.array([[2 / 3, 1 / 3, 0.0]]), 1, 1)
    assert 0 < half[0, 0, 3] < full


def test_discrete_regions_paint_the_winning_class_at_full_strength() -> None:
    probs = np.array([[0.4, 0.35, 0.25], [0.1, 0.2, 0.7]])
    image = views.probabilities_to_rgba(probs, 1, 2, discrete=True)
    np.testing.assert_array_equal(image[0, :, :3], [_rgb(CLASS_COLORS[0]), _rgb(CLASS_COLORS[2])])
    assert (image[..., 3] == round(views.DECISION_ALPHA * 255)).all()


def test_neuron_maps_shapes_orientation_and_range() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(2, "tanh"), LayerSpec(3, "relu")), n_classes=2)
    network = Network(spec, 1)
    w1 = np.array([[10.0, 0.0], [0.0, 10.0]], dtype=np.float32)  # neuron 1 follows x, neuron 2 follows y
    weights = network.get_weights()
    weights[0] = (w1, np.array([0.0, -10.0], dtype=np.float32))  # neuron 2 switches at y = 1
    network.set_weights(weights)
    maps = views.neuron_maps(network, spec, BOUNDS, 16)
    assert [m.shape for m in maps] == [(2, 16, 16), (3, 16, 16), (2, 16, 16)]
    assert all(m.dtype == np.uint8 and m.flags.c_contiguous for m in maps)
    x_neuron, y_neuron = maps[0]
    assert x_neuron[:, 0].max() < 5 and x_neuron[:, -1].min() > 250  # tanh -1..1 -> 0..255, left to right
    assert y_neuron[0].max() < 5 and y_neuron[-1].min() > 250  # row 0 is the bottom
    # The same call with bare weights, and the architecture document's (network, bounds, size) form.
    np.testing.assert_array_equal(views.neuron_maps(weights, spec, BOUNDS, 16)[1], maps[1])
    np.testing.assert_array_equal(views.neuron_maps(network, BOUNDS, 16)[2], maps[2])


def test_hidden_space_of_a_two_wide_layer_is_the_layers_own_activations() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"), LayerSpec(2, "tanh")), n_classes=3)
    network = Network(spec, 2)
    points = np.random.default_rng(0).uniform(-2, 2, size=(40, 2))
    view = views.hidden_space(network, points, BOUNDS, views.HiddenSpaceRequest(layer=2))
    assert view.mode == "exact"
    np.testing.assert_allclose(view.points, network.layer_outputs(points)[2], rtol=1e-6)
    assert view.output_rgba is not None and view.output_rgba.shape[2] == 4  # feeds the output: regions shown
    first = views.hidden_space(
        network, points, BOUNDS, views.HiddenSpaceRequest(layer=1, mode="pair", pair=(3, 0))
    )
    np.testing.assert_allclose(first.points, network.layer_outputs(points)[1][:, [3, 0]], rtol=1e-6)
    assert first.output_rgba is None  # not the layer before the output


def test_every_layer_of_a_graph_has_a_hidden_space_and_thumbnails() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(2, "tanh"), LayerSpec(3, "relu"), LayerSpec(2, "tanh")), n_classes=2)
    spec = spec.with_links([Link(0, 3), Link(1, 3)], [Link(1, 3)]).validate()
    network = Network(spec, 1)
    points = np.random.default_rng(4).uniform(-2, 2, size=(30, 2))
    outputs = network.layer_outputs(points)
    for layer in (1, 2, 3):
        view = views.hidden_space(network, points, BOUNDS, views.HiddenSpaceRequest(layer=layer))
        if layer != 2:  # two wide: exactly the layer's outputs, residual adds included
            np.testing.assert_allclose(view.points, outputs[layer], rtol=1e-6)
    assert view.output_rgba is not None  # the output reads only layer 3: its borders are straight lines
    maps = views.neuron_maps(network, BOUNDS, 8)
    assert [m.shape for m in maps] == [(2, 8, 8), (3, 8, 8), (2, 8, 8), (2, 8, 8)]


@pytest.mark.parametrize(
    ("connections", "residuals", "reads"), [([Link(1, 3)], [], "layer 1"), ([], [Link(0, 3)], "the inputs")]
)
def test_output_regions_are_not_drawn_when_the_output_reads_more_than_the_plane(
    connections, residuals, reads
) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(2, "tanh"), LayerSpec(2, "tanh")), n_classes=2)
    network = Network(spec.with_links(connections, residuals).validate(), 1)
    points = np.random.default_rng(5).uniform(-2, 2, size=(20, 2))
    view = views.hidden_space(network, points, BOUNDS, views.HiddenSpaceRequest(layer=2))
    assert view.mode == "exact" and view.output_rgba is None
    assert f"The output also reads {reads}" in view.caption


def test_output_regions_include_a_residual_from_the_last_layer() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(2, "tanh"),), n_classes=2).with_links((), [Link(1, 2)]).validate()
    network = Network(spec, 3)
    view = views.hidden_space(network, np.zeros((3, 2)), BOUNDS, views.HiddenSpaceRequest(layer=1))
    resolution = view.output_rgba.shape[0]
    grid = views.grid_points(view.bounds, resolution)
    weight, bias = network.get_weights()[-1]
    expected = views.probabilities_to_rgba(
        views._softmax(grid @ weight + bias + grid), resolution, resolution
    )
    np.testing.assert_allclose(view.output_rgba.astype(int), expected.astype(int), atol=1)


def test_warped_grid_of_an_identity_network_is_the_input_grid() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(2, "linear"),), n_classes=2)
    network = Network(spec, 0)
    weights = network.get_weights()
    weights[0] = (np.eye(2, dtype=np.float32), np.zeros(2, dtype=np.float32))
    network.set_weights(weights)
    request = views.HiddenSpaceRequest(layer=1, grid_lines=5, samples_per_line=7)
    view = views.hidden_space(network, np.zeros((0, 2)), BOUNDS, request)
    np.testing.assert_allclose(view.grid_lines, views.grid_line_points(BOUNDS, 5, 7), atol=1e-6)
    assert view.grid_lines.shape == (10, 7, 2)


def test_pca_projection_does_not_flip_between_nearly_identical_frames() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(8, "tanh"),), n_classes=2)
    network = Network(spec, 5)
    points = np.random.default_rng(1).uniform(-2, 2, size=(300, 2))
    request = views.HiddenSpaceRequest(layer=1)
    first = views.hidden_space(network, points, BOUNDS, request)
    assert first.mode == "pca"
    weights = [(w + 1e-4, b) for w, b in network.get_weights()]
    network.set_weights(weights)
    second = views.hidden_space(network, points, BOUNDS, request, previous=first)
    assert np.all(np.sum(first.basis * second.basis, axis=0) > 0.99)
    np.testing.assert_allclose(second.points, first.points, atol=0.05)


def test_stable_pca_follows_the_previous_orientation_and_order() -> None:
    values = np.random.default_rng(2).normal(size=(200, 4)) * [3.0, 1.0, 0.3, 0.1]
    basis, _, explained = views.stable_pca(values)
    assert explained[0] > explained[1]
    flipped, _, _ = views.stable_pca(values, previous_basis=-basis)
    np.testing.assert_allclose(flipped, -basis)
    swapped, _, swapped_explained = views.stable_pca(values, previous_basis=basis[:, ::-1])
    np.testing.assert_allclose(swapped, basis[:, ::-1])
    assert swapped_explained == explained[::-1]


def test_one_wide_layer_is_shown_along_one_axis() -> None:
    spec = NetworkSpec(hidden=(LayerSpec(1, "tanh"),), n_classes=2)
    network = Network(spec, 3)
    points = np.array([[0.0, 0.0], [1.0, 1.0]])
    view = views.hidden_space(network, points, BOUNDS, views.HiddenSpaceRequest(), labels=np.array([0, 1]))
    assert view.mode == "line"
    np.testing.assert_allclose(view.points[:, 0], network.layer_outputs(points)[1][:, 0], rtol=1e-6)
    np.testing.assert_array_equal(view.points[:, 1], [0, 1])


def test_hidden_space_rejects_a_missing_layer_with_a_clear_error() -> None:
    network = Network(NetworkSpec(hidden=(LayerSpec(3, "tanh"),), n_classes=2))
    with pytest.raises(views.ViewError, match="hidden layer 2 does not exist"):
        views.hidden_space(network, np.zeros((1, 2)), BOUNDS, views.HiddenSpaceRequest(layer=2))
    with pytest.raises(views.ViewError, match="no hidden layer"):
        views.hidden_space(
            Network(NetworkSpec(hidden=())), np.zeros((1, 2)), BOUNDS, views.HiddenSpaceRequest()
        )


def test_many_points_are_thinned_for_the_hidden_view() -> None:
    network = Network(NetworkSpec(hidden=(LayerSpec(2, "tanh"),), n_classes=2))
    points = np.random.default_rng(3).normal(size=(9000, 2))
    labels = (points[:, 0] > 0).astype(int)
    view = views.hidden_space(
        network, points, BOUNDS, views.HiddenSpaceRequest(), labels=labels, max_points=1000
    )
    assert len(view.points) == len(view.labels) == 1000


def test_resolution_adapts_within_limits() -> None:
    assert views.adapt_resolution(256, 0.040, 0.010) < 256
    assert views.adapt_resolution(64, 0.001, 0.010) > 64
    assert views.adapt_resolution(64, 1.0, 0.010) == 64
    assert views.adapt_resolution(256, 0.0001, 0.010) == 256


@pytest.mark.parametrize("discrete", [False, True])
def test_decision_image_has_the_colours_of_the_class_probabilities(discrete: bool) -> None:
    spec = NetworkSpec(
        hidden=(LayerSpec(9, "leaky_relu"), LayerSpec(7, "tanh"), LayerSpec(5, "sigmoid")), n_classes=4
    )
    network = Network(spec, 3)
    resolution = 70  # 4,900 pixels: one full chunk and a partial one
    image, _ = views.decision_image(network, BOUNDS, resolution, discrete=discrete)
    probabilities = network.predict_proba(views.grid_points(BOUNDS, resolution))
    expected = views.probabilities_to_rgba(probabilities, resolution, resolution, discrete=discrete)
    assert np.abs(image.astype(int) - expected).max() <= 1  # float32 rounding may move a channel by one


def test_a_frame_can_carry_the_previous_hidden_view_and_neuron_maps() -> None:
    from workbench.core.data.generators import generate
    from workbench.core.model.spec import TrainingSettings
    from workbench.core.training.trainer import Trainer

    dataset = generate("gaussians", 60, 3, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(4, "tanh"), LayerSpec(2, "tanh")), n_classes=3)
    trainer = Trainer(dataset, spec, TrainingSettings(batch_size=16))
    request = views.ViewRequest(
        bounds=BOUNDS, resolution=16, hidden=views.HiddenSpaceRequest(), neuron_map_size=8
    )
    network = Network(spec)
    first = views.compute_frame(trainer.snapshot(), network, dataset, request)
    trainer.step(20)
    network.set_weights(trainer.get_weights())
    reused = views.compute_frame(trainer.snapshot(), network, dataset, request, first, reuse_secondary=True)
    assert reused.hidden is first.hidden and reused.neuron_maps is first.neuron_maps
    assert not np.array_equal(reused.decision_rgba, first.decision_rgba)  # the regions are always new
    fresh = views.compute_frame(trainer.snapshot(), network, dataset, request, first)
    assert fresh.hidden is not first.hidden

    trainer.set_spec(NetworkSpec(hidden=(LayerSpec(3, "relu"),), n_classes=3))
    wider = Network(trainer.spec)
    wider.set_weights(trainer.get_weights())
    changed = views.compute_frame(trainer.snapshot(), wider, dataset, request, first, reuse_secondary=True)
    assert [m.shape[0] for m in changed.neuron_maps] == [3, 3]  # a new architecture is never drawn stale


# --- long curves -----------------------------------------------------------------------------------------
def _drawn_extremes(x, y, start, stop):
    inside = (x >= start) & (x < stop)
    return np.nanmin(y[inside]), np.nanmax(y[inside])


def test_curve_envelope_keeps_short_curves_and_every_block_extreme_of_long_ones() -> None:
    from workbench.core.present.views import CurveEnvelope

    rng = np.random.default_rng(0)
    envelope = CurveEnvelope(max_points=4000)
    x = np.arange(3000.0)
    y = rng.normal(size=3000)
    out_x, out_y = envelope.update(x, y)
    np.testing.assert_array_equal(out_y, y)  # short: untouched

    x = np.arange(100_000.0)
    y = np.exp(-x / 20_000) + 0.01 * rng.normal(size=len(x))
    y[54_321] = 5.0  # a divergence spike must stay visible
    y[70_000:70_010] = np.nan  # and a gap stays a gap
    out_x, out_y = envelope.update(x, y)
    assert len(out_x) <= 4000 + 64  # at most max_points, plus the newest samples not yet in a block
    assert np.all(np.diff(out_x) > 0)  # still a curve from left to right
    assert np.nanmax(out_y) == 5.0 and 54_321 in out_x
    assert np.isnan(out_y).any()
    assert out_x[-1] == x[-1] and out_y[-1] == y[-1]  # the newest sample as it is
    # Over any stretch, the reduced curve reaches the same lowest and highest values as the full one.
    for start in range(0, 100_000, 9_999):
        stop = start + 9_999
        if not np.isnan(y[start:stop]).any():
            full = _drawn_extremes(x, y, start, stop)
            reduced = _drawn_extremes(out_x, out_y, start - 64, stop + 64)  # blocks straddle the edges
            assert reduced[0] <= full[0] + 1e-12 and reduced[1] >= full[1] - 1e-12


def test_curve_envelope_updates_incrementally_like_a_fresh_one() -> None:
    from workbench.core.present.views import CurveEnvelope

    rng = np.random.default_rng(1)
    x = np.arange(50_000.0)
    y = rng.normal(size=len(x)).cumsum()
    grown = CurveEnvelope(max_points=1000)
    for n in [*range(900, 50_000, 3_777), 50_000]:
        last = y[n - 1]
        y_now = y[:n].copy()
        y_now[-1] = 123.0  # the newest entry is replaced by the next update
        grown.update(x[:n], y_now)
        y[n - 1] = last
    out = grown.update(x, y)
    fresh = CurveEnvelope(max_points=1000).update(x, y)
    np.testing.assert_array_equal(out[0], fresh[0])
    np.testing.assert_array_equal(out[1], fresh[1])
    # A curve that starts over (a shorter history) is reduced from scratch.
    np.testing.assert_array_equal(grown.update(x[:500], y[:500])[1], y[:500])
