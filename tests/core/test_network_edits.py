"""The mouse edits of the network builder as pure spec functions: the rules a user runs into."""

import pytest

from workbench.core.model.engine.network import Network
from workbench.core.model.network_edits import (
    LARGE_NETWORK_PARAMETERS,
    add_connection,
    add_link,
    add_residual,
    change_layer_width,
    changed_weight_layers,
    describe_link,
    grows_past_large,
    insert_layer,
    link_kind,
    link_options,
    links_lost_by_removal,
    remove_layer,
    remove_link,
    residual_changes,
    set_layer_activation,
    set_layer_width,
    toggle_feature,
    weight_shapes,
    with_class_count,
)
from workbench.core.model.spec import (
    MAX_HIDDEN_LAYERS,
    MAX_LAYER_WIDTH,
    LayerSpec,
    Link,
    NetworkSpec,
    SpecError,
    parse_layers,
    parse_links,
)

SPEC = NetworkSpec(("x", "y"), (LayerSpec(3, "relu"), LayerSpec(5, "sigmoid")), 3)


def test_insert_layer_anywhere_copies_its_left_neighbour():
    front = insert_layer(SPEC, 0)
    assert [layer.width for layer in front.hidden] == [3, 3, 5]
    middle = insert_layer(SPEC, 1)
    assert middle.hidden == (LayerSpec(3, "relu"), LayerSpec(3, "relu"), LayerSpec(5, "sigmoid"))
    end = insert_layer(SPEC, 2)
    assert end.hidden[-1] == LayerSpec(5, "sigmoid")
    first = insert_layer(NetworkSpec(("x", "y"), (), 2), 0)
    assert first.hidden == (LayerSpec(4, "tanh"),)


def test_remove_layer_down_to_logistic_regression():
    spec = remove_layer(SPEC, 0)
    assert spec.hidden == (LayerSpec(5, "sigmoid"),)
    spec = remove_layer(spec, 0)
    assert spec.hidden == () and spec.layer_sizes == [2, 3]
    with pytest.raises(SpecError, match="no hidden layer 1"):
        remove_layer(spec, 0)


def test_insert_stops_at_the_layer_limit_with_a_reason():
    spec = NetworkSpec(("x", "y"), tuple(LayerSpec(2) for _ in range(MAX_HIDDEN_LAYERS)))
    with pytest.raises(SpecError, match=str(MAX_HIDDEN_LAYERS)):
        insert_layer(spec, 3)


def test_width_buttons_and_typed_widths_respect_the_limits():
    assert change_layer_width(SPEC, 1, +1).hidden[1].width == 6
    assert change_layer_width(SPEC, 0, -1).hidden[0].width == 2
    one = set_layer_width(SPEC, 0, 1)
    with pytest.raises(SpecError, match="remove the layer"):
        change_layer_width(one, 0, -1)
    assert set_layer_width(SPEC, 0, MAX_LAYER_WIDTH).hidden[0].width == MAX_LAYER_WIDTH
    with pytest.raises(SpecError, match=str(MAX_LAYER_WIDTH)):
        set_layer_width(SPEC, 0, MAX_LAYER_WIDTH + 1)


def test_activation_change_keeps_the_width_and_rejects_unknown_names():
    spec = set_layer_activation(SPEC, 1, "leaky_relu")
    assert spec.hidden[1] == LayerSpec(5, "leaky_relu")
    with pytest.raises(SpecError, match="choose from"):
        set_layer_activation(SPEC, 1, "swish")


def test_toggling_features_keeps_display_order_and_never_reaches_zero():
    spec = toggle_feature(SPEC, "sinx")
    spec = toggle_feature(spec, "x2")
    assert spec.features == ("x", "y", "x2", "sinx")
    spec = toggle_feature(toggle_feature(toggle_feature(spec, "x"), "y"), "x2")
    assert spec.features == ("sinx",)
    with pytest.raises(SpecError, match="at least one input feature"):
        toggle_feature(spec, "sinx")


def test_edited_specs_build_engine_networks_of_the_same_sizes():
    spec = toggle_feature(insert_layer(set_layer_width(SPEC, 0, 7), 1), "xy")
    network = Network(spec, seed=3)
    assert [w.shape[1] for w, _ in network.get_weights()] == spec.layer_sizes[1:]
    assert network.get_weights()[0][0].shape[0] == 3


