"""The mouse edits of the network builder as pure spec functions: the rules a user runs into."""

import pytest

from workbench.core.model.engine.network import Network
from workbench.core.model.network_edits import (
    LARGE_NETWORK_PARAMETERS,
    change_layer_width,
    changed_weight_layers,
    grows_past_large,
    insert_layer,
    remove_layer,
    set_layer_activation,
    set_layer_width,
    toggle_feature,
)
from workbench.core.model.spec import MAX_HIDDEN_LAYERS, MAX_LAYER_WIDTH, LayerSpec, NetworkSpec, SpecError

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
