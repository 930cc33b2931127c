"""The Backprop inspector: torch's numbers, the lecture's walk, point picking, batches, wide layers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings
from workbench.core.present.backprop import fmt
from workbench.core.training.trainer import Trainer
from workbench.qt.backprop_inspector import MAX_SHOWN, BackpropInspector
from workbench.qt.canvas import DatasetCanvas
from workbench.qt.document import Document

CHAIN = NetworkSpec(("x", "y"), (LayerSpec(4, "tanh"), LayerSpec(3, "relu")), 3)
GRAPH = NetworkSpec(
    ("x", "y", "xy"), (LayerSpec(4, "tanh"), LayerSpec(4, "sigmoid"), LayerSpec(4, "tanh")), 3
)
GRAPH = GRAPH.with_links(connections=[Link(0, 3), Link(1, 4)], residuals=[Link(1, 3)])


def make_document(spec: NetworkSpec, trained_steps: int = 0, **settings) -> Document:
    dataset = generate("spiral", 90, spec.n_classes, None, 0)
    training = TrainingSettings(**settings)
    document = Document(dataset, spec, training)
    if trained_steps:
        trainer = Trainer(dataset, spec, training)
        trainer.step(trained_steps)
        document.record_training(
            trainer.get_weights(),
            trainer.history,
            trainer.step_count,
            trainer.epoch,
            trainer.optimizer_state(),
            trainer.shuffle_state(),
        )
        document.trainer = trainer  # for the test that compares with the next step
    return document


def make_inspector(qtbot, document: Document, canvas=None, size=(1000, 640)) -> BackpropInspector:
    inspector = BackpropInspector(document, canvas)
    qtbot.addWidget(inspector)
    inspector.resize(*size)
    inspector.show()
    qtbot.waitExposed(inspector)
    return inspector


@pytest.mark.parametrize("spec", [CHAIN, GRAPH], ids=["chain", "graph"])
def test_inspector_numbers_equal_torch_autograd(qtbot, spec):
    torch = pytest.importorskip("torch")
    document = make_document(spec, trained_steps=40)
    inspector = make_inspector(qtbot, document)
    inspector.set_point(0.7, -0.3, 2)
    trace = inspector.trace
    from workbench.core.model.features import compute_features

    h = [torch.tensor(compute_features(np.array([[0.7, -0.3]]), spec.features, np.float64))]
    params, zs = [], []
    for node, (w, b) in enumerate(document.weights, start=1):
        w = torch.tensor(w.T.astype(np.float64), requires_grad=True)
        b = torch.tensor(b.astype(np.float64), requires_grad=True)
        params.append((w, b))
        z = torch.cat([h[s] for s in spec.sources(node)], dim=1) @ w.T + b
        z.retain_grad()
        zs.append(z)
        if node < spec.output_node:
            act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[
                spec.hidden[node - 1].activation
            ]
            h.append(act(z) + sum((h[r] for r in spec.residual_sources(node)), torch.zeros_like(z)))
    loss = torch.nn.functional.cross_entropy(zs[-1], torch.tensor([2]))
    loss.backward()
    assert trace.loss == pytest.approx(loss.item(), rel=1e-6)
    for layer, z, (w, b) in zip(trace.layers, zs, params, strict=True):
        np.testing.assert_allclose(layer.z, z.detach().numpy()[0], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(layer.delta, z.grad.numpy()[0], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(layer.weight_grad, w.grad.numpy(), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(layer.bias_grad, b.grad.numpy(), rtol=1e-6, atol=1e-8)
    # what the diagram says about a neuron is the same number
    node, neuron = spec.output_node, 1
    assert f"δ = ∂L/∂z = {fmt(zs[-1].grad.numpy()[0, neuron])}" in inspector.diagram.neuron_text(node, neuron)


def test_next_and_back_walk_the_lectures_steps(qtbot):
    inspector = make_inspector(qtbot, make_document(CHAIN, trained_steps=5))
    titles = []
    assert not inspector.back_button.isEnabled()
    while True:
        titles.append(inspector.step_label.text())
        assert inspector.formula_label.text(), "every step explains itself"
        if not inspector.next_button.isEnabled():
            break
        qtbot.mouseClick(inspector.next_button, Qt.MouseButton.LeftButton)
    kinds = [(s.kind, s.node) for s in inspector.steps]
    assert kinds == [
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
    assert len(titles) == 9 and "F-pass 1/3" in titles[0] and "Loss" in titles[3]
    assert "B-pass" in titles[4] and "Gradients" in titles[7] and "momentum" in titles[8]
    assert "Δ ← μΔ + g" in inspector.formula_label.text()
    qtbot.mouseClick(inspector.back_button, Qt.MouseButton.LeftButton)
    assert inspector.current_step.kind == "gradients"
    assert "∂L/∂w = x·δ" in inspector.formula_label.text()


def test_clicking_a_neuron_explains_it(qtbot):
    inspector = make_inspector(qtbot, make_document(CHAIN, trained_steps=5))
    inspector.set_step(1)  # forward through layer 2
    spot = next(s for s in inspector.diagram.spots if s.node == 2 and s.neuron == 2)
    qtbot.mouseClick(inspector.diagram, Qt.MouseButton.LeftButton, pos=spot.rect.center().toPoint())
    assert "z_2.3" in inspector.formula_label.text()
    assert inspector.diagram.selected == (2, 2)


@pytest.mark.parametrize("widths", [(1,), (200, 1), (1, 200, 3)])
def test_renders_for_1_to_200_wide_layers(qtbot, widths):
    spec = NetworkSpec(("x", "y"), tuple(LayerSpec(w, "tanh") for w in widths), 2)
    inspector = make_inspector(qtbot, make_document(spec, trained_steps=3))
    diagram = inspector.diagram
    for index in range(len(inspector.steps)):
        inspector.set_step(index)
        image = diagram.grab().toImage()
        assert not image.isNull() and image.width() >= 400
        for node, width in enumerate(spec.layer_sizes):
            shown = [s for s in diagram.spots if s.node == node]
            assert 1 <= len(shown) <= min(width, MAX_SHOWN)
            assert diagram.more.get(node, 0) == width - len(shown)  # "+N more"
            for spot in shown:
                assert diagram.rect().contains(spot.rect.toRect())
    wide = [node for node, width in enumerate(spec.layer_sizes) if width == 200]
    if wide:
        delta = np.abs(inspector.trace.layer(wide[0]).delta)
        shown = {s.neuron for s in diagram.spots if s.node == wide[0]}
        assert min(delta[list(shown)]) >= np.sort(delta)[-len(shown)]  # the largest |δ| are the ones shown


def test_canvas_click_in_inspector_mode_picks_a_point_and_draws_nothing(qtbot):
    document = make_document(CHAIN, trained_steps=5)
    canvas = DatasetCanvas(document)
    qtbot.addWidget(canvas)
    canvas.resize(500, 500)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_tool("put")
    inspector = make_inspector(qtbot, document, canvas)
    inspector.pick_button.setChecked(True)
    count = len(document.dataset)
    index = 7
    x, y = document.dataset.points[index]
    with qtbot.waitSignal(canvas.pointPicked):
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(x, y))
    assert len(document.dataset) == count and document.undo_stack.count() == 0
    assert inspector.point_index == index and inspector.point == (x, y)
    assert inspector.point_label == document.dataset.labels[index]
    np.testing.assert_array_equal(inspector.trace.points, [[x, y]])
    # a place away from the points takes the class chosen in the panel
    inspector.label_combo.setCurrentIndex(1)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(5.5, 5.5))
    assert inspector.point_index is None and inspector.trace.labels.tolist() == [1]
    assert "place" in inspector.info_label.text()
    # inspector mode off: the tool draws again
    inspector.pick_button.setChecked(False)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(5.0, 5.0))
    assert len(document.dataset) == count + 1


def test_following_the_cursor_traces_the_point_under_it(qtbot):
    document = make_document(CHAIN)
    canvas = DatasetCanvas(document)
    qtbot.addWidget(canvas)
    canvas.resize(500, 500)
    canvas.show()
    inspector = make_inspector(qtbot, document, canvas)
    inspector.follow_box.setChecked(True)
    canvas.cursorMoved.emit(4.25, -4.5)
    assert inspector.point == (4.25, -4.5)
    assert "untrained weights" in inspector.info_label.text()


def test_batch_mode_is_honest_about_its_batch(qtbot):
    untrained = make_inspector(qtbot, make_document(CHAIN, batch_size=16))
    untrained.set_mode("batch")
    assert untrained.trace.batch_size == 16
    assert "seeded sample of 16 training points" in untrained.info_label.text()
    untrained.set_step(len(untrained.steps) - 1)
    assert "no saved optimizer state: it starts at zero" in untrained.formula_label.text()

    document = make_document(CHAIN, trained_steps=7, batch_size=16, optimizer="adam")
    inspector = make_inspector(qtbot, document)
    inspector.set_mode("batch")
    assert "the trainer's next mini-batch (16 points, step 8)" in inspector.info_label.text()
    inspector.set_step(len(inspector.steps) - 1)
    assert "m̂" in inspector.formula_label.text() and "state after 7 steps" in inspector.formula_label.text()
    before = document.weights
    document.trainer.step(1)  # the update shown is the trainer's next step
    for layer, (w0, b0), (w1, b1) in zip(
        inspector.trace.layers, before, document.trainer.get_weights(), strict=True
    ):
        np.testing.assert_allclose(layer.update.weight_step, (w1 - w0).T, rtol=2e-3, atol=2e-6)
        np.testing.assert_allclose(layer.update.bias_step, b1 - b0, rtol=2e-3, atol=2e-6)


def test_euclidean_loss_and_graph_paths_are_explained(qtbot):
    inspector = make_inspector(qtbot, make_document(GRAPH, trained_steps=5))
    inspector.set_loss("euclidean")
    inspector.set_step(next(i for i, s in enumerate(inspector.steps) if s.kind == "loss"))
    assert (
        "Euclidean" in inspector.step_label.text() and "½‖ŷ − onehot(y)‖²" in inspector.formula_label.text()
    )
    backward_1 = next(i for i, s in enumerate(inspector.steps) if (s.kind, s.node) == ("backward", 1))
    inspector.set_step(backward_1)
    text = inspector.formula_label.text()
    assert (
        "from 3 (residual, passed on as is)" in text and "from 2 (Wᵀδ)" in text and "from out (Wᵀδ)" in text
    )


def test_the_window_offers_it_in_the_train_menu(make_window, qtbot):
    from workbench.qt.app import install_panels

    window = make_window()
    install_panels(window)
    inspector = window.findChild(QWidget, "backpropInspector")
    assert isinstance(inspector, BackpropInspector)
    action = next(
        a
        for m in window.menuBar().actions()
        if m.menu()
        for a in m.menu().actions()
        if a.objectName() == "actionInspectBackprop"
    )
    assert not window.backprop_dock.isVisible()
    action.trigger()
    qtbot.waitUntil(window.backprop_dock.isVisible)
    assert inspector.pick_button.isChecked() and window.canvas.view_box.picker is not None
    window.backprop_dock.hide()
    assert not inspector.pick_button.isChecked() and window.canvas.view_box.picker is None


def test_a_narrow_panel_scrolls_to_the_steps_column_instead_of_squeezing_numbers(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(5, "tanh"),) * 4, 2)
    inspector = make_inspector(qtbot, make_document(spec, trained_steps=3), size=(430, 600))
    scroll = inspector.diagram_scroll
    assert inspector.diagram.width() > scroll.viewport().width()  # columns keep their room
    spots = inspector.diagram.spots
    boxes = sorted({s.rect.x() for s in spots})
    assert all(b - a >= 104 for a, b in itertools.pairwise(boxes))  # no column overlaps the next
    inspector.set_step(next(i for i, s in enumerate(inspector.steps) if s.kind == "loss"))
    x = inspector.diagram.column_x(spec.output_node)
    offset = scroll.horizontalScrollBar().value()
    assert offset <= x and x + 104 <= offset + scroll.viewport().width()  # the output column is in view
