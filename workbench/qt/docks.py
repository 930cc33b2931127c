"""Adding a panel's dock to the main window the one way every installer does it.

Why one function: the Gradient Flow, Predicted vs Actual, Loss Surface and Backprop panels each repeated the
same dozen lines (dock, tab group, front tab, View menu entry), and a third panel joining a tab group is where
Qt's left-over tab bars came from (see `app.hide_left_over_tab_bars`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QWidget


def add_tabbed_dock(
    window: Any,
    widget: QWidget,
    title: str,
    name: str,
    *,
    beside: str,
    area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
    status_tip: str | None = None,
    keep_in_front: bool = True,
) -> QDockWidget:
    """A dock ``{name}Dock`` holding `widget`, tabbed with the window's dock `beside` (which stays the front
    tab unless `keep_in_front` is False), registered in ``window.docks[name]`` and listed in the View menu
    with the other panels."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"{name}Dock")
    if not widget.accessibleName():
        widget.setAccessibleName(title)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    docks = getattr(window, "docks", None)
    if docks is not None:
        if beside in docks:
            window.tabifyDockWidget(docks[beside], dock)
            if keep_in_front:
                docks[beside].raise_()
        docks[name] = dock
    menu = getattr(window, "view_menu", None)
    if menu is not None:
        toggle = dock.toggleViewAction()
        toggle.setStatusTip(status_tip or f"Show or hide the {title} panel")
        menu.insertAction(getattr(window, "_dock_actions_anchor", None), toggle)
    return dock
