"""The main window: the dataset canvas in the middle, panels in docks, menus, toolbar and status bar.

The window owns the one `Document` of the open project. What happens to it as a file (New, Open, Save,
import/export, the unsaved-changes prompt, recent files, drops, crash recovery) is done by its
`FileOperations` (`window.files`, workbench/qt/file_operations.py). Every question either asks the user goes
through a small `_ask_*` / `_get_*` / `_show_*` method of the window so tests can answer them without a
blocking dialog.

Other panels plug into the docks: `set_dock_widget("networkPanel", NetworkPanel(window.document))`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.core.data.dataset import CLASS_COLORS, Dataset
from workbench.core.data.edits import ReplaceDataset, clear_points
from workbench.core.model.spec import MAX_CLASSES, NetworkSpec, TrainingSettings
from workbench.core.present.value_colors import format_value
from workbench.qt import icons
from workbench.qt.canvas import DatasetCanvas
from workbench.qt.class_panel import ClassPanel, class_key, swatch
from workbench.qt.document import Document
from workbench.qt.file_operations import FileOperations
from workbench.qt.recovery import RecoveryCandidate, RecoveryManager
from workbench.qt.theme import ThemeManager, theme_color
from workbench.qt.tools import TOOLS

APP_NAME = "Neural Network Workbench"
#: Up to this many regression points the status bar names the value of the point under the cursor.
CURSOR_VALUE_POINTS = 200_000
#: Bump when the dock layout changes incompatibly: an old saved layout is then ignored, not half-applied.
STATE_VERSION = 2
#: The status bar names each class with its count up to this many classes; beyond, only the totals.
STATUS_BAR_CLASSES = 8


@dataclass(frozen=True)
class DockInfo:
    """One dock: its content's objectName (what other code refers to), title, area and placeholder text."""

    name: str
    title: str
    area: Qt.DockWidgetArea
    placeholder: str


DOCKS: tuple[DockInfo, ...] = (
    DockInfo("classPanel", "Data", Qt.DockWidgetArea.LeftDockWidgetArea, ""),
    DockInfo(
        "trainingPanel",
        "Training",
        Qt.DockWidgetArea.LeftDockWidgetArea,
        "Training controls will appear here:\nstart/pause, learning rate, optimizer, batch size.",
    ),
    DockInfo(
        "networkPanel",
        "Network",
        Qt.DockWidgetArea.RightDockWidgetArea,
        "The network will appear here:\nlayers and neurons to edit point-and-click,\n"
        "each neuron showing what it has learned.",
    ),
    DockInfo(
        "hiddenSpacePlot",
        "Hidden Space",
        Qt.DockWidgetArea.RightDockWidgetArea,
        "The hidden-space view will appear here:\nhow a hidden layer bends the input plane.",
    ),
    DockInfo(
        "lossPlot",
        "Loss",
        Qt.DockWidgetArea.BottomDockWidgetArea,
        "Loss and accuracy curves (train and test) will appear here while training.",
    ),
)


def default_document(parent=None) -> Document:
    """What the app opens with: a two-class spiral and the default network, ready to train."""
    from workbench.core.data.generators import STARTING_DATASET, generate

    dataset = generate(STARTING_DATASET, seed=0)
    return Document(dataset, NetworkSpec(), TrainingSettings(), parent)


def default_data_dir() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)) / "recovery"


def _placeholder(text: str) -> QWidget:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setEnabled(False)
    label.setMinimumSize(120, 80)
    return label


