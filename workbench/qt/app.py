"""Start the desktop application: `workbench` with no arguments (or with a file to open) ends up here."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

ORGANISATION = "Workbench"
APPLICATION = "Neural Network Workbench"


def install_panels(window) -> None:
    """Put the real panels into the main window's docks (each panel's module offers one entry point), then
    connect the network panel to live training, the canvas and the hidden-space view."""
    from workbench.qt.backprop_inspector import install_backprop_inspector
    from workbench.qt.comparison_window import install_comparison
    from workbench.qt.gradient_plot import install_gradients
    from workbench.qt.lesson_panel import install_lessons
    from workbench.qt.live_network import install_live_network
    from workbench.qt.live_training import install_training
    from workbench.qt.loss_landscape import install_landscape
    from workbench.qt.network_panel import NetworkPanel
    from workbench.qt.prediction_scatter import install_prediction_scatter

    panel = NetworkPanel(window.document)
    window.set_dock_widget("networkPanel", panel)
    controller = install_training(window)
    install_live_network(window, panel, controller)
    install_comparison(window)
    install_landscape(window)
    install_backprop_inspector(window)
    install_gradients(window)
    install_prediction_scatter(window)
    install_lessons(window)
    # The tabs each installer added sit behind the views a window opens with: hidden space and loss curves.
    for name in ("hiddenSpacePlot", "lossPlot"):
        if name in window.docks:
            window.docks[name].raise_()
    hide_left_over_tab_bars(window)
    # Training stopped on its own (out of memory, settings it cannot use): it is paused; say why.
    controller.failed.connect(lambda message: window._show_error("Training Paused", message))


def hide_left_over_tab_bars(window) -> None:
    """Hide the dock tab bars Qt left behind while the panels were tabified one by one.

    Adding a third dock to a tab group makes a new tab bar and leaves the old one (with the first two tabs)
    shown, stacked exactly under the new one; once a dock moves (the lesson panel opening, a dock dragged)
    it stays at its old place over another panel. Qt never uses it again, and a live bar always holds
    every tab of its group, so a bar whose tabs are a strict subset of another's is such a leftover.
    """
    from PySide6.QtWidgets import QTabBar

    bars = [bar for bar in window.findChildren(QTabBar) if bar.parent() is window and not bar.isHidden()]
    tabs = {bar: {bar.tabText(i) for i in range(bar.count())} for bar in bars}
    for bar in bars:
        if any(tabs[bar] < tabs[other] for other in bars if other is not bar):
            bar.hide()


class InterruptHandler(QObject):
    """Ctrl+C in the terminal closes the window like its close button (`MainWindow.close_after_interrupt`),
    instead of a KeyboardInterrupt traceback.

    Python runs signal handlers only between bytecodes, and the Qt event loop runs none while idle, so the
    C-level handler's wake-up byte (`signal.set_wakeup_fd`) goes to a socket that a QSocketNotifier watches:
    the event loop wakes up and Python gets to run the handler at once.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._receiver, self._sender = socket.socketpair()
        for end in (self._receiver, self._sender):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._receiver.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_fd = signal.set_wakeup_fd(self._sender.fileno(), warn_on_full_buffer=False)
        self._previous_handler = signal.signal(signal.SIGINT, self._on_interrupt)

    def _on_interrupt(self, signum: int, frame: object) -> None:
        QTimer.singleShot(0, self._window.close_after_interrupt)  # out of the signal handler first

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            self._receiver.recv(512)

    def uninstall(self) -> None:
        """Put the previous handler back (tests; the application just exits)."""
        if self._notifier is None:
            return
        signal.signal(signal.SIGINT, self._previous_handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._notifier = None
        self._receiver.close()
        self._sender.close()


def main(argv: list[str] | None = None) -> int:
    """Create the application and the main window, open a project or CSV given on the command line, run."""
    argv = list(sys.argv if argv is None else [sys.argv[0], *argv])
    from workbench.core.training.trainer_process import limit_blas_threads

    limit_blas_threads()  # before any numpy work: a multi-threaded BLAS is slower for these sizes
    existing = QApplication.instance()
    app = existing or QApplication(argv)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    from workbench.qt.icons import app_icon

    app.setWindowIcon(app_icon())

    from workbench.qt.main_window import MainWindow
    from workbench.qt.theme import ThemeManager

    theme = ThemeManager(app)
    window = MainWindow(theme=theme)
    install_panels(window)
    interrupts = InterruptHandler(window)
    window.show()
    # A new QApplication has taken its own options (-platform ...) out of its arguments.
    arguments = argv[1:] if existing is not None else app.arguments()[1:]
    paths = [a for a in arguments if not a.startswith("-")]

    def _after_start() -> None:
        if not window.check_recovery() and paths:
            window.open_project(paths[0])

    QTimer.singleShot(0, _after_start)
    try:
        return app.exec()
    finally:
        interrupts.uninstall()


if __name__ == "__main__":
    raise SystemExit(main())
