"""Networks with connections and residual links: what they compute, that they learn, and live edits."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network, kept_layers, source_slices
from workbench.core.model.spec import (
    NetworkSpec,
    SpecError,
    TrainingSettings,
    parse_layers,
    parse_links,
)
from workbench.core.training.diagnosis import bypassed, explain_stuck
from workbench.core.training.trainer import Trainer

POINTS = np.random.default_rng(0).uniform(-4, 4, size=(30, 2))


def graph(layers: str, connect: str = "", residual: str = "", n_classes: int = 3) -> NetworkSpec:
    hidden = parse_layers(layers, "relu")
    spec = NetworkSpec(("x", "y"), hidden, n_classes)
    return spec.with_links(parse_links(connect, len(hidden)), parse_links(residual, len(hidden))).validate()


def by_hand(spec: NetworkSpec, weights, points: np.ndarray) -> list[np.ndarray]:
    """h_j = g_j(W_j^T [h_s for s in sources(j)] + b_j) + Σ h_r, written out with plain numpy."""
    h = [points.astype(np.float64)]
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}
    for node, (w, b) in enumerate(weights, start=1):
        z = np.hstack([h[s] for s in spec.sources(node)]) @ w + b
        value = act[spec.hidden[node - 1].activation](z) if node < spec.output_node else z
        h.append(value + sum(h[r] for r in spec.residual_sources(node)))
    logits = h[-1]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    h[-1] = e / e.sum(axis=1, keepdims=True)
    return h


def test_layer_outputs_of_a_graph_follow_the_lecture_formula() -> None:
    spec = graph("4,4,3", "in>3,1>out", "1>2,in>out", n_classes=2)
    network = Network(spec, seed=2, dtype=np.float64)
    outputs = network.layer_outputs(POINTS)
    assert [o.shape for o in outputs] == [(30, 2), (30, 4), (30, 4), (30, 3), (30, 2)]
    for mine, expected in zip(outputs, by_hand(spec, network.get_weights(), POINTS), strict=True):
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(network.predict_proba(POINTS), outputs[-1], rtol=1e-12)
    chunked = network.node_outputs(POINTS, [2, 4], chunk=7)
    np.testing.assert_allclose(chunked[0], outputs[2], rtol=1e-12)
    np.testing.assert_allclose(chunked[1], outputs[4], rtol=1e-12)


def test_weights_are_one_pair_per_node_with_source_blocks_in_spec_order() -> None:
    spec = graph("16,16,16", "in>3,1>out", "1>3")
    shapes = [w.shape for w, _ in Network(spec).get_weights()]
    assert shapes == [(2, 16), (16, 16), (18, 16), (32, 3)]
    assert source_slices(spec, 3) == {2: slice(0, 16), 0: slice(16, 18)}
    assert Network(spec).n_parameters == spec.n_parameters


def test_a_graph_with_skips_learns_the_spiral() -> None:
    dataset = generate("spiral", 400, 2, seed=0)
    spec = graph("16,16,16,16", "in>3,1>4,2>out", "2>4", n_classes=2)
    trainer = Trainer(dataset, spec, TrainingSettings(learning_rate=0.01, optimizer="adam"))
    before = trainer.evaluate().train_loss
    trainer.step(1500)
    after = trainer.evaluate()
    assert after.train_loss < 0.5 * before
    assert after.train_accuracy > 0.85


def test_adding_a_connection_mid_training_keeps_every_weight_and_the_function() -> None:
    dataset = generate("spiral", 300, 3, seed=1)
    chain = graph("8,8,8")
    trainer = Trainer(dataset, chain, TrainingSettings(learning_rate=0.01, optimizer="adam"))
    trainer.step(200)
    old = trainer.network
    before = old.predict_proba(dataset.points)
    linked = graph("8,8,8", "in>3,1>out")
    new = Network(linked, seed=9)
    assert new.copy_fitting_layers(old) == [0, 1, 2, 3]
    np.testing.assert_allclose(new.predict_proba(dataset.points), before, rtol=1e-5, atol=1e-6)
    (w3, b3), (w4, _) = new.get_weights()[2:]
    np.testing.assert_array_equal(w3[:8], old.get_weights()[2][0])  # the previous layer's block
    np.testing.assert_array_equal(w3[8:], 0)  # the new connection starts at zero
    np.testing.assert_array_equal(b3, old.get_weights()[2][1])
    np.testing.assert_array_equal(w4[8:], 0)
    # Through the trainer: the accuracy does not jump, and the new block learns.
    accuracy = trainer.evaluate().train_accuracy
    trainer.set_spec(linked)
    assert trainer.evaluate().train_accuracy == pytest.approx(accuracy, abs=1e-9)
    trainer.step(50)
    assert np.any(trainer.network.get_weights()[2][0][8:] != 0)


def test_a_changed_width_keeps_the_blocks_that_still_fit() -> None:
    old = Network(graph("8,8,8", "in>3"), seed=1)
    new = Network(graph("8,5,8", "in>3"), seed=2)
    fresh = new.get_weights()
    assert new.copy_fitting_layers(old) == [0, 3] == kept_layers(old.spec, new.spec)  # 2, 3: changed source
    w3 = new.get_weights()[2][0]
    np.testing.assert_array_equal(w3[:5], fresh[2][0][:5])  # layer 2 changed width: fresh block
    np.testing.assert_array_equal(w3[5:], old.get_weights()[2][0][8:])  # the input block still fits


def dead_second_layer(spec: NetworkSpec) -> list[tuple[np.ndarray, np.ndarray]]:
    weights = Network(spec, seed=0).get_weights()
    weights[1] = (np.zeros_like(weights[1][0]), np.full_like(weights[1][1], -1.0))  # every ReLU at 0
    return weights


def test_a_dead_layer_that_a_link_jumps_over_is_not_blamed() -> None:
    linked, chain = graph("4,4,4", "1>3", n_classes=2), graph("4,4,4", n_classes=2)
    assert bypassed(linked, 2) and not bypassed(linked, 1) and not bypassed(linked, 3)
    settings = TrainingSettings()
    assert "Layer 2 is dead" in explain_stuck(chain, dead_second_layer(chain), POINTS, settings, 0.5)
    assert "Layer 2 is dead" not in explain_stuck(linked, dead_second_layer(linked), POINTS, settings, 0.5)


def test_impossible_weights_for_a_graph_name_the_layer() -> None:
    network = Network(graph("4,4", "in>2"))
    weights = network.get_weights()
    weights[1] = (weights[1][0][:4], weights[1][1])  # without the input block
    with pytest.raises(ValueError, match="layer 2"):
        network.set_weights(weights)
    with pytest.raises(SpecError):
        graph("4,4", "2>1")


def test_deep_relu_residual_nets_start_near_unit_scale_and_train() -> None:
    """Residual blocks are initialised at 1/sqrt(R): ten ReLU layers with links 1>2 ... 9>10 would otherwise
    start with outputs in the hundreds and stay at chance."""
    from workbench.core.data.generators import STARTING_DATASET
    from workbench.core.training.trainer import Trainer

    residuals = ",".join(f"{i}>{i + 1}" for i in range(1, 10))
    spec = NetworkSpec(hidden=parse_layers("8,8,8,8,8,8,8,8,8,8", "relu"))
    spec = spec.with_links((), parse_links(residuals, 10)).validate()
    dataset = generate(STARTING_DATASET, seed=0)
    deepest = Network(spec, seed=1).layer_outputs(dataset.points)[10]
    assert float(np.abs(deepest).mean()) < 30  # unscaled: ~250; the inputs themselves average ~2
    trainer = Trainer(dataset, spec, TrainingSettings(seed=1), seed=1)
    trainer.step(4000)
    assert trainer.evaluate().train_accuracy >= 0.9
