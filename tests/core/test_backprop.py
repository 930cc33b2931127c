"""The backprop trace (workbench.core.present.backprop) against torch autograd and the trainer's own step."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings
from workbench.core.present import backprop
from workbench.core.training.trainer import Trainer

torch = pytest.importorskip("torch")

CHAIN = NetworkSpec(("x", "y", "xy"), (LayerSpec(5, "tanh"), LayerSpec(4, "relu")), 3)
GRAPH = NetworkSpec(
    ("x", "y"), (LayerSpec(4, "tanh"), LayerSpec(4, "sigmoid"), LayerSpec(4, "leaky_relu")), 3
).with_links(connections=[Link(0, 3), Link(1, 4)], residuals=[Link(1, 3)])

TORCH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
}


def torch_reference(spec: NetworkSpec, weights, points, labels):
    """The same network built by hand in torch (float64): z, a, ∂L/∂z and ∂L/∂W (out, in) per Linear."""
    from workbench.core.model.features import compute_features

    x = torch.tensor(compute_features(np.asarray(points), spec.features, np.float64))
    params = [
        (
            torch.tensor(w.T.astype(np.float64), requires_grad=True),
            torch.tensor(b.astype(np.float64), requires_grad=True),
        )
        for w, b in weights
    ]
    h = [x]
    zs, acts = [], []
    for node in range(1, spec.output_node + 1):
        inputs = torch.cat([h[s] for s in spec.sources(node)], dim=1)
        w, b = params[node - 1]
        z = inputs @ w.T + b
        z.retain_grad()
        zs.append(z)
        if node < spec.output_node:
            a = TORCH_ACTIVATIONS[spec.hidden[node - 1].activation](z)
            value = a + sum((h[r] for r in spec.residual_sources(node)), torch.zeros_like(a))
        else:
            a = torch.softmax(z, dim=1)
            value = z
        acts.append(a)
        h.append(value)
    loss = torch.nn.functional.cross_entropy(zs[-1], torch.tensor(np.asarray(labels)))
    loss.backward()
    return loss.item(), zs, acts, params


@pytest.mark.parametrize("spec", [CHAIN, GRAPH], ids=["chain", "graph"])
@pytest.mark.parametrize("batch", [1, 7])
def test_trace_equals_torch_autograd(spec: NetworkSpec, batch: int) -> None:
    rng = np.random.default_rng(3)
    network = Network(spec, seed=5, dtype=np.float64)
    weights = [
        (w + rng.normal(0, 0.3, w.shape), b + rng.normal(0, 0.3, b.shape)) for w, b in network.get_weights()
    ]
    points = rng.normal(0, 1.5, (batch, 2))
    labels = rng.integers(0, 3, batch)
    result = backprop.trace(spec, weights, points, labels)
    loss, zs, acts, params = torch_reference(spec, weights, points, labels)
    assert result.loss == pytest.approx(loss, rel=1e-12)
    assert len(result.layers) == spec.output_node
    for layer, z, a, (w, b) in zip(result.layers, zs, acts, params, strict=True):
        np.testing.assert_allclose(layer.z, z.detach().numpy().mean(axis=0), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.a, a.detach().numpy().mean(axis=0), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.delta, z.grad.numpy().sum(axis=0), rtol=1e-10, atol=1e-12)
        assert layer.weight_grad.shape == tuple(w.shape)  # (out_features, in_features)
        np.testing.assert_allclose(layer.weight_grad, w.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.bias_grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_graph_arrivals_add_up_per_path() -> None:
    """Layer 1 feeds layer 2 (weights), layer 4 (a connection) and layer 3 (a residual link): three paths."""
    rng = np.random.default_rng(0)
    weights = Network(GRAPH, seed=1, dtype=np.float64).get_weights()
    result = backprop.trace(GRAPH, weights, rng.normal(size=(1, 2)), [2])
    first = result.layer(1)
    paths = sorted((a.consumer, a.kind) for a in first.arrivals)
    assert paths == [(2, "connection"), (3, "residual"), (4, "connection")]
    np.testing.assert_allclose(sum(a.value for a in first.arrivals), first.dh)
    residual = next(a for a in first.arrivals if a.kind == "residual")
    np.testing.assert_allclose(residual.value, result.layer(3).dh)  # handed on unchanged
    via_four = next(a for a in first.arrivals if a.consumer == 4)
    rows = result.source_blocks(4)[1]
    np.testing.assert_allclose(via_four.value, result.layer(4).weight[:, rows].T @ result.layer(4).delta)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("spec", [CHAIN, GRAPH], ids=["chain", "graph"])
def test_update_is_the_trainers_next_step(optimizer: str, spec: NetworkSpec) -> None:
    """The current batch from the saved batch order and the update from the saved state: exactly what the
    trainer's next step does (float32 training vs float64 trace)."""
    dataset = generate("spiral", 120, 3, None, 0)
    settings = TrainingSettings(learning_rate=0.05, optimizer=optimizer, batch_size=10, l2=0.01)
    trainer = Trainer(dataset, spec, settings, seed=4)
    trainer.step(13)  # mid-epoch, with a built-up optimizer state
    before = trainer.get_weights()
    batch = backprop.next_batch(dataset.train_indices, settings.batch_size, trainer.shuffle_state())
    assert batch is not None and len(batch) == 10
    result = backprop.trace(
        spec,
        before,
        dataset.points[batch],
        dataset.labels[batch],
        settings=settings,
        optimizer_state=trainer.optimizer_state(),
    )
    trainer.step(1)
    for layer, (w0, b0), (w1, b1) in zip(result.layers, before, trainer.get_weights(), strict=True):
        np.testing.assert_allclose(layer.update.weight_step, (w1 - w0).T, rtol=2e-3, atol=2e-6)
        np.testing.assert_allclose(layer.update.bias_step, b1 - b0, rtol=2e-3, atol=2e-6)


