"""The network panel in the running app: live weights and thumbnails (also before any training), and the
hovered neuron shown large on the canvas and marked in the hidden-space view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec
from workbench.core.present.network_layout import edge_values
from workbench.core.present.neuron_overlay import neuron_overlay
from workbench.qt.app import install_panels
from workbench.qt.network_panel import THUMBNAIL_SIZE

WAIT_MS = 20_000
PLACEHOLDER = QColor("#F3F3F3")


@pytest.fixture
def app_window(make_window, qtbot):
    window = make_window()
    window.resize(1400, 900)
    install_panels(window)
    qtbot.waitUntil(lambda: window.training.last_frame is not None, timeout=WAIT_MS)
    return window


def panel_of(window):
    return window.findChild(QWidget, "networkPanel")


def node_colour(panel, layer: int, neuron: int) -> QColor:
    image = panel.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    x, y = panel.canvas.layout_geometry.node(layer, neuron).rect.center
    return QColor(image.pixel(round(x), round(y)))


def hover(qtbot, panel, layer: int, neuron: int) -> None:
    x, y = panel.canvas.layout_geometry.node(layer, neuron).rect.center
    qtbot.mouseMove(panel.canvas, QPoint(round(x), round(y)))
    assert panel.canvas.hovered_neuron() == (layer, neuron)


def test_an_untrained_network_shows_its_thumbnails_and_weights_at_start(app_window) -> None:
    window = app_window
    panel = panel_of(window)
    frame = window.training.last_frame
    assert frame.snapshot.step == 0 and window.document.weights is None  # nothing trained yet
    assert window.training.view_request.neuron_map_size == THUMBNAIL_SIZE
    spec = window.document.spec
    for layer, width in enumerate(spec.layer_sizes[1:], start=1):
        for neuron in range(width):
            assert node_colour(panel, layer, neuron) != PLACEHOLDER, (layer, neuron)
    values = edge_values(panel.canvas.layout_geometry, frame.snapshot.weights)
    assert np.isfinite(values).all()  # every edge coloured by a real weight, none grey
    # The default 2 x 8 network fits the default window: every neuron drawn, no scrolling.
    assert all(column.more is None for column in panel.canvas.layout_geometry.columns)
    assert not panel.scroll.horizontalScrollBar().isVisible()
    assert not panel.scroll.verticalScrollBar().isVisible()


def test_thumbnails_follow_training_and_input_maps_follow_the_canvas_view(app_window, qtbot) -> None:
    window = app_window
    panel = panel_of(window)
    before = panel.canvas.grab().toImage()
    window.training.step_epoch()
    qtbot.waitUntil(lambda: window.training.last_frame.snapshot.step > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.canvas.grab().toImage() != before, timeout=WAIT_MS)

    x_before = node_colour(panel, 0, 0)  # the "x" feature's thumbnail, centre pixel: x = 0 is white
    window.canvas.view_box.setRange(xRange=(2, 6), yRange=(-2, 2), padding=0)  # only positive x visible
    x_after = node_colour(panel, 0, 0)
    assert x_after != x_before and x_after.blue() > x_after.red()  # now the centre is positive: blue


def test_hovering_a_neuron_shows_it_large_on_the_canvas_and_in_hidden_space(app_window, qtbot) -> None:
    window = app_window
    panel = panel_of(window)
    live = window.live_network
    hidden_plot = window.findChild(QWidget, "hiddenSpacePlot")
    canvas = window.canvas
    qtbot.waitUntil(lambda: hidden_plot._view is not None, timeout=WAIT_MS)
    spec = window.document.spec

    hover(qtbot, panel, 2, 3)  # the hidden-space view shows layer 2 (the one feeding the output)
    assert canvas.overlay_image.isVisible()
    network = Network(spec)
    network.set_weights(window.training.last_frame.snapshot.weights)
    expected, rect = neuron_overlay(network, 2, 3, canvas.visible_range(), tuple(CLASS_COLORS))
    assert np.array_equal(canvas.overlay_image.image, expected)
    shown = canvas.overlay_image.mapRectToParent(canvas.overlay_image.boundingRect())
    assert (shown.x(), shown.y(), shown.width(), shown.height()) == pytest.approx(rect)
    assert live.caption.isVisible() and live.caption.text().startswith("Layer 2, neuron 4 (tanh)")
    line, head, label = hidden_plot._neuron_mark
    assert line.isVisible() and head.isVisible() and "neuron 4" in label.toPlainText()

    hover(qtbot, panel, 1, 0)  # a neuron of a layer the hidden-space view does not show: a note
    assert not line.isVisible() and "pick layer 1" in label.toPlainText()
    assert "Layer 1, neuron 1" in live.caption.text()

    hover(qtbot, panel, 0, 0)  # the input x: orange on the left (negative), blue on the right
    image = canvas.overlay_image.image
    left, right = (
        image[image.shape[0] // 2, 2, :3].astype(int),
        image[image.shape[0] // 2, -3, :3].astype(int),
    )
    assert left[0] > left[2] and right[2] > right[0]
    assert live.caption.text().startswith("Input x")

    hover(qtbot, panel, len(spec.hidden) + 1, 1)  # the output: probability of class 2, in class 2's colour
    image = canvas.overlay_image.image
    darkest = image[..., :3].reshape(-1, 3)[image[..., :3].reshape(-1, 3).sum(axis=1).argmin()]
    assert QColor(*map(int, darkest)).hue() == pytest.approx(QColor(CLASS_COLORS[1]).hue(), abs=12)

    qtbot.mouseMove(panel.canvas, QPoint(2, 2))  # off every node: everything clears
    assert panel.canvas.hovered_neuron() is None
    assert not canvas.overlay_image.isVisible() and not live.caption.isVisible()
    assert not line.isVisible() and not label.isVisible()


def test_the_overlay_follows_training_while_the_mouse_stays(app_window, qtbot) -> None:
    window = app_window
    panel = panel_of(window)
    hover(qtbot, panel, 1, 2)
    first = window.canvas.overlay_image.image.copy()
    window.training.step_epoch()
    qtbot.waitUntil(lambda: window.training.last_frame.snapshot.step > 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not np.array_equal(window.canvas.overlay_image.image, first), timeout=WAIT_MS)
    assert window.canvas.overlay_image.isVisible()


def test_a_spec_change_under_the_mouse_clears_a_neuron_that_no_longer_exists(app_window, qtbot) -> None:
    window = app_window
    panel = panel_of(window)
    hover(qtbot, panel, 1, 7)
    assert window.canvas.overlay_image.isVisible()
    document = window.document
    document.set_spec(document.spec.with_hidden([LayerSpec(4, "tanh"), LayerSpec(8, "tanh")]))
    assert not window.canvas.overlay_image.isVisible()
    assert window.live_network.hovered is None
    # The thumbnails catch up with the new architecture from the next frame.
    qtbot.waitUntil(lambda: node_colour(panel, 1, 3) != PLACEHOLDER, timeout=WAIT_MS)


def edge_tooltip_weight(panel, index: int) -> str:
    edges = panel.canvas.layout_geometry.edges
    x = edges.x0[index] + 0.3 * (edges.x1[index] - edges.x0[index])
    y = edges.y0[index] + 0.3 * (edges.y1[index] - edges.y0[index])
    return panel.canvas.tooltip_at(x, y).splitlines()[0]


def test_before_any_frame_the_panel_shows_the_network_the_trainer_starts_from(make_window, qtbot) -> None:
    from workbench.qt.live_network import LiveNetwork
    from workbench.qt.network_panel import NetworkPanel

    window = make_window()
    panel = NetworkPanel(window.document)
    window.set_dock_widget("networkPanel", panel)
    LiveNetwork(window.document, panel, window.canvas, controller=None, parent=window)  # no training at all
    document = window.document
    initial = Network(document.spec, seed=document.settings.seed).get_weights()
    edges = panel.canvas.layout_geometry.edges
    i = int(np.flatnonzero((edges.layer == 1) & (edges.src == 2) & (edges.dst == 5))[0])
    assert edge_tooltip_weight(panel, i) == f"weight {initial[1][0][2, 5]:+.3f}"
    assert node_colour(panel, 1, 0) != PLACEHOLDER and node_colour(panel, 3, 1) != PLACEHOLDER

    imported = Network(document.spec, seed=99).get_weights()
    document.replace_weights(imported, "Import weights")  # shown at once, before any trainer reacts
    assert edge_tooltip_weight(panel, i) == f"weight {imported[1][0][2, 5]:+.3f}"
    document.undo_stack.undo()
    assert edge_tooltip_weight(panel, i) == f"weight {initial[1][0][2, 5]:+.3f}"


def test_opening_a_trained_project_shows_it_without_marking_it_modified(app_window, qtbot, tmp_path) -> None:
    # The trainer restarts from the opened state and sends a frame of it: nothing the user needs to save.
    from workbench.core.files.project import Project, save_project
    from workbench.core.training.trainer import Trainer

    document = app_window.document
    trainer = Trainer(document.dataset, document.spec, document.settings)
    trainer.step(30)
    path = tmp_path / "trained.wbproj"
    save_project(Project.from_trainer(trainer), path)
    assert app_window.open_project(path)
    controller = app_window.training
    qtbot.waitUntil(lambda: controller.last_frame.snapshot.step == 30, timeout=WAIT_MS)
    assert not document.is_modified
    controller.step_once()  # the first trained step is the user's new work
    qtbot.waitUntil(lambda: document.step == 31, timeout=WAIT_MS)
    assert document.is_modified


def test_a_graph_network_shows_every_layer_live_and_its_links_follow_training(app_window, qtbot) -> None:
    """Connections and residual links in the running app: thumbnails and the hovered neuron's picture for
    every layer, and the arcs take the trained weights' norm."""
    window = app_window
    panel = panel_of(window)
    spec = NetworkSpec(("x", "y"), (LayerSpec(4), LayerSpec(4), LayerSpec(4)), 2).with_links(
        [Link(0, 3), Link(1, 4)], [Link(1, 3)]
    )
    window.document.set_spec(spec, "graph")
    window.training.step_epoch()
    qtbot.waitUntil(
        lambda: (
            window.training.last_frame.snapshot.spec == window.document.spec
            and window.training.last_frame.snapshot.step > 0
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: np.isfinite(list(panel.canvas.link_norms.values())).all(), timeout=WAIT_MS)
    weights = window.training.last_frame.snapshot.weights
    assert panel.canvas.link_norms[Link(0, 3)] == pytest.approx(float(np.linalg.norm(weights[2][0][4:6])))
    for layer in range(1, spec.output_node + 1):
        qtbot.waitUntil(lambda layer=layer: node_colour(panel, layer, 0) != PLACEHOLDER, timeout=WAIT_MS)
        hover(qtbot, panel, layer, 0)
        assert window.canvas.overlay_image.isVisible(), layer


def test_delete_over_a_link_removes_the_link_not_the_selected_points(app_window, qtbot) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    window = app_window
    panel = panel_of(window)
    spec = window.document.spec.with_links([Link(0, 2)], [])
    window.document.set_spec(spec, "graph")
    window.canvas.select_all()
    points = len(window.document.dataset.points)
    arc = panel.canvas.layout_geometry.arc(Link(0, 2))
    at = QPointF(float(arc.points[:, 0].mean()), float(arc.points[:, 1].max()))
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        at,
        QPointF(panel.canvas.mapToGlobal(at)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel.canvas, move)
    assert panel.canvas.hovered_link() == (Link(0, 2), "connection")
    qtbot.keyClick(panel.canvas, Qt.Key.Key_Delete)
    assert window.document.spec.is_chain
    assert len(window.document.dataset.points) == points
