"""The network builder panel: every mouse edit goes through the document (undoable), the drawing follows the
spec and recolours live from weights and neuron maps, and it stays readable at realistic sizes."""

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QMenu, QSpinBox, QToolButton, QToolTip, QWidget

from workbench.core.data.dataset import CLASS_COLORS, Dataset
from workbench.core.model.engine.network import Network
from workbench.core.model.presets import get_preset
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings
from workbench.core.present.network_layout import COMPACT_METRICS, palette_for
from workbench.core.present.views import neuron_maps
from workbench.qt.document import Document
from workbench.qt.network_panel import NetworkPanel

SPEC = NetworkSpec(("x", "y"), (LayerSpec(4, "tanh"), LayerSpec(3, "relu")), 2)


def make_panel(qtbot, spec=SPEC, size=(900, 600), n_classes=2):
    rng = np.random.default_rng(0)
    points = rng.normal(size=(40, 2)) * 2
    labels = np.arange(40) % n_classes
    names = tuple(f"class {i + 1}" for i in range(n_classes))
    document = Document(Dataset(points, labels, class_names=names), spec, TrainingSettings())
    panel = NetworkPanel(document)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    QApplication.processEvents()
    return document, panel


def center(rect) -> QPoint:
    x, y = rect.center
    return QPoint(round(x), round(y))


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def engine_sizes(spec):
    weights = Network(spec, seed=0).get_weights()
    return [weights[0][0].shape[0], *(w.shape[1] for w, _ in weights)]


def test_panel_has_its_object_name_and_shows_the_parameter_count(qtbot):
    document, panel = make_panel(qtbot)
    assert panel.objectName() == "networkPanel"
    assert panel.parameter_label.text().startswith(f"{SPEC.n_parameters:,} parameters")
    click(qtbot, panel.canvas.layer_controls[0].plus)
    assert panel.parameter_label.text().startswith(f"{document.spec.n_parameters:,} parameters")


def test_plus_minus_remove_and_insert_buttons_edit_the_spec_undoably(qtbot):
    document, panel = make_panel(qtbot)
    canvas = panel.canvas
    click(qtbot, canvas.layer_controls[0].plus)
    assert document.spec.hidden[0].width == 5
    click(qtbot, canvas.layer_controls[1].minus)
    assert document.spec.hidden[1].width == 2
    click(qtbot, canvas.insert_buttons[2])  # between layer 2 and the output
    assert [layer.width for layer in document.spec.hidden] == [5, 2, 2]
    click(qtbot, canvas.insert_buttons[0])  # before layer 1: copies its neighbour
    assert [layer.width for layer in document.spec.hidden] == [5, 5, 2, 2]
    click(qtbot, canvas.layer_controls[1].remove)
    assert [layer.width for layer in document.spec.hidden] == [5, 2, 2]
    assert engine_sizes(document.spec) == [2, 5, 2, 2, 2]
    assert len(canvas.layout_geometry.columns) == 5
    assert len(canvas.layer_controls) == 3

    stack = document.undo_stack
    assert stack.count() == 5
    while stack.canUndo():
        stack.undo()
    assert document.spec == SPEC
    assert [len(c.nodes) for c in canvas.layout_geometry.columns] == [7, 4, 3, 2]
    assert canvas.layer_controls[0].width_field.value() == 4
    while stack.canRedo():
        stack.redo()
    assert [layer.width for layer in document.spec.hidden] == [5, 2, 2]
    assert engine_sizes(document.spec) == [2, *canvas.spec.layer_sizes[1:]]


def test_typing_a_width_and_picking_an_activation(qtbot):
    document, panel = make_panel(qtbot)
    controls = panel.canvas.layer_controls[1]
    field = controls.width_field
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, "12")
    assert document.spec.hidden[1].width == 3  # nothing happens per keystroke
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert document.spec.hidden[1].width == 12
    assert document.undo_stack.count() == 1

    combo = panel.canvas.layer_controls[0].activation
    assert combo.currentData() == "tanh"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # the next activation in the list: ReLU
    assert document.spec.hidden[0].activation == "relu"
    assert "max(0, z)" in combo.toolTip()
    document.undo_stack.undo()
    assert document.spec.hidden[0].activation == "tanh"
    assert panel.canvas.layer_controls[0].activation.currentData() == "tanh"


