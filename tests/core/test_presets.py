"""Presets: every one builds a working network for any class count, and each teaches what its name says."""

import pytest

from workbench.core.model.engine.network import Network
from workbench.core.model.presets import PRESETS, get_preset
from workbench.core.model.spec import MAX_CLASSES, LayerSpec, NetworkSpec, SpecError


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
@pytest.mark.parametrize("n_classes", [1, 2, 3, MAX_CLASSES])
def test_every_preset_builds_an_engine_network_with_its_layer_sizes(preset, n_classes):
    start = NetworkSpec(("x", "y", "sinx"), (LayerSpec(5, "relu"),), n_classes)
    spec = preset.apply(start)
    assert spec.n_classes == n_classes
    assert spec.features == preset.features
    weights = Network(spec, seed=0).get_weights()
    assert [w.shape for w, _ in weights] == [
        (a, b) for a, b in zip(spec.layer_sizes[:-1], spec.layer_sizes[1:], strict=True)
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
