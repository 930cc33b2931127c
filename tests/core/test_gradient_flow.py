"""Gradient flow: what the curves and the glow show is the engine's own gradient at the recorded steps,
bounded like the loss history, sent with snapshots; and it tells the vanishing-gradient story."""

from __future__ import annotations

import multiprocessing.connection

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.presets import get_preset
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.gradient_flow import GradientFlow
from workbench.core.training.trainer import Trainer
from workbench.core.training.trainer_process import TrainerProcess
from workbench.core.training.training_messages import LiveSnapshot, TrainSteps, WantSnapshot


@pytest.fixture(scope="module")
def dataset():
    return generate("spiral", 150, seed=1)


def full_batch_trainer(dataset, spec: NetworkSpec, record_every: int = 5) -> Trainer:
    settings = TrainingSettings(batch_size=None, optimizer="sgd", learning_rate=0.1, l2=0.01)
    return Trainer(dataset, spec, settings, record_every=record_every)


def test_norms_and_ratios_are_those_of_the_engines_gradient_at_the_recorded_step(dataset) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(4, "relu")), n_classes=dataset.n_classes)
    trainer = full_batch_trainer(dataset, spec)
    trainer.step(4)
    before = trainer.get_weights()
    trainer.step(1)  # step 5 is recorded
    after = trainer.get_weights()
    flow = trainer.gradient_flow
    assert list(flow.steps) == [5]
    # The same gradient by the textbook path (float64, the data loss only: L2 is not part of it).
    reference = Network.from_weights(spec, before, dtype=np.float64)
    train = dataset.train_indices
    reference.loss_and_gradients(reference.features(dataset.points[train]), dataset.labels[train])
    expected = [np.linalg.norm(layer.grads["W"]) for layer in reference.layers]
    np.testing.assert_allclose(flow.grad_norms[0], expected, rtol=1e-4)
    ratios = [
        np.linalg.norm(w1 - w0) / np.linalg.norm(w0) for (w0, _), (w1, _) in zip(before, after, strict=True)
    ]
    np.testing.assert_allclose(flow.update_ratios[0], ratios, rtol=1e-4)


def test_the_glow_is_the_mean_abs_delta_of_each_neuron(dataset) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), n_classes=dataset.n_classes)
    trainer = full_batch_trainer(dataset, spec)
    trainer.step(4)
    (w1, b1), (w2, b2) = trainer.get_weights()
    trainer.step(1)
    flow = trainer.gradient_flow
    assert flow.deltas_step == 5
    # δ by hand: output δ = p − onehot per point; hidden δ = (δ_out W2ᵀ) ⊙ tanh'(z).
    train = dataset.train_indices
    x = Network(spec).features(dataset.points[train]).astype(np.float64)
    a1 = np.tanh(x @ w1 + b1)
    logits = a1 @ w2 + b2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta_out = p - np.eye(dataset.n_classes)[dataset.labels[train]]
    delta_hidden = (delta_out @ w2.T) * (1 - a1**2)
    np.testing.assert_allclose(flow.deltas[0], np.abs(delta_hidden).mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(flow.deltas[1], np.abs(delta_out).mean(axis=0), rtol=1e-4)


def test_deep_sigmoids_vanish_and_residual_links_carry_the_gradient(dataset) -> None:
    base = NetworkSpec(n_classes=dataset.n_classes)
    chain = NetworkSpec(hidden=tuple(LayerSpec(8, "sigmoid") for _ in range(10)), n_classes=dataset.n_classes)
    skips = get_preset("deep_skips").apply(base)
    first_to_last = {}
    for name, spec in (("chain", chain), ("skips", skips)):
        trainer = Trainer(dataset, spec, TrainingSettings(), record_every=50)
        trainer.step(500)
        norms = trainer.gradient_flow.grad_norms
        assert len(norms) == 10 and norms.shape[1] == 11
        first_to_last[name] = np.median(norms[:, 0] / norms[:, -1])
    assert first_to_last["chain"] < 1e-4  # the first layer gets ten-thousand times less than the output
    assert first_to_last["skips"] > 1e-2


def test_the_flow_stays_bounded_and_keeps_its_ends() -> None:
    flow = GradientFlow(3, max_entries=40)
    for step in range(1, 501):
        flow.append(step, np.full(3, step), np.full(3, 1.0 / step))
        assert len(flow) <= 40
    assert flow.steps[0] == 1 and flow.steps[-1] == 500
    assert np.all(np.diff(flow.steps) > 0)
    np.testing.assert_array_equal(flow.grad_norms[:, 0], flow.steps)
    frozen = flow.frozen()
    with pytest.raises(TypeError):
        frozen.append(501, np.zeros(3), np.zeros(3))


def test_a_divergence_cuts_the_flow_back_with_the_history(dataset) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(8, "relu"),), n_classes=dataset.n_classes)
    trainer = Trainer(dataset, spec, TrainingSettings(learning_rate=10.0, optimizer="sgd"), record_every=5)
    result = trainer.step(400)
    assert result.diverged
    flow = trainer.gradient_flow
    assert len(flow) == 0 or flow.steps[-1] <= trainer.step_count


def test_snapshots_from_the_training_process_carry_the_flow(dataset) -> None:
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), n_classes=dataset.n_classes)
    settings = TrainingSettings(batch_size=16)
    local = Trainer(dataset, spec, settings, seed=settings.seed)
    process = TrainerProcess(dataset, spec, settings)
    try:
        for total, extra in ((230, 230), (330, 100)):  # the second snapshot sends only the new rows
            process.send(TrainSteps(extra))
            snapshot = None
            while snapshot is None or snapshot.step != total:
                assert multiprocessing.connection.wait([process.connection], 30)
                for event in process.receive():
                    if isinstance(event, LiveSnapshot):
                        process.send(WantSnapshot())
                        snapshot = event.snapshot
            local.step(extra)
            expected = local.gradient_flow
            np.testing.assert_array_equal(snapshot.gradients.steps, expected.steps)
            np.testing.assert_array_equal(snapshot.gradients.grad_norms, expected.grad_norms)
            np.testing.assert_array_equal(snapshot.gradients.update_ratios, expected.update_ratios)
            assert snapshot.gradients.deltas_step == expected.deltas_step
    finally:
        process.close()
