"""Drawing tools: each turns mouse gestures on the canvas into dataset edits on the document.

A tool never changes data itself: it computes *which* points change with `core.data.drawing` and hands
the document an edit. Everything one press-drag-release does is one undo step (a document gesture), opened
lazily at the first real edit so a click that changes nothing leaves no empty step behind.
The `TOOLS` table drives the toolbar, as Orange's Paint Data does.

In regression (points with target values) Put and the brush give new points the canvas's current value
(`canvas.current_value`, the Data panel's value slider), and "Set value" paints that value onto the points
under the brush; in classification Set value does nothing but say so (its action is disabled there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QCursor

from workbench.core.data import drawing
from workbench.core.data.edits import AddPoints, DeletePoints, Edit, MovePoints, SetTargets

if TYPE_CHECKING:
    from workbench.qt.canvas import DatasetCanvas
    from workbench.qt.document import Document

Pos = tuple[float, float]
#: How many screen pixels around a selection still grab it for moving.
PICK_PIXELS = 8


class Gesture:
    """One undo step for everything a gesture does; begun on the first edit, closed on release."""

    def __init__(self, document: Document, text: str) -> None:
        self._document = document
        self._text = text
        self._open = False

    def apply(self, edit: Edit) -> None:
        if not self._open:
            self._document.begin_gesture(self._text)
            self._open = True
        self._document.apply_edit(edit)

    def finish(self) -> None:
        if self._open:
            self._document.end_gesture()
            self._open = False


class Tool:
    """Base tool: receives data-coordinate positions from the canvas's ViewBox."""

    uses_brush = False
    pans = False
    cursor_shape = Qt.CursorShape.CrossCursor
    gesture_text = "Edit points"

    def __init__(self, canvas: DatasetCanvas) -> None:
        self.canvas = canvas
        self._gesture: Gesture | None = None
        self._last: Pos | None = None

    @property
    def document(self) -> Document:
        return self.canvas.document

    @property
    def cursor(self) -> QCursor:
        return QCursor(self.cursor_shape)

    def press(self, pos: Pos, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        self._gesture = Gesture(self.document, self.gesture_text)
        self._last = pos
        self.on_press(pos, modifiers)

    def move(self, pos: Pos, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        if self._gesture is None:
            return
        self.on_move(pos, modifiers)
        self._last = pos

    def release(self, pos: Pos, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        if self._gesture is None:
            return
        if pos != self._last:
            self.on_move(pos, modifiers)
        self.on_release(pos, modifiers)
        self.cancel()

    def cancel(self) -> None:
        if self._gesture is not None:
            self._gesture.finish()
        self._gesture = None
        self._last = None
        self.on_cancel()

    def apply(self, edit: Edit) -> None:
        assert self._gesture is not None
        self._gesture.apply(edit)

    # Subclasses override these.
    def on_press(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None: ...

    def on_move(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None: ...

    def on_release(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None: ...

    def on_cancel(self) -> None: ...


class PanTool(Tool):
    """Left button pans and the wheel zooms; the canvas does it all."""

    pans = True
    cursor_shape = Qt.CursorShape.OpenHandCursor


def new_points(canvas: DatasetCanvas, points: np.ndarray, description: str) -> AddPoints:
    """Points of the current class, or in regression with the current value."""
    labels = np.full(len(points), canvas.current_class, dtype=np.int64)
    targets = canvas.current_value if canvas.document.dataset.is_regression else None
    return AddPoints(points, labels, description=description, targets=targets)


class PutTool(Tool):
    """A click adds one point of the current class (in regression: with the current value)."""

    gesture_text = "Put point"

    def on_press(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        self.apply(new_points(self.canvas, np.array([pos]), "Put point"))


class BrushTool(Tool):
    """Press and drag to spray Gaussian clouds of the current class along the stroke."""

    uses_brush = True
    gesture_text = "Brush"

    def _spray_at(self, centers: np.ndarray) -> None:
        canvas = self.canvas
        clouds = [
            drawing.spray(tuple(c), canvas.brush_radius, canvas.brush_density, canvas.rng) for c in centers
        ]
        pts = np.concatenate(clouds) if clouds else np.zeros((0, 2))
        if len(pts):
            self.apply(new_points(canvas, pts, "Brush"))

    def on_press(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        self._spray_at(np.array([pos]))
        self._sprayed_from = pos

    def on_move(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        # Spray one dab every half radius of travel so the density does not depend on the mouse speed.
        spacing = self.canvas.brush_radius / 2.0
        start = self._sprayed_from
        if np.hypot(pos[0] - start[0], pos[1] - start[1]) < spacing:
            return
        centers = drawing.stroke_centers(start, pos, spacing)
        self._spray_at(centers)
        self._sprayed_from = pos


class EraseTool(Tool):
    """Press and drag to remove every point the brush circle sweeps over."""

    uses_brush = True
    gesture_text = "Erase"

    def _erase(self, start: Pos, end: Pos) -> None:
        hit = drawing.points_near_segment(self.document.dataset.points, start, end, self.canvas.brush_radius)
        if len(hit):
            self.apply(DeletePoints(hit, description="Erase"))

    def on_press(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        self._erase(pos, pos)

    def on_move(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        assert self._last is not None
        self._erase(self._last, pos)


class SetValueTool(Tool):
    """Regression: press and drag to give every point the brush sweeps over the current value."""

    uses_brush = True
    gesture_text = "Set value"

    def _paint(self, start: Pos, end: Pos) -> None:
        dataset = self.document.dataset
        if not dataset.is_regression:
            return
        hit = drawing.points_near_segment(dataset.points, start, end, self.canvas.brush_radius)
        value = self.canvas.current_value
        assert dataset.targets is not None
        hit = hit[dataset.targets[hit] != value]  # only points that change: no empty edits
        if len(hit):
            self.apply(SetTargets(hit, value, description="Set value"))

    def on_press(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        self._paint(pos, pos)

    def on_move(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        assert self._last is not None
        self._paint(self._last, pos)


class SelectTool(Tool):
    """Drag a rubber band to select (Shift adds); drag inside the selection to move it."""

    cursor_shape = Qt.CursorShape.ArrowCursor
    gesture_text = "Move points"

    def __init__(self, canvas: DatasetCanvas) -> None:
        super().__init__(canvas)
        self._moving = False
        self._band_start: Pos | None = None

    def _grabs_selection(self, pos: Pos) -> bool:
        selection = self.canvas.selection
        if not len(selection):
            return False
        pts = self.document.dataset.points[selection]
        margin = PICK_PIXELS * self.canvas.pixel_size()
        lo = pts.min(axis=0) - margin
        hi = pts.max(axis=0) + margin
        return bool(np.all(np.asarray(pos) >= lo) and np.all(np.asarray(pos) <= hi))

    def on_press(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        if not shift and self._grabs_selection(pos):
            self._moving = True
            self.canvas.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        self._band_start = pos
        self._show_band(pos, pos)

    def on_move(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        assert self._last is not None
        if self._moving:
            delta = (pos[0] - self._last[0], pos[1] - self._last[1])
            if delta != (0.0, 0.0):
                edit = MovePoints.by(self.document.dataset, self.canvas.selection, delta)
                self.apply(MovePoints(edit.indices, edit.new_points, description="Move points"))
        elif self._band_start is not None:
            self._show_band(self._band_start, pos)

    def on_release(self, pos: Pos, modifiers: Qt.KeyboardModifier) -> None:
        if self._band_start is None:
            return
        hit = drawing.points_in_rect(self.document.dataset.points, self._band_start, pos)
        if self._band_start == pos:  # a plain click picks the nearest point (or clears)
            near = drawing.nearest_point(
                self.document.dataset.points, pos, PICK_PIXELS * self.canvas.pixel_size()
            )
            hit = np.array([] if near is None else [near], dtype=np.int64)
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            hit = np.union1d(self.canvas.selection, hit)
        self.canvas.set_selection(hit)

    def on_cancel(self) -> None:
        self._moving = False
        self._band_start = None
        self.canvas.rubber_band.setVisible(False)
        self.canvas.viewport().setCursor(self.cursor)

    def _show_band(self, a: Pos, b: Pos) -> None:
        band = self.canvas.rubber_band
        band.setRect(QRectF(min(a[0], b[0]), min(a[1], b[1]), abs(b[0] - a[0]), abs(b[1] - a[1])))
        band.setVisible(True)


@dataclass(frozen=True)
class ToolInfo:
    """One row of the tool table: what the toolbar shows and how to build the tool."""

    name: str
    label: str
    shortcut: str
    tip: str
    factory: Callable[[DatasetCanvas], Tool]


TOOLS: tuple[ToolInfo, ...] = (
    ToolInfo("pan", "Pan", "H", "Pan with the left button; the wheel zooms everywhere", PanTool),
    ToolInfo("put", "Put", "P", "Click to add one point of the current class (or value)", PutTool),
    ToolInfo("brush", "Brush", "B", "Drag to spray points of the current class (or value)", BrushTool),
    ToolInfo("erase", "Erase", "E", "Drag to erase the points under the brush", EraseTool),
    ToolInfo(
        "value",
        "Set Value",
        "T",
        "Regression: drag to give the points under the brush the current value",
        SetValueTool,
    ),
    ToolInfo(
        "select", "Select", "V", "Drag to select (Shift adds); drag the selection to move it", SelectTool
    ),
)