class MainWindow(QMainWindow):
    """The application window around one document."""

    #: Emitted once when the window has agreed to close (after any save prompt): stop threads here.
    closing = Signal()

    def __init__(
        self,
        document: Document | None = None,
        *,
        settings: QSettings | None = None,
        data_dir: Path | str | None = None,
        theme: ThemeManager | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAccessibleName(APP_NAME)
        self.setWindowIcon(icons.app_icon())
        self.settings = settings if settings is not None else QSettings()
        self.document = document if document is not None else default_document()
        self.document.setParent(self)
        app = QApplication.instance()
        self.theme = theme if theme is not None else ThemeManager(app, self)
        self.setAcceptDrops(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )

        self.canvas = DatasetCanvas(self.document, self)
        # The canvas under a row for notices (e.g. "training diverged") that span the canvas's width.
        central = QWidget(self)
        central.setObjectName("centralArea")
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(0, 0, 0, 0)
        self._central_layout.setSpacing(2)
        self._central_layout.addWidget(self.canvas, 1)
        self.setCentralWidget(central)
        self.class_panel = ClassPanel(self.document, self.canvas)
        self.class_panel.generateRequested.connect(self.generate_dataset)

        self.files = FileOperations(self)
        self.actions_by_name: dict[str, QAction] = {}
        self.tool_actions: dict[str, QAction] = {}
        self.docks: dict[str, QDockWidget] = {}
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_docks()
        self._build_status_bar()

        doc = self.document
        doc.datasetChanged.connect(self._update_counts)
        doc.pathChanged.connect(self._update_title)
        doc.modifiedChanged.connect(self._update_title)
        doc.modifiedChanged.connect(self._update_action_states)
        doc.weightsReplaced.connect(self._update_action_states)
        self.canvas.cursorMoved.connect(self._show_cursor)
        self.canvas.toolChanged.connect(self._on_tool_changed)
        self.canvas.currentClassChanged.connect(self._on_class_changed)
        self.canvas.selectionChanged.connect(self._update_action_states)
        self.theme.changed.connect(self._apply_theme)

        self.recovery = RecoveryManager(self.document, data_dir or default_data_dir(), self)
        self.recovery.autosaveFailed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.recovery.start()

        self._restore_settings()
        self._apply_theme(self.theme.is_dark)
        self._update_title()
        self._update_counts()
        self._update_action_states()
        self._on_tool_changed(self.canvas.tool_name)
        self._on_class_changed(self.canvas.current_class)

    # ======================================================================================================
    # Building
    # ======================================================================================================
    def _action(
        self,
        text: str,
        slot: Callable | None = None,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        name: str | None = None,
        tip: str = "",
        icon: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
            self.actions_by_name[name] = action
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{text.replace('&', '').rstrip('…')} — {tip}")
        if icon:
            action.setData(icon)
        if slot is not None:
            action.triggered.connect(lambda *_: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        A, K, F = self._action, QKeySequence.StandardKey, self.files
        self.action_new = A("&New", F.new_document, K.New, "actionNew", "Start an empty project")
        self.action_open = A("&Open…", F.open_project, K.Open, "actionOpen", "Open a project file")
        self.action_save = A("&Save", F.save, K.Save, "actionSave", "Save the project")
        self.action_save_as = A("Save &As…", F.save_as, K.SaveAs, "actionSaveAs", "Save under a new name")
        self.action_import_csv = A(
            "&Import Data (CSV)…", F.import_csv, "Ctrl+I", "actionImportCsv", "Replace the data from a CSV"
        )
        self.action_export_csv = A(
            "&Export Data (CSV)…", F.export_csv, "Ctrl+E", "actionExportCsv", "Write the data as CSV"
        )
        self.action_export_weights = A(
            "Export &Weights…",
            F.export_weights,
            None,
            "actionExportWeights",
            "Write the network's weights (npz, safetensors, ONNX, JSON or PyTorch)",
        )
        self.action_import_weights = A(
            "Import W&eights…",
            F.import_weights,
            None,
            "actionImportWeights",
            "Load weights exported earlier (npz, safetensors or JSON) into this network (undoable)",
        )
        self.action_export_image = A(
            "Export &Image…", F.export_image, None, "actionExportImage", "Save the canvas as a PNG"
        )
        # Both need live training and its recording (`timeline.install_timeline` enables them).
        self.action_export_animation = A(
            "Export &Animation…",
            self._export_animation,
            None,
            "actionExportAnimation",
            "Write the recorded run as a GIF or MP4 for slides",
        )
        self.action_export_view_image = A(
            "Export &View Image…",
            self._export_view_image,
            None,
            "actionExportViewImage",
            "Save one view as PNG or SVG, at the step the timeline shows",
        )
        for action in (self.action_export_animation, self.action_export_view_image):
            action.setEnabled(False)
        # Explicit keys: QKeySequence.Quit is empty on some platforms (e.g. Windows, offscreen).
        self.action_quit = A("&Quit", self.close, "Ctrl+Q", "actionQuit", "Close the window")
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)

        stack = self.document.undo_stack
        self.action_undo = stack.createUndoAction(self, "&Undo")
        self.action_undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.action_undo.setObjectName("actionUndo")
        self.action_redo = stack.createRedoAction(self, "&Redo")
        # Both common redo keys, spelled out: the platform's standard Redo is Ctrl+Y on some desktops, and
        # listing it next to Ctrl+Y made Ctrl+Y ambiguous and left Ctrl+Shift+Z unbound.
        self.action_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.action_redo.setObjectName("actionRedo")
        self.actions_by_name["actionUndo"] = self.action_undo
        self.actions_by_name["actionRedo"] = self.action_redo
        self.addActions([self.action_undo, self.action_redo])
        self.action_select_all = A(
            "Select &All", self.canvas.select_all, K.SelectAll, "actionSelectAll", "Select every point"
        )
        self.action_delete = A(
            "&Delete", self.delete_selection, K.Delete, "actionDelete", "Delete the selected points"
        )
        self.action_clear = A(
            "&Clear Data",
            self.clear_data,
            "Ctrl+Shift+Backspace",
            "actionClear",
            "Remove every point",
            "clear",
        )
        self.action_generate = A(
            "&Generate Dataset…",
            self.generate_dataset,
            "Ctrl+G",
            "actionGenerate",
            "Start from a toy dataset",
            "generate",
        )
        self.action_clear.setIconText("Clear")  # toolbar labels; the menus keep the full names
        self.action_generate.setIconText("Generate")

        tool_group = QActionGroup(self)
        tool_group.setExclusive(True)
        for info in TOOLS:
            name = f"actionTool{info.label.replace(' ', '')}"
            action = A(info.label, None, info.shortcut, name, info.tip, info.name)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, name=info.name: self.canvas.set_tool(name))
            tool_group.addAction(action)
            self.tool_actions[info.name] = action
        self.class_actions = []
        class_group = QActionGroup(self)
        for c in range(MAX_CLASSES):
            action = A(
                f"Class {c + 1}",
                None,
                class_key(c),
                f"actionClass{c + 1}",
                f"Draw class {c + 1} (created if there is none yet)",
            )
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, c=c: self.pick_class(c))
            class_group.addAction(action)
            self.class_actions.append(action)

        # The task: classification or regression (Data ▸ Task), one undoable step each way.
        task_group = QActionGroup(self)
        task_group.setExclusive(True)
        self.task_actions: dict[str, QAction] = {}
        for task, label, tip in (
            ("classification", "&Classification", "Points have classes; the network predicts a class"),
            ("regression", "&Regression", "Points have values; the network predicts a number (undoable)"),
        ):
            action = A(label, None, None, f"actionTask{task.title()}", tip)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, t=task: self.set_task(t))
            task_group.addAction(action)
            self.task_actions[task] = action
        self.action_value_up = A(
            "&Higher Value", lambda: self.step_value(+1), "]", "actionValueUp", "Regression: raise the value"
        )
        self.action_value_down = A(
            "&Lower Value", lambda: self.step_value(-1), "[", "actionValueDown", "Regression: lower the value"
        )

        self.action_fit = A(
            "&Fit to Data", self.canvas.fit_to_data, "Ctrl+0", "actionFit", "Show every point", "fit"
        )
        self.action_fit.setIconText("Fit")
        self.action_reset_view = A(
            "Reset &View", self.canvas.reset_view, "Ctrl+Shift+0", "actionResetView", "Show [-6, 6]²"
        )
        self.action_reset_layout = A(
            "Reset &Layout",
            self.reset_layout,
            None,
            "actionResetLayout",
            "Put the panels back where they were",
        )
        theme_group = QActionGroup(self)
        self.theme_actions = {}
        for mode, label in (("system", "Follow &System"), ("light", "&Light"), ("dark", "&Dark")):
            action = A(label, None, None, f"actionTheme{mode.title()}", f"{label.replace('&', '')} theme")
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            theme_group.addAction(action)
            self.theme_actions[mode] = action

        # Training actions: placeholders the training panel connects (see set_training_actions_enabled).
        pending = "Training is not connected yet"
        self.action_train_toggle = A(
            "&Start Training", None, "Space", "actionTrainToggle", "Start or pause training", "train"
        )
        self.action_step = A("S&tep", None, "N", "actionStep", "Train one step", "step")
        self.action_reset_weights = A(
            "&Reset Weights", None, "Ctrl+R", "actionResetWeights", "New random weights", "reset"
        )
        self.action_train_toggle.setIconText("Train")  # toolbar label; the training panel names the state
        for action in (self.action_train_toggle, self.action_step, self.action_reset_weights):
            action.setEnabled(False)
            action.setStatusTip(f"{action.statusTip()} ({pending})")

        self.action_shortcuts = A(
            "&Keyboard Shortcuts", self.show_shortcuts, "F1", "actionShortcuts", "List every shortcut"
        )
        self.action_about = A("&About", self.show_about, None, "actionAbout", "About this program")
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.action_new, self.action_open])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("menuRecent")
        self.recent_menu.aboutToShow.connect(self.files.rebuild_recent_menu)
        self.examples_menu = file_menu.addMenu("Open E&xample")
        self.examples_menu.setObjectName("menuExamples")
        self.files.fill_examples_menu(self.examples_menu)
        file_menu.addActions([self.action_save, self.action_save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.action_import_csv, self.action_export_csv])
        file_menu.addSeparator()
        file_menu.addActions(
            [self.action_import_weights, self.action_export_weights, self.action_export_image]
        )
        file_menu.addActions([self.action_export_view_image, self.action_export_animation])
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)
        file_menu.aboutToShow.connect(self._update_action_states)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.action_undo, self.action_redo])
        edit_menu.addSeparator()
        edit_menu.addActions([self.action_select_all, self.action_delete, self.action_clear])
        edit_menu.addSeparator()
        edit_menu.addAction(self.action_generate)
        tools_menu = edit_menu.addMenu("Drawing &Tool")
        tools_menu.addActions(list(self.tool_actions.values()))
        self.class_menu = edit_menu.addMenu("Current &Class")
        self.class_menu.addActions(self.class_actions)

        data_menu = bar.addMenu("&Data")
        data_menu.setObjectName("menuData")
        self.task_menu = data_menu.addMenu("&Task")
        self.task_menu.setObjectName("menuTask")
        self.task_menu.addActions(list(self.task_actions.values()))
        data_menu.addActions([self.action_value_up, self.action_value_down])
        data_menu.addSeparator()
        data_menu.addActions([self.action_generate, self.action_import_csv])

        self.view_menu = bar.addMenu("&View")
        self._dock_actions_anchor = self.view_menu.addSeparator()
        self.view_menu.addActions([self.action_fit, self.action_reset_view])
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.action_reset_layout)
        theme_menu = self.view_menu.addMenu("&Theme")
        theme_menu.addActions(list(self.theme_actions.values()))

        train_menu = bar.addMenu("&Train")
        train_menu.addActions([self.action_train_toggle, self.action_step, self.action_reset_weights])
        # Filled by `timeline.install_timeline`; hidden until then.
        self.timeline_menu = bar.addMenu("Time&line")
        self.timeline_menu.setObjectName("menuTimeline")
        self.timeline_menu.menuAction().setVisible(False)

        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.action_shortcuts, self.action_about])

    def _build_toolbar(self) -> None:
        """Two toolbars: training first, so a narrow window never pushes Start/Pause into the overflow
        menu, then the drawing tools (icon-only when their labels do not fit, see `_fit_toolbars`)."""
        train_bar = QToolBar("Training", self)
        train_bar.setObjectName("trainingToolBar")
        train_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        train_bar.setMovable(False)
        train_bar.addActions([self.action_train_toggle, self.action_step, self.action_reset_weights])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, train_bar)
        self.train_toolbar = train_bar

        bar = QToolBar("Tools", self)
        bar.setObjectName("toolsToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        bar.addActions(list(self.tool_actions.values()))
        bar.addSeparator()
        class_label = QLabel("  Class ")
        class_label.setToolTip("The class new points get (keys 1–9, and 0 for class 10)")
        self._class_label_action = bar.addWidget(class_label)
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("classCombo")
        self.class_combo.setAccessibleName("Current class")
        self.class_combo.setToolTip("The class new points get (keys 1–9, and 0 for class 10)")
        self.class_combo.setMinimumContentsLength(8)
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.class_combo.activated.connect(self.canvas.set_current_class)
        self._class_combo_action = bar.addWidget(self.class_combo)
        bar.addSeparator()
        bar.addActions([self.action_clear, self.action_generate, self.action_fit])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar
        self._tools_text_width = 0

    def _fit_toolbars(self) -> None:
        """Drawing tools show their labels when both toolbars fit the window's width, else icons only
        (their tooltips still name them); the training toolbar keeps its labels."""
        bar = self.toolbar
        text_style = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        if bar.toolButtonStyle() == text_style:
            self._tools_text_width = bar.sizeHint().width()
        needed = self.train_toolbar.sizeHint().width() + self._tools_text_width + 24
        style = text_style if needed <= self.width() else Qt.ToolButtonStyle.ToolButtonIconOnly
        if style != bar.toolButtonStyle():
            bar.setToolButtonStyle(style)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_toolbars()

    def _build_docks(self) -> None:
        """One dock per panel. The real panels replace the placeholders with `set_dock_widget`."""
        for info in DOCKS:
            dock = QDockWidget(info.title, self)
            dock.setObjectName(f"{info.name}Dock")
            if info.name == "classPanel":
                widget: QWidget = self.class_panel
            else:
                widget = _placeholder(info.placeholder)
                widget.setObjectName(info.name)
                widget.setAccessibleName(info.title)
            dock.setWidget(widget)
            self.docks[info.name] = dock
            toggle = dock.toggleViewAction()
            toggle.setStatusTip(f"Show or hide the {info.title} panel")
            self.view_menu.insertAction(self._dock_actions_anchor, toggle)
        self._place_docks()

    def _place_docks(self) -> None:
        """The default layout: data and training on the left, network and hidden space on the right,
        loss under the canvas; the canvas gets most of the room."""
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        for info in DOCKS:
            dock = self.docks[info.name]
            dock.setFloating(False)
            self.addDockWidget(info.area, dock)
            dock.show()
        self.splitDockWidget(self.docks["classPanel"], self.docks["trainingPanel"], Qt.Orientation.Vertical)
        self.splitDockWidget(
            self.docks["networkPanel"], self.docks["hiddenSpacePlot"], Qt.Orientation.Vertical
        )
        # The network dock has room for six hidden layers, the loss curves a readable height; the Data panel
        # keeps its natural height and Training gets the rest (their size policies see to that).
        self.resizeDocks(
            [self.docks["classPanel"], self.docks["networkPanel"]], [300, 480], Qt.Orientation.Horizontal
        )
        self.resizeDocks(
            [self.docks["classPanel"], self.docks["trainingPanel"]], [350, 430], Qt.Orientation.Vertical
        )
        self.resizeDocks(
            [self.docks["networkPanel"], self.docks["hiddenSpacePlot"]], [450, 330], Qt.Orientation.Vertical
        )
        self.resizeDocks([self.docks["lossPlot"]], [240], Qt.Orientation.Vertical)

    def set_dock_widget(self, name: str, widget: QWidget) -> None:
        """Put a real panel into its dock (name = the content's objectName, e.g. "networkPanel")."""
        dock = self.docks[name]
        old = dock.widget()
        widget.setObjectName(name)
        if not widget.accessibleName():
            widget.setAccessibleName(dock.windowTitle())
        if name == "trainingPanel":  # scrolls in a short window rather than squeezing its fields flat
            scroll = QScrollArea()
            scroll.setObjectName("trainingPanelScroll")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(widget)
            scroll.setMinimumWidth(
                widget.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
            )
            dock.setWidget(scroll)
        else:
            dock.setWidget(widget)
        message_bar = getattr(widget, "message_bar", None)
        if isinstance(message_bar, QWidget):  # its own full-width row above the canvas, not in the dock
            self._central_layout.insertWidget(0, message_bar)
        self._theme_plots(self.theme.is_dark)
        if old is not None and old is not widget:
            old.setObjectName("")  # so findChild(name) finds the new panel before the old one is gone
            old.deleteLater()

    def add_central_row(self, widget: QWidget) -> None:
        """A full-width row under the canvas (the timeline)."""
        self._central_layout.addWidget(widget)

    def _export_animation(self) -> None:
        exports = getattr(self, "timeline_exports", None)
        if exports is not None:
            exports.export_animation()

    def _export_view_image(self) -> None:
        exports = getattr(self, "timeline_exports", None)
        if exports is not None:
            exports.export_view_image()

    def set_training_actions_enabled(self, enabled: bool) -> None:
        """For the training panel: enable the Train menu once its slots are connected."""
        for action in (self.action_train_toggle, self.action_step, self.action_reset_weights):
            action.setEnabled(enabled)
            action.setStatusTip(action.statusTip().split(" (")[0])

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.counts_label = QLabel()
        self.counts_label.setObjectName("pointCounts")
        self.counts_label.setTextFormat(Qt.TextFormat.RichText)
        self.cursor_label = QLabel()
        self.cursor_label.setObjectName("cursorPosition")
        self.cursor_label.setMinimumWidth(150)
        self.cursor_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        status.addPermanentWidget(self.counts_label)
        status.addPermanentWidget(self.cursor_label)

    # ======================================================================================================
    # Files: the work is done by `self.files` (workbench.qt.file_operations); these are its entry points
    # for start-up code and other panels.
    # ======================================================================================================
    def new_document(self) -> bool:
        return self.files.new_document()

    def open_project(self, path: str | Path | None = None) -> bool:
        return self.files.open_project(path)

    def save(self) -> bool:
        return self.files.save()

    def save_as(self) -> bool:
        return self.files.save_as()

    def maybe_save(self) -> bool:
        """Ask about unsaved changes; True when it is fine to replace or close the document."""
        return self.files.maybe_save()

    def check_recovery(self) -> bool:
        """Offer what crashed sessions left behind; True if a project was restored."""
        return self.files.check_recovery()

    def _show_all_data(self) -> None:
        """After generating data: keep the default view if it shows everything, otherwise fit to the data."""
        self.canvas.reset_view()
        x0, x1, y0, y1 = self.document.dataset.bounds(margin=0.0)
        vx0, vx1, vy0, vy1 = self.canvas.visible_range()
        if x0 < vx0 or x1 > vx1 or y0 < vy0 or y1 > vy1:
            self.canvas.fit_to_data()

    # --- drag and drop ------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if self.files.dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = self.files.dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        # Open after the drop returns, so a message box does not run inside the drag-and-drop loop.
        QTimer.singleShot(0, lambda: self.open_project(path))

    # ======================================================================================================
    # Editing
    # ======================================================================================================
    def delete_selection(self) -> None:
        count = self.canvas.delete_selection()
        if count:
            self.statusBar().showMessage(f"Deleted {count} points", 3000)

    def clear_data(self) -> None:
        count = len(self.document.dataset)
        if count:
            self.document.apply_edit(clear_points(self.document.dataset))
            self.statusBar().showMessage(f"Cleared {count} points (Undo brings them back)", 5000)

    def generate_dataset(self) -> None:
        result = self._run_generator_dialog()
        if result is None:
            return
        dataset, mode = result
        from workbench.qt.generator_dialog import GeneratorDialog, merge_datasets

        if mode == GeneratorDialog.ADD:
            new = merge_datasets(self.document.dataset, dataset)
            self.document.apply_edit(ReplaceDataset(new, description="Add generated points"))
        else:
            self.document.apply_edit(ReplaceDataset(dataset, description="Generate dataset"))
        self._show_all_data()

    # ======================================================================================================
    # View
    # ======================================================================================================
    def reset_layout(self) -> None:
        self._place_docks()
        self.statusBar().showMessage("Panels are back in their default places", 3000)

    def set_theme(self, mode: str) -> None:
        self.theme.set_mode(mode)
        self.settings.setValue("theme", self.theme.mode)
        self.theme_actions[self.theme.mode].setChecked(True)

    def _apply_theme(self, dark: bool) -> None:
        self.canvas.set_dark(dark)
        self._theme_plots(dark)
        fg = theme_color("icon", dark)
        for action in self.findChildren(QAction):
            name = action.data()
            if isinstance(name, str) and name in icons.names():
                action.setIcon(icons.icon(name, fg))
        self._update_counts()

    def _theme_plots(self, dark: bool) -> None:
        """Give the docks' plots (loss, hidden space) the theme's background and axis colours."""
        fg = theme_color("plot_foreground", dark)
        for view in self.findChildren(pg.GraphicsView):
            if view is self.canvas:
                continue
            view.setBackground(theme_color("plot_background", dark))
            for item in view.scene().items():
                if isinstance(item, pg.AxisItem):
                    item.setPen(fg)
                    item.setTextPen(fg)
                elif isinstance(item, pg.LegendItem):
                    item.setBrush(pg.mkBrush(theme_color("legend_background", dark)))
                    item.setLabelTextColor(fg)
                    for _sample, label in item.items:
                        label.setText(label.text)  # re-render with the new colour

    def show_shortcuts(self) -> None:
        rows = []
        seen = set()
        for action in self.findChildren(QAction):
            keys = action.shortcuts()
            text = action.text().replace("&", "").rstrip("…")
            if not keys or not text or text in seen:
                continue
            seen.add(text)
            key_text = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
            rows.append(f"<tr><td>{text}</td><td><b>{key_text}</b></td></tr>")
        extra = (
            "<tr><td>Pan / zoom the canvas</td><td><b>right or middle drag, mouse wheel</b></td></tr>"
            "<tr><td>Add to the selection</td><td><b>Shift + drag</b></td></tr>"
        )
        self._show_info("Keyboard Shortcuts", f"<table cellspacing=6>{''.join(rows)}{extra}</table>")

    def show_about(self) -> None:
        self._show_info(
            f"About {APP_NAME}",
            f"<h3>{APP_NAME}</h3><p>Draw a 2D dataset, build a neural network point-and-click and watch "
            "it learn.</p><p>Points are filled for training data and hollow for test data.</p>",
        )

    # ======================================================================================================
    # Prompts: every question to the user goes through one of these (tests replace them)
    # ======================================================================================================
    def _ask_save_changes(self) -> str:
        """ "save", "discard" or "cancel"."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(APP_NAME)
        box.setText(f"Save the changes to {self.document.display_name}?")
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

    def _ask_restore(self, candidate: RecoveryCandidate) -> bool | None:
        """True to restore, False to discard, None to keep the file for later."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recover Unsaved Work")
        box.setText("The last session ended unexpectedly. Restore its unsaved work?")
        box.setInformativeText(candidate.description)
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(restore)
        box.exec()
        clicked = box.clickedButton()
        return True if clicked is restore else False if clicked is discard else None

    def _show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def _show_info(self, title: str, html: str) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        label = QLabel(html)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        QVBoxLayout(dialog).addWidget(label)
        dialog.show()

    def _get_open_path(self, caption: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, caption, self.files.last_folder(), filters)
        return path or None

    def _get_save_path(self, caption: str, filters: str, suggested: str) -> str | None:
        answer = self._get_save_file(caption, filters, suggested)
        return answer[0] if answer else None

    def _get_save_file(self, caption: str, filters: str, suggested: str) -> tuple[str, str] | None:
        """(path, chosen filter), or None when cancelled."""
        path, chosen = QFileDialog.getSaveFileName(self, caption, suggested, filters)
        return (path, chosen) if path else None

    def _run_generator_dialog(self) -> tuple[Dataset, str] | None:
        from workbench.qt.generator_dialog import GeneratorDialog

        dialog = GeneratorDialog(self.document.dataset, self)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.dataset() is None:
                return None
            return dialog.dataset(), dialog.mode
        finally:
            dialog.deleteLater()

    # ======================================================================================================
    # State shown in the chrome
    # ======================================================================================================
    def _update_title(self, *_: object) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_modified)

    def _update_counts(self) -> None:
        dataset = self.document.dataset
        self._show_task()
        if dataset.is_regression:  # values, not classes: how many and their range
            assert dataset.targets is not None
            n_test = int(dataset.is_test.sum())
            values = (
                f" with values {format_value(float(dataset.targets.min()))} to "
                f"{format_value(float(dataset.targets.max()))}"
                if len(dataset)
                else ""
            )
            self.counts_label.setText(
                f"<b>{len(dataset)}</b> points{values}&nbsp;·&nbsp;{len(dataset) - n_test} train / "
                f"{n_test} test"
            )
            self.counts_label.setToolTip("Regression: each point has a target value")
            self._update_action_states()
            return
        counts = dataset.class_counts()
        parts = [
            f"<span style='color:{CLASS_COLORS[c]}; font-size:14px'>●</span>&nbsp;{_escape(name)}: "
            f"<b>{counts[c]}</b>"
            for c, name in enumerate(dataset.class_names)
        ]
        n_test = int(dataset.is_test.sum())
        split = f"&nbsp;·&nbsp;{len(dataset) - n_test} train / {n_test} test"
        # Past eight classes the names and counts would run off the window's edge: the bar then says how
        # many, and the tooltip lists every class (the class panel shows them all too).
        if len(parts) > STATUS_BAR_CLASSES:
            self.counts_label.setText(f"<b>{len(dataset)}</b> points in {len(parts)} classes{split}")
        else:
            self.counts_label.setText("&nbsp;&nbsp;".join([*parts, split]))
        self.counts_label.setToolTip("<br>".join(parts))
        self._update_class_combo()
        self._update_action_states()

    def _update_action_states(self, *_: object) -> None:
        doc = self.document
        has_points = len(doc.dataset) > 0
        self.action_clear.setEnabled(has_points)
        self.action_export_csv.setEnabled(has_points)
        self.action_select_all.setEnabled(has_points)
        self.action_delete.setEnabled(len(self.canvas.selection) > 0)

    def set_task(self, task: str) -> None:
        """Data ▸ Task: switch between classification and regression (one undo step, see
        `Document.set_task`)."""
        if self.document.set_task(task):
            what = "values (the class numbers)" if task == "regression" else "classes"
            self.statusBar().showMessage(f"The points now have {what}; Undo switches back", 6000)
        self._show_task()

    def _show_task(self) -> None:
        """Check the current task and offer what suits it: a value in regression, classes otherwise."""
        regression = self.document.dataset.is_regression
        self.task_actions["regression" if regression else "classification"].setChecked(True)
        self.tool_actions["value"].setEnabled(regression)
        if not regression and self.canvas.tool_name == "value":
            self.canvas.set_tool("brush")
        for action in (self.action_value_up, self.action_value_down):
            action.setEnabled(regression)
        self._class_label_action.setVisible(not regression)
        self._class_combo_action.setVisible(not regression)
        self.class_menu.setEnabled(not regression)

    def step_value(self, direction: int) -> None:
        """Keys ] and [: the value of new points up or down by a tenth of the colour scale."""
        if not self.document.dataset.is_regression:
            return
        canvas = self.canvas
        step = canvas.value_range / 10.0
        canvas.set_current_value(round((round(canvas.current_value / step) + direction) * step, 9))
        self.statusBar().showMessage(f"Value of new points: {format_value(canvas.current_value)}", 2000)

    def pick_class(self, index: int) -> None:
        """Keys 1-9 and 0 (class 10): draw with that class; a class that does not exist yet is created, as
        "+ Add" would (undoable), so the key never silently does nothing."""
        if self.document.dataset.is_regression:
            self.statusBar().showMessage(
                "Regression points have values, not classes: pick the value in the Data panel ([ and ] "
                "step it), or switch Data ▸ Task to Classification",
                6000,
            )
            return
        added = self.class_panel.ensure_class(index)
        if added:
            names = self.document.dataset.class_names
            what = f"class {names[index]!r}" if added == 1 else f"{added} classes up to {names[index]!r}"
            self.statusBar().showMessage(
                f"Added {what} (Undo removes {'it' if added == 1 else 'them'})", 5000
            )
        self._on_class_changed(self.canvas.current_class)

    def _show_cursor(self, x: float, y: float) -> None:
        text = f"x = {x:+.2f}   y = {y:+.2f}"
        dataset = self.document.dataset
        # Regression: the value of the point under the cursor (a point is ~8 px across: within 6 px it is
        # the one pointed at). Skipped for huge datasets, where the search would cost milliseconds per move.
        if dataset.targets is not None and 0 < len(dataset) <= CURSOR_VALUE_POINTS:
            distance = np.hypot(dataset.points[:, 0] - x, dataset.points[:, 1] - y)
            nearest = int(np.argmin(distance))
            if distance[nearest] <= 6 * self.canvas.pixel_size():
                text += f"   value = {format_value(float(dataset.targets[nearest]))}"
        self.cursor_label.setText(text)

    def _on_tool_changed(self, name: str) -> None:
        if name in self.tool_actions:
            self.tool_actions[name].setChecked(True)
            self.statusBar().showMessage(self.tool_actions[name].statusTip(), 4000)

    def _on_class_changed(self, index: int) -> None:
        if 0 <= index < len(self.class_actions):
            self.class_actions[index].setChecked(True)
        if index < self.class_combo.count():
            self.class_combo.setCurrentIndex(index)

    def _update_class_combo(self) -> None:
        names = self.document.dataset.class_names
        combo = self.class_combo
        combo.blockSignals(True)
        if [combo.itemText(i) for i in range(combo.count())] != list(names):
            combo.clear()
            for c, name in enumerate(names):
                combo.addItem(swatch(CLASS_COLORS[c]), name)
        combo.setCurrentIndex(min(self.canvas.current_class, len(names) - 1))
        combo.blockSignals(False)

    # ======================================================================================================
    # Settings and closing
    # ======================================================================================================
    def _restore_settings(self) -> None:
        s = self.settings
        theme = s.value("theme", "system")
        self.theme.set_mode(theme if isinstance(theme, str) else "system")
        self.theme_actions[self.theme.mode].setChecked(True)
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1400, 900)
        version = s.value("window/stateVersion", 0)
        state = s.value("window/state")
        if _as_int(version) == STATE_VERSION and isinstance(state, QByteArray | bytes) and state:
            self.restoreState(QByteArray(state), STATE_VERSION)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(STATE_VERSION))
        s.setValue("window/stateVersion", STATE_VERSION)
        s.setValue("theme", self.theme.mode)
        s.sync()

    def close_after_interrupt(self) -> None:
        """Ctrl+C in the terminal: close like the close button, but without a question nobody may be there
        to answer; unsaved work is written as recovery data, offered again at the next start."""
        self._interrupted = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        interrupted = getattr(self, "_interrupted", False)
        if interrupted:
            self.recovery.save_now()  # only when modified
        elif not self.maybe_save():
            event.ignore()
            return
        self.closing.emit()
        self.save_settings()
        self.recovery.shutdown(keep_autosave=interrupted)
        event.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _as_int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


__all__ = ["DOCKS", "MainWindow", "default_document"]