def test_clicking_input_nodes_toggles_features_but_never_the_last_one(qtbot):
    document, panel = make_panel(qtbot)
    canvas = panel.canvas

    def feature_node(name):
        return next(n for n in canvas.layout_geometry.columns[0].nodes if n.feature == name)

    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=center(feature_node("sinx").rect))
    assert document.spec.features == ("x", "y", "sinx")
    assert engine_sizes(document.spec)[0] == 3
    qtbot.mouseClick(
        canvas, Qt.MouseButton.LeftButton, pos=center(feature_node("x").label)
    )  # the label works too
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=center(feature_node("y").rect))
    assert document.spec.features == ("sinx",)
    count = document.undo_stack.count()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=center(feature_node("sinx").rect))
    assert document.spec.features == ("sinx",)
    assert document.undo_stack.count() == count
    assert "at least one input feature" in panel.status_label.text()
    assert "only input feature" in canvas.tooltip_at(*feature_node("sinx").rect.center)
    document.undo_stack.undo()
    assert document.spec.features == ("y", "sinx")


@pytest.mark.parametrize(
    "name",
    [
        "perceptron",
        "one_hidden",
        "deep_narrow",
        "playground",
        "bottleneck",
        "deep_skips",
        "inputs_everywhere",
    ],
)
def test_presets_replace_the_architecture_in_one_undo_step(qtbot, name):
    document, panel = make_panel(qtbot, n_classes=3)
    combo = panel.preset_combo
    combo.activated.emit(combo.findData(name))  # what choosing the entry in the open list emits
    expected = get_preset(name).apply(document.spec)
    assert document.spec == expected and document.spec.n_classes == 3
    assert combo.currentIndex() == 0  # back to "Presets…", ready for the next pick
    assert engine_sizes(document.spec) == expected.layer_sizes
    assert len(panel.canvas.layer_controls) == len(expected.hidden)
    assert len(panel.canvas.layout_geometry.arcs) == len(expected.connections) + len(expected.residuals)
    document.undo_stack.undo()
    assert document.spec.hidden == SPEC.hidden
    assert panel.canvas.layout_geometry.arcs == ()


def test_growing_past_the_large_network_threshold_asks_first(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(300), LayerSpec(300)), 2)
    document, panel = make_panel(qtbot, spec)
    field = panel.canvas.layer_controls[1].width_field
    field.selectAll()
    qtbot.keyClicks(field, "400")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert document.spec == spec
    assert panel.warning.isVisible()
    expected = (2 + 1) * 300 + (300 + 1) * 400 + (400 + 1) * 2
    assert f"{expected:,} parameters" in panel.warning_label.text()
    assert field.value() == 300  # the field shows the real width while the question is open
    click(qtbot, panel.warning_cancel)
    assert not panel.warning.isVisible() and document.spec == spec
    field.selectAll()
    qtbot.keyClicks(field, "1000")  # asks again; then a preset makes the question moot
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert panel.warning.isVisible()
    panel.preset_combo.activated.emit(panel.preset_combo.findData("perceptron"))
    assert not panel.warning.isVisible()
    document.undo_stack.undo()
    assert document.spec == spec

    field.selectAll()
    qtbot.keyClicks(field, "400")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    click(qtbot, panel.warning_apply)
    assert document.spec.hidden[1].width == 400
    assert "large" in panel.parameter_label.text()
    click(qtbot, panel.canvas.layer_controls[1].plus)  # already large: no second question
    assert document.spec.hidden[1].width == 401 and not panel.warning.isVisible()


def test_spec_changes_report_which_weights_start_again(qtbot):
    _document, panel = make_panel(qtbot)
    with qtbot.waitSignal(panel.weightsInvalidated) as blocker:
        click(qtbot, panel.canvas.layer_controls[1].plus)
    assert blocker.args == [[1, 2]]
    assert "Weights re-initialised for changed layers" in panel.status_label.text()
    assert "layer 2, output" in panel.status_label.text()
    combo = panel.canvas.layer_controls[0].activation
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert "weights are kept" in panel.status_label.text()


