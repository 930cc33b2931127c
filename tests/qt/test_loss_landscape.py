"""The loss surface panel (`lossLandscape`): computed off the GUI thread, path and walks drawn, any width."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.data.generators import generate
from workbench.core.files.project import load_project
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present.landscape import Objective
from workbench.qt.document import Document
from workbench.qt.loss_landscape import LossLandscapeView
from workbench.qt.project_io import load_project_into


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.wbproj"
    argv = [
        "train",
        "--dataset",
        "moons",
        "--points",
        "160",
        "--layers",
        "6,6",
        "--seed",
        "2",
        "--l2",
        "0.001",
    ]
    assert main([*argv, "--steps", "400", "--save", str(path), "--quiet"]) == 0
    return load_project(path)


def _document(project) -> Document:
    """The project opened as the window opens it (`project_io.load_project_into`)."""
    document = Document(project.dataset, project.spec, project.settings)
    load_project_into(document, project, None)
    return document


@pytest.fixture
def make_view(qtbot):
    views: list[LossLandscapeView] = []

    def factory(document: Document) -> LossLandscapeView:
        view = LossLandscapeView(document)
        qtbot.addWidget(view)
        views.append(view)
        view.resize(560, 560)
        return view

    yield factory
    for view in views:
        view.shutdown()


def _show(qtbot, view: LossLandscapeView) -> None:
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        view.show()


def test_the_surface_is_centred_on_the_documents_weights_with_the_run_projected(
    qtbot, make_view, project
) -> None:
    view = make_view(_document(project))
    _show(qtbot, view)
    frame = view.frame
    train = project.dataset.train_indices
    objective = Objective(project.spec, project.dataset.points[train], project.dataset.labels[train], 0.001)
    expected = objective.value(objective.flatten(project.weights))
    assert frame.slice.center_loss == pytest.approx(expected, rel=1e-9)
    assert frame.rgba.shape == (41, 41, 4) and frame.rgba.dtype == np.uint8
    assert len(frame.contour_x) > 0
    # Two-parameter mode: the axes are the parameters' own values, so the run ends at the centre marker.
    path_x, path_y = view.path_curve.getData()
    assert len(path_x) == len(project.recording)
    assert (path_x[-1], path_y[-1]) == pytest.approx(frame.offset)
    assert "projection" in view.caption.text()


def test_span_grid_and_directions_recompute_the_surface(qtbot, make_view, project) -> None:
    view = make_view(_document(project))
    _show(qtbot, view)
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        view.span.setValue(0.5)
        view.grid.setValue(21)
    assert view.frame.slice.alpha[-1] == pytest.approx(0.5) and view.frame.rgba.shape == (21, 21, 4)
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        view.kind.setCurrentIndex(view.kind.findData("pca"))
    assert view.frame.slice.kind == "pca" and "of the run's movement" in view.caption.text()
    assert not view.target.isVisible()
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        view.kind.setCurrentIndex(view.kind.findData("random"))
    assert view.frame.slice.kind == "random"
    assert "random direction" in view.plot.getPlotItem().getAxis("bottom").labelText


def test_dragging_the_start_runs_sgd_momentum_and_adam_on_the_surface(qtbot, make_view, project) -> None:
    view = make_view(_document(project))
    _show(qtbot, view)
    ox, oy = view.frame.offset
    view.target.setPos(ox + 1.0, oy - 1.0)
    with qtbot.waitSignal(view.raceShown, timeout=20000):
        view.target.sigPositionChangeFinished.emit(view.target)
    assert [walk.optimizer for walk in view.walks] == ["sgd", "momentum", "adam"]
    for walk in view.walks:
        assert (walk.alpha[0], walk.beta[0]) == pytest.approx((1.0, -1.0))
        x, _ = view.walk_curves[walk.optimizer].getData()
        assert len(x) == len(walk.alpha) > 1
        assert walk.loss[-1] < walk.loss[0]
    assert "The walks from" in view.caption.text()


@pytest.mark.parametrize("width", [1, 200])
def test_the_view_renders_for_narrow_and_wide_layers(qtbot, make_view, width) -> None:
    dataset = generate("circles", n_points=120, seed=0)
    spec = NetworkSpec(hidden=(LayerSpec(width, "relu"),))
    view = make_view(Document(dataset, spec, TrainingSettings()))
    _show(qtbot, view)
    assert np.isfinite(view.frame.slice.center_loss)
    assert "No recorded run yet" in view.caption.text()
    assert view.pick1.name() != view.pick2.name()


def test_the_main_window_has_the_panel_in_a_dock_and_stops_its_thread_on_close(qtbot, make_window) -> None:
    from workbench.qt.app import install_panels

    window = make_window()
    install_panels(window)
    view = window.findChild(LossLandscapeView, "lossLandscape")
    assert view is window.loss_landscape
    dock = window.findChild(type(window.docks["hiddenSpacePlot"]), "lossLandscapeDock")
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        dock.raise_()
    assert view.frame is not None


def test_while_following_training_the_surface_moves_with_the_weights(qtbot, make_view, project) -> None:
    document = _document(project)
    view = make_view(document)
    _show(qtbot, view)
    before = view.frame.slice.center_loss
    moved = [(w * 0.5, b) for w, b in project.weights]
    document.record_training(moved, project.history, project.step + 1, project.epoch)
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):  # the follow timer notices within a second
        pass
    train = project.dataset.train_indices
    objective = Objective(project.spec, project.dataset.points[train], project.dataset.labels[train], 0.001)
    assert view.frame.slice.center_loss == pytest.approx(objective.value(objective.flatten(moved)), rel=1e-9)
    assert view.frame.slice.center_loss != pytest.approx(before)
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        view.follow.setChecked(False)  # one last surface around the latest weights, then it stays
    job = view._job
    document.record_training(project.weights, project.history, project.step + 2, project.epoch)
    view._follow()  # what the timer calls
    assert view._job == job


def test_clicking_an_edge_and_a_neuron_in_the_network_puts_that_weight_and_bias_on_the_axes(
    qtbot, make_window
) -> None:
    from PySide6.QtCore import QPoint, Qt

    from workbench.qt.app import install_panels

    window = make_window()
    install_panels(window)
    view = window.loss_landscape
    window.findChild(type(window.docks["hiddenSpacePlot"]), "lossLandscapeDock").raise_()
    qtbot.waitUntil(view.isVisible)
    canvas = window.docks["networkPanel"].widget().canvas
    edges = canvas.layout_geometry.edges
    layer, row, col = int(edges.layer[0]), int(edges.src[0]), int(edges.dst[0])
    middle = QPoint(round((edges.x0[0] + edges.x1[0]) / 2), round((edges.y0[0] + edges.y1[0]) / 2))
    hit = canvas.hit(middle.x(), middle.y())
    assert hit is not None and hit.kind == "edge"
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(middle))
    assert view.kind.currentData() == "params"
    assert view.pick1.name() == f"{2 * layer}.weight[{col},{row}]"  # PyTorch's [out, in]
    x, y = canvas.layout_geometry.node(2, 1).rect.center
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert view.pick2.name() == "2.bias[1]"  # the second hidden layer's Linear is module 2


def test_the_step_the_timeline_shows_is_marked_on_the_runs_path(qtbot, make_view, project) -> None:
    view = make_view(_document(project))
    _show(qtbot, view)
    path = view.frame.slice.path
    assert view.shown_marker.getData()[0].size == 0  # live: no mark
    step = int(path.steps[len(path.steps) // 2])
    view.show_step(step)
    x, y = view.shown_marker.getData()
    i = list(path.steps).index(step)
    ox, oy = view.frame.offset
    assert (x[0], y[0]) == pytest.approx((path.alpha[i] + ox, path.beta[i] + oy))
    view.show_step(None)
    assert view.shown_marker.getData()[0].size == 0


def test_behind_another_tab_the_surface_waits_and_catches_up_when_brought_to_the_front(
    qtbot, make_window
) -> None:
    """A tabified dock's hidden page counts as visible to Qt; following training there cost a third of the
    window's process. It must compute nothing until its tab comes to the front."""
    from workbench.qt.app import install_panels

    window = make_window()
    install_panels(window)
    view = window.loss_landscape
    window.docks["hiddenSpacePlot"].raise_()
    qtbot.waitUntil(lambda: not view._dock_shown and not view._change_timer.isActive())
    window.document.recordingChanged.emit()
    assert not view._change_timer.isActive()  # nothing scheduled (schedule() starts this timer at once)
    with qtbot.waitSignal(view.surfaceShown, timeout=20000):
        window.findChild(type(window.docks["hiddenSpacePlot"]), "lossLandscapeDock").raise_()
