"""The training controller: the GUI's one path to live training (start, pause, step, reset, view options,
shutdown), and the owner of the training process's link and the view-frame worker.

Where the time goes (2-core machine, 2-16-16-16-4 network, 256 x 256 decision image): a frame's views cost
~13 ms to compute and ~10 ms to draw. Threaded training shared the GIL with both and reached 11-21 % of its
headless speed, so training runs in its own process (`core.training.trainer_process`), and this process keeps
its core for the views and the drawing.

Two paths, so that commands never wait behind view work (docs/architecture.md):
- commands: GUI thread -> `TrainerLink` (a relay thread and an event thread at the GUI's priority) ->
  training process, and its answers (`RunningChanged`, `Diverged`, `Failed`) straight back to the GUI;
- views: snapshots -> `ViewFrameWorker` (its own thread, lower priority) -> `frameArrived` on the GUI thread.

Stale frames: when the network is replaced (Open, New, reset, import, undo of those, a new architecture) the
controller numbers the replacement and sends `Generation` after it; snapshots carry the generation the
training process had applied, and frames of an older one are neither shown nor recorded.
"""

from __future__ import annotations

import contextlib
import queue
import socket
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSocketNotifier, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication

from workbench.core.model.engine import Network
from workbench.core.present import views
from workbench.core.training.trainer_link import TrainerLink
from workbench.core.training.trainer_process import WeightsLoad, limit_blas_threads
from workbench.core.training.training_messages import (
    AdaptResolution,
    Diverged,
    Failed,
    Generation,
    LiveSnapshot,
    ProcessDied,
    ResetWeights,
    RunningChanged,
    SetDataset,
    SetRunning,
    SetSettings,
    SetSpec,
    ShowViews,
    StopViews,
    TrainEpoch,
    TrainSteps,
    UnknownMessageError,
    ViewDataset,
    ViewGeneration,
    WantSnapshot,
)
from workbench.qt.document import Document
from workbench.qt.view_frame_worker import MAX_RESOLUTION, ViewFrameWorker