def test_hovering_a_neuron_emits_its_layer_and_index(qtbot):
    _document, panel = make_panel(qtbot)
    canvas = panel.canvas
    node = canvas.layout_geometry.node(2, 1)
    with qtbot.waitSignal(panel.neuronHovered) as blocker:
        qtbot.mouseMove(canvas, center(node.rect))
    assert blocker.args == [2, 1]
    output = canvas.layout_geometry.node(3, 0)
    with qtbot.waitSignal(panel.neuronHovered) as blocker:
        qtbot.mouseMove(canvas, center(output.rect))
    assert blocker.args == [3, 0]
    with qtbot.waitSignal(panel.neuronUnhovered):
        qtbot.mouseMove(canvas, QPoint(int(canvas.layout_geometry.width) - 2, 2))
    assert canvas.hovered_neuron() is None


def test_the_hovered_neuron_gets_a_dark_frame_and_loses_it_again(qtbot):
    _document, panel = make_panel(qtbot)
    canvas = panel.canvas
    node = canvas.layout_geometry.node(2, 1).rect
    inside_border = QPoint(round(node.x + 1), round(node.y + node.h / 2))  # covered by the 2 px hover frame

    def colour():
        return QColor(grab(canvas).pixel(inside_border)).name()

    assert colour() == "#f3f3f3"
    qtbot.mouseMove(canvas, center(node))
    qtbot.waitUntil(lambda: canvas.hovered_neuron() == (2, 1))
    assert colour() == "#202020"
    qtbot.mouseMove(canvas, QPoint(int(canvas.layout_geometry.width) - 2, 2))
    qtbot.waitUntil(lambda: canvas.hovered_neuron() is None)
    assert colour() == "#f3f3f3"


def test_tooltips_show_edge_weights_and_activation_formulas(qtbot):
    document, panel = make_panel(qtbot)
    canvas = panel.canvas
    weights = Network(document.spec, seed=7).get_weights()
    panel.set_weights(weights)
    edges = canvas.layout_geometry.edges
    i = int(np.flatnonzero((edges.layer == 1) & (edges.src == 2) & (edges.dst == 0))[0])
    t = 0.3  # not the midpoint: symmetric edges cross there
    at = QPoint(
        round(edges.x0[i] + t * (edges.x1[i] - edges.x0[i])),
        round(edges.y0[i] + t * (edges.y1[i] - edges.y0[i])),
    )
    event = QHelpEvent(QEvent.Type.ToolTip, at, canvas.mapToGlobal(at))
    QApplication.sendEvent(canvas, event)
    expected = f"weight {weights[1][0][2, 0]:+.3f}\nlayer 1, neuron 3 → layer 2, neuron 1"
    assert QToolTip.text() == expected
    title = canvas.layout_geometry.columns[1].controls.title
    assert "tanh(z) = (e^z − e^−z) / (e^z + e^−z)" in canvas.tooltip_at(title.x + 4, title.y + 4)


def grab(widget: QWidget) -> QImage:
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def inked_pixels(image: QImage, rect) -> int:
    """How many pixels in `rect` are not background white (how much edge is drawn there)."""
    count = 0
    for x, y in itertools.product(range(int(rect[0]), int(rect[2])), range(int(rect[1]), int(rect[3]))):
        c = QColor(image.pixel(x, y))
        count += min(c.red(), c.green(), c.blue()) < 250
    return count


def test_edges_take_the_sign_colour_and_thicken_with_the_weight(qtbot):
    spec = NetworkSpec(("x",), (LayerSpec(1, "tanh"),), 2)
    _document, panel = make_panel(qtbot, spec)
    canvas = panel.canvas
    edges = canvas.layout_geometry.edges
    i = int(np.flatnonzero(edges.layer == 0)[0])
    mid = ((edges.x0[i] + edges.x1[i]) / 2, (edges.y0[i] + edges.y1[i]) / 2)
    box = (mid[0] - 6, mid[1] - 10, mid[0] + 6, mid[1] + 10)

    def set_first_weight(value):
        weights = Network(spec, seed=0).get_weights()
        weights[0][0][...] = value
        panel.set_weights(weights)
        return grab(canvas)

    strong_positive = set_first_weight(3.0)
    c = QColor(strong_positive.pixel(round(mid[0]), round(mid[1])))
    assert c.blue() > c.red() + 80  # blue
    strong_negative = set_first_weight(-3.0)
    c = QColor(strong_negative.pixel(round(mid[0]), round(mid[1])))
    assert c.red() > c.blue() + 80  # orange
    weak_negative = set_first_weight(-0.05)
    assert inked_pixels(strong_negative, box) > 2 * inked_pixels(weak_negative, box) > 0


