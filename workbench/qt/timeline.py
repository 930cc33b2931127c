"""The timeline under the views: scrub back through the recorded run, continue from any recorded moment.

What a user sees: a slider (`timelineSlider`) whose positions are the run's recorded snapshots, left to right,
and one more position at the right end, "live". At "live" the views follow training as always. Anywhere else
the decision regions, the neuron thumbnails, the hidden space and a cursor on the curves show that recorded
moment, and the bar says so in its own colour ("Viewing step 120 of 1,234"), with "Back to live" beside it.

Why positions are records and not steps: the recording is dense early and sparse later, where little changes;
one slider position per record gives the first few hundred steps, where a network "gets it", most of the
slider's length.

Training and scrubbing: looking back pauses nothing. Training keeps running (its curves keep growing, the
training panel keeps counting), while the views stay at the chosen moment until "Back to live" (or the
slider's right end, or Alt+End). A new run (reset, open, new architecture, "Continue from here") brings the
views back to live, since the old records belong to another run.

The pictures of a recorded moment are computed by the view-frame worker from the record's weights
(`view_frame_worker.ViewAt`), never on the GUI thread: moving the slider only posts a message. Only the newest
one counts, so dragging never queues up stale frames.

"Continue from here" calls `document.continue_from(step)` (one undoable step: the weights become the
recorded ones and training continues from there as a new branch of the run).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.palette import palette
from workbench.qt.view_frame_worker import ViewAt

#: The colour of "looking back": the bar's frame, its state text and the curves' cursor.
CURSOR_COLOR = palette().views["timeline_cursor"]


def _number(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def _percent(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{100 * value:.0f} %"


class TimelineBar(QWidget):
    """The slider over the recorded run, its state ("Live" / "Viewing step k") and its two buttons.

    Reads `document.recording` (a frozen Recording or None) and follows `document.recordingChanged`; shows a
    recorded moment by posting `ViewAt` to `controller.view_worker`.
    """

    #: The recorded step the views show now, or None when they follow training live.
    shownStepChanged = Signal(object)

    def __init__(self, document: Any, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._document = document
        self._controller = controller
        self._recording: Any = None
        self._first_serial: int | None = None
        self._record: Any = None  # the recorded moment shown; None: live
        self._live_step = int(getattr(document, "step", 0))

        self.title = QLabel("Timeline")
        self.title.setObjectName("timelineTitle")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setAccessibleName("Timeline of the recorded run")
        self.slider.setToolTip(
            "Drag back through the recorded run: the views show the network as it was then.\n"
            "The right end is live. Alt+Left / Alt+Right step through the records, Alt+End goes live."
        )
        self.slider.setTracking(True)
        self.slider.setPageStep(10)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.state = QLabel()
        self.state.setObjectName("timelineState")
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens

        self.action_earlier = QAction("Earlier Record", self)
        self.action_earlier.setObjectName("actionTimelineEarlier")
        self.action_earlier.setShortcut(QKeySequence("Alt+Left"))
        self.action_earlier.setStatusTip("Show the previous recorded moment of the run")
        self.action_earlier.triggered.connect(self.step_back)
        self.action_later = QAction("Later Record", self)
        self.action_later.setObjectName("actionTimelineLater")
        self.action_later.setShortcut(QKeySequence("Alt+Right"))
        self.action_later.setStatusTip("Show the next recorded moment of the run (after the last: live)")
        self.action_later.triggered.connect(self.step_forward)
        self.action_live = QAction("Back to Live", self)
        self.action_live.setObjectName("actionTimelineLive")
        self.action_live.setShortcut(QKeySequence("Alt+End"))
        self.action_live.setStatusTip("The views follow training again")
        self.action_live.triggered.connect(self.go_live)
        self.action_continue = QAction("Continue from Here", self)
        self.action_continue.setObjectName("actionContinueFromHere")
        self.action_continue.setStatusTip(
            "Go back to the shown recorded moment and train on from there (Undo returns)"
        )
        self.action_continue.triggered.connect(self.continue_here)
        #: Installed on the window (their shortcuts work wherever the focus is) and in its Timeline menu.
        self.actions_list = [self.action_earlier, self.action_later, self.action_live, self.action_continue]

        self.live_button = QToolButton()
        self.live_button.setObjectName("timelineLiveButton")
        self.live_button.setDefaultAction(self.action_live)
        self.live_button.setText("Back to live")
        self.continue_button = QToolButton()
        self.continue_button.setObjectName("timelineContinueButton")
        self.continue_button.setDefaultAction(self.action_continue)
        self.continue_button.setText("Continue from here")

        # Two rows, so that the slider gets the canvas's whole width: the slider between its ends ("first
        # recorded step" ... "live"), then what the views show and the two buttons.
        self.live_end = QLabel("live")
        self.live_end.setObjectName("timelineLiveEnd")
        self.live_end.setToolTip("The slider's right end: the views follow training")
        slider_row = QHBoxLayout()
        slider_row.setSpacing(6)
        slider_row.addWidget(self.title)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.live_end)
        state_row = QHBoxLayout()
        state_row.setSpacing(6)
        state_row.addWidget(self.state, 1)
        state_row.addWidget(self.live_button)
        state_row.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 6, 3)
        layout.setSpacing(0)
        layout.addLayout(slider_row)
        layout.addLayout(state_row)

        changed = getattr(document, "recordingChanged", None)
        if changed is not None:
            changed.connect(self.refresh)
        document.specChanged.connect(self._on_spec_changed)
        if controller is not None:
            controller.frameArrived.connect(self._on_frame)
        self.refresh()

    # --- state ------------------------------------------------------------------------------------------
    @property
    def recording(self) -> Any:
        """The recording the slider walks through (frozen), or None before anything was recorded."""
        return self._recording

    @property
    def shown_record(self) -> Any:
        """The recorded moment the views show, or None when live."""
        return self._record

    @property
    def shown_step(self) -> int | None:
        return None if self._record is None else int(self._record.step)

    @property
    def is_live(self) -> bool:
        return self._record is None

    # --- commands ---------------------------------------------------------------------------------------
    def show_record(self, record: Any) -> None:
        """Show the recorded moment `record` (of the current recording) in every view."""
        recording = self._recording
        if recording is None or record is None:
            self.go_live()
            return
        changed = record is not self._record
        self._record = record
        self._post(ViewAt(record, recording.spec))
        self._sync_slider()
        self._update_state()
        if changed:
            self.shownStepChanged.emit(int(record.step))

    def show_step(self, step: int) -> None:
        """Show the recorded moment nearest to training step `step`."""
        if self._recording is not None and len(self._recording):
            self.show_record(self._recording.nearest(int(step)))

    def show_index(self, index: int) -> None:
        """Show the `index`-th record (0 = the first); the count of records (or more) means live."""
        recording = self._recording
        if recording is None or index >= len(recording):
            self.go_live()
        else:
            self.show_record(recording[max(0, int(index))])

    @Slot()
    def go_live(self) -> None:
        """The views follow training again."""
        was_live = self._record is None
        self._record = None
        self._post(ViewAt(None, None))
        self._sync_slider()
        self._update_state()
        if not was_live:
            self.shownStepChanged.emit(None)

    @Slot()
    def step_back(self) -> None:
        """One record earlier (from live: the latest record)."""
        if self._recording is not None and len(self._recording):
            self.show_index(max(0, self._index() - 1))

    @Slot()
    def step_forward(self) -> None:
        """One record later (after the last one: live)."""
        if self._record is not None:
            self.show_index(self._index() + 1)

    @Slot()
    def continue_here(self) -> bool:
        """Replace the weights with the shown recorded ones and train on from there (undoable)."""
        record = self._record
        if record is None:
            return False
        step = int(record.step)
        try:
            self._document.continue_from(step)
        except (ValueError, LookupError) as exc:  # StepNotRecorded, weights that no longer fit
            text = f"Cannot continue from step {step:,}:\n\n{exc}"
            QMessageBox.warning(self.window(), "Cannot Continue", text)
            return False
        self.go_live()
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(f"Continued from step {step:,} (Undo goes back)", 6000)
        return True

    # --- document and frames -> the bar -----------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Take the document's recording: a new run (other first record) brings the views back to live."""
        recording = getattr(self._document, "recording", None)
        first = recording.first if recording is not None and len(recording) else None
        serial = None if first is None else first.serial
        new_run = serial != self._first_serial
        self._recording = recording if recording is not None and len(recording) else None
        self._first_serial = serial
        if new_run and self._record is not None:
            self.go_live()
            return
        self._sync_slider()
        self._update_state()

    @Slot()
    def _on_spec_changed(self) -> None:
        if self._record is not None:  # the records are of the old network
            self.go_live()

    @Slot(object)
    def _on_frame(self, frame: Any) -> None:
        step = int(frame.snapshot.step)
        if step != self._live_step:
            self._live_step = step
            self._update_state()

    @Slot(int)
    def _on_slider_moved(self, value: int) -> None:
        self.show_index(value)

    # --- helpers ----------------------------------------------------------------------------------------
    def _post(self, message: ViewAt) -> None:
        if self._controller is not None:
            self._controller.view_worker.post(message)

    def _index(self) -> int:
        """The slider position of what is shown: the held record's (or the nearest earlier one's, after
        thinning dropped it) index, or the number of records for live."""
        recording = self._recording
        if recording is None:
            return 0
        if self._record is None:
            return len(recording)
        steps = np.asarray(recording.steps)
        return int(max(0, np.searchsorted(steps, self._record.step, side="right") - 1))

    def _sync_slider(self) -> None:
        recording = self._recording
        count = 0 if recording is None else len(recording)
        with QSignalBlocker(self.slider):
            self.slider.setEnabled(count > 0)
            self.slider.setRange(0, count)
            self.slider.setValue(self._index())
        self.action_earlier.setEnabled(count > 0 and (self.is_live or self._index() > 0))
        self.action_later.setEnabled(not self.is_live)

    def _update_state(self) -> None:
        live = self._record is None
        recording = self._recording
        self.action_live.setEnabled(not live)
        self.action_continue.setEnabled(not live)
        if self.property("lookingBack") != (not live):  # a style sheet re-polishes the bar: only on change
            self.setProperty("lookingBack", not live)
            self.setStyleSheet(self._style(not live))
        live_text = f"live · {self._live_step:,}" if recording is not None else "live"
        self.live_end.setText(f"<b>{live_text}</b>" if live else live_text)
        if recording is None:
            self.state.setText("<b>Live</b> · nothing recorded yet: train to record the run")
            self.title.setText("Timeline")
            return
        self.title.setText(f"step {int(recording.first.step):,}")
        if live:
            self.state.setToolTip("The views follow training")
            self.state.setText(f"<b>Live</b> · drag left to look back ({len(recording)} records)")
            return
        record = self._record
        if recording.spec.is_regression:  # older records have no regression metrics: NaN reads "–"
            r2, rmse = getattr(record, "train_r2", math.nan), getattr(record, "train_rmse", math.nan)
            short = f"R² {_number(r2)}"
            quality = f"train RMSE {_number(rmse)}, train R² {_number(r2)}"
        else:
            short = f"accuracy {_percent(record.train_accuracy)}"
            quality = f"train accuracy {_percent(record.train_accuracy)}"
        self.state.setText(
            f"<span style='color:{CURSOR_COLOR}'><b>Viewing step {int(record.step):,}</b></span> · {short}"
        )
        self.state.setToolTip(
            f"The views show the network as it was at step {int(record.step):,}"
            f" (epoch {int(record.epoch):,}):"
            f" train loss {_number(record.train_loss)}, {quality}.\n"
            f"Training itself is at step {self._live_step:,}. Back to Live follows it again."
        )

    def _style(self, looking_back: bool) -> str:
        if not looking_back:
            return "#timelineBar { border-top: 1px solid palette(mid); }"
        red, green, blue = (int(CURSOR_COLOR[i : i + 2], 16) for i in (1, 3, 5))
        return (
            f"#timelineBar {{ border: 2px solid {CURSOR_COLOR}; border-radius: 3px;"
            f" background: rgba({red}, {green}, {blue}, 28); }}"
        )


def install_timeline(window: Any, controller: Any) -> TimelineBar:
    """Put the timeline bar under the canvas of `window` (a `MainWindow`), its actions into a Timeline menu
    after the Train menu, and the export actions into the File menu."""
    from workbench.qt.timeline_export import TimelineExports

    bar = TimelineBar(window.document, controller, window)
    window.timeline = bar
    window.add_central_row(bar)
    menu = window.timeline_menu
    menu.clear()
    menu.addActions([bar.action_earlier, bar.action_later, bar.action_live])
    menu.addSeparator()
    menu.addAction(bar.action_continue)
    menu.addSeparator()
    menu.addActions([window.action_export_view_image, window.action_export_animation])
    menu.menuAction().setVisible(True)
    window.addActions(bar.actions_list)
    window.timeline_exports = TimelineExports(window, controller, bar)
    window.action_export_animation.setEnabled(True)
    window.action_export_view_image.setEnabled(True)
    return bar


__all__ = ["CURSOR_COLOR", "TimelineBar", "install_timeline"]
