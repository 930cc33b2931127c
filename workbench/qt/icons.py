"""Toolbar icons and the application icon, from the SVG files shipped in resources/.

Each toolbar SVG draws its lines in `currentColor`; `icon()` puts the theme's foreground colour there and
renders the picture at every size a toolbar or menu asks for, so the icons are crisp and follow the theme.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from workbench.core.palette import resource
from workbench.qt.theme import theme_color

ICON_FOLDER = "icons"
APP_ICON = "workbench.svg"
#: Pixel sizes rendered for each icon (menus 16, toolbars 24-32, 2x screens up to 64; the app icon larger).
SIZES = (16, 20, 24, 32, 48, 64)
APP_SIZES = (16, 24, 32, 48, 64, 128, 256)


@functools.cache
def names() -> tuple[str, ...]:
    """The names of the shipped toolbar icons (file names without `.svg`)."""
    folder = resource(ICON_FOLDER)
    return tuple(sorted(f.name[: -len(".svg")] for f in folder.iterdir() if f.name.endswith(".svg")))


@functools.cache
def svg_text(name: str) -> str:
    if name not in names():
        raise KeyError(f"no icon {name!r}; the shipped icons are {', '.join(names())}")
    return resource(ICON_FOLDER, f"{name}.svg").read_text(encoding="utf-8")


def _render(svg: str, sizes: tuple[int, ...]) -> QIcon:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise ValueError("the SVG could not be read")
    result = QIcon()
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pixmap)
    return result


def icon(name: str, foreground: QColor | str | None = None) -> QIcon:
    """The shipped icon `name` (see `names()`), its lines in `foreground` (default: the icon colour of the
    theme the application shows now, so an icon swapped later, e.g. play/pause, matches its neighbours)."""
    if foreground is None:
        app = QGuiApplication.instance()
        dark = app is not None and app.palette().window().color().lightness() < 128
        foreground = theme_color("icon", dark=dark)
    color = QColor(foreground).name(QColor.NameFormat.HexRgb)
    return _render(svg_text(name).replace("currentColor", color), SIZES)


@functools.cache
def app_icon() -> QIcon:
    """The window and application icon."""
    return _render(resource(APP_ICON).read_text(encoding="utf-8"), APP_SIZES)