def test_thumbnails_show_the_neuron_maps_in_the_layer_palette(qtbot):
    document, panel = make_panel(qtbot, size=(900, 700))
    canvas = panel.canvas
    spec = document.spec
    sizes = spec.layer_sizes

    def uniform_maps(value):
        return [np.full((width, 16, 16), value, dtype=np.uint8) for width in sizes[1:]]

    def colour_at(image, layer, neuron):
        return QColor(image.pixel(center(canvas.layout_geometry.node(layer, neuron).rect)))

    for value in (20, 230):
        panel.set_neuron_maps(uniform_maps(value))
        image = grab(canvas)
        for layer, neuron in [(1, 0), (2, 2), (3, 1)]:
            expected = palette_for(spec, layer, neuron, CLASS_COLORS)[value]
            got = colour_at(image, layer, neuron)
            assert (got.red(), got.green(), got.blue()) == tuple(int(v) for v in expected)

    # Real maps from two different networks: the thumbnails change with the weights.
    bounds = document.dataset.bounds()
    before = grab(canvas)
    panel.set_neuron_maps(neuron_maps(Network(spec, seed=1), spec, bounds, 32))
    first = grab(canvas)
    panel.set_neuron_maps(neuron_maps(Network(spec, seed=2), spec, bounds, 32))
    second = grab(canvas)
    node = canvas.layout_geometry.node(1, 0).rect
    area = (
        QPoint(round(node.x + 4), round(node.y + 4)),
        QPoint(round(node.x + node.w - 4), round(node.y + node.h - 4)),
    )
    crop = [
        img.copy(area[0].x(), area[0].y(), area[1].x() - area[0].x(), area[1].y() - area[0].y())
        for img in (before, first, second)
    ]
    assert crop[0] != crop[1] != crop[2]
    # A frame from before a spec change (wrong widths) is not drawn on the wrong neurons: blank placeholders.
    panel.set_neuron_maps([np.zeros((9, 16, 16), np.uint8)] * 3)
    assert colour_at(grab(canvas), 1, 0) == QColor("#F3F3F3")


SCREENSHOTS = {
    "2x4": (NetworkSpec(("x", "y", "x2"), (LayerSpec(4, "tanh"), LayerSpec(4, "relu"))), (700, 480)),
    "6x16": (NetworkSpec(("x", "y"), tuple(LayerSpec(16, "tanh") for _ in range(6))), (1200, 640)),
    "1x64": (NetworkSpec(("x", "y", "sinx", "siny"), (LayerSpec(64, "sigmoid"),)), (600, 700)),
}


@pytest.mark.parametrize("name", list(SCREENSHOTS))
def test_screenshots_are_readable_at_several_sizes(qtbot, tmp_path, name):
    spec, size = SCREENSHOTS[name]
    document, panel = make_panel(qtbot, spec, size)
    network = Network(document.spec, seed=1)
    panel.set_weights(network.get_weights())
    panel.set_neuron_maps(neuron_maps(network, document.spec, document.dataset.bounds(), 32))
    path = tmp_path / f"network_{name}.png"
    assert panel.grab().save(str(path))
    assert path.stat().st_size > 5000
    canvas = panel.canvas
    # Wide layers collapse so the whole height fits without scrolling; no widget sits on another.
    assert canvas.height() <= panel.scroll.viewport().height()
    widgets = [w for w in canvas.findChildren(QWidget) if w.isVisible() and w.parent() is canvas]
    assert len(widgets) == 5 * len(spec.hidden) + len(spec.hidden) + 1
    for a, b in itertools.combinations(widgets, 2):
        assert not a.geometry().intersects(b.geometry()), (a.objectName(), b.objectName())
    for column in canvas.layout_geometry.columns:
        assert column.layer == 0 or len(column.nodes) + column.hidden_count == spec.layer_sizes[column.layer]
        for node in column.nodes:
            assert node.rect.w >= 30  # thumbnails stay big enough to see


