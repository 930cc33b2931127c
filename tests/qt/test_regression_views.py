"""Regression in the window's views: the predicted-vs-actual scatter, R² and RMSE curves, the training panel,
status bar, network panel, hidden space, timeline, comparison, backprop inspector and loss surface."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QWidget

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.history import TrainingHistory
from workbench.core.training.trainer import Trainer
from workbench.qt.document import Document
from workbench.qt.loss_plot import LossPlot

WAIT_MS = 30_000
SPEC = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(2, "tanh")), task="regression", n_classes=1)
SETTINGS = TrainingSettings(learning_rate=0.03, batch_size=16)


def regression_document(name: str = "plane", n: int = 120) -> Document:
    return Document(generate(name, n, noise=0.1, seed=1, test_fraction=0.25), SPEC, SETTINGS)


@pytest.fixture
def regression_window(make_window):
    from workbench.qt.app import install_panels

    window = make_window(regression_document())
    install_panels(window)
    return window


def _front(qtbot, window, name: str) -> None:
    """Bring a tabbed dock to the front (once the window has laid its tabs out)."""
    dock = window.docks[name]
    qtbot.waitUntil(lambda: bool(window.tabifiedDockWidgets(dock)), timeout=WAIT_MS)
    dock.raise_()


def _frame_after(qtbot, window, step: int):
    controller = window.training
    qtbot.waitUntil(
        lambda: controller.last_frame is not None and controller.last_frame.snapshot.step >= step,
        timeout=WAIT_MS,
    )
    return controller.last_frame


def _train(qtbot, window, steps: int = 1):
    for _ in range(steps):
        window.training.step_once()
    return _frame_after(qtbot, window, steps)


# --- predicted vs actual ------------------------------------------------------------------------------
def test_the_scatter_shows_train_and_test_points_against_their_targets_and_the_diagonal(
    qtbot, regression_window
) -> None:
    window = regression_window
    _front(qtbot, window, "predictionScatter")
    assert window.docks["lossPlot"] in window.tabifiedDockWidgets(window.docks["predictionScatter"])
    scatter = window.findChild(QWidget, "predictionScatter")
    qtbot.waitUntil(lambda: scatter.is_seen, timeout=WAIT_MS)
    frame = _train(qtbot, window, 3)
    qtbot.waitUntil(lambda: scatter.points is not None, timeout=WAIT_MS)
    dataset = window.document.dataset
    assert scatter.showing_plot
    train_x, _ = scatter.train_item.getData()
    test_x, test_y = scatter.test_item.getData()
    assert len(train_x) == len(dataset.train_indices) and len(test_x) == len(dataset.test_indices) > 0
    np.testing.assert_array_equal(np.sort(train_x), np.sort(dataset.targets[dataset.train_indices]))
    network = Network(frame.snapshot.spec)
    network.set_weights(frame.shown_weights)
    predicted = network.predict(dataset.points)
    np.testing.assert_allclose(np.sort(test_y), np.sort(predicted[dataset.test_indices]), rtol=1e-6)
    # Test points are drawn hollow in the test colour, training points filled: told apart without colour.
    assert scatter.test_item.opts["brush"].color().alpha() < 255 < scatter.test_item.opts["pen"].width() + 255
    diagonal_x, diagonal_y = scatter.diagonal.getData()
    np.testing.assert_array_equal(diagonal_x, diagonal_y)  # y = x
    lo, hi = scatter.shown_range
    assert diagonal_x[0] == lo and diagonal_x[-1] == hi
    assert lo <= dataset.targets.min() and hi >= dataset.targets.max()
    assert "RMSE" in scatter.readout.text() and "R²" in scatter.readout.text()
    assert scatter.compute_seconds < 0.05  # one forward pass of 120 points (generous for a loaded machine)


def test_the_scatter_waits_while_hidden_and_says_what_it_is_for_in_classification(qtbot, make_window) -> None:
    from workbench.qt.app import install_panels

    window = make_window()  # a classification project
    install_panels(window)
    _front(qtbot, window, "predictionScatter")
    scatter = window.findChild(QWidget, "predictionScatter")
    qtbot.waitUntil(lambda: scatter.is_seen, timeout=WAIT_MS)
    _train(qtbot, window, 1)
    assert not scatter.showing_plot and scatter.points is None
    assert "regression" in scatter.message.text()
    _front(qtbot, window, "lossPlot")  # behind another tab: nothing is computed
    qtbot.waitUntil(lambda: not scatter.is_seen, timeout=WAIT_MS)
    window.document.load(regression_document().dataset, SPEC, SETTINGS)
    _frame_after(qtbot, window, 0)
    assert scatter.points is None
    _front(qtbot, window, "predictionScatter")  # shown again: it catches up with the newest frame
    qtbot.waitUntil(lambda: scatter.points is not None, timeout=WAIT_MS)
    assert scatter.showing_plot


# --- curves -------------------------------------------------------------------------------------------
def _regression_history() -> tuple[TrainingHistory, object]:
    dataset = regression_document().dataset
    trainer = Trainer(dataset, SPEC, SETTINGS, seed=0)
    trainer.step(200)
    return trainer.history, trainer.snapshot()


def test_the_curves_show_r2_or_rmse_where_classification_shows_accuracy(qtbot) -> None:
    history, snapshot = _regression_history()
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.set_regression(True)
    plot.set_history(history, snapshot.metrics)
    assert plot.metric == "r2" and plot.acc_plot.getAxis("left").labelText == "R²"
    assert not plot.metric_combo.isHidden()
    steps = history.column("step")
    x, y = plot.curves["train_acc"].getData()
    np.testing.assert_array_equal(x, steps)
    np.testing.assert_allclose(y, np.maximum(history.column("train_r2"), -1.0))
    (_, top) = plot.acc_plot.getViewBox().viewRange()[1]
    assert top == pytest.approx(1.0, abs=0.05)  # R² ends at 1, like accuracy
    plot.metric_combo.setCurrentIndex(plot.metric_combo.findData("rmse"))
    assert plot.metric == "rmse" and plot.acc_plot.getAxis("left").labelText == "RMSE"
    x, y = plot.curves["test_acc"].getData()
    np.testing.assert_allclose(y, history.column("test_rmse"))
    low, high = plot.acc_plot.getViewBox().viewRange()[1]
    assert low <= 0.0 < np.nanmax(y) <= high
    # The hover readout gives the loss and the plotted metric of the step under the mouse.
    scene_point = plot.acc_plot.getViewBox().mapViewToScene(pg_point(float(steps[len(steps) // 2]), 0.1))
    plot._on_mouse_moved(scene_point)
    assert "RMSE" in plot.readout.text() and "loss" in plot.readout.text()
    assert plot.readout.sizeHint().width() <= plot.width()  # the readout never widens the dock
    plot.set_regression(False)  # a classification project again: accuracy, no metric choice
    assert plot.metric == "accuracy" and plot.metric_combo.isHidden()
    assert plot.acc_plot.getAxis("left").labelText == "accuracy"


def pg_point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)


# --- training panel, status bar, network panel ----------------------------------------------------------
def test_the_training_panel_and_status_bar_read_rmse_r2_and_the_targets(qtbot, regression_window) -> None:
    window = regression_window
    panel = window.findChild(QWidget, "trainingPanel")
    frame = _train(qtbot, window, 5)
    qtbot.waitUntil(lambda: panel.readout["train_r2"].text() != "–", timeout=WAIT_MS)
    metrics = frame.snapshot.metrics
    assert panel.readout_labels["train_acc"].text() == "Train RMSE"
    assert panel.readout_labels["test_r2"].text() == "Test R²" and not panel.readout["test_r2"].isHidden()
    assert float(panel.readout["train_acc"].text()) == pytest.approx(metrics.train_rmse, rel=1e-3)
    assert float(panel.readout["test_r2"].text()) == pytest.approx(metrics.test_r2, rel=1e-3, abs=1e-4)
    targets = window.document.dataset.targets
    text = window.counts_label.text()
    assert f"<b>{len(targets)}</b> points with values {targets.min():.3g} to {targets.max():.3g}" in text
    assert "train / " in text and "target:" not in text


def test_a_classification_project_keeps_its_accuracy_rows(qtbot, make_window) -> None:
    from workbench.qt.app import install_panels

    window = make_window()
    install_panels(window)
    panel = window.findChild(QWidget, "trainingPanel")
    _train(qtbot, window, 2)
    qtbot.waitUntil(lambda: panel.readout["train_acc"].text().endswith("%"), timeout=WAIT_MS)
    assert panel.readout_labels["train_acc"].text() == "Train accuracy"
    assert panel.readout["train_r2"].isHidden()


def test_the_network_panel_shows_one_linear_output_value(qtbot, regression_window) -> None:
    from workbench.core.present.network_layout import header_tooltip, palette_for
    from workbench.qt.live_network import neuron_caption

    window = regression_window
    spec = window.document.spec
    output = spec.output_node
    tooltip = header_tooltip(spec, output)
    assert "one linear neuron" in tooltip and "softmax" not in tooltip
    table = palette_for(spec, output, 0, ("#0072B2",))
    assert tuple(table[0]) != tuple(table[-1]) and tuple(table[128]) != tuple(table[0])  # two-sided
    assert "predicted value" in neuron_caption(spec, output, 0, ("target",))
    canvas = window.findChild(QWidget, "networkPanel").canvas
    QApplication.processEvents()
    assert [node.neuron for node in canvas.layout_geometry.columns[-1].nodes] == [0]


# --- hidden space ----------------------------------------------------------------------------------------
def test_hidden_space_points_are_coloured_by_their_target_on_the_canvas_scale(
    qtbot, regression_window
) -> None:
    from workbench.core.present import value_colors
    from workbench.qt.canvas import VALUE_BUCKETS

    window = regression_window
    _front(qtbot, window, "hiddenSpacePlot")
    plot = window.findChild(QWidget, "hiddenSpacePlot")
    _train(qtbot, window, 2)
    qtbot.waitUntil(lambda: plot.value_points_item.isVisible(), timeout=WAIT_MS)
    targets = window.document.dataset.targets
    view = plot._view
    np.testing.assert_array_equal(view.values, targets)
    half_range = window.canvas.value_range  # the canvas's colour bar: one scale for both views
    assert view.value_range == half_range
    expected = value_colors.bucket_of(targets, half_range, VALUE_BUCKETS)
    np.testing.assert_array_equal(plot.value_points_item.labels, expected)
    assert not plot.points_item.isVisible()
    # The exact output layer (2 neurons feeding the output) shows the prediction in the value colours.
    assert view.mode == "exact" and plot.regions.isVisible() and "plane" in plot.caption.text()


# --- timeline, comparison, backprop inspector, loss surface -----------------------------------------------
def _recorded(document: Document, steps: int = 150):
    from workbench.core.training.recording import Recording

    trainer = Trainer(document.dataset, document.spec, document.settings, seed=0)
    recording = Recording(trainer.spec)
    while trainer.step_count < steps:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        else:
            trainer.step(min(wait, steps - trainer.step_count))
    return recording.frozen()


def test_looking_back_at_a_regression_run_shows_its_r2_and_its_predictions(
    qtbot, make_window, monkeypatch, tmp_path
) -> None:
    from workbench.qt.app import install_panels

    document = regression_document()
    recording = _recorded(document)
    monkeypatch.setattr(type(document), "recording", property(lambda self: recording), raising=False)
    window = make_window(document)
    install_panels(window)
    _front(qtbot, window, "predictionScatter")
    bar = window.timeline
    bar.refresh()
    record = recording[7]
    assert np.isfinite(record.train_r2)
    bar.slider.setValue(7)
    assert f"R² {record.train_r2:.3g}" in bar.state.text() and "accuracy" not in bar.state.text()
    assert "RMSE" in bar.state.toolTip()
    controller = window.training
    qtbot.waitUntil(
        lambda: controller.last_frame is not None and controller.last_frame.at_step == record.step
    )
    scatter = window.prediction_scatter
    network = Network(recording.spec)
    network.set_weights(record.weights_list())
    expected = network.predict(document.dataset.points)
    qtbot.waitUntil(
        lambda: scatter.points is not None and np.allclose(scatter.points.predicted, expected, rtol=1e-6),
        timeout=WAIT_MS,
    )
    # File ▸ Export View Image… of the scatter draws the shown moment, even from behind another tab.
    _front(qtbot, window, "lossPlot")
    qtbot.waitUntil(lambda: not scatter.is_seen, timeout=WAIT_MS)
    bar.slider.setValue(3)
    qtbot.waitUntil(lambda: controller.last_frame.at_step == recording[3].step, timeout=WAIT_MS)
    png = window.timeline_exports.save_view_image(tmp_path / "prediction.png", "prediction")
    assert png.stat().st_size > 0
    network.set_weights(recording[3].weights_list())
    np.testing.assert_allclose(scatter.points.predicted, network.predict(document.dataset.points), rtol=1e-6)


def test_comparing_regression_runs_reports_r2_and_offers_r2_and_rmse_curves(qtbot) -> None:
    from workbench.qt.comparison_window import ComparisonWindow

    document = regression_document()
    window = ComparisonWindow(document)
    qtbot.addWidget(window)
    try:
        window.parameter_combo.setCurrentIndex(window.parameter_combo.findData("learning_rate"))
        window.values_edit.setText("0.01, 0.1")
        window.steps_spin.setValue(80)
        with qtbot.waitSignal(window.comparisonFinished, timeout=60_000):
            assert window.start()
        assert sorted(window.results) == [0, 1]
        assert all(" R² " in tile.caption.text() for tile in window._tiles)
        assert all(tile.has_picture for tile in window._tiles)
        table = window.table
        assert table.horizontalHeaderItem(4).text() == "Test R²"
        for row in range(2):
            index = table.item(row, 0).data(256)  # Qt.UserRole: the run
            assert table.item(row, 4).value == pytest.approx(window.results[index].metrics.test_r2)
        items = [window.curve_combo.itemText(i) for i in range(window.curve_combo.count())]
        assert "test R²" in items and "test RMSE" in items and "test accuracy" not in items
        window.curve_combo.setCurrentText("test RMSE")
        assert all(len(curve.getData()[0]) > 1 for curve in window._curves)
        assert "R²" in window.status.text()
        window._tiles[1].use_button.click()  # "Use this run" works for regression runs too
        assert "now has the weights" in window.status.text()
    finally:
        window.shutdown()


def test_the_backprop_inspector_traces_a_target_value_with_the_euclidean_loss(qtbot) -> None:
    from workbench.core.present import backprop
    from workbench.qt.backprop_inspector import BackpropInspector

    document = regression_document()
    inspector = BackpropInspector(document)
    qtbot.addWidget(inspector)
    inspector.show()
    dataset = document.dataset
    assert not inspector.target_spin.isHidden() and inspector.label_combo.isHidden()
    assert inspector.loss_combo.currentData() == "euclidean" and not inspector.loss_combo.isEnabled()
    x, y = dataset.points[5]
    inspector.pick(float(x), float(y))  # a data point: its own target
    assert inspector.point_index == 5
    assert inspector.target_spin.value() == pytest.approx(dataset.targets[5], abs=1e-3)
    trace = inspector.trace
    assert trace is not None and trace.loss_name == "euclidean"
    assert trace.labels[0] == pytest.approx(dataset.targets[5])
    y_hat = float(trace.layers[-1].a[0])
    assert trace.loss == pytest.approx(0.5 * (y_hat - dataset.targets[5]) ** 2, rel=1e-5)
    loss_step = next(i for i, step in enumerate(inspector.steps) if step.kind == "loss")
    inspector.set_step(loss_step)
    assert "½(ŷ − y)²" in inspector.formula_label.text()
    inspector.set_point(1.0, -2.0, 0.25)  # a place that is not a data point, with the value in the box
    assert inspector.trace.labels[0] == 0.25 and "target 0.25" in inspector.message
    inspector.set_mode("batch")
    batch_trace = inspector.trace
    assert batch_trace is not None and batch_trace.batch_size > 1
    assert set(np.round(batch_trace.labels, 9)) <= set(np.round(dataset.targets, 9))
    assert backprop.LOSS_LABELS["euclidean"] in inspector.loss_combo.currentText()


def test_the_loss_surface_of_a_regression_network_is_its_euclidean_loss(qtbot) -> None:
    from workbench.core.present.landscape import Objective
    from workbench.qt.loss_landscape import LossLandscapeView

    document = regression_document()
    trainer = Trainer(document.dataset, document.spec, document.settings, seed=0)
    trainer.step(100)
    document.load(document.dataset, document.spec, document.settings, weights=trainer.get_weights(), step=100)
    view = LossLandscapeView(document)
    qtbot.addWidget(view)
    view.resize(560, 560)
    try:
        with qtbot.waitSignal(view.surfaceShown, timeout=WAIT_MS):
            view.show()
        dataset = document.dataset
        train = dataset.train_indices
        objective = Objective(document.spec, dataset.points[train], dataset.targets[train], 0.0)
        expected = objective.value(objective.flatten(trainer.get_weights()))
        assert view.frame.slice.center_loss == pytest.approx(expected, rel=1e-6)
        assert expected == pytest.approx(trainer.evaluate().train_loss, rel=1e-3)  # ½ mean (ŷ − y)²
        assert "Euclidean" in view.caption.text()
    finally:
        view.shutdown()


def test_hovering_a_neuron_sizes_the_points_by_their_regression_error_signal(
    qtbot, regression_window
) -> None:
    window = regression_window
    _train(qtbot, window, 3)
    document = window.document
    sizes = window.delta_sizer.sizes_for(document.spec.output_node, 0)
    assert sizes is not None and len(sizes) == len(document.dataset)
    network = Network(document.spec)
    network.set_weights(window.live_network.current_weights())
    error = np.abs(network.predict(document.dataset.points) - document.dataset.targets)
    assert np.argmax(sizes) == np.argmax(error)  # the largest error, the largest point


def test_hovering_the_output_shows_the_predicted_value_large_on_the_canvas(qtbot, regression_window) -> None:
    from PySide6.QtCore import QPoint

    window = regression_window
    _train(qtbot, window, 2)
    panel = window.findChild(QWidget, "networkPanel")
    output = window.document.spec.output_node
    x, y = panel.canvas.layout_geometry.node(output, 0).rect.center
    qtbot.mouseMove(panel.canvas, QPoint(round(x), round(y)))
    assert panel.canvas.hovered_neuron() == (output, 0)
    qtbot.waitUntil(lambda: window.canvas.overlay_image.isVisible(), timeout=WAIT_MS)
    assert "predicted value" in window.live_network.caption.text()


def test_past_regression_runs_are_listed_with_their_r2(qtbot, regression_window) -> None:
    window = regression_window
    controller = window.training
    frame = _train(qtbot, window, 4)
    controller.reset_weights()
    qtbot.waitUntil(lambda: len(window.run_log.runs) == 1, timeout=WAIT_MS)
    comparison = window.open_comparison(1)
    table = comparison.past_table
    assert table.rowCount() == 1
    past = window.run_log.runs[0]
    assert past.spec.is_regression
    assert table.item(0, 4).text().startswith("R² ") and table.item(0, 4).value == pytest.approx(
        past.metrics.train_r2
    )
    assert np.isfinite(frame.snapshot.metrics.train_r2)


def test_switching_the_task_switches_every_view_and_undo_switches_back(qtbot, make_window) -> None:
    from workbench.qt.app import install_panels

    window = make_window()  # the default classification project
    install_panels(window)
    _front(qtbot, window, "predictionScatter")
    scatter = window.prediction_scatter
    loss_plot = window.findChild(QWidget, "lossPlot")
    panel = window.findChild(QWidget, "trainingPanel")
    assert not scatter.showing_plot
    window.actions_by_name["actionTaskRegression"].trigger()
    assert window.document.spec.is_regression and scatter.showing_plot
    window.training.step_once()
    qtbot.waitUntil(lambda: scatter.points is not None and loss_plot.metric == "r2", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.readout_labels["train_acc"].text() == "Train RMSE", timeout=WAIT_MS)
    window.document.undo_stack.undo()
    assert not window.document.spec.is_regression and not scatter.showing_plot
    window.training.step_once()
    qtbot.waitUntil(lambda: loss_plot.metric == "accuracy", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.readout_labels["train_acc"].text() == "Train accuracy", timeout=WAIT_MS)