def test_changed_weight_layers_matches_what_the_engine_keeps():
    new = set_layer_width(SPEC, 1, 6)  # touches layer 1 -> 2 and layer 2 -> output
    assert changed_weight_layers(SPEC, new) == [1, 2]
    old_net, new_net = Network(SPEC, seed=1), Network(new, seed=2)
    kept = new_net.copy_fitting_layers(old_net)
    assert sorted(set(range(3)) - set(kept)) == changed_weight_layers(SPEC, new)
    assert changed_weight_layers(SPEC, set_layer_activation(SPEC, 0, "tanh")) == []
    assert changed_weight_layers(SPEC, toggle_feature(SPEC, "xy")) == [0]


def test_large_network_warning_only_when_crossing_the_threshold():
    small = NetworkSpec(("x", "y"), (LayerSpec(100), LayerSpec(100)))
    big = set_layer_width(small, 1, 1000)
    assert big.n_parameters > LARGE_NETWORK_PARAMETERS >= small.n_parameters
    assert grows_past_large(small, big)
    assert not grows_past_large(big, change_layer_width(big, 1, +1))
    assert not grows_past_large(big, small)


# --- links ----------------------------------------------------------------------------------------------
def graph(layers: str, connect: str = "", residual: str = "", features=("x", "y"), n_classes: int = 2):
    hidden = parse_layers(layers)
    spec = NetworkSpec(features, hidden, n_classes)
    return spec.with_links(parse_links(connect, len(hidden)), parse_links(residual, len(hidden))).validate()


def texts(spec: NetworkSpec) -> tuple[list[str], list[str]]:
    return [spec.link_text(c) for c in spec.connections], [spec.link_text(r) for r in spec.residuals]


def test_adding_and_removing_links_between_any_earlier_and_later_layer():
    spec = graph("4,4,3")
    spec = add_connection(spec, 0, 3)
    spec = add_link(spec, 1, 4, "connection")
    spec = add_residual(spec, 1, 2)  # a residual may follow the chain
    assert texts(spec) == (["in>3", "1>out"], ["1>2"])
    assert spec.sources(3) == [2, 0]
    assert link_kind(spec, 1, 2) == "residual" and link_kind(spec, 0, 3) == "connection"
    assert link_kind(spec, 2, 3) is None
    spec = remove_link(spec, 0, 3)
    assert texts(spec) == (["1>out"], ["1>2"])
    assert texts(remove_link(spec, 1, 2)) == (["1>out"], [])


@pytest.mark.parametrize(
    ("source", "target", "kind", "message"),
    [
        (1, 2, "connection", "layer 2 already reads layer 1 through its weights"),
        (1, 3, "residual", r"equal widths \(layer 1: 4, layer 3: 3\)"),
        (3, 1, "connection", "links go forward"),
        (4, 4, "connection", "nothing comes after the output"),
        (0, 7, "connection", "there is no layer 7"),
        (1, 4, "connection", "already have a weighted connection"),
    ],
)
def test_links_that_cannot_be_added_say_why(source, target, kind, message):
    spec = graph("4,4,3", "1>out")
    with pytest.raises(SpecError, match=message):
        add_link(spec, source, target, kind)


def test_link_options_offer_what_a_drop_may_add():
    spec = graph("2,2,3")
    assert link_options(spec, 0, 2).kinds == ("connection", "residual")  # inputs: 2 features, layer 2: 2
    assert link_options(spec, 1, 2).kinds == ("residual",)
    assert "already reads" in link_options(spec, 1, 2).reason
    assert link_options(spec, 1, 3).kinds == ("connection",)
    assert "equal widths" in link_options(spec, 1, 3).reason
    none = link_options(add_residual(spec, 0, 2), 0, 2)
    assert none.kinds == () and "residual link" in none.reason


def test_removing_the_chain_or_a_missing_link_is_refused():
    spec = graph("4,4", "in>2")
    with pytest.raises(SpecError, match="always reads"):
        remove_link(spec, 1, 2)
    with pytest.raises(SpecError, match="no link from layer 1 to the output"):
        remove_link(spec, 1, 3)


