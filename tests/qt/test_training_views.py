"""The live views and controls: training panel, loss curves, hidden-space plot, regions in the window."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pyqtgraph as pg
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present import views
from workbench.core.training.trainer import Metrics
from workbench.qt.document import Document
from workbench.qt.frame_throttle import FrameThrottle
from workbench.qt.hidden_space_plot import HiddenSpacePlot
from workbench.qt.live_training import install_training
from workbench.qt.loss_plot import LossPlot
from workbench.qt.training_controller import TrainingController
from workbench.qt.training_panel import TrainingPanel, lr_to_position

WAIT_MS = 20_000


TWO_LAYERS = (LayerSpec(6, "tanh"), LayerSpec(2, "tanh"))


def make_document(hidden: tuple[LayerSpec, ...] = TWO_LAYERS) -> Document:
    dataset = generate("gaussians", 150, 3, seed=2)
    return Document(dataset, NetworkSpec(hidden=tuple(hidden), n_classes=3), TrainingSettings(batch_size=16))


@pytest.fixture
def controller(qtbot):
    controller = TrainingController(make_document())
    yield controller
    controller.shutdown()


def run(step: int, loss: float) -> Metrics:
    return Metrics(step, step // 10, loss, 0.5 + loss / 10, loss * 1.1, 0.5)


# --- training panel -----------------------------------------------------------------------------------------
def test_panel_edits_settings_through_the_document_and_follows_undo(qtbot, controller) -> None:
    document = controller.document
    panel = TrainingPanel(document, controller)
    qtbot.addWidget(panel)
    panel.lr_slider.setValue(lr_to_position(0.1))
    assert document.settings.learning_rate == pytest.approx(0.1)
    assert panel.lr_edit.text() == "0.1"
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    assert document.settings.optimizer == "sgd" and not panel.momentum_spin.isEnabled()
    panel.batch_spin.setValue(0)
    assert document.settings.batch_size is None and panel.batch_spin.text() == "all"
    panel.lr_edit.setText("2e-4")
    panel.lr_edit.editingFinished.emit()
    assert document.settings.learning_rate == pytest.approx(2e-4)
    panel.test_slider.setValue(40)
    assert document.dataset.test_fraction == pytest.approx(0.4)

    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert panel.lr_edit.text() == f"{TrainingSettings().learning_rate:g}"
    assert panel.optimizer_combo.currentData() == TrainingSettings().optimizer == "momentum"
    assert panel.momentum_spin.isEnabled()
    assert panel.batch_spin.value() == 16
    assert panel.test_slider.value() == 20


def test_panel_rejects_a_bad_learning_rate_without_changing_anything(qtbot, controller) -> None:
    panel = TrainingPanel(controller.document, controller)
    qtbot.addWidget(panel)
    panel.show()
    for text in ("fast", "-1", "1e9", "1000", "1e-7"):  # beyond the slider (the limits table): refused
        panel.lr_edit.setText(text)
        panel.lr_edit.editingFinished.emit()
        assert controller.document.settings.learning_rate == TrainingSettings().learning_rate
        assert panel.lr_edit.text() == f"{TrainingSettings().learning_rate:g}"
        assert panel.lr_message.isVisible() and text in panel.lr_message.text()
    panel.lr_edit.setText("0.5")
    panel.lr_edit.editingFinished.emit()
    assert controller.document.settings.learning_rate == 0.5 and not panel.lr_message.isVisible()


def test_panel_readout_shows_the_latest_frame(qtbot, controller) -> None:
    panel = TrainingPanel(controller.document, controller)
    qtbot.addWidget(panel)
    controller.step_epoch()
    qtbot.waitUntil(lambda: panel.readout["epoch"].text() == "1", timeout=WAIT_MS)
    metrics = controller.last_frame.snapshot.metrics
    assert panel.readout["step"].text() == f"{metrics.step:,}"
    assert panel.readout["train_acc"].text().endswith("%")


# --- loss curves --------------------------------------------------------------------------------------------
def test_loss_plot_keeps_the_previous_run_as_a_ghost(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.log_check.setChecked(False)  # linear: the values are compared as they are
    first = [run(s, 1.0 / (1 + s)) for s in range(0, 500, 50)]
    plot.set_history(first)
    np.testing.assert_array_equal(plot.steps, [m.step for m in first])
    assert plot.ghost_steps is None
    second = [run(0, 2.0), run(50, 1.5)]
    plot.set_history(second)
    np.testing.assert_array_equal(plot.ghost_steps, [m.step for m in first])
    np.testing.assert_array_equal(plot.steps, [0, 50])
    _, y = plot.curves["ghost_train_loss"].getData()
    np.testing.assert_allclose(y, [m.train_loss for m in first])


def test_loss_plot_does_not_ghost_a_run_cut_back_after_divergence(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    history = [run(s, 1.0 / (1 + s)) for s in range(0, 300, 50)] + [run(317, 0.001)]
    plot.set_history(history)
    plot.set_history([*history[:-1], run(310, 0.002)])  # restored to step 310
    assert plot.ghost_steps is None
    assert plot.steps[-1] == 310


def test_loss_plot_log_scale_and_hover_readout(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 200)
    plot.show()
    plot.set_history([run(s, 1.0 / (1 + s)) for s in range(0, 1000, 50)])
    plot.log_check.setChecked(True)
    assert plot.loss_plot.getAxis("left").logMode
    plot.loss_plot.getViewBox().setRange(xRange=(0, 1000), padding=0)
    scene_point = plot.loss_plot.getViewBox().mapViewToScene(plot.loss_plot.getViewBox().viewRect().center())
    plot._on_mouse_moved(scene_point)
    assert "step" in plot.readout.text() and "train" in plot.readout.text()


def test_loss_axes_show_plain_numbers_and_the_range_does_not_move_every_update(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.log_check.setChecked(False)  # linear: the values are compared as they are
    plot.resize(600, 200)
    plot.show()
    history = [run(s, 0.0006 + 0.0004 / (1 + s)) for s in range(0, 1000, 50)]
    plot.set_history(history)
    axis = plot.loss_plot.getAxis("left")
    assert "x0.001" not in axis.labelString() and "(m" not in axis.labelString()
    assert axis.tickStrings([0.0006], 1.0, 0.0001) == ["0.0006"]  # a loss of 0.0006 reads 0.0006, not 600
    x_range = plot.loss_plot.getViewBox().viewRange()[0]
    assert x_range[0] <= 0 and x_range[1] >= 950
    plot.set_history([*history, run(980, 0.0006), run(990, 0.0006)])
    assert plot.loss_plot.getViewBox().viewRange()[0] == x_range  # room to grow: no new axes every update


def test_loss_plot_x_axis_follows_the_data_and_the_legend_stays_off_the_curves(qtbot) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(520, 240)
    plot.show()
    for last in (30, 1_001, 12_345, 360_000):
        plot.set_history([run(s, 0.7 / (1 + s / 100)) for s in np.linspace(0, last, 50).astype(int)])
        x0, x1 = plot.loss_plot.getViewBox().viewRange()[0]
        assert x0 <= 0 and last <= x1 <= last / 0.75, (last, x1)  # the data fills most of the axis
    assert not any(isinstance(item, pg.LegendItem) for item in plot.graphics.scene().items())
    assert "train" in plot.readout.text() and "previous run" in plot.readout.text()  # the legend, above
    assert plot.log_check.isChecked() and plot.loss_plot.getAxis("left").logMode  # near-zero losses show
    bottom = plot.loss_plot.getAxis("bottom")
    assert bottom.tickStrings([0, 200_000, 400_000], 1.0, 200_000) == ["0", "200k", "400k"]


def test_frame_throttle_passes_paused_frames_at_once_and_running_ones_later(qtbot, controller) -> None:
    controller.step_once()
    qtbot.waitUntil(lambda: controller.last_frame is not None, timeout=WAIT_MS)
    paused = controller.last_frame
    throttle = FrameThrottle(rate=15, delay_ms=5)
    passed: list = []
    throttle.frameDue.connect(passed.append)
    throttle.push(paused)
    assert passed == [paused]  # nothing to wait for when training is paused

    running = [dataclasses.replace(paused, running=True) for _ in range(3)]
    with qtbot.waitSignal(throttle.frameDue, timeout=WAIT_MS):
        for frame in running:
            throttle.push(frame)
        assert len(passed) == 1  # running frames wait for their slot ...
    assert passed[1:] == [running[-1]]  # ... and only the newest one is drawn


def test_two_views_never_draw_running_frames_back_to_back(qtbot, controller) -> None:
    controller.step_once()
    qtbot.waitUntil(lambda: controller.last_frame is not None, timeout=WAIT_MS)
    running = dataclasses.replace(controller.last_frame, running=True)
    first, second = FrameThrottle(rate=15), FrameThrottle(rate=15)
    drawn: list[str] = []
    first.frameDue.connect(lambda _frame: drawn.append("first"))
    second.frameDue.connect(lambda _frame: drawn.append("second"))
    first._frame = second._frame = running
    first.flush()
    second.flush()  # right after another view drew: it waits for its own event-loop turn
    assert drawn == ["first"]
    with qtbot.waitSignal(second.frameDue, timeout=WAIT_MS):
        pass
    assert drawn == ["first", "second"]


# --- hidden space -------------------------------------------------------------------------------------------
def test_hidden_space_plot_draws_points_grid_and_output_regions(qtbot) -> None:
    document = make_document()
    plot = HiddenSpacePlot(document)
    qtbot.addWidget(plot)
    assert (
        plot.layer_combo.count() == 2 and plot.layer_combo.currentIndex() == 1
    )  # the layer feeding the output
    network = Network(document.spec, 1)
    dataset = document.dataset
    view = views.hidden_space(
        network, dataset.points, dataset.bounds(), plot.request(), labels=dataset.labels, spec=document.spec
    )
    plot.show_view(view)
    item = plot.points_item
    assert len(item.data) == len(dataset)
    np.testing.assert_array_equal(item.data["x"], view.points[:, 0])
    plot.show()
    qtbot.waitExposed(plot)
    plot.plot_widget.grab()  # paint once: every point gets its class's sprite (its colour)
    sprites = {int(c): set(item.data["sourceRect"][dataset.labels == c].tolist()) for c in range(3)}
    assert all(len(s) == 1 for s in sprites.values())  # one colour per class ...
    assert len(set.union(*sprites.values())) == 3  # ... and a different one for each
    assert plot.regions.isVisible()
    assert plot.regions.image is not None and plot.regions.image.shape[2] == 4
    x, _ = plot.grid_curve.getData()
    assert np.isnan(x).sum() == view.grid_lines.shape[0]  # one break between consecutive lines
    assert "straight lines" in plot.caption.text()

    # The next frame (other weights) moves the same points: data, bounds and the picture follow.
    before = plot.plot_widget.grab().toImage()
    moved = views.hidden_space(
        Network(document.spec, 2),
        dataset.points,
        dataset.bounds(),
        plot.request(),
        labels=dataset.labels,
        spec=document.spec,
    )
    plot.show_view(moved)
    np.testing.assert_array_equal(item.data["x"], moved.points[:, 0])
    np.testing.assert_array_equal(item.data["y"], moved.points[:, 1])
    assert item.dataBounds(0) == pytest.approx((moved.points[:, 0].min(), moved.points[:, 0].max()))
    assert plot.plot_widget.grab().toImage() != before


def test_hidden_space_plot_follows_the_architecture_and_offers_neuron_pairs(qtbot) -> None:
    document = make_document(hidden=(LayerSpec(5, "relu"),))
    plot = HiddenSpacePlot(document)
    qtbot.addWidget(plot)
    plot.show()
    plot.set_choice(1, "pair", (3, 4))
    assert plot.request() == views.HiddenSpaceRequest(layer=1, mode="pair", pair=(3, 4))
    assert plot.neuron_x.isVisible() and plot.neuron_y.maximum() == 5
    document.set_spec(document.spec.with_hidden([LayerSpec(4, "tanh"), LayerSpec(3, "tanh")]))
    assert [plot.layer_combo.itemText(i) for i in range(2)] == ["1: 4 × tanh", "2: 3 × tanh"]
    document.set_spec(document.spec.with_hidden([]))
    assert plot.request() is None and "no hidden layer" in plot.caption.text()


def test_two_neuron_mode_keeps_the_layer_name_readable_in_a_dock_sized_view(qtbot) -> None:
    document = make_document(hidden=(LayerSpec(16, "leaky_relu"), LayerSpec(8, "tanh")))
    plot = HiddenSpacePlot(document)
    qtbot.addWidget(plot)
    plot.resize(400, 330)  # the hidden-space dock of a 1048 x 774 window
    plot.show()
    plot.set_choice(1, "pair", (0, 3))
    qtbot.waitUntil(lambda: plot.neuron_x.isVisible())
    combo = plot.layer_combo
    text_width = combo.fontMetrics().horizontalAdvance(combo.currentText())
    assert combo.width() > text_width + 20, (combo.width(), text_width)  # text plus the drop-down arrow
    assert plot.minimumSizeHint().width() <= 400


# --- the whole window ---------------------------------------------------------------------------------------
def test_the_divergence_notice_gets_a_row_above_the_canvas_squeezing_nothing(qtbot, make_window) -> None:
    from workbench.qt.training_panel import DivergenceBanner

    window = make_window(make_document())
    install_training(window)
    panel = window.findChild(TrainingPanel, "trainingPanel")
    batch_height = panel.batch_spin.height()
    banner = window.findChild(DivergenceBanner, "divergenceBanner")
    assert window.centralWidget().isAncestorOf(banner) and not panel.isAncestorOf(banner)
    banner.show_message(
        "Training diverged at step 40: the loss became NaN or infinite. Restored the weights from step 0; "
        "lower the learning rate (now 0.03) and continue."
    )
    qtbot.waitUntil(lambda: banner.isVisible())
    assert banner.width() >= window.canvas.width() - 4
    assert banner.message.text().count("diverged") == 1
    assert panel.batch_spin.height() == batch_height


def test_start_pause_shows_pause_while_training_and_play_while_paused(qtbot, make_window) -> None:
    window = make_window(make_document())
    controller = install_training(window)
    action = window.action_train_toggle
    button = window.train_toolbar.widgetForAction(action)

    def picture() -> bytes:
        image = action.icon().pixmap(32, 32).toImage()
        return bytes(image.constBits())

    play = picture()
    assert action.data() == "train" and button.text() == "Train"
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        action.trigger()
    qtbot.waitUntil(lambda: action.data() == "pause", timeout=WAIT_MS)
    assert picture() != play and button.text() == "Pause" and action.text() == "Pause Training"
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        action.trigger()
    qtbot.waitUntil(lambda: action.data() == "train", timeout=WAIT_MS)
    assert picture() == play and button.text() == "Train"


def test_install_training_puts_live_views_into_the_main_window(qtbot, make_window) -> None:
    document = make_document()
    window = make_window(document)
    controller = install_training(window)
    assert isinstance(window.findChild(TrainingPanel, "trainingPanel"), TrainingPanel)
    assert isinstance(window.findChild(LossPlot, "lossPlot"), LossPlot)
    assert isinstance(window.findChild(HiddenSpacePlot, "hiddenSpacePlot"), HiddenSpacePlot)
    assert window.action_train_toggle.isEnabled()

    window.action_train_toggle.trigger()
    qtbot.waitUntil(lambda: window.action_train_toggle.text() == "Pause Training", timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: controller.last_frame is not None and controller.last_frame.snapshot.step > 50,
        timeout=WAIT_MS,
    )
    image = window.canvas.background_image.image
    assert image is not None and image.ndim == 3 and image.shape[2] == 4
    x0, x1, y0, y1 = window.canvas.visible_range()
    assert controller.view_request.bounds == pytest.approx((x0, x1, y0, y1))
    window.canvas.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)  # zoom in: regions follow
    qtbot.waitUntil(
        lambda: (
            controller.last_frame.bounds == pytest.approx(window.canvas.visible_range())
            and controller.last_frame.bounds[1] - controller.last_frame.bounds[0] < x1 - x0
        ),
        timeout=WAIT_MS,
    )
    assert document.weights is not None and document.step > 0  # Save would write the trained weights

    window.action_train_toggle.trigger()
    qtbot.waitUntil(lambda: not controller.is_running, timeout=WAIT_MS)
    window._ask_save_changes = lambda: "discard"
    window.close()
    assert not controller._thread.isRunning()


def test_frames_carry_neuron_maps_for_the_network_panel(qtbot, controller) -> None:
    controller.step_once()
    qtbot.waitUntil(lambda: controller.last_frame is not None, timeout=WAIT_MS)
    maps = controller.last_frame.neuron_maps
    assert [m.shape[0] for m in maps] == [6, 2, 3]
    assert all(m.dtype == np.uint8 and not math.isnan(float(m.mean())) for m in maps)


def test_loss_plot_draws_a_long_run_reduced_but_with_its_spikes_and_keeps_it_as_a_ghost(qtbot) -> None:
    from workbench.core.training.history import MAX_ENTRIES, TrainingHistory
    from workbench.qt.loss_plot import MAX_CURVE_POINTS

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.log_check.setChecked(False)  # linear: the values are compared as they are
    history = TrainingHistory()  # as the trainer keeps it: bounded, thinned while it grows
    for i in range(60_000):
        history.append(run(i * 50, 9.0 if i == 33_333 else 1.0 / (1 + i / 20)))  # one spike
        if i % 7_000 == 0:
            plot.set_history(history.frozen())  # growing as while training
    plot.set_history(history.frozen(), run(60_000 * 50, 0.01))  # and the trainer's current state
    assert len(history) <= MAX_ENTRIES
    x, y = plot.curves["train_loss"].getData()
    assert len(x) <= MAX_CURVE_POINTS + 64
    assert y.max() == 9.0  # the spike is still drawn
    np.testing.assert_array_equal(plot.steps, [*history.steps, 60_000 * 50])  # hover reads every entry
    # A new run that grows longer than the old one must not write into the ghost's arrays.
    first_steps = plot.steps.copy()
    second = TrainingHistory()
    for i in range(80_000):
        second.append(run(i * 40, 0.5))
        if i in (10, 40_000):
            plot.set_history(second.frozen())
    plot.set_history(second.frozen())
    np.testing.assert_array_equal(plot.steps, second.steps)
    np.testing.assert_array_equal(plot.ghost_steps, first_steps)
    _, ghost_y = plot.curves["ghost_train_loss"].getData()
    assert ghost_y.max() == 9.0 and len(ghost_y) <= MAX_CURVE_POINTS + 64


def test_panel_says_why_training_is_stuck_at_chance(qtbot) -> None:
    from workbench.core.model.presets import get_preset

    dataset = generate("spiral", n_points=400, n_classes=2, seed=0)
    spec = get_preset("deep_narrow").apply(NetworkSpec())
    # Adam at 0.1 kills the ReLUs of this deep narrow stack (seed 0): it stays at chance for good.
    document = Document(dataset, spec, TrainingSettings(learning_rate=0.1, seed=0))
    controller = TrainingController(document)
    try:
        panel = TrainingPanel(document, controller)
        qtbot.addWidget(panel)
        panel.show()
        assert not panel.diagnosis.isVisible()
        controller.start()
        qtbot.waitUntil(lambda: panel.diagnosis.isVisible(), timeout=WAIT_MS)
        assert "dead" in panel.diagnosis.text() and "Layer" in panel.diagnosis.text()
        controller.pause()
        qtbot.waitUntil(lambda: not controller.is_running, timeout=WAIT_MS)
        document.set_settings(dataclasses.replace(document.settings, learning_rate=0.01))
        controller.reset_weights()  # a new run: the line goes until the new one is stuck too
        qtbot.waitUntil(lambda: not panel.diagnosis.isVisible(), timeout=WAIT_MS)
    finally:
        controller.shutdown()


def test_panel_says_when_a_regression_is_no_better_than_the_mean(qtbot) -> None:
    bumps = generate("gauss", n_points=300, seed=0)
    document = Document(bumps, NetworkSpec(hidden=(), task="regression"), TrainingSettings(seed=0))
    controller = TrainingController(document)
    try:
        panel = TrainingPanel(document, controller)
        qtbot.addWidget(panel)
        panel.show()
        controller.start()
        qtbot.waitUntil(lambda: panel.diagnosis.isVisible(), timeout=WAIT_MS)
        assert "no hidden layer" in panel.diagnosis.text() and "plane of values" in panel.diagnosis.text()
    finally:
        controller.shutdown()
