"""The gradient check (Train ▸ Check Gradients…, `workbench gradcheck`): passes on the engine as it is, on
every activation and on graphs, and fails loudly on a module whose backward is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.activations import ACTIVATION_INFO
from workbench.core.model.engine import Network, Tanh
from workbench.core.model.presets import get_preset
from workbench.core.model.spec import LayerSpec, NetworkSpec
from workbench.core.training.gradcheck import (
    TOLERANCE,
    check_gradients,
    check_project_gradients,
    parameter_name,
)


@pytest.fixture(scope="module")
def dataset():
    return generate("spiral", 200, seed=3)


class BrokenTanh(Tanh):
    """A test double: tanh whose backward forgets to square (1 − a instead of 1 − a²)."""

    name = ""  # not registered: only this test uses it

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.multiply(1 - self._a, dy, out=out)


@pytest.mark.parametrize("activation", list(ACTIVATION_INFO))
def test_every_activation_passes(dataset, activation: str) -> None:
    spec = NetworkSpec(
        hidden=(LayerSpec(6, activation), LayerSpec(5, activation)), n_classes=dataset.n_classes
    )
    weights = Network(spec, seed=2).get_weights()
    result = check_project_gradients(spec, weights, dataset, l2=0.01)
    assert result.passed, result.summary()
    assert result.parameters_checked == result.parameters_total == spec.n_parameters
    assert result.max_relative_error < TOLERANCE


@pytest.mark.parametrize("preset", ["deep_skips", "inputs_everywhere"])
def test_graphs_pass(dataset, preset: str) -> None:
    spec = get_preset(preset).apply(NetworkSpec(n_classes=dataset.n_classes))
    result = check_project_gradients(spec, Network(spec, seed=1).get_weights(), dataset)
    assert result.passed, result.summary()


def test_a_broken_backward_fails_loudly(dataset) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "tanh")), n_classes=dataset.n_classes)
    network = Network(spec, seed=2, dtype=np.float64)
    network.activations[1] = BrokenTanh()
    features = network.features(dataset.points)
    result = check_gradients(network, features, dataset.labels)
    assert not result.passed
    assert result.max_relative_error > 1000 * TOLERANCE  # not a borderline call
    assert "FAILED" in result.summary()
    # The wrong derivative is in node 2's activation: node 1's and node 2's Linear layers get wrong
    # gradients, the output layer's stay right.
    assert result.worst.startswith(("layer 1 ", "layer 2 "))


def test_a_big_network_is_sampled_and_says_so(dataset) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(120, "relu"), LayerSpec(120, "tanh")), n_classes=dataset.n_classes)
    seen = []
    result = check_project_gradients(
        spec, Network(spec, seed=0).get_weights(), dataset, progress=lambda d, t: seen.append((d, t))
    )
    assert result.passed, result.summary()
    assert result.sampled and result.parameters_checked < result.parameters_total
    assert "random sample" in result.summary()
    assert seen[-1][0] == seen[-1][1] == result.parameters_checked
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_stopping_early_is_reported(dataset) -> None:
    spec = NetworkSpec(n_classes=dataset.n_classes)
    network = Network(spec, dtype=np.float64)
    result = check_gradients(
        network, network.features(dataset.points), dataset.labels, should_stop=lambda: True
    )
    assert result.cancelled and not result.passed and result.parameters_checked == 0


def test_parameter_names_follow_the_layers() -> None:
    network = Network(NetworkSpec(hidden=(LayerSpec(3, "tanh"),), n_classes=2))
    assert parameter_name(network, 0) == "layer 1 W[0, 0]"
    assert parameter_name(network, 2 * 3) == "layer 1 b[0]"
    assert parameter_name(network, 9) == "layer 2 W[0, 0]"