def test_the_default_network_fits_a_dock_sized_panel_without_scrolling(qtbot):
    document, panel = make_panel(qtbot, NetworkSpec(), size=(450, 470))  # the dock in a 1400 x 900 window
    canvas = panel.canvas

    def fits() -> bool:
        viewport = panel.scroll.viewport()
        return canvas.width() <= viewport.width() and canvas.height() <= viewport.height()

    assert fits() and not panel.scroll.horizontalScrollBar().isVisible()
    assert [len(c.nodes) for c in canvas.layout_geometry.columns[1:]] == [8, 8, 2]
    document.set_spec(document.spec.with_hidden([LayerSpec(6, "relu")]))  # one layer: roomier again
    QApplication.processEvents()
    assert fits() and canvas.layout_geometry.metrics.gap > COMPACT_METRICS.gap
    document.set_spec(document.spec.with_hidden([LayerSpec(8, "tanh")] * 6))  # Playground's deepest: fits
    QApplication.processEvents()
    assert fits() and canvas.layout_geometry.metrics.stacked
    document.set_spec(document.spec.with_hidden([LayerSpec(8, "tanh")] * 9))  # too wide: scrolls sideways
    QApplication.processEvents()
    assert canvas.width() > panel.scroll.viewport().width()
    assert canvas.height() <= panel.scroll.viewport().height()  # ... but never up and down as well


def test_stacked_headers_keep_every_control_usable_and_apart(qtbot):
    spec = NetworkSpec(("x", "y"), tuple(LayerSpec(8, "relu") for _ in range(6)))
    document, panel = make_panel(qtbot, spec, size=(470, 420))
    canvas = panel.canvas
    assert canvas.layout_geometry.metrics.stacked
    widgets = [w for w in canvas.findChildren(QWidget) if w.isVisible() and w.parent() is canvas]
    for a, b in itertools.combinations(widgets, 2):
        assert not a.geometry().intersects(b.geometry()), (a.objectName(), b.objectName())
    combo = canvas.findChild(QComboBox, "layer6Activation")
    # The current activation's name is readable in the narrow box.
    assert combo.fontMetrics().horizontalAdvance(combo.currentText()) < combo.width()
    click(qtbot, canvas.findChild(QToolButton, "layer6Plus"))
    assert document.spec.hidden[5].width == 9
    click(qtbot, canvas.findChild(QToolButton, "insertLayer6"))
    assert len(document.spec.hidden) == 7


def test_the_more_marker_is_readable_and_a_click_shows_every_neuron(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(40), *(LayerSpec(4) for _ in range(5))))
    _document, panel = make_panel(qtbot, spec, size=(470, 420))
    canvas = panel.canvas
    column = canvas.layout_geometry.columns[1]
    assert column.more is not None and column.hidden_count > 0
    assert str(column.hidden_count) in canvas.tooltip_at(*column.more.center)
    x, y = column.more.center
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    expanded = canvas.layout_geometry.columns[1]
    assert len(expanded.nodes) == 40 and expanded.more is not None  # now a "fewer" marker
    assert canvas.height() > panel.scroll.viewport().height()  # every neuron: the panel scrolls
    x, y = expanded.more.center
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert len(canvas.layout_geometry.columns[1].nodes) < 40


def test_typing_a_width_out_of_range_says_so_and_keeps_the_layer(qtbot):
    document, panel = make_panel(qtbot)
    field = panel.canvas.findChild(QSpinBox, "layer1Width")
    field.setFocus()
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, "5000")
    assert field.lineEdit().text() == "5000"  # the last digit is not silently dropped
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert document.spec.hidden[0].width == SPEC.hidden[0].width
    status = panel.findChild(QLabel, "networkStatus").text()
    assert "5,000" in status and "1,024" in status
    field.lineEdit().selectAll()
    qtbot.keyClicks(field, "12")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert document.spec.hidden[0].width == 12


