"""Start the desktop application: `workbench` with no arguments ends up here."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

ORGANISATION = "Workbench"
APPLICATION = "Neural Network Workbench"


def install_panels(window) -> None:
    """Put the real panels into the main window's docks (each panel's module offers one entry point), then
    connect the network panel to live training, the canvas and the hidden-space view."""
    from workbench.qt.live_network import install_live_network
    from workbench.qt.live_training import install_training
    from workbench.qt.network_panel import NetworkPanel

    panel = NetworkPanel(window.document)
    window.set_dock_widget("networkPanel", panel)
    controller = install_training(window)
    install_live_network(window, panel, controller)


def main(argv: list[str] | None = None) -> int:
    """Create the application and the main window, open a project given on the command line, run."""
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    from workbench.core.trainer_process import limit_blas_threads

    limit_blas_threads()  # before any numpy work: a multi-threaded BLAS is slower for these sizes
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)

    from workbench.qt.main_window import MainWindow
    from workbench.qt.theme import ThemeManager

    theme = ThemeManager(app)
    window = MainWindow(theme=theme)
    install_panels(window)
    window.show()
    paths = [a for a in argv[1:] if not a.startswith("-")]

    def _after_start() -> None:
        if not window.check_recovery() and paths:
            window.open_project(paths[0])

    QTimer.singleShot(0, _after_start)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
