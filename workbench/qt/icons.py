"""Toolbar icons drawn with QPainter, so they need no files and follow the theme's text colour."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 64
ACCENT = QColor("#0072B2")


def _pen(color: QColor, width: float = 4.5, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def _pan(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg))
    c = SIZE / 2
    p.drawLine(QPointF(c, 8), QPointF(c, SIZE - 8))
    p.drawLine(QPointF(8, c), QPointF(SIZE - 8, c))
    for dx, dy in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        tip = QPointF(c + dx * (c - 8), c + dy * (c - 8))
        side = QPointF(dy * 8, dx * 8)
        back = QPointF(-dx * 9, -dy * 9)
        p.drawLine(tip, tip + back + side)
        p.drawLine(tip, tip + back - side)


def _put(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg.darker(140) if fg.lightness() > 128 else fg, 3))
    p.setBrush(QBrush(ACCENT))
    p.drawEllipse(QPointF(26, 38), 13, 13)
    p.setPen(_pen(fg, 5))
    p.drawLine(QPointF(50, 6), QPointF(50, 26))
    p.drawLine(QPointF(40, 16), QPointF(60, 16))


def _brush(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg, 3, Qt.PenStyle.DashLine))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QPointF(32, 32), 26, 26)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(ACCENT))
    for i in range(13):
        angle = i * 2.4
        r = 18 * math.sqrt((i + 0.5) / 13)
        p.drawEllipse(QPointF(32 + r * math.cos(angle), 32 + r * math.sin(angle)), 4, 4)


def _erase(p: QPainter, fg: QColor) -> None:
    p.save()
    p.translate(32, 34)
    p.rotate(-40)
    p.setPen(_pen(fg, 3.5))
    p.setBrush(QBrush(QColor("#E69F00")))
    p.drawRoundedRect(QRectF(-24, -12, 28, 24), 4, 4)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(-24, -12, 48, 24), 4, 4)
    p.restore()
    p.setPen(_pen(fg, 3.5))
    p.drawLine(QPointF(10, 58), QPointF(54, 58))


def _select(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg, 3, Qt.PenStyle.DashLine))
    p.setBrush(QBrush(QColor(0, 114, 178, 50)))
    p.drawRect(QRectF(6, 6, 40, 34))
    path = QPainterPath(QPointF(30, 24))
    for x, y in ((58, 44), (45, 46), (52, 60), (46, 62), (39, 49), (30, 56)):
        path.lineTo(x, y)
    path.closeSubpath()
    p.setPen(_pen(fg, 2.5))
    p.setBrush(QBrush(QColor("#ffffff")))
    p.drawPath(path)


def _clear(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg, 4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(10, 16), QPointF(54, 16))
    p.drawLine(QPointF(25, 16), QPointF(27, 8))
    p.drawLine(QPointF(27, 8), QPointF(37, 8))
    p.drawLine(QPointF(37, 8), QPointF(39, 16))
    path = QPainterPath(QPointF(15, 16))
    path.lineTo(19, 58)
    path.lineTo(45, 58)
    path.lineTo(49, 16)
    p.drawPath(path)
    for x in (26, 32, 38):
        p.drawLine(QPointF(x, 26), QPointF(x, 49))


def _generate(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg, 3.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRoundedRect(QRectF(8, 8, 48, 48), 9, 9)
    p.setPen(Qt.PenStyle.NoPen)
    colors = (ACCENT, QColor("#E69F00"))
    for i, (x, y) in enumerate(((20, 20), (44, 20), (32, 32), (20, 44), (44, 44))):
        p.setBrush(QBrush(colors[i % 2]))
        p.drawEllipse(QPointF(x, y), 5.5, 5.5)


def _fit(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg, 4.5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
        cx, cy = 32 - sx * 24, 32 - sy * 24
        p.drawLine(QPointF(cx, cy), QPointF(cx + sx * 14, cy))
        p.drawLine(QPointF(cx, cy), QPointF(cx, cy + sy * 14))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(ACCENT))
    for x, y in ((24, 26), (36, 22), (30, 38), (42, 36)):
        p.drawEllipse(QPointF(x, y), 4.5, 4.5)


def _train(p: QPainter, fg: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#009E73")))
    path = QPainterPath(QPointF(18, 10))
    path.lineTo(54, 32)
    path.lineTo(18, 54)
    path.closeSubpath()
    p.drawPath(path)


def _pause(p: QPainter, fg: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#D55E00")))
    p.drawRoundedRect(QRectF(16, 10, 12, 44), 2, 2)
    p.drawRoundedRect(QRectF(36, 10, 12, 44), 2, 2)


def _step(p: QPainter, fg: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(fg))
    path = QPainterPath(QPointF(12, 12))
    path.lineTo(42, 32)
    path.lineTo(12, 52)
    path.closeSubpath()
    p.drawPath(path)
    p.drawRect(QRectF(44, 12, 8, 40))


def _reset(p: QPainter, fg: QColor) -> None:
    p.setPen(_pen(fg, 5))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(10, 10, 44, 44), 100 * 16, 290 * 16)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(fg))
    path = QPainterPath(QPointF(22, 2))
    path.lineTo(36, 11)
    path.lineTo(22, 20)
    path.closeSubpath()
    p.drawPath(path)


_PAINTERS = {
    "pan": _pan,
    "put": _put,
    "brush": _brush,
    "erase": _erase,
    "select": _select,
    "clear": _clear,
    "generate": _generate,
    "fit": _fit,
    "train": _train,
    "pause": _pause,
    "step": _step,
    "reset": _reset,
}


def icon(name: str, foreground: QColor | str = "#303030") -> QIcon:
    """A drawn icon by name (see `_PAINTERS`), in the given foreground colour."""
    fg = QColor(foreground)
    result = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(SIZE * scale, SIZE * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _PAINTERS[name](painter, fg)
        painter.end()
        result.addPixmap(pixmap)
    return result


def names() -> tuple[str, ...]:
    return tuple(_PAINTERS)