def test_opening_a_project_clears_the_message_about_the_previous_network(qtbot):
    document, panel = make_panel(qtbot)
    status = panel.findChild(QLabel, "networkStatus")
    click(qtbot, panel.canvas.findChild(QToolButton, "layer1Plus"))
    assert "re-initialised" in status.text()
    # Open / New / crash restore all replace the whole document.
    document.load(document.dataset, NetworkSpec(hidden=(LayerSpec(5),)), TrainingSettings())
    assert status.text() == ""


# --- links: drag to add, click or Delete to remove -------------------------------------------------------
def send_mouse(canvas, kind, point, buttons=Qt.MouseButton.LeftButton):
    position = QPointF(point)
    event = QMouseEvent(
        kind,
        position,
        QPointF(canvas.mapToGlobal(position)),
        Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(canvas, event)


def drag(canvas, start, end, release=True):
    """Press at `start`, move in steps to `end` (the hint follows), release there."""
    send_mouse(canvas, QEvent.Type.MouseButtonPress, start)
    for t in (0.1, 0.5, 1.0):
        point = QPoint(
            round(start.x() + t * (end.x() - start.x())), round(start.y() + t * (end.y() - start.y()))
        )
        send_mouse(canvas, QEvent.Type.MouseMove, point)
    if release:
        send_mouse(canvas, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def node_center(canvas, layer, neuron=0):
    return center(canvas.layout_geometry.node(layer, neuron).rect)


def arc_point(canvas, link) -> QPoint:
    """A point on the arc's lane, under the columns."""
    arc = canvas.layout_geometry.arc(link)
    return QPoint(round(float(arc.points[:, 0].mean())), round(float(arc.points[:, 1].max())))


def test_dragging_from_a_column_to_a_later_one_adds_a_connection_undoably(qtbot):
    document, panel = make_panel(qtbot)
    canvas = panel.canvas
    drag(canvas, node_center(canvas, 1, 1), node_center(canvas, 3, 0), release=False)
    assert "weighted connection" in panel.status_label.text()  # the hint while dragging
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, node_center(canvas, 3, 0), Qt.MouseButton.NoButton)
    assert document.spec.connections == (Link(1, 3),)  # widths 4 and 2 differ: no residual choice
    assert document.undo_stack.undoText() == "Add weighted connection 1>out"
    assert "Added a weighted connection 1>out" in panel.status_label.text()
    assert "All weights are kept" in panel.status_label.text()  # the new block starts at zero
    assert [arc.link for arc in canvas.layout_geometry.arcs] == [Link(1, 3)]
    assert Network(document.spec).get_weights()[2][0].shape == (3 + 4, 2)
    document.undo_stack.undo()
    assert document.spec.is_chain and canvas.layout_geometry.arcs == ()
    document.undo_stack.redo()
    assert document.spec.connections == (Link(1, 3),)


def test_a_drop_where_both_kinds_fit_asks_with_a_small_menu(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(4), LayerSpec(3), LayerSpec(4)), 2)
    document, panel = make_panel(qtbot, spec)
    canvas = panel.canvas
    drag(canvas, node_center(canvas, 1), node_center(canvas, 3), release=False)
    assert "choose" in panel.status_label.text()
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, node_center(canvas, 3), Qt.MouseButton.NoButton)
    menu = canvas.findChild(QMenu, "linkKindMenu")
    assert menu is not None and menu.isVisible()
    assert document.spec.is_chain  # nothing yet: the user picks
    residual = next(a for a in menu.actions() if a.objectName() == "linkKindResidual")
    assert "no weights" in residual.text()
    residual.trigger()
    assert document.spec.residuals == (Link(1, 3),)
    assert "residual link 1>3" in panel.status_label.text()
    menu.close()
    # The same pair again: refused with the reason, nothing pushed.
    count = document.undo_stack.count()
    drag(canvas, node_center(canvas, 1), node_center(canvas, 3))
    assert document.undo_stack.count() == count
    assert "already have a residual link" in panel.status_label.text()
    # The weighted choice.
    drag(canvas, node_center(canvas, 0, 0) - QPoint(0, 0), node_center(canvas, 2))
    assert document.spec.connections == (Link(0, 2),)


