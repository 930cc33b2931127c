"""Light and dark themes: the Fusion style with a matching palette, following the system by default.

Plots cannot read a palette, so `ThemeManager.changed(dark)` tells them (the canvas, the panels) to recolour.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

MODES = ("system", "light", "dark")


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    palette = QPalette()
    window, base, text = QColor("#2b2d31"), QColor("#1f2125"), QColor("#e4e4e4")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#303238"),
        QPalette.ColorRole.ToolTipBase: QColor("#3a3d44"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor("#8a8d93"),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#35383e"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Highlight: QColor("#2f7fc1"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#56B4E9"),
        QPalette.ColorRole.Light: QColor("#45484f"),
        QPalette.ColorRole.Midlight: QColor("#3a3d44"),
        QPalette.ColorRole.Mid: QColor("#25272b"),
        QPalette.ColorRole.Dark: QColor("#1a1b1e"),
        QPalette.ColorRole.Shadow: QColor("#000000"),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    disabled = QColor("#7b7e84")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


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
