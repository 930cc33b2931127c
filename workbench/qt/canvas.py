"""The dataset canvas: a pyqtgraph plot of the document's points that the drawing tools paint on.

Performance choices (the canvas must stay fluid with 20,000 points): one ScatterPlotItem per class for train
points and one per class for test points, created once, each with one shared pen and brush, and fed new
coordinates only when the dataset changes. The decision-region and neuron-overlay images are ImageItems under
the points, fed uint8 RGBA with fixed levels so pyqtgraph takes its fast path.

Regression data (points with target values) is drawn the same way: the values are binned into
`VALUE_BUCKETS` bins of the diverging value map (`core.present.value_colors`), one uniformly coloured
scatter per bin, so the fast path stays; the prediction surface takes the decision image's place and a
colour bar beside the plot gives the scale (`value_range`, from the targets, so it stands still while the
network trains).

Mouse handling follows Orange's Paint Data: a ViewBox subclass forwards left-button presses, moves and
releases to the active tool (see `workbench.qt.tools`); other buttons pan and zoom as usual.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen, QPixmapCache
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsRectItem, QWidget

from workbench.core.data.dataset import CLASS_COLORS
from workbench.core.model.spec import MAX_CLASSES
from workbench.core.present import value_colors
from workbench.qt.document import Document
from workbench.qt.theme import theme_color, view_color
from workbench.qt.tools import TOOLS, Tool

#: The view a fresh canvas shows; the generators fill about [-5, 5]².
DEFAULT_RANGE = (-6.0, 6.0, -6.0, 6.0)
POINT_SIZE = 7
#: Pixmap cache the window's cached plot items need (Qt's default is 10 MB).
PIXMAP_CACHE_KB = 96 * 1024
#: Colour bins of regression points (odd: 0 has a bin of its own, drawn in the map's white middle).
VALUE_BUCKETS = 21
#: Pixels the colour bar beside the plot takes (bar, tick labels and its title).
COLOR_BAR_WIDTH = 78
#: The value new points get in regression before the user picks one.
DEFAULT_VALUE = 1.0


class CachedBoundsScatter(pg.ScatterPlotItem):
    """A scatter that remembers its bounding rectangle until its data, spot size or view transform changes.

    Why: Qt asks every item for its bounding rectangle several times per paint of the scene, and pyqtgraph's
    answer is ~40 µs of Python (pixel vectors from the device transform) each time; with a dozen scatters on
    the canvas that was ~1 ms of every decision-region frame, with nothing about the points changed.
    """

    def boundingRect(self) -> QRectF:
        key = (self.bounds, self._maxSpotPxWidth)  # pyqtgraph replaces `bounds` whenever the data changes
        cached = getattr(self, "_cached_bounds", None)
        if cached is not None and cached[0][0] is key[0] and cached[0][1] == key[1]:
            return QRectF(cached[1])
        rect = super().boundingRect()
        self._cached_bounds = (key, QRectF(rect))
        return rect

    def viewTransformChanged(self) -> None:
        self._cached_bounds = None
        super().viewTransformChanged()

    def prepareGeometryChange(self) -> None:
        self._cached_bounds = None
        super().prepareGeometryChange()


class UniformScatter(CachedBoundsScatter):
    """A scatter whose points all share one symbol, size, pen and brush.

    pyqtgraph looks every point's style up in its symbol atlas one by one (a Python loop, ~25 ms for 20,000
    points); with one shared style a single lookup serves them all.
    """

    def updateSpots(self, dataSet=None) -> None:
        data = self.data if dataSet is None else dataSet
        opts = self.opts
        if not (opts.get("pxMode") and opts.get("useCache") and hasattr(self, "fragmentAtlas")):
            super().updateSpots(dataSet)
            return
        mask = data["sourceRect"]["w"] == 0
        if np.any(mask):
            style = (opts["symbol"], opts["size"], opts["pen"], opts["brush"])
            data["sourceRect"][mask] = self.fragmentAtlas[[style]][0]
        self._updateMaxSpotSizes(data=data)
        self.invalidate()


class ToolViewBox(pg.ViewBox):
    """A ViewBox that hands left-button gestures to the active tool and keeps panning on the other buttons."""

    def __init__(self) -> None:
        super().__init__(enableMenu=True)
        self.tool: Tool | None = None
        #: Inspector mode: a left click calls this with the data coordinates instead of using the tool.
        self.picker: Callable[[tuple[float, float]], None] | None = None
        self._gesture_active = False

    def _view_pos(self, event) -> tuple[float, float]:
        p = self.mapToView(event.pos())
        return (float(p.x()), float(p.y()))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.picker is not None:
            event.accept()
            self.picker(self._view_pos(event))
            return
        if event.button() == Qt.MouseButton.LeftButton and self.tool is not None:
            event.accept()
            self._gesture_active = True
            self.tool.press(self._view_pos(event), event.modifiers())
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._gesture_active and self.tool is not None:
            event.accept()
            self.tool.move(self._view_pos(event), event.modifiers())
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._gesture_active and event.button() == Qt.MouseButton.LeftButton:
            event.accept()
            self._gesture_active = False
            if self.tool is not None:
                self.tool.release(self._view_pos(event), event.modifiers())
            return
        super().mouseReleaseEvent(event)

    def ungrabMouseEvent(self, event) -> None:
        """The mouse was taken away mid-gesture (a popup, focus loss): close the gesture's undo step."""
        self.cancel_gesture()
        super().ungrabMouseEvent(event)

    def cancel_gesture(self) -> None:
        """End a half-done gesture (tool switch, focus loss) so the undo macro is always closed."""
        if self._gesture_active and self.tool is not None:
            self.tool.cancel()
        self._gesture_active = False


