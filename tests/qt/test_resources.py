"""The shipped icons, style sheets and palette reach the window: every toolbar icon loads and follows the
theme, the window has an icon, and the style sheets colour what they should."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QAction, QColor, QPalette

from workbench.core.palette import palette, resource
from workbench.qt import icons
from workbench.qt.theme import qcolor, style_sheet, theme_color


def _icon_colors(icon, size: int = 32) -> set[str]:
    """The opaque colours of an icon's pixels (names like '#dcdcdc')."""
    image = icon.pixmap(QSize(size, size)).toImage()
    return {
        image.pixelColor(x, y).name()
        for x in range(image.width())
        for y in range(image.height())
        if image.pixelColor(x, y).alpha() == 255
    }


def test_every_icon_the_window_uses_is_a_shipped_svg_and_loads(window) -> None:
    used = {a.data() for a in window.findChildren(QAction) if isinstance(a.data(), str) and a.data()}
    assert {"pan", "put", "brush", "erase", "select", "train", "step", "reset"} <= used
    shipped = {f.name for f in resource("icons").iterdir()}
    for name in sorted(used):
        assert f"{name}.svg" in shipped, f"the window uses icon {name!r}, which resources/icons lacks"
        assert not icons.icon(name).isNull()
    for action in window.findChildren(QAction):
        if action.data() in used:
            assert not action.icon().isNull(), action.objectName()
    # The start/pause toggle needs both pictures.
    assert {"train", "pause"} <= set(icons.names())


def test_icons_are_drawn_in_the_theme_colour(window, qtbot) -> None:
    pan = window.tool_actions["pan"]
    window.set_theme("light")
    light = _icon_colors(pan.icon())
    window.set_theme("dark")
    dark = _icon_colors(pan.icon())
    window.set_theme("light")
    assert theme_color("icon", dark=True).name() in dark
    assert theme_color("icon", dark=False).name() in light
    assert theme_color("icon", dark=True).name() not in light


def test_an_icon_is_rendered_for_each_toolbar_size_not_scaled_from_one_picture() -> None:
    sizes = {(s.width(), s.height()) for s in icons.icon("step").availableSizes()}
    assert {(16, 16), (24, 24), (32, 32)} <= sizes


def test_the_window_and_application_have_the_shipped_icon(window) -> None:
    assert not window.windowIcon().isNull()
    assert not icons.app_icon().isNull()
    colors = _icon_colors(icons.app_icon(), 64)
    assert qcolor(palette().classes[0]).name() in colors


def test_every_style_sheet_loads_with_its_colours_filled_in() -> None:
    sheets = sorted(f.name[: -len(".qss")] for f in resource("styles").iterdir() if f.name.endswith(".qss"))
    assert len(sheets) >= 6
    for name in sheets:
        text = style_sheet(name)
        assert "{{" not in text and "}}" not in text, name


def test_the_network_panel_shows_errors_in_the_palette_error_colour(qtbot) -> None:
    from workbench.qt.main_window import default_document
    from workbench.qt.network_panel import NetworkPanel

    panel = NetworkPanel(default_document())
    qtbot.addWidget(panel)
    panel._show_status("Not changed: too wide.", error=True)
    panel.status_label.ensurePolished()
    shown = panel.status_label.palette().color(QPalette.ColorRole.WindowText)
    assert shown == qcolor(palette().views["error_text"])
    panel._show_status("Kept the smaller network.")
    panel.status_label.ensurePolished()
    assert panel.status_label.palette().color(QPalette.ColorRole.WindowText) != QColor(shown)
