"""Drawing on the dataset canvas with the mouse: each tool changes the right points, as one undo step."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from workbench.core.data.dataset import Dataset
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.qt.canvas import DatasetCanvas
from workbench.qt.document import Document

# One screen pixel is about 0.02 data units at the default zoom; allow a couple of pixels.
PIXEL_TOLERANCE = 0.06


def make_document(points=(), labels=(), n_classes=2) -> Document:
    names = tuple(f"class {i + 1}" for i in range(n_classes))
    dataset = Dataset(np.array(points, dtype=float).reshape(-1, 2), np.array(labels, dtype=int), names)
    return Document(dataset, NetworkSpec(), TrainingSettings())


@pytest.fixture
def canvas(qtbot):
    def factory(document: Document) -> DatasetCanvas:
        widget = DatasetCanvas(document)
        qtbot.addWidget(widget)
        widget.resize(600, 600)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return factory


def near(colour: QColor, rgb: tuple[int, int, int], tolerance: int = 24) -> bool:
    """Colours match up to a small tolerance (blending and rounding)."""
    return max(abs(a - b) for a, b in zip(colour.getRgb()[:3], rgb, strict=True)) <= tolerance


def click(qtbot, canvas: DatasetCanvas, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, modifier, canvas.data_to_viewport(x, y))


def drag(qtbot, canvas: DatasetCanvas, path, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, canvas.data_to_viewport(*path[0]))
    for x, y in path[1:]:
        qtbot.mouseMove(viewport, canvas.data_to_viewport(x, y))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, canvas.data_to_viewport(*path[-1]))


def test_put_adds_one_point_of_the_current_class_where_clicked(qtbot, canvas) -> None:
    doc = make_document()
    view = canvas(doc)
    view.set_tool("put")
    click(qtbot, view, 1.5, -2.0)
    view.set_current_class(1)
    click(qtbot, view, -3.0, 4.0)
    assert np.allclose(doc.dataset.points, [[1.5, -2.0], [-3.0, 4.0]], atol=PIXEL_TOLERANCE)
    assert doc.dataset.labels.tolist() == [0, 1]
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert len(doc.dataset) == 1


def test_brush_stroke_sprays_along_the_path_as_one_undo_step(qtbot, canvas) -> None:
    doc = make_document([[5.0, 5.0]], [0])
    original = doc.dataset
    view = canvas(doc)
    view.set_tool("brush")
    view.set_current_class(1)
    view.set_brush(radius=0.5, density=5)
    drag(qtbot, view, [(-3.0, 0.0), (-1.0, 0.0), (1.0, 0.0), (3.0, 0.0)])
    added = doc.dataset.points[1:]
    assert len(added) >= 5 * 12  # a dab every quarter unit along six units
    assert (doc.dataset.labels[1:] == 1).all()
    assert np.abs(added[:, 1]).max() <= 0.5 + PIXEL_TOLERANCE
    assert added[:, 0].min() < -2.5 and added[:, 0].max() > 2.5
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.dataset.equals(original)
    doc.undo_stack.redo()
    assert np.array_equal(doc.dataset.points[1:], added)


def test_erase_removes_only_points_under_the_swept_brush(qtbot, canvas) -> None:
    points = [[-2.0, 0.0], [0.0, 0.1], [2.0, -0.1], [0.0, 3.0], [4.0, 0.0]]
    doc = make_document(points, [0, 1, 0, 1, 0])
    original = doc.dataset
    view = canvas(doc)
    view.set_tool("erase")
    view.set_brush(radius=0.5)
    drag(qtbot, view, [(-2.5, 0.0), (0.0, 0.0), (2.5, 0.0)])
    assert np.allclose(doc.dataset.points, [[0.0, 3.0], [4.0, 0.0]])
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.dataset.equals(original)


def test_click_without_hitting_anything_leaves_no_undo_step(qtbot, canvas) -> None:
    doc = make_document([[0.0, 0.0]], [0])
    view = canvas(doc)
    view.set_tool("erase")
    view.set_brush(radius=0.3)
    click(qtbot, view, 3.0, 3.0)
    assert len(doc.dataset) == 1
    assert doc.undo_stack.count() == 0
    assert not doc.is_modified


def test_select_by_rubber_band_then_move_and_delete(qtbot, canvas) -> None:
    points = [[0.0, 0.0], [1.0, 1.0], [4.0, 4.0], [-4.0, -4.0]]
    doc = make_document(points, [0, 1, 0, 1])
    original = doc.dataset
    view = canvas(doc)
    view.set_tool("select")
    drag(qtbot, view, [(-0.5, -0.5), (0.5, 0.5), (1.5, 1.5)])
    assert view.selection.tolist() == [0, 1]
    assert doc.undo_stack.count() == 0  # selecting is not an edit

    drag(qtbot, view, [(0.5, 0.5), (1.0, 0.0), (2.5, -1.5)])  # grab inside the selection, move by (2, -2)
    assert np.allclose(doc.dataset.points[:2], [[2.0, -2.0], [3.0, -1.0]], atol=PIXEL_TOLERANCE)
    assert np.array_equal(doc.dataset.points[2:], original.points[2:])
    assert doc.undo_stack.count() == 1

    click(qtbot, view, 4.0, 4.0, Qt.KeyboardModifier.ShiftModifier)  # shift-click adds a point
    assert view.selection.tolist() == [0, 1, 2]
    assert view.delete_selection() == 3
    assert np.array_equal(doc.dataset.points, [[-4.0, -4.0]])
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.dataset.equals(original)


def test_test_points_are_drawn_hollow_and_train_points_filled(qtbot, canvas) -> None:
    rng = np.random.default_rng(3)
    doc = make_document(rng.normal(size=(200, 2)), np.zeros(200, int))
    view = canvas(doc)
    from workbench.core.data.edits import SetTestFraction

    doc.apply_edit(SetTestFraction(0.5))
    n_test = int(doc.dataset.is_test.sum())
    assert 0 < n_test < 200
    assert len(view._test_items[0].data) == n_test
    assert len(view._train_items[0].data) == 200 - n_test
    assert view._test_items[0].opts["brush"].style() == Qt.BrushStyle.NoBrush
    assert view._train_items[0].opts["brush"].style() == Qt.BrushStyle.SolidPattern


def test_background_image_is_drawn_under_points_with_row_zero_at_the_bottom(qtbot, canvas) -> None:
    view = canvas(make_document())
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0] = (255, 0, 0, 255)  # bottom row red
    rgba[1] = (0, 0, 255, 255)  # top row blue
    view.set_background_image(rgba, (-4.0, -4.0, 8.0, 8.0))
    image = view.grab().toImage()

    def colour_at(x, y) -> QColor:
        p = view.data_to_viewport(x, y)
        return image.pixelColor(p.x(), p.y())

    assert near(colour_at(0.4, -2.4), (255, 0, 0))
    assert near(colour_at(0.4, 2.4), (0, 0, 255))
    assert not near(colour_at(5.4, 5.4), (0, 0, 255))  # outside the rect: canvas background

    overlay = np.zeros((1, 1, 4), np.uint8)
    overlay[0, 0] = (0, 255, 0, 255)
    view.set_overlay_image(overlay, (-1.0, -1.0, 2.0, 2.0))
    image = view.grab().toImage()
    assert near(colour_at(0.4, 0.4), (0, 255, 0))
    assert near(colour_at(0.4, -2.4), (255, 0, 0))
    view.set_overlay_image(None, (0, 0, 1, 1))
    image = view.grab().toImage()
    assert near(colour_at(0.4, -2.4), (255, 0, 0))
    assert not near(colour_at(0.4, 0.6), (0, 255, 0))

    with pytest.raises(ValueError, match="uint8"):
        view.set_background_image(np.zeros((2, 2, 4), np.float32), (0, 0, 1, 1))


def test_zooming_emits_the_visible_range(qtbot, canvas) -> None:
    view = canvas(make_document())
    with qtbot.waitSignal(view.visibleRangeChanged) as blocker:
        view.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
    x0, x1, y0, y1 = blocker.args
    assert x0 <= -1 and x1 >= 1 and y0 <= -1 and y1 >= 1
    assert max(x1 - x0, y1 - y0) < 3


def test_fit_to_data_shows_far_away_points(qtbot, canvas) -> None:
    doc = make_document([[20.0, 30.0], [25.0, 35.0]], [0, 1])
    view = canvas(doc)
    x0, x1, y0, y1 = view.visible_range()
    assert x1 < 20  # the fixed default view
    view.fit_to_data()
    x0, x1, y0, y1 = view.visible_range()
    assert x0 <= 20 <= 25 <= x1 and y0 <= 30 <= 35 <= y1


def test_twenty_thousand_points_reuse_the_same_scatter_items(qtbot, canvas) -> None:
    doc = make_document()
    view = canvas(doc)
    items_before = [*view._train_items, *view._test_items]
    rng = np.random.default_rng(0)
    from workbench.core.data.edits import AddPoints

    doc.apply_edit(AddPoints(rng.normal(0, 2, (20_000, 2)), rng.integers(0, 2, 20_000)))
    items_after = [*view._train_items, *view._test_items]
    assert all(a is b for a, b in zip(items_before, items_after, strict=True))
    shown = sum(len(item.data) for item in items_after)
    assert shown == 20_000
    # One shared brush per item, not one brush object per point.
    assert all(item.data["brush"][0] is None for item in items_after if len(item.data))
