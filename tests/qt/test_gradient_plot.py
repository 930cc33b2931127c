"""Gradient flow in the window: the curves show the training process's measurements, the network glows
with |δ|, hovering a neuron sizes the points by its |δ|, and Train ▸ Check Gradients… reports a verdict."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec
from workbench.core.present.deltas import delta_point_sizes, point_deltas
from workbench.core.present.network_layout import delta_glow
from workbench.core.training.gradient_flow import GradientFlow
from workbench.qt.app import install_panels
from workbench.qt.gradient_plot import GradientPlot, readout_text
from workbench.qt.network_canvas import NetworkCanvas

WAIT_MS = 20_000


@pytest.fixture
def trained_window(make_window, qtbot):
    window = make_window()
    window.resize(1400, 900)
    install_panels(window)
    controller = window.training
    qtbot.waitUntil(lambda: controller.last_frame is not None, timeout=WAIT_MS)
    controller.start()
    qtbot.waitUntil(lambda: controller.last_frame.snapshot.step >= 300, timeout=WAIT_MS)
    controller.pause()
    qtbot.waitUntil(lambda: not controller.is_running, timeout=WAIT_MS)
    return window


def test_the_curves_are_the_measured_norms_one_per_layer(trained_window, qtbot) -> None:
    window = trained_window
    plot = window.findChild(QWidget, "gradientPlot")
    assert isinstance(plot, GradientPlot)
    qtbot.waitUntil(lambda: plot._flow is window.training.last_frame.snapshot.gradients, timeout=WAIT_MS)
    flow = plot._flow
    assert len(flow) >= 6  # one row every 50 steps
    assert len(plot.curves) == len(window.document.spec.hidden) + 1 == flow.n_layers
    for index, curve in enumerate(plot.curves):
        x, y = curve.getOriginalDataset()
        np.testing.assert_array_equal(x, flow.steps)
        np.testing.assert_allclose(y, flow.grad_norms[:, index])
    plot.measure_combo.setCurrentIndex(plot.measure_combo.findData("update_ratios"))
    x, y = plot.curves[0].getOriginalDataset()
    np.testing.assert_allclose(y, flow.update_ratios[:, 0])
    assert plot.readout.text() == readout_text(flow, "update_ratios")


def test_the_network_glows_with_each_neurons_delta(trained_window, qtbot) -> None:
    window = trained_window
    canvas = window.findChild(QWidget, "networkPanel").canvas
    qtbot.waitUntil(lambda: canvas.neuron_deltas is not None, timeout=WAIT_MS)
    deltas = canvas.neuron_deltas
    levels = delta_glow(deltas)
    strongest = max(
        ((layer, neuron) for layer, level in enumerate(levels, 1) for neuron in range(len(level))),
        key=lambda key: deltas[key[0] - 1][key[1]],
    )
    assert canvas.glow_level(*strongest) == 1.0
    rect = canvas.layout_geometry.node(*strongest).rect
    x, y = round(rect.x - 3), round(rect.center[1])

    def redness() -> int:
        colour = QColor(canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32).pixel(x, y))
        return colour.red() - colour.blue()

    glowing = redness()
    canvas.set_neuron_deltas(None)
    assert glowing > redness() + 40  # the halo beside the strongest neuron is red, and gone without δ
    assert "mean |δ|" not in canvas.tooltip_at(*rect.center)
    canvas.set_neuron_deltas(deltas)
    assert "mean |δ|" in canvas.tooltip_at(*rect.center)


def test_hovering_a_neuron_sizes_the_points_by_its_delta(trained_window, qtbot) -> None:
    window = trained_window
    window.gradient_plot.size_check.setChecked(True)
    window.delta_sizer.hover(2, 1)
    item = window.canvas.sized_points
    assert item.isVisible()
    document = window.document
    network = Network.from_weights(document.spec, window.live_network.current_weights())
    expected = delta_point_sizes(
        point_deltas(network, document.dataset.points, document.dataset.labels)[1][:, 1]
    )
    np.testing.assert_allclose(item.data["size"], expected, rtol=1e-5)
    assert expected.max() > 3 * expected.min()  # the picture is not uniform
    window.delta_sizer.unhover()
    assert not item.isVisible()
    window.gradient_plot.size_check.setChecked(False)
    window.delta_sizer.hover(2, 1)
    assert not item.isVisible()


def test_check_gradients_reports_a_pass_without_blocking(trained_window, qtbot) -> None:
    window = trained_window
    action = window.action_check_gradients
    train_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Train")
    assert action in train_menu.actions()
    runner = window.gradient_check
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        action.trigger()
    result = runner.last_result
    assert result.passed and result.parameters_checked == window.document.spec.n_parameters
    box = window.findChild(QMessageBox, "gradientCheckResult")
    assert "passed" in box.text()
    box.close()


@pytest.mark.parametrize("widths", [(1,), (200, 200), (3,) * 12])
def test_plot_and_glow_render_from_1_to_200_wide(qtbot, widths) -> None:
    spec = NetworkSpec(hidden=tuple(LayerSpec(w, "tanh") for w in widths), n_classes=3)
    canvas = NetworkCanvas(spec)
    qtbot.addWidget(canvas)
    rng = np.random.default_rng(0)
    deltas = [10.0 ** rng.uniform(-8, 0, size=w) for w in spec.layer_sizes[1:]]
    canvas.set_neuron_deltas(deltas)
    assert not canvas.grab().isNull()
    plot = GradientPlot()
    qtbot.addWidget(plot)
    flow = GradientFlow(len(widths) + 1)
    for step in range(50, 1050, 50):
        flow.append(step, rng.uniform(0, 1, len(widths) + 1), np.zeros(len(widths) + 1))  # zeros: gaps
    plot.set_flow(flow.frozen())
    assert len(plot.curves) == len(widths) + 1
    assert not plot.grab().isNull()


def test_a_reopened_project_shows_its_gradient_curves_before_training(make_window, qtbot, tmp_path) -> None:
    """The curves are saved with the project: opening it draws them at once, where the run left them."""
    from workbench.core.data.generators import generate
    from workbench.core.files.project import Project, save_project
    from workbench.core.model.spec import TrainingSettings
    from workbench.core.training.trainer import Trainer

    trainer = Trainer(generate("moons", n_points=200, seed=1), NetworkSpec(), TrainingSettings())
    trainer.step(500)
    path = tmp_path / "run.wbproj"
    save_project(Project.from_trainer(trainer), path)
    window = make_window()
    install_panels(window)
    assert window.files.open_project(path)
    plot = window.findChild(QWidget, "gradientPlot")
    saved = trainer.gradient_flow
    qtbot.waitUntil(lambda: plot._flow is not None and len(plot._flow) == len(saved), timeout=WAIT_MS)
    assert not window.training.is_running
    steps, values = plot.curves[0].getData()
    np.testing.assert_array_equal(steps, saved.steps)
    np.testing.assert_allclose(values, np.log10(saved.grad_norms[:, 0]))  # the plot's axis is logarithmic