class TrainingController(QObject):
    """The single owner of live training: start, pause, step, reset, view options and shutdown.

    Listens to the Document (dataset, spec, settings, weights) and forwards every change to the training
    process and, where the views need it, to the view-frame worker; publishes each frame as
    `frameArrived(ViewFrame)` on the GUI thread, and keeps the Document's weights/history current so Save
    writes them.
    """

    frameArrived = Signal(object)
    runningChanged = Signal(bool)
    diverged = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        document: Document,
        parent: QObject | None = None,
        *,
        view_request: views.ViewRequest | None = None,
        adapt_resolution: bool = True,
    ) -> None:
        super().__init__(parent)
        limit_blas_threads()  # process-wide; the app does it at start-up too
        self.document = document
        self._running = False
        self._last_frame: views.ViewFrame | None = None
        self._recorded_step = document.step
        #: The last step the training process reported (set on the link's event thread).
        self._reported_step = document.step
        self._generation = 0  # bumped whenever the network is replaced; older frames are stale
        self._request = view_request or views.ViewRequest(
            bounds=document.dataset.bounds(), resolution=MAX_RESOLUTION, neuron_map_size=32
        )
        self._recorded_history = document.history
        load = self._weights_load(True)
        self._views = ViewFrameWorker(
            document.dataset,
            document.spec,
            document.settings,
            load,
            self._request,
            self._want_snapshot,
            adapt_resolution=adapt_resolution,
        )
        self._thread = QThread()
        self._thread.setObjectName("viewFrameThread")
        self._views.moveToThread(self._thread)
        self._thread.started.connect(self._views.run)
        self._views.frameReady.connect(self._on_frame_ready)
        self._views.failed.connect(self._on_failed)
        # Events for the GUI thread travel from the link's (plain Python) event thread on a queue, with a byte
        # on a socket pair to wake the event loop: no Qt call is ever made from that thread.
        self._trainer_events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._wake_notifier = QSocketNotifier(self._wake_reader.fileno(), QSocketNotifier.Type.Read, self)
        self._wake_notifier.activated.connect(self._take_trainer_events)
        # Created on the GUI thread: its threads, and the process they start, run at the GUI's priority.
        self._link = TrainerLink(document.dataset, document.spec, document.settings, load, self._route_event)
        document.datasetChanged.connect(self._on_dataset_changed)
        document.specChanged.connect(self._on_spec_changed)
        document.settingsChanged.connect(self._on_settings_changed)
        document.weightsReplaced.connect(self._on_weights_replaced)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._alive = True
        self._thread.start()

    # --- state ------------------------------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self._running

    @property
    def last_frame(self) -> views.ViewFrame | None:
        return self._last_frame

    @property
    def view_request(self) -> views.ViewRequest:
        return self._request

    @property
    def view_worker(self) -> ViewFrameWorker:
        return self._views

    @property
    def trainer_pid(self) -> int | None:
        """The training process's id once it runs (for diagnostics such as the benchmark's CPU figures)."""
        return self._link.pid

    @property
    def generation(self) -> int:
        """How many times the network was replaced (Open, New, reset, import, new architecture); frames
        carry the generation they show."""
        return self._generation

    @property
    def reported_step(self) -> int:
        """The step of the training process's latest snapshot, whether or not a frame shows it yet."""
        return self._reported_step

    # --- commands ---------------------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        self._send(SetRunning(True))

    @Slot()
    def pause(self) -> None:
        self._send(SetRunning(False))

    @Slot()
    def toggle(self) -> None:
        self._send(SetRunning(not self._running))
        self._running = not self._running  # optimistic, so two quick presses toggle twice

    @Slot()
    def step_once(self) -> None:
        self._send(TrainSteps(1))  # pauses continuous training; quick presses add up

    @Slot()
    def step_epoch(self) -> None:
        self._send(TrainEpoch())  # pauses continuous training; quick presses add up

    @Slot()
    def reset_weights(self) -> None:
        """New random weights with a fresh seed, as an undoable document edit (the trainer follows)."""
        seed = int(np.random.SeedSequence().entropy % (2**31))
        weights = Network(self.document.spec, seed=seed).get_weights()
        self.document.replace_weights(weights, "Reset weights")

    def set_view_options(self, **changes: Any) -> None:
        """Change what the views show (bounds, resolution, discrete, decision, hidden, neuron_map_size)."""
        new = replace(self._request, **changes)
        if new != self._request:
            self._request = new
            self._show(ShowViews(new))

    def set_adaptive_resolution(self, enabled: bool) -> None:
        """Let the decision-image resolution shrink while training when it costs more than its budget."""
        self._show(AdaptResolution(bool(enabled)))

    @Slot(float, float, float, float)
    def set_view_bounds(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Connect the canvas's visibleRangeChanged here: views are recomputed for the visible area."""
        if x1 > x0 and y1 > y0:
            self.set_view_options(bounds=(float(x0), float(x1), float(y0), float(y1)))

    @Slot()
    def shutdown(self) -> None:
        """Stop the views, the training process and their threads; idempotent (closeEvent and aboutToQuit
        both call it)."""
        if not self._alive:
            return
        self._alive = False
        for signal, slot in (
            (self.document.datasetChanged, self._on_dataset_changed),
            (self.document.specChanged, self._on_spec_changed),
            (self.document.settingsChanged, self._on_settings_changed),
            (self.document.weightsReplaced, self._on_weights_replaced),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
        self._views.post(StopViews())
        self._thread.quit()
        self._thread.wait()
        self._link.close()
        self._wake_notifier.setEnabled(False)
        self._wake_reader.close()
        self._wake_writer.close()
        self._record(self._views.take_frame())
        self._running = False

    # --- training process -> GUI ------------------------------------------------------------------------
    def _route_event(self, event: Any) -> None:
        """On the link's event thread: snapshots go to the view worker, everything else to the GUI thread."""
        if isinstance(event, LiveSnapshot):
            if event.generation == self._generation:
                self._reported_step = event.snapshot.step
            self._views.post(event)
        else:
            self._trainer_events.put(event)
            with contextlib.suppress(BlockingIOError, OSError):  # a full socket is awake enough
                self._wake_writer.send(b"x")

    @Slot()
    def _take_trainer_events(self) -> None:
        """GUI thread: handle what the event thread queued."""
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_reader.recv(4096):
                pass
        while True:
            try:
                event = self._trainer_events.get_nowait()
            except queue.Empty:
                return
            self.handle_trainer_event(event)

    def handle_trainer_event(self, event: Any) -> None:
        """Act on what the training process said (GUI thread). Raises on a kind it does not know."""
        if not self._alive:
            return
        match event:
            case RunningChanged(running=running):
                self._running = running
                self.runningChanged.emit(running)
            case Diverged(message=message):
                self._running = False
                self.diverged.emit(message)
            case Failed(message=message):
                self.failed.emit(message)
            case ProcessDied():
                self._running = False
                self.runningChanged.emit(False)
                self.failed.emit("the training process stopped unexpectedly; save your work and restart")
            case _:
                raise UnknownMessageError("the training controller", event)

    def _want_snapshot(self) -> None:
        """For the view worker: it is ready for the next snapshot."""
        self._send(WantSnapshot())

    # --- view worker -> GUI -----------------------------------------------------------------------------
    @Slot()
    def _on_frame_ready(self) -> None:
        frame = self._views.take_frame()
        if frame is None or not self._alive or frame.generation != self._generation:
            return  # stale (taken before an Open, reset or new architecture): neither shown nor kept
        self._last_frame = frame
        self._record(frame)
        self.frameArrived.emit(frame)

    def _record(self, frame: views.ViewFrame | None) -> None:
        if frame is None or frame.generation != self._generation:
            return
        snapshot = frame.snapshot
        state = snapshot.optimizer_state
        if snapshot.step != self._recorded_step:
            self._recorded_step = snapshot.step
            self.document.record_training(
                snapshot.weights,
                snapshot.history,
                snapshot.step,
                snapshot.epoch,
                state,
                snapshot.shuffle_state,
                snapshot.recording,
                snapshot.gradients,
            )
            self._recorded_history = self.document.history
            return
        if state is not None and self.document.optimizer_state_step != snapshot.step:
            # e.g. paused after a large network ran: its state comes only every few seconds while training
            self.document.record_optimizer_state(state, snapshot.step, snapshot.shuffle_state)
        if snapshot.recording is not None:  # e.g. the record taken where training paused
            self.document.record_recording(snapshot.recording)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    # --- document -> training process and views ---------------------------------------------------------
    @Slot()
    def _on_dataset_changed(self) -> None:
        dataset = self.document.dataset
        self._show(ViewDataset(dataset))  # first: the snapshot trained on it must find it there
        self._send(SetDataset(dataset))

    @Slot()
    def _on_spec_changed(self) -> None:
        self._send(SetSpec(self.document.spec))
        self._next_generation()

    @Slot()
    def _on_settings_changed(self) -> None:
        self._send(SetSettings(self.document.settings))

    @Slot()
    def _on_weights_replaced(self) -> None:
        # Open/New/Restore continue the saved run, paused; Continue from here (and its undo) continues the
        # run at the document's step, running on if it ran; an edit (reset, import, undo) starts a fresh run.
        change = self.document.weights_change
        continued = change in ("load", "continue")
        self._recorded_history = self.document.history
        if change == "load":  # a new or opened project: show it, do not train it unasked
            self._send(SetRunning(False))
        load = self._weights_load(continued)
        self._send(ResetWeights(self.document.settings.seed) if load is None else load)
        self._next_generation()
        # The trainer restarts from the document's own state: a frame of that same step is nothing new (it
        # must not mark a just-opened project modified); the first trained step is recorded.
        self._recorded_step = self.document.step

    def _next_generation(self) -> None:
        """Frames from before this point show a network the document no longer has."""
        self._generation += 1
        self._show(ViewGeneration(self._generation))  # first: the worker then skips older snapshots
        self._send(Generation(self._generation))

    def _weights_load(self, continue_run: bool) -> WeightsLoad | None:
        doc = self.document
        if doc.weights is None:
            return None
        return WeightsLoad(
            weights=[(w.copy(), b.copy()) for w, b in doc.weights],
            continue_run=continue_run,
            step=doc.step,
            epoch=doc.epoch,
            history=doc.history,
            optimizer_state=doc.optimizer_state if continue_run else None,
            shuffle_state=doc.shuffle_state if continue_run else None,
            recording=doc.recording if continue_run else None,
            gradients=doc.gradients if continue_run else None,
        )

    def _send(self, message: Any) -> None:
        """To the training process, through the link's relay (never blocks)."""
        if self._alive:
            self._link.send(message)

    def _show(self, message: Any) -> None:
        """To the view-frame worker."""
        if self._alive:
            self._views.post(message)


__all__ = ["TrainingController", "WeightsLoad"]
