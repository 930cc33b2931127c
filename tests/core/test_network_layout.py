"""Geometry of the network drawing: readable at any size (no overlaps), collapsing, hit tests, edge styles."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layout_checks import all_boxes, overlaps

from workbench.core.model.engine.network import Network
from workbench.core.model.network_edits import add_link, link_options
from workbench.core.model.spec import (
    ACTIVATIONS,
    FEATURES,
    LayerSpec,
    Link,
    NetworkSpec,
    parse_layers,
    parse_links,
)
from workbench.core.present.network_layout import (
    ACTIVATION_FORMULAS,
    Metrics,
    arc_style,
    band_height,
    diverging_palette,
    drag_hint,
    drag_source_at,
    drop_target_at,
    drop_targets,
    edge_levels,
    edge_values,
    feature_maps,
    fit_metrics,
    format_link,
    format_weight,
    header_tooltip,
    hit_test,
    layout_network,
    level_style,
    link_lanes,
    link_norms,
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


# --- links ----------------------------------------------------------------------------------------------
def graph(layers: str, connect: str = "", residual: str = "", n_classes: int = 2) -> NetworkSpec:
    hidden = parse_layers(layers)
    spec = NetworkSpec(("x", "y"), hidden, n_classes)
    return spec.with_links(parse_links(connect, len(hidden)), parse_links(residual, len(hidden))).validate()


graphs = st.builds(
    lambda layers, picks: _random_graph(layers, picks),
    st.lists(st.sampled_from([1, 2, 3, 8, 20]), min_size=1, max_size=7),
    st.lists(st.tuples(st.integers(0, 8), st.integers(1, 8), st.booleans()), max_size=8),
)


def _random_graph(widths, picks) -> NetworkSpec:
    spec = NetworkSpec(("x", "y"), tuple(LayerSpec(w) for w in widths), 2)
    for source, span, residual in picks:
        target = min(source + span, spec.output_node)
        if source >= spec.output_node:
            continue
        kinds = link_options(spec, source, target).kinds
        kind = (
            "residual"
            if residual and "residual" in kinds
            else ("connection" if "connection" in kinds else None)
        )
        if kind is not None:
            spec = add_link(spec, source, target, kind)
    return spec


@settings(max_examples=60, deadline=None)
@given(spec=graphs, height=st.integers(300, 1000))
def test_link_arcs_stay_under_the_columns_clear_of_every_box(spec, height):
    metrics = metrics_for_height(height)
    layout = layout_network(spec, slots_for_height(height, metrics, spec), metrics)
    assert len(layout.arcs) == len(spec.connections) + len(spec.residuals)
    boxes = all_boxes(layout)
    for arc in layout.arcs:
        p = arc.points
        assert (p[:, 0] >= 0).all() and (p[:, 0] <= layout.width).all()
        assert (p[:, 1] <= layout.height - layout.metrics.margin + 1).all()
        # Sample the path densely: no point of it lies inside a node, label, header control or "+" button.
        t = np.linspace(0, 1, 12)[:, None]
        dense = np.concatenate([a + t * (b - a) for a, b in itertools.pairwise(p)])
        for box in boxes:
            inside = (
                (dense[:, 0] > box.x)
                & (dense[:, 0] < box.x + box.w)
                & (dense[:, 1] > box.y)
                & (dense[:, 1] < box.y + box.h)
            )
            assert not inside.any(), (spec.link_text(arc.link), box)
        # It starts under its source column and ends under its target column.
        source, target = layout.columns[arc.link.source], layout.columns[arc.link.target]
        assert source.x <= arc.start[0] <= source.x + source.width
        assert target.x <= arc.end[0] <= target.x + target.width


def test_longer_links_take_deeper_lanes_and_nested_arcs_do_not_cross():
    spec = graph("4,4,4,4", "in>out,1>3", "1>2,2>4")
    lanes = link_lanes(spec)
    assert lanes[(Link(1, 2), "residual")] == 0
    assert lanes[(Link(0, 5), "connection")] > max(
        lanes[(Link(1, 3), "connection")], lanes[(Link(2, 4), "residual")]
    )
    assert lanes[(Link(1, 3), "connection")] != lanes[(Link(2, 4), "residual")]  # overlapping spans
    layout = layout_network(spec)
    outer, inner = layout.arc(Link(0, 5)), layout.arc(Link(1, 3))
    assert outer.points[:, 1].max() > inner.points[:, 1].max()
    # A chain has no band; links add one, and fit_metrics leaves room for it.
    chain = layout_network(spec.with_links())
    assert layout.height - chain.height == pytest.approx(band_height(spec, layout.metrics))
    metrics, slots = fit_metrics(spec, 900, 500)
    assert layout_network(spec, slots, metrics).height <= 500


def test_hit_test_finds_a_link_arc_and_its_kind():
    spec = graph("4,4,4", "in>3", "1>3")
    layout = layout_network(spec)
    for link, kind in ((Link(0, 3), "connection"), (Link(1, 3), "residual")):
        arc = layout.arc(link)
        x = float(arc.points[:, 0].mean())
        y = float(arc.points[:, 1].max())  # on its lane, under the columns
        hit = hit_test(layout, x, y + 1)
        assert (hit.kind, hit.link, hit.link_kind, hit.layer) == ("link", link, kind, 3)
    assert hit_test(layout, 2, layout.height - 2) is None


def test_link_norms_read_the_connection_block_of_the_target_weights():
    spec = graph("3,4,2", "in>3,1>out", "")
    weights = Network(spec, seed=5).get_weights()
    norms = link_norms(spec, weights)
    w3 = weights[2][0]  # node 3 reads [2, 0]: rows 0..3 from layer 2, rows 4..5 from the inputs
    assert norms[Link(0, 3)] == pytest.approx(np.linalg.norm(w3[4:6]))
    wout = weights[3][0]  # output reads [3, 1]: rows 0..1 layer 3, rows 2..4 layer 1
    assert norms[Link(1, 4)] == pytest.approx(np.linalg.norm(wout[2:5]))
    assert all(np.isnan(v) for v in link_norms(spec, None).values())
    thin, _ = arc_style(spec, Link(0, 3), 0.1)
    thick, _ = arc_style(spec, Link(0, 3), 10.0)
    assert thin < thick


def test_link_hover_text_names_the_link_and_its_norm():
    spec = graph("4,4,4", "1>out", "1>3")
    assert format_link(spec, Link(1, 4), "connection", 2.3149).startswith(
        "1 > out: weighted connection, ‖W‖ = 2.31"
    )
    assert "4×2 weights" in format_link(spec, Link(1, 4), "connection", 2.0)
    assert "not trained yet" in format_link(spec, Link(1, 4), "connection")
    text = format_link(spec, Link(1, 3), "residual")
    assert text.startswith("1 > 3: residual link") and "Delete" in text


def test_drop_targets_are_the_later_columns_with_what_fits_there():
    spec = graph("2,4,2")
    layout = layout_network(spec)
    assert drag_source_at(layout, *layout.node(1, 0).rect.center) == 1
    assert drag_source_at(layout, *layout.node(4, 0).rect.center) is None  # nothing after the output
    targets = drop_targets(layout, 1)
    assert [t.layer for t in targets] == [2, 3, 4]
    assert [t.options.kinds for t in targets] == [(), ("connection", "residual"), ("connection", "residual")]
    node = layout.node(3, 0).rect
    target = drop_target_at(layout, 1, *node.center)
    assert target.layer == 3
    assert "choose" in drag_hint(spec, 1, target)
    refused = drop_target_at(layout, 1, *layout.node(2, 0).rect.center)
    assert "Cannot link layer 1 to layer 2" in drag_hint(spec, 1, refused)
    assert "Drop on a later column" in drag_hint(spec, 1, None)
