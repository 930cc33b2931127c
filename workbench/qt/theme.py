"""Light and dark themes: the Fusion style with a matching palette, following the system by default.

Plots cannot read a palette, so `ThemeManager.changed(dark)` tells them (the canvas, the panels) to recolour.
"""

from __future__ import annotations

import functools
import re

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from workbench.core.palette import palette, resource, rgba

MODES = ("system", "light", "dark")
STYLE_FOLDER = "styles"

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


def qcolor(color: str) -> QColor:
    """A palette colour ('#RRGGBB' or '#RRGGBBAA', alpha last) as a QColor."""
    return QColor(*rgba(color))


def view_color(name: str) -> QColor:
    """A named colour of the views (palette.json, "views")."""
    return qcolor(palette().views[name])


def theme_color(name: str, dark: bool) -> QColor | None:
    """A named colour of the light or dark theme (palette.json, "themes"); None where the theme has none."""
    value = palette().theme(dark)[name]
    return None if value is None else qcolor(value)


def _css(color: str) -> str:
    r, g, b, a = rgba(color)
    return f"rgba({r}, {g}, {b}, {a})" if a < 255 else f"#{r:02x}{g:02x}{b:02x}"


@functools.cache
def style_sheet(name: str) -> str:
    """The shipped style sheet `styles/<name>.qss`, its `{{colour}}` placeholders filled from the palette."""
    text = resource(STYLE_FOLDER, f"{name}.qss").read_text(encoding="utf-8")
    colors = palette().views

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in colors:
            raise KeyError(f"style sheet {name}.qss: no colour {key!r} in the palette's views")
        return _css(colors[key])

    return _PLACEHOLDER.sub(fill, text)


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    """The dark window palette (palette.json, "dark_window"; its "Disabled" colour is for disabled text)."""
    colors = dict(palette().dark_window)
    disabled = qcolor(colors.pop("Disabled"))
    result = QPalette()
    for role, color in colors.items():
        result.setColor(QPalette.ColorRole[role], qcolor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        result.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return result


class ThemeManager(QObject):
    """Applies the chosen mode ("system", "light" or "dark") and reports whether the result is dark."""

    changed = Signal(bool)

    def __init__(self, app: QApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._mode = "system"
        self._dark = False
        app.setStyle("Fusion")
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_changed)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def is_dark(self) -> bool:
        return self._dark

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            mode = "system"
        self._mode = mode
        self._apply()

    def _on_system_changed(self, *_: object) -> None:
        if self._mode == "system":
            self._apply()

    def _apply(self) -> None:
        dark = self._mode == "dark" or (self._mode == "system" and system_prefers_dark())
        self._app.setPalette(dark_palette() if dark else self._app.style().standardPalette())
        self._dark = dark
        self.changed.emit(dark)
