"""Presets: every one builds a working network for any class count, and each teaches what its name says."""

import pytest

from workbench.core.data.generators import STARTING_DATASET, generate
from workbench.core.model.engine.network import Network
from workbench.core.model.presets import PRESETS, get_preset
from workbench.core.model.spec import MAX_CLASSES, LayerSpec, Link, NetworkSpec, SpecError, TrainingSettings
from workbench.core.training.diagnosis import CHANCE_MARGIN, chance_accuracy
from workbench.core.training.trainer import Trainer


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
@pytest.mark.parametrize("n_classes", [1, 2, 3, MAX_CLASSES])
def test_every_preset_builds_an_engine_network_with_its_layer_sizes(preset, n_classes):
    start = NetworkSpec(("x", "y", "sinx"), (LayerSpec(5, "relu"),), n_classes)
    spec = preset.apply(start)
    assert spec.n_classes == n_classes
    assert spec.features == preset.features
    weights = Network(spec, seed=0).get_weights()
    assert [w.shape for w, _ in weights] == [
        (spec.fan_in(node), spec.layer_sizes[node]) for node in range(1, spec.output_node + 1)
    ]


def test_presets_have_the_architectures_their_names_promise():
    assert get_preset("perceptron").hidden == ()
    assert len(get_preset("one_hidden").hidden) == 1
    deep = get_preset("deep_narrow").hidden
    assert len(deep) >= 4 and max(layer.width for layer in deep) <= 4
    assert get_preset("playground").hidden == (LayerSpec(4, "tanh"), LayerSpec(2, "tanh"))
    assert get_preset("bottleneck").hidden[-1].width == 2


def test_preset_names_and_labels_are_unique():
    assert len({p.name for p in PRESETS}) == len(PRESETS)
    assert len({p.label for p in PRESETS}) == len(PRESETS)


def test_unknown_preset_names_the_valid_ones():
    with pytest.raises(SpecError, match="perceptron"):
        get_preset("resnet")


def test_graph_presets_carry_their_links():
    deep = get_preset("deep_skips").apply(NetworkSpec())
    assert len(deep.hidden) == 10 and {layer.width for layer in deep.hidden} == {8}
    assert deep.residuals == tuple(Link(i, i + 1) for i in range(1, 10)) and deep.connections == ()
    inputs = get_preset("inputs_everywhere").apply(NetworkSpec(n_classes=3))
    assert inputs.connections == tuple(Link(0, node) for node in range(2, inputs.output_node + 1))
    assert inputs.sources(inputs.output_node) == [4, 0]
    # A chain preset applied to a graph spec leaves no links behind.
    assert get_preset("one_hidden").apply(deep).is_chain


def accuracy_after(spec: NetworkSpec, steps: int) -> tuple[float, float]:
    dataset = generate(STARTING_DATASET, seed=0)
    trainer = Trainer(dataset, spec, TrainingSettings(seed=0), seed=0)
    trainer.step(steps)
    return trainer.evaluate().train_accuracy, chance_accuracy(dataset.labels[~dataset.is_test])


def test_deep_narrow_stalls_at_chance_as_a_chain_and_trains_with_its_residual_links():
    """The preset's promise, on the starting dataset with the default settings."""
    spec = get_preset("deep_skips").apply(NetworkSpec())
    chain_accuracy, chance = accuracy_after(spec.with_links(), 4000)
    assert chain_accuracy <= chance + CHANCE_MARGIN
    skip_accuracy, _ = accuracy_after(spec, 4000)
    assert skip_accuracy >= 0.9


def test_inputs_to_every_layer_learns_the_spiral_quickly():
    accuracy, _ = accuracy_after(get_preset("inputs_everywhere").apply(NetworkSpec()), 1000)
    assert accuracy >= 0.95
