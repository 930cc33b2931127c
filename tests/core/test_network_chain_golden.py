"""A graph network without extra links trains exactly as the chain engine did before graphs, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from chain_reference import ChainStep, initial_params

from workbench.core.model.engine import Network
from workbench.core.model.engine.optimizers import Adam, Momentum
from workbench.core.model.spec import LayerSpec, NetworkSpec

CHAINS = {
    "logistic regression": NetworkSpec(("x", "y"), (), n_classes=2),
    "2-8-8-2 tanh": NetworkSpec(("x", "y"), (LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))),
    "relu + leaky relu, 4 classes": NetworkSpec(
        ("x", "y", "x2", "xy"), (LayerSpec(16, "relu"), LayerSpec(7, "leaky_relu")), n_classes=4
    ),
    "sigmoid, linear, step": NetworkSpec(
        ("x", "y", "sinx"),
        (LayerSpec(5, "sigmoid"), LayerSpec(6, "linear"), LayerSpec(4, "step"), LayerSpec(3, "tanh")),
        n_classes=3,
    ),
}


def _data(spec: NetworkSpec, n: int = 96) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.uniform(-4, 4, size=(n, 2)), rng.integers(0, spec.n_classes, size=n)


@pytest.mark.parametrize("name", list(CHAINS))
@pytest.mark.parametrize("optimizer", [Adam, Momentum])
def test_chain_training_equals_the_frozen_pre_graph_engine_bit_for_bit(name: str, optimizer) -> None:
    spec = CHAINS[name]
    points, labels = _data(spec)
    network = Network(spec, seed=5)
    np.testing.assert_array_equal(network.flat_params, initial_params(spec, 5))
    reference_params = network.flat_params.copy()
    reference_grads = np.zeros_like(reference_params)
    optimizers = [
        optimizer({"all": network.flat_params}, {"all": network.flat_grads}, 0.01),
        optimizer({"all": reference_params}, {"all": reference_grads}, 0.01),
    ]
    table = network.training_table(points, labels)
    rng = np.random.default_rng(3)
    for batch_size in (16, 7):
        workspace = network.workspace(batch_size)
        reference = ChainStep(spec, reference_params, reference_grads, batch_size)
        for _ in range(40):
            idx = rng.choice(len(points), batch_size, replace=False)
            table.take(idx, 1, workspace.batch, "clip")
            table.take(idx, 1, reference.batch, "clip")
            network.compute_gradients(workspace)
            reference.compute_gradients()
            assert network.loss.last_loss() == reference.loss()
            for opt in optimizers:
                opt.step()
    np.testing.assert_array_equal(network.flat_grads, reference_grads)
    np.testing.assert_array_equal(network.flat_params, reference_params)