class DatasetCanvas(pg.PlotWidget):
    """Scatter plot of the document's dataset with drawing tools, a brush cursor and two image layers."""

    visibleRangeChanged = Signal(float, float, float, float)
    #: Data coordinates under the mouse, for the status bar.
    cursorMoved = Signal(float, float)
    selectionChanged = Signal()
    currentClassChanged = Signal(int)
    #: Regression: the value the brush and Put give new points (and Set value paints) changed.
    currentValueChanged = Signal(float)
    #: Regression: the half-width R of the colour scale [-R, R] changed (the targets grew or shrank).
    valueRangeChanged = Signal(float)
    toolChanged = Signal(str)
    #: Inspector mode (`set_point_picking`): the data coordinates of a left click.
    pointPicked = Signal(float, float)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        self._view_box = ToolViewBox()
        super().__init__(parent=parent, viewBox=self._view_box)
        self.setObjectName("datasetCanvas")
        self.setAccessibleName("Dataset canvas")
        self.setAccessibleDescription("Scatter plot of the training data; draw points with the tools")
        self.setMinimumSize(320, 240)
        self.document = document
        self.rng = np.random.default_rng()
        self.brush_radius = 0.6
        self.brush_density = 8
        self._current_class = 0
        self._current_value = DEFAULT_VALUE
        self._value_range = 1.0
        self._selection = np.zeros(0, dtype=np.int64)
        self._shown_count = -1
        self._shown_points: dict[int, np.ndarray] = {}
        self._image_rects: dict[int, tuple] = {}
        self._dark = False

        # Cached axes, grids and scatters are full-size pixmaps: Qt's default 10 MB pixmap cache evicts them
        # and re-renders one (~14 ms) every second or so. Room for all of them in every plot of the window:
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        # No grid lines: under the decision regions they were barely visible, and as two plot-sized cached
        # pictures they cost ~1.2 ms of every frame's repaint (30 a second while training).
        plot.showGrid(x=False, y=False)
        plot.setLabel("bottom", "x")
        plot.setLabel("left", "y")
        for name in ("left", "bottom"):
            # Cached as pixmaps: a new decision image repaints the axes as a blit instead of redrawing them.
            plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        vb = self._view_box
        vb.setAspectLocked(True)
        vb.setDefaultPadding(0.0)

        self.background_image = pg.ImageItem(axisOrder="row-major")
        self.background_image.setZValue(-20)
        self.background_image.setVisible(False)
        self.overlay_image = pg.ImageItem(axisOrder="row-major")
        self.overlay_image.setZValue(-10)
        self.overlay_image.setVisible(False)
        vb.addItem(self.background_image, ignoreBounds=True)
        vb.addItem(self.overlay_image, ignoreBounds=True)

        self._train_items: list[pg.ScatterPlotItem] = []
        self._test_items: list[pg.ScatterPlotItem] = []
        for c in range(MAX_CLASSES):
            color = QColor(CLASS_COLORS[c])
            train = UniformScatter(
                size=POINT_SIZE,
                pen=pg.mkPen(color.darker(160), width=1),
                brush=pg.mkBrush(color),
                hoverable=False,
                name=f"train {c}",
            )
            test = UniformScatter(
                size=POINT_SIZE,
                pen=pg.mkPen(color.darker(110), width=1.6),
                brush=QBrush(Qt.BrushStyle.NoBrush),
                hoverable=False,
                name=f"test {c}",
            )
            for item in (train, test):
                item.setZValue(10)
                # Points stand still while the decision image under them changes 30 times a second: as
                # cached pixmaps they repaint as blits (the Python paint of 8 scatters took ~4 ms a frame).
                item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                item.setVisible(False)  # shown once it has points: empty items still cost a paint call
                vb.addItem(item)
            self._train_items.append(train)
            self._test_items.append(test)

        self._value_train_items: list[pg.ScatterPlotItem] = []
        self._value_test_items: list[pg.ScatterPlotItem] = []
        for b, rgba in enumerate(value_colors.bucket_colors(VALUE_BUCKETS)):
            color = QColor(*(int(v) for v in rgba))
            train = UniformScatter(
                size=POINT_SIZE, brush=pg.mkBrush(color), hoverable=False, name=f"values {b}"
            )
            test = UniformScatter(
                size=POINT_SIZE + 1, brush=pg.mkBrush(color), hoverable=False, name=f"test values {b}"
            )
            for item in (train, test):
                item.setZValue(10)
                item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                item.setVisible(False)
                vb.addItem(item)
            self._value_train_items.append(train)
            self._value_test_items.append(test)
        self.color_bar = self._make_color_bar()
        self._color_bar_shown = False

        self._selection_item = CachedBoundsScatter(
            size=POINT_SIZE + 7,
            pen=pg.mkPen(theme_color("plot_foreground", dark=False), width=1.5),
            brush=pg.mkBrush(view_color("selection_fill")),
            hoverable=False,
        )
        self._selection_item.setZValue(5)
        vb.addItem(self._selection_item, ignoreBounds=True)

        # Points sized by a value (the hovered neuron's |δ|, `set_point_sizes`): one item over the others.
        self.sized_points = pg.ScatterPlotItem(
            pen=pg.mkPen(QColor(150, 10, 20), width=1),
            brush=pg.mkBrush(QColor(220, 30, 40, 110)),
            hoverable=False,
        )
        self.sized_points.setZValue(12)
        self.sized_points.setVisible(False)
        vb.addItem(self.sized_points, ignoreBounds=True)

        self.rubber_band = QGraphicsRectItem()
        band_pen = QPen(theme_color("plot_foreground", dark=False), 0, Qt.PenStyle.DashLine)
        band_pen.setCosmetic(True)
        self.rubber_band.setPen(band_pen)
        self.rubber_band.setBrush(QBrush(view_color("rubber_band_fill")))
        self.rubber_band.setZValue(30)
        self.rubber_band.setVisible(False)
        vb.addItem(self.rubber_band, ignoreBounds=True)

        self.brush_cursor = QGraphicsEllipseItem()
        cursor_pen = QPen(theme_color("plot_foreground", dark=False), 0, Qt.PenStyle.DashLine)
        cursor_pen.setCosmetic(True)
        self.brush_cursor.setPen(cursor_pen)
        self.brush_cursor.setZValue(40)
        self.brush_cursor.setVisible(False)
        vb.addItem(self.brush_cursor, ignoreBounds=True)

        self.tools: dict[str, Tool] = {info.name: info.factory(self) for info in TOOLS}
        self._tool_name = ""
        self.set_tool("brush")

        self.set_dark(False)
        self.reset_view()
        vb.sigRangeChanged.connect(self._emit_visible_range)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        document.datasetChanged.connect(self.refresh)
        self.refresh()

    # --- data -----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Push the document's dataset into the scatter items (only called when the dataset changed)."""
        dataset = self.document.dataset
        if len(dataset) != self._shown_count:
            self._shown_count = len(dataset)
            if len(self._selection):
                self._selection = np.zeros(0, dtype=np.int64)
                self.selectionChanged.emit()
        points, labels, is_test = dataset.points, dataset.labels, dataset.is_test
        regression = dataset.is_regression
        empty = np.zeros((0, 2))
        self._show_color_bar(regression)
        if regression:
            self._set_value_range(value_colors.value_range(dataset.targets))
            self._fill(
                self._value_train_items,
                self._value_test_items,
                value_colors.bucket_of(dataset.targets, self._value_range, VALUE_BUCKETS),
                points,
                is_test,
            )
            for item in (*self._train_items, *self._test_items):
                self._set_points(item, empty)
        else:
            self._fill(self._train_items, self._test_items, labels, points, is_test)
            for item in (*self._value_train_items, *self._value_test_items):
                self._set_points(item, empty)
        if self._current_class >= dataset.n_classes:
            self.set_current_class(dataset.n_classes - 1)
        self._update_selection_item()

    def _fill(
        self,
        train_items: list[pg.ScatterPlotItem],
        test_items: list[pg.ScatterPlotItem],
        groups: np.ndarray,
        points: np.ndarray,
        is_test: np.ndarray,
    ) -> None:
        """Give item k the points of group k (class or value bin), train and test apart."""
        order = np.argsort(groups, kind="stable")
        bounds = np.searchsorted(groups[order], np.arange(len(train_items) + 1))
        for k, (train, test) in enumerate(zip(train_items, test_items, strict=True)):
            idx = order[bounds[k] : bounds[k + 1]]
            test_mask = is_test[idx]
            self._set_points(train, points[idx[~test_mask]])
            self._set_points(test, points[idx[test_mask]])

    def _set_points(self, item: pg.ScatterPlotItem, pts: np.ndarray) -> None:
        """Give an item new coordinates unless they are the ones it shows (a stroke changes one class)."""
        shown = self._shown_points.get(id(item))
        if shown is not None and np.array_equal(shown, pts):
            return
        self._shown_points[id(item)] = pts
        item.setData(pos=pts)
        item.setVisible(len(pts) > 0)

    # --- drawing state ----------------------------------------------------------------------------------
    @property
    def current_class(self) -> int:
        return self._current_class

    def set_current_class(self, index: int) -> None:
        index = int(np.clip(index, 0, self.document.dataset.n_classes - 1))
        if index != self._current_class:
            self._current_class = index
            self.currentClassChanged.emit(index)

    @property
    def current_value(self) -> float:
        """Regression: the target value new points get (brush, Put) and the Set value tool paints."""
        return self._current_value

    def set_current_value(self, value: float) -> None:
        value = float(value)
        if np.isfinite(value) and value != self._current_value:
            self._current_value = value
            self.currentValueChanged.emit(value)

    @property
    def value_range(self) -> float:
        """The half-width R of the colour scale [-R, R] of the points, the surface and the colour bar."""
        return self._value_range

    def _set_value_range(self, half_range: float) -> None:
        if half_range != self._value_range:
            self._value_range = half_range
            self.color_bar.setLevels((-half_range, half_range))
            self.valueRangeChanged.emit(half_range)

    def _make_color_bar(self) -> pg.ColorBarItem:
        """The value scale beside the plot (regression only): the diverging map, -R at the bottom."""
        lut = value_colors.value_lut()
        cmap = pg.ColorMap(pos=np.linspace(0.0, 1.0, len(lut)), color=lut)
        bar = pg.ColorBarItem(
            values=(-self._value_range, self._value_range),
            colorMap=cmap,
            width=14,
            label="value",
            interactive=False,
            colorMapMenu=False,
        )
        bar.axis.setWidth(36)  # tick labels
        bar.getAxis("left").setWidth(18)  # the title "value", turned
        for name in ("top", "bottom"):
            bar.getAxis(name).setHeight(1)
        bar.setFixedWidth(COLOR_BAR_WIDTH)  # else the aspect-locked plot squeezes it to nothing
        bar.setVisible(False)
        return bar

    def _show_color_bar(self, shown: bool) -> None:
        """Put the colour bar into the plot's layout (right of the plot) or take it out (classification
        then gets the whole width)."""
        if shown == self._color_bar_shown:
            return
        self._color_bar_shown = shown
        layout = self.getPlotItem().layout
        if shown:
            layout.addItem(self.color_bar, 2, 5)
            layout.setColumnFixedWidth(4, 6)
        else:
            layout.removeItem(self.color_bar)
            layout.setColumnFixedWidth(4, 0)
        self.color_bar.setVisible(shown)

    @property
    def tool_name(self) -> str:
        return self._tool_name

    def set_tool(self, name: str) -> None:
        """Activate a tool by name ("pan" means plain pan/zoom with the left button)."""
        if name == self._tool_name:
            return
        self._view_box.cancel_gesture()
        tool = self.tools[name]
        self._tool_name = name
        self._view_box.tool = None if tool.pans else tool
        self._view_box.setMouseMode(pg.ViewBox.PanMode)
        self.viewport().setCursor(tool.cursor)
        if not tool.uses_brush:
            self.brush_cursor.setVisible(False)
        self.toolChanged.emit(name)

    def set_point_picking(self, on: bool) -> None:
        """Inspector mode: a left click emits `pointPicked` instead of drawing (the tool comes back after)."""
        vb = self._view_box
        vb.cancel_gesture()
        vb.picker = (lambda p: self.pointPicked.emit(*p)) if on else None
        tool = self.tools.get(self._tool_name)
        cursor = Qt.CursorShape.CrossCursor if on else (tool.cursor if tool else Qt.CursorShape.ArrowCursor)
        self.viewport().setCursor(cursor)

    def set_brush(self, radius: float | None = None, density: int | None = None) -> None:
        if radius is not None:
            self.brush_radius = float(radius)
        if density is not None:
            self.brush_density = int(density)
        self._place_brush_cursor(self.brush_cursor.pos(), visible=self.brush_cursor.isVisible())

    # --- selection ----------------------------------------------------------------------------------
    @property
    def selection(self) -> np.ndarray:
        return self._selection

    def set_selection(self, indices: np.ndarray) -> None:
        indices = np.unique(np.asarray(indices, dtype=np.int64))
        indices = indices[(indices >= 0) & (indices < len(self.document.dataset))]
        if not np.array_equal(indices, self._selection):
            self._selection = indices
            self.selectionChanged.emit()
        self._update_selection_item()

    def select_all(self) -> None:
        self.set_selection(np.arange(len(self.document.dataset)))

    def delete_selection(self) -> int:
        """Delete the selected points as one undo step; returns how many were deleted."""
        from workbench.core.data.edits import DeletePoints

        count = len(self._selection)
        if count:
            self.document.apply_edit(DeletePoints(self._selection, description="Delete points"))
            self.set_selection(np.zeros(0, dtype=np.int64))
        return count

    def _update_selection_item(self) -> None:
        if len(self._selection):
            self._selection_item.setData(pos=self.document.dataset.points[self._selection])
        elif len(self._selection_item.data):
            self._selection_item.setData(pos=np.zeros((0, 2)))
        self._selection_item.setVisible(len(self._selection) > 0)  # an empty item still costs a paint

    # --- images (decision regions, neuron overlay) ---------------------------------------------------
    def set_point_sizes(self, sizes: np.ndarray | None) -> None:
        """Draw every point of the dataset again, sized by `sizes` (pixels, in the dataset's order), over
        the plain points; None hides them."""
        points = self.document.dataset.points
        if sizes is None or len(sizes) != len(points) or not len(points):
            self.sized_points.setVisible(False)
            self.sized_points.clear()
            return
        self.sized_points.setData(pos=points, size=np.asarray(sizes, dtype=np.float64))
        self.sized_points.setVisible(True)

    def set_background_image(self, rgba: np.ndarray, rect: tuple[float, float, float, float]) -> None:
        """Show an (H, W, 4) uint8 image under the points; row 0 is the bottom edge of `rect`."""
        self._set_image(self.background_image, rgba, rect)

    def set_overlay_image(self, rgba: np.ndarray | None, rect: tuple[float, float, float, float]) -> None:
        """Show (or hide, with None) a second image over the background, e.g. a hovered neuron's map."""
        if rgba is None:
            self.overlay_image.setVisible(False)
            return
        self._set_image(self.overlay_image, rgba, rect)

    def _set_image(self, item: pg.ImageItem, rgba: np.ndarray, rect: tuple[float, ...]) -> None:
        image = np.asarray(rgba)
        if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 4) uint8 RGBA image, got {image.dtype} {image.shape}")
        item.setImage(np.ascontiguousarray(image), autoLevels=False, levels=None)
        rect = tuple(map(float, rect))
        if self._image_rects.get(id(item)) != (rect, image.shape):  # setRect re-lays out the item
            self._image_rects[id(item)] = (rect, image.shape)
            item.setRect(QRectF(*rect))
        item.setVisible(True)

    # --- view -----------------------------------------------------------------------------------------
    def reset_view(self) -> None:
        x0, x1, y0, y1 = DEFAULT_RANGE
        self._view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)

    def fit_to_data(self) -> None:
        """Zoom so every point is visible (the default range when there are no points)."""
        x0, x1, y0, y1 = self.document.dataset.bounds(margin=0.08)
        self._view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.0)

    def visible_range(self) -> tuple[float, float, float, float]:
        (x0, x1), (y0, y1) = self._view_box.viewRange()
        return (float(x0), float(x1), float(y0), float(y1))

    def set_dark(self, dark: bool) -> None:
        """Follow the application theme: background, axes and the helper outlines."""
        self._dark = dark
        fg = theme_color("plot_foreground", dark)
        self.setBackground(theme_color("plot_background", dark))
        for name in ("left", "bottom"):
            axis = self.getPlotItem().getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)
        for item in (self.rubber_band, self.brush_cursor):
            pen = item.pen()
            pen.setColor(fg)
            item.setPen(pen)
        self._selection_item.setPen(pg.mkPen(fg, width=1.5))
        # Points must stand out from decision regions of their own colour: dark outlines on a light
        # background, light outlines on a dark one.
        for c, (train, test) in enumerate(zip(self._train_items, self._test_items, strict=True)):
            color, outline = QColor(CLASS_COLORS[c]), theme_color("point_outline", dark)
            train.setPen(pg.mkPen(outline if outline is not None else color.darker(160), width=1))
            test.setPen(pg.mkPen(color.lighter(150) if dark else color.darker(110), width=1.6))
        # Value points: a thin outline lets the white middle of the map show on any background and on the
        # prediction surface of the same colour; test points wear a thick ring in the text colour instead.
        thin, ring = QColor(fg), QColor(fg)
        thin.setAlpha(150)
        ring.setAlpha(215)
        for train, test in zip(self._value_train_items, self._value_test_items, strict=True):
            train.setPen(pg.mkPen(thin, width=0.8))
            test.setPen(pg.mkPen(ring, width=1.2))
        for name in ("left", "right", "top", "bottom"):
            axis = self.color_bar.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)

    def data_to_viewport(self, x: float, y: float) -> QPoint:
        """Viewport pixel of a data point (tests and tools use it to aim the mouse)."""
        scene = self._view_box.mapViewToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    def pixel_size(self) -> float:
        """Data units per screen pixel (the larger of the two axes)."""
        w, h = self._view_box.viewPixelSize()
        return float(max(w, h))

    @property
    def view_box(self) -> ToolViewBox:
        return self._view_box

    # --- internals ----------------------------------------------------------------------------------
    def _emit_visible_range(self, *_: object) -> None:
        self.visibleRangeChanged.emit(*self.visible_range())

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        vb = self._view_box
        if not vb.sceneBoundingRect().contains(scene_pos):
            self.brush_cursor.setVisible(False)
            return
        p = vb.mapSceneToView(scene_pos)
        self.cursorMoved.emit(float(p.x()), float(p.y()))
        self._place_brush_cursor(p)

    def _place_brush_cursor(self, p: QPointF, visible: bool = True) -> None:
        tool = self.tools.get(self._tool_name)
        r = self.brush_radius
        self.brush_cursor.setRect(QRectF(-r, -r, 2 * r, 2 * r))
        self.brush_cursor.setPos(p)
        self.brush_cursor.setVisible(visible and bool(tool and tool.uses_brush))

    def leaveEvent(self, event) -> None:
        self.brush_cursor.setVisible(False)
        super().leaveEvent(event)