def test_next_batch_at_the_end_of_an_epoch_draws_a_new_order() -> None:
    dataset = generate("spiral", 40, 3, None, 0)
    trainer = Trainer(dataset, CHAIN, TrainingSettings(batch_size=8), seed=1)
    n_train = len(dataset.train_indices)
    trainer.step(-(-n_train // 8))  # exactly one epoch: the next batch comes from a new order
    batch = backprop.next_batch(dataset.train_indices, 8, trainer.shuffle_state())
    network_before = trainer.get_weights()
    result = backprop.trace(
        trainer.spec,
        network_before,
        dataset.points[batch],
        dataset.labels[batch],
        settings=trainer.settings,
        optimizer_state=trainer.optimizer_state(),
    )
    trainer.step(1)
    w1 = trainer.get_weights()[0][0]
    np.testing.assert_allclose(
        result.layers[0].update.weight_step, (w1 - network_before[0][0]).T, rtol=2e-3, atol=2e-6
    )


def test_walk_steps_follow_the_lecture() -> None:
    weights = Network(CHAIN, seed=0).get_weights()
    result = backprop.trace(CHAIN, weights, [[0.5, -0.2]], [1], settings=TrainingSettings())
    steps = backprop.walk(result)
    assert [(s.kind, s.node) for s in steps] == [
        ("forward", 1),
        ("forward", 2),
        ("forward", 3),
        ("loss", 3),
        ("backward", 3),
        ("backward", 2),
        ("backward", 1),
        ("gradients", None),
        ("update", None),
    ]
    for step in steps:
        assert backprop.formulas(result, step)  # every step explains itself with numbers
    forward = backprop.formulas(result, steps[0], neuron=2)
    assert "z_1.3" in forward[0] and backprop.fmt(result.layer(1).z[2]) in forward[0]
    assert "tanh" in forward[1]
    assert "−log" in backprop.formulas(result, steps[3])[1]
    assert "Δ ← μΔ + g" in backprop.formulas(result, steps[-1])[0]
    assert "starts at zero" in backprop.formulas(result, steps[-1])[-1]


def test_json_names_graph_blocks_like_the_export() -> None:
    from workbench.core.files.export.layout import weight_blocks

    weights = Network(GRAPH, seed=0).get_weights()
    result = backprop.trace(GRAPH, weights, [[0.1, 0.2]], [0])
    data = result.to_json({n: weight_blocks(GRAPH, n) for n in range(1, GRAPH.output_node + 1)})
    layer4 = data["layers"][3]
    assert set(layer4["weight_grad_tensors"]) == {"linear.out.weight", "connections.1_to_out.weight"}
    assert np.shape(layer4["weight_grad_tensors"]["connections.1_to_out.weight"]) == (3, 4)
    assert "h" in data["layers"][2]  # layer 3 adds a residual: its output differs from g(z)


def test_bad_input_is_refused_with_a_message() -> None:
    weights = Network(CHAIN, seed=0).get_weights()
    with pytest.raises(backprop.BackpropError, match="class numbers 0 to 2"):
        backprop.trace(CHAIN, weights, [[0, 0]], [3])
    with pytest.raises(backprop.BackpropError, match="finite"):
        backprop.trace(CHAIN, weights, [[np.nan, 0]], [0])
    with pytest.raises(backprop.BackpropError, match="do not fit"):
        backprop.trace(CHAIN, weights[::-1], [[0, 0]], [0])