def test_a_drag_to_the_next_layer_of_another_width_or_backwards_adds_nothing(qtbot):
    document, panel = make_panel(qtbot)
    canvas = panel.canvas
    drag(canvas, node_center(canvas, 1), node_center(canvas, 2))
    assert document.spec.is_chain and document.undo_stack.count() == 0
    assert "already reads layer 1" in panel.status_label.text()
    drag(canvas, node_center(canvas, 2), node_center(canvas, 1))
    assert document.spec.is_chain
    assert "No link added" in panel.status_label.text()
    # Escape cancels a drag in progress.
    drag(canvas, node_center(canvas, 1), node_center(canvas, 3), release=False)
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    send_mouse(canvas, QEvent.Type.MouseButtonRelease, node_center(canvas, 3), Qt.MouseButton.NoButton)
    assert document.spec.is_chain


def test_clicking_an_arc_or_delete_while_hovering_removes_the_link_undoably(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(4), LayerSpec(3), LayerSpec(4)), 2).with_links(
        [Link(0, 2)], [Link(1, 3)]
    )
    document, panel = make_panel(qtbot, spec)
    canvas = panel.canvas
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=arc_point(canvas, Link(0, 2)))
    assert document.spec.connections == () and document.spec.residuals == (Link(1, 3),)
    assert "Removed connection in>2" in panel.status_label.text()
    document.undo_stack.undo()
    assert document.spec.connections == (Link(0, 2),)

    send_mouse(canvas, QEvent.Type.MouseMove, arc_point(canvas, Link(1, 3)), Qt.MouseButton.NoButton)
    assert canvas.hovered_link() == (Link(1, 3), "residual")
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert document.spec.residuals == ()
    assert document.undo_stack.undoText() == "Remove link 1>3"
    document.undo_stack.undo()
    assert document.spec == spec.with_links(*([Link(0, 2)], [Link(1, 3)])).validate()


def test_hovering_an_arc_shows_the_link_and_its_weights_norm(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(4), LayerSpec(3)), 2).with_links([Link(1, 3)], [])
    _, panel = make_panel(qtbot, spec)
    weights = Network(spec, seed=3).get_weights()
    weights[2][0][3:] = 0.5  # the connection's block: rows after layer 2's three
    panel.set_weights(weights)
    text = panel.canvas.tooltip_at(*(lambda p: (p.x(), p.y()))(arc_point(panel.canvas, Link(1, 3))))
    assert text.startswith(f"1 > out: weighted connection, ‖W‖ = {np.linalg.norm(weights[2][0][3:]):.2f}")
    assert panel.canvas.link_norms[Link(1, 3)] == pytest.approx(np.sqrt(8 * 0.25))
    stronger = [(w.copy(), b) for w, b in weights]
    stronger[2][0][3:] = 3.0
    before = panel.canvas._arc_pens[(Link(1, 3), "connection")].widthF()
    panel.set_weights(stronger)  # live frames thicken the arc
    assert panel.canvas._arc_pens[(Link(1, 3), "connection")].widthF() > before


def test_inserting_and_removing_layers_keeps_the_links_on_their_layers(qtbot):
    spec = NetworkSpec(("x", "y"), (LayerSpec(4), LayerSpec(3), LayerSpec(4)), 2).with_links(
        [Link(0, 3)], [Link(1, 3)]
    )
    document, panel = make_panel(qtbot, spec)
    canvas = panel.canvas
    click(qtbot, canvas.insert_buttons[1])  # a new layer 2: the old 2 and 3 become 3 and 4
    assert document.spec.connections == (Link(0, 4),) and document.spec.residuals == (Link(1, 4),)
    assert "keep joining the same layers" in panel.status_label.text()
    click(qtbot, canvas.layer_controls[3].remove)  # layer 4 goes, and both links with it
    assert document.spec.is_chain
    assert "Removed with it: connection in>4, residual link 1>4" in panel.status_label.text()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.spec == spec
    click(qtbot, canvas.layer_controls[0].plus)  # layer 1: 5 neurons no longer match layer 3's 4
    assert document.spec.connections == (Link(0, 3), Link(1, 3)) and document.spec.residuals == ()
    assert "became a weighted connection" in panel.status_label.text()