def test_inserting_a_layer_renumbers_the_links_so_they_join_the_same_layers():
    spec = graph("4,4,4", "in>3,1>out", "1>3,2>3")
    after = insert_layer(spec, 1)  # new layer 2; old 2, 3 and out become 3, 4 and out
    assert texts(after) == (["in>4", "1>out"], ["1>4", "3>4"])
    assert after.hidden[1] == spec.hidden[0]
    front = insert_layer(spec, 0)
    assert texts(front) == (["in>4", "2>out"], ["2>4", "3>4"])
    end = insert_layer(spec, 3)
    assert texts(end) == (["in>3", "1>out"], ["1>3", "2>3"])
    assert end.output_node == 5 and Link(1, 5) in end.connections


def test_removing_a_layer_drops_its_links_and_renumbers_the_rest():
    spec = graph("4,4,4,4", "in>3,1>3,2>out", "1>4,3>4")
    assert links_lost_by_removal(spec, 1) == [Link(1, 3), Link(2, 5)]
    after = remove_layer(spec, 1)  # layer 2 goes: 1>3 would now be the chain, 2>out touches it
    assert texts(after) == (["in>2"], ["1>3", "2>3"])
    assert remove_layer(spec, 3).residuals == ()  # layer 4 had both residual links
    assert texts(remove_layer(spec, 0)) == (["in>2", "1>out"], ["2>3"])


def test_a_width_change_that_breaks_a_residual_link_makes_it_a_connection():
    spec = graph("4,4,4", "", "1>3,2>3,in>out", n_classes=2)
    wider = set_layer_width(spec, 0, 5)
    assert texts(wider) == (["1>3"], ["in>out", "2>3"])
    assert residual_changes(spec, wider) == ([Link(1, 3)], [])
    wider3 = change_layer_width(spec, 2, +1)  # layer 3 no longer matches 1 or 2; 2>3 is the chain: dropped
    assert texts(wider3) == (["1>3"], ["in>out"])
    assert residual_changes(spec, wider3) == ([Link(1, 3)], [Link(2, 3)])
    # The inputs' width changes with a feature; the output's with the class count.
    assert texts(toggle_feature(spec, "xy")) == (["in>out"], ["1>3", "2>3"])
    assert texts(with_class_count(spec, 3)) == (["in>out"], ["1>3", "2>3"])
    assert set_layer_width(spec, 0, 4) == spec


def test_an_activation_change_keeps_every_link():
    spec = graph("4,4,4", "in>3", "1>3")
    changed = set_layer_activation(spec, 1, "relu")
    assert texts(changed) == texts(spec)


def test_describe_link_and_weight_shapes_count_every_source():
    spec = graph("4,4,3", "in>3,1>out", "1>2")
    assert describe_link(spec, Link(1, 4), "connection") == "1 > out: weighted connection"
    assert describe_link(spec, Link(1, 2), "residual").startswith("1 > 2: residual link")
    assert weight_shapes(spec) == [(2, 4), (4, 4), (4 + 2, 3), (3 + 4, 2)]
    assert changed_weight_layers(spec, add_connection(spec, 0, 2)) == []  # the new block starts at zero
    assert changed_weight_layers(spec, remove_link(spec, 1, 2)) == []
    assert changed_weight_layers(spec, set_layer_width(spec, 0, 5)) == [0, 1, 3]  # 1>out reads layer 1


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: add_connection(s, 0, 2),
        lambda s: add_residual(s, 1, 3),
        lambda s: remove_link(s, 0, 3),
        lambda s: set_layer_width(s, 1, 6),
        lambda s: set_layer_width(s, 0, 3),
        lambda s: toggle_feature(s, "x2"),
        lambda s: insert_layer(s, 1),
        lambda s: remove_layer(s, 0),
    ],
)
def test_changed_weight_layers_of_a_graph_match_what_the_engine_keeps(edit):
    old = graph("4,4,4", "in>3,1>out", "1>2")
    new = edit(old)
    kept = Network(new, seed=2).copy_fitting_layers(Network(old, seed=1))
    assert sorted(set(range(new.output_node)) - set(kept)) == changed_weight_layers(old, new)
