"""Live training in the main window: one call wires the controller, the training panel and the live views.

Kept apart from the controller so that the views import the controller (and the frame throttle), and this
module imports them all, with no import loop.
"""

from __future__ import annotations

from typing import Any

from workbench.qt.hidden_space_plot import HiddenSpacePlot
from workbench.qt.loss_plot import LossPlot
from workbench.qt.timeline import install_timeline
from workbench.qt.training_controller import TrainingController
from workbench.qt.training_panel import DecisionRegions, TrainingActions, TrainingPanel


def install_training(window: Any, **controller_options: Any) -> TrainingController:
    """Wire live training into the main window (`workbench.qt.main_window.MainWindow`) in one call.

    Uses the window's `document`, `canvas`, `closing` signal, `set_dock_widget(name, widget)`, its Train
    actions (`action_train_toggle`, `action_step`, `action_reset_weights`) and Train menu. Adds the training
    panel, loss and hidden-space views, decision regions on the canvas, and Step Epoch plus the region options
    to the Train menu, and the timeline under the canvas (`timeline.install_timeline`). Shutdown runs on
    `window.closing` and on QApplication.aboutToQuit.
    """
    controller = TrainingController(window.document, window, **controller_options)
    window.training = controller
    window.closing.connect(controller.shutdown)
    actions = TrainingActions(
        controller,
        window,
        start_pause=window.action_train_toggle,
        step=window.action_step,
        reset=window.action_reset_weights,
    )
    window.training_actions = actions
    window.set_training_actions_enabled(True)
    train_menu = next(
        (a.menu() for a in window.menuBar().actions() if a.menu() and a.text().replace("&", "") == "Train"),
        None,
    )
    if train_menu is None:
        train_menu = window.menuBar().addMenu("&Train")
    actions.fill_menu(train_menu)
    window.decision_regions = DecisionRegions(window.canvas, controller, window)
    window.set_dock_widget("trainingPanel", TrainingPanel(window.document, controller, actions=actions))
    window.set_dock_widget("lossPlot", LossPlot(controller))
    window.set_dock_widget("hiddenSpacePlot", HiddenSpacePlot(window.document, controller))
    install_timeline(window, controller)
    return controller


__all__ = ["install_training"]
