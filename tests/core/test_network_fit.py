"""Fitting the network drawing to the panel: the default network fits a default-sized panel, nothing ever
overlaps, and what cannot fit collapses or scrolls instead of squeezing."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from layout_checks import all_boxes, overlaps

from workbench.core.model.spec import ACTIVATIONS, FEATURES, LayerSpec, NetworkSpec
from workbench.core.present.network_layout import (
    COMPACT_METRICS,
    DENSE_METRICS,
    Metrics,
    fit_metrics,
    layout_network,
    layout_width,
)


def fitted(spec, width, height):
    metrics, slots = fit_metrics(spec, width, height)
    return layout_network(spec, slots, metrics)


def test_the_default_network_fits_the_default_panel_with_every_neuron():
    spec = NetworkSpec()  # two hidden layers of 8
    layout = fitted(spec, 450, 400)  # the network dock of a 1400 x 900 window
    assert layout.width <= 450 and layout.height <= 400
    assert all(column.more is None for column in layout.columns)
    assert [len(c.nodes) for c in layout.columns[1:]] == [8, 8, 2]
    assert layout.metrics.node >= 24  # thumbnails still readable


def test_roomy_panels_keep_the_full_size_and_narrow_ones_compact_only_as_needed():
    spec = NetworkSpec()
    roomy = fitted(spec, 1000, 800)
    assert roomy.metrics.hidden_column == Metrics().hidden_column and roomy.metrics.node == Metrics().node
    middle = fitted(spec, 540, 800)
    assert COMPACT_METRICS.gap < middle.metrics.gap < Metrics().gap and middle.width <= 540
    deep = NetworkSpec(("x", "y"), tuple(LayerSpec(4) for _ in range(6)))
    stacked = fitted(deep, 480, 600)  # too wide for compact columns: the headers stack, and it fits
    assert stacked.metrics.stacked and stacked.width <= 480
    too_narrow = fitted(deep, 400, 600)  # cannot fit even stacked: dense, and the panel scrolls sideways
    assert too_narrow.width == layout_width(deep, DENSE_METRICS) > 400


def test_six_hidden_layers_fit_the_network_dock_of_a_default_window_with_readable_nodes():
    """TensorFlow Playground's maximum depth fits the dock of a 1400 x 900 window without scrolling."""
    for width in (4, 8):
        spec = NetworkSpec(("x", "y"), tuple(LayerSpec(width) for _ in range(6)))
        layout = fitted(spec, 470, 380)
        assert layout.width <= 470 and layout.height <= 380
        assert all(column.more is None for column in layout.columns)
        assert layout.metrics.node >= 22
    wider_panel = fitted(NetworkSpec(("x", "y"), tuple(LayerSpec(8) for _ in range(4))), 600, 380)
    assert wider_panel.metrics.hidden_column > DENSE_METRICS.hidden_column  # columns widen when they can


def test_layers_too_tall_to_fit_collapse_with_a_marker():
    spec = NetworkSpec(("x", "y"), (LayerSpec(40),))
    layout = fitted(spec, 600, 400)
    column = layout.columns[1]
    assert column.more is not None and len(column.nodes) + column.hidden_count == 40
    assert layout.height <= 400


specs = st.builds(
    NetworkSpec,
    features=st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True).map(tuple),
    hidden=st.lists(st.builds(LayerSpec, st.integers(1, 300), st.sampled_from(ACTIVATIONS)), max_size=6).map(
        tuple
    ),
    n_classes=st.integers(1, 8),
)


@settings(max_examples=60, deadline=None)
@given(spec=specs, width=st.integers(150, 1600), height=st.integers(200, 1200))
def test_nothing_overlaps_at_any_panel_size(spec, width, height):
    layout = fitted(spec, width, height)
    drawn = all_boxes(layout)
    for a, b in itertools.combinations(drawn, 2):
        assert not overlaps(a, b), (a, b)
    for box in drawn:
        assert box.x >= 0 and box.x + box.w <= layout.width
        assert box.y >= 0 and box.y + box.h <= layout.height
    if layout_width(spec, DENSE_METRICS) <= width:
        assert layout.width <= width  # it fits whenever the dense drawing does


def test_a_small_window_shows_the_default_network_whole_with_smaller_thumbnails():
    layout = fitted(NetworkSpec(), 330, 310)  # the network dock of a 1048 x 774 window
    assert layout.metrics.stacked and layout.width <= 330 and layout.height <= 310
    assert all(column.more is None for column in layout.columns)
    assert 18 <= layout.metrics.node < Metrics().node
