"""Live training: the training process, the worker thread that turns its snapshots into frames, and the
one controller that owns both.

Where the time goes (measured on a 2-core machine, 2-16-16-16-4 network, 256 x 256 decision image): a frame's
views cost ~13 ms to compute and ~10 ms to draw. Threaded training shared the GIL with both and reached
11-21 % of its headless speed, so training now runs in its own process (`workbench.core.trainer_process`)
and this process keeps its core for the views and the drawing.

Threading rules (docs/architecture.md, STYLE points 7-8):
- `TrainingWorker.run` is a plain loop on its own QThread. Everything the GUI wants (start, pause, step, new
  settings/dataset/spec/weights, what the views show, stop) arrives as a message on a thread-safe queue. The
  worker forwards the training messages to the training process and keeps the view request itself; it never
  touches a widget.
- The training process sends a snapshot only when the worker asked for one (after publishing a frame, so
  the next snapshot travels while the GUI draws; one at a time, so the pipe never fills up). The worker
  turns the newest snapshot into a `ViewFrame` (views computed here, off the GUI thread), stores
  it as "the latest frame" under a lock and emits `frameReady` only when the GUI has taken the previous one:
  frames are never queued up, stale ones are simply replaced. A changed view request (zoom, regions on/off,
  hidden-space layer) is answered from the last snapshot without asking the training process.
- The worker thread runs at the lowest CPU priority (`workbench.core.scheduling`): the GUI thread preempts it
  whenever it has something to draw, and frames are computed in the time the GUI leaves.
- `TrainingController` (GUI thread) is the only path to the worker. `shutdown()` is the single stop path,
  called from the window's closeEvent and from QApplication.aboutToQuit; it is idempotent and also ends the
  training process.

Integration in a main window is one call: `install_training(window)` (see its docstring).
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection
import queue
import socket
import threading
import time
import traceback
from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from workbench.core import views
from workbench.core.engine import Network
from workbench.core.scheduling import lower_current_thread_priority
from workbench.core.trainer import TrainerSnapshot
from workbench.core.trainer_process import TrainerProcess, WeightsLoad, limit_blas_threads
from workbench.qt.document import Document

#: Frames per second the worker publishes at most.
MAX_FRAME_RATE = 30.0
#: While training, neuron maps and the hidden-space view are recomputed at most this often (they are drawn
#: at this rate; in between a frame carries the previous ones, the very same objects).
SECONDARY_RATE = 15.0
#: Time the worker may spend on one frame's decision image when the resolution adapts.
DECISION_BUDGET_SECONDS = 0.020
#: Largest decision image side; the default a fresh request starts from.
MAX_RESOLUTION = 256
MIN_RESOLUTION = 64

__all__ = [
    "FrameThrottle",
    "TrainingController",
    "TrainingWorker",
    "WeightsLoad",
    "install_training",
    "limit_blas_threads",
]


class TrainingWorker(QObject):
    """Runs the training process and turns its snapshots into frames. Talk to it only through `post()` and
    `take_frame()`."""

    #: A new frame is waiting in `take_frame()` (emitted only after the previous one was taken).
    frameReady = Signal()
    runningChanged = Signal(bool)
    #: Training diverged; the trainer restored the last good weights and paused. Argument: message.
    diverged = Signal(str)
    #: Something failed (a message for the user; training stays paused).
    failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        dataset: Any,
        spec: Any,
        settings: Any,
        load: WeightsLoad | None = None,
        view_request: views.ViewRequest | None = None,
        *,
        adapt_resolution: bool = False,
    ) -> None:
        super().__init__()
        self._initial = (dataset, spec, settings, load)
        self._messages: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # A socket pair wakes the loop from `multiprocessing.connection.wait` when the GUI posts something.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._lock = threading.Lock()
        self._latest: views.ViewFrame | None = None
        self._consumed = True
        self._request = view_request or views.ViewRequest(resolution=MAX_RESOLUTION)
        self._adapt = adapt_resolution
        self._resolution = self._request.resolution
        # Worker-thread state (touched only inside run()).
        self._process: TrainerProcess | None = None
        self._view_network: Network | None = None
        self._dataset = dataset
        self._snapshot: TrainerSnapshot | None = None
        self._steps_per_second = 0.0
        self._running = False
        self._snapshot_running = False
        self._snapshot_generation = 0
        self._dirty = False
        self._previous_frame: views.ViewFrame | None = None
        self._secondary_dirty = True
        self._last_secondary = -1.0
        self.frames_published = 0
        #: Seconds spent computing views and waiting (for benchmarks and diagnosis).
        self.time_split = {"views": 0.0, "idle": 0.0}

    # --- thread-safe API (any thread) -------------------------------------------------------------------
    def post(self, kind: str, payload: Any = None) -> None:
        """Queue a message for the worker loop and wake it up."""
        self._messages.put((kind, payload))
        self._wake()

    @property
    def trainer_pid(self) -> int | None:
        """The training process's id once it runs (for diagnostics such as the benchmark's CPU figures)."""
        process = self._process
        return process.pid if process is not None else None

    def take_frame(self) -> views.ViewFrame | None:
        """The latest frame (None if there is none); lets the worker publish the next one."""
        with self._lock:
            frame, self._latest = self._latest, None
            self._consumed = True
        self._wake()
        return frame

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):  # a full socket is awake enough
            self._wake_writer.send(b"x")

    # --- the loop (worker thread) -----------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # a bug must not kill the thread silently and leave the GUI waiting forever
            self.failed.emit("training stopped after an internal error:\n" + traceback.format_exc(limit=4))
        finally:
            if self._process is not None:
                self._process.close()
            self._wake_reader.close()
            self._wake_writer.close()
            self.finished.emit()

    def _loop(self) -> None:
        limit_blas_threads()
        # The GUI thread must win the CPU whenever it wants it; frames are computed in the time it leaves.
        lower_current_thread_priority()
        dataset, spec, settings, load = self._initial
        # Started here, not on the GUI thread: starting a process takes from ~20 ms up to a second.
        self._process = process = TrainerProcess(dataset, spec, settings, load)
        frame_interval = 1.0 / MAX_FRAME_RATE
        due = 0.0  # frames are due on a fixed 30 Hz grid, so the average rate really is 30 when keeping up
        while True:
            if not self._drain_messages():
                return
            self._receive()
            now = time.perf_counter()
            timeout: float | None = None
            if self._dirty and self._consumed and self._snapshot is not None:
                if now >= due:
                    self._publish()
                    due = max(due + frame_interval, now)  # late: start a new grid from now
                    process.send("want")  # the next snapshot arrives while the GUI draws this frame
                    self.time_split["views"] += time.perf_counter() - now
                    continue
                timeout = due - now
            waitables = [self._wake_reader] + ([process.connection] if process.alive else [])
            multiprocessing.connection.wait(waitables, timeout)
            with contextlib.suppress(BlockingIOError, OSError):
                while self._wake_reader.recv(4096):
                    pass
            self.time_split["idle"] += time.perf_counter() - now

    def _drain_messages(self) -> bool:
        """Apply the view messages, forward the training ones; False when asked to stop."""
        process = self._process
        assert process is not None
        while True:
            try:
                kind, payload = self._messages.get_nowait()
            except queue.Empty:
                return True
            if kind == "stop":
                return False
            if kind == "view":
                self._secondary_dirty = True
                self._request = payload
                self._resolution = (
                    min(self._resolution, payload.resolution) if self._adapt else payload.resolution
                )
                self._dirty = True
                continue
            if kind == "adapt":
                self._adapt = bool(payload)
                self._resolution = self._request.resolution
                self._dirty = True
                continue
            if kind == "dataset":
                self._dataset = payload
                self._secondary_dirty = True
            process.send(kind, payload)

    def _receive(self) -> None:
        """Take in what the training process said: state changes at once, the newest snapshot for views."""
        process = self._process
        assert process is not None
        for kind, payload in process.receive():
            if kind == "snapshot":
                # The frame says "running" as the snapshot does: one taken just before a pause is not a
                # paused frame (tests and the readout rely on a paused frame holding the final state).
                (
                    self._snapshot,
                    self._steps_per_second,
                    self._snapshot_running,
                    self._snapshot_generation,
                ) = payload
                self._dirty = True
            elif kind == "running":
                self._running = bool(payload)
                self.runningChanged.emit(self._running)
            elif kind == "diverged":
                self.diverged.emit(payload)
            elif kind == "failed":
                self.failed.emit(payload)
            elif kind == "died":
                self._running = False
                self.runningChanged.emit(False)
                self.failed.emit("the training process stopped unexpectedly; save your work and restart")

    def _publish(self) -> None:
        snapshot = self._snapshot
        assert snapshot is not None
        network = self._view_network
        if network is None or network.spec != snapshot.spec:
            network = self._view_network = Network(snapshot.spec)
        network.set_weights(snapshot.weights)
        # Paused frames are few: draw them at full resolution; while training the resolution may adapt.
        running = self._snapshot_running
        resolution = self._resolution if running else self._request.resolution
        request = replace(self._request, resolution=resolution)
        now = time.perf_counter()
        secondary = not running or self._secondary_dirty or now - self._last_secondary >= 1.0 / SECONDARY_RATE
        if secondary:
            self._secondary_dirty = False
            self._last_secondary = now
        with np.errstate(all="ignore"):
            frame = views.compute_frame(
                snapshot,
                network,
                self._dataset,
                request,
                self._previous_frame,
                steps_per_second=self._steps_per_second if running else 0.0,
                running=running,
                reuse_secondary=not secondary,
            )
        frame = replace(frame, generation=self._snapshot_generation)
        if self._adapt and request.decision:
            self._resolution = views.adapt_resolution(
                self._resolution,
                frame.decision_seconds,
                DECISION_BUDGET_SECONDS,
                MIN_RESOLUTION,
                self._request.resolution,
            )
        self._previous_frame = frame
        self._dirty = False
        with self._lock:
            self._latest = frame
            self._consumed = False
        self.frames_published += 1
        self.frameReady.emit()


class FrameThrottle(QObject):
    """Passes the newest frame on (`frameDue`) at most `rate` times a second, `delay_ms` after it arrived.

    Why: every dock lives in one window, so whatever changes within one event is painted in one go. The
    decision regions draw each frame at once; a secondary view (hidden space, curves, readouts) that draws a
    little later gets a paint event of its own, so no single event blocks the GUI for long, and a lower rate
    for views that need no 30 Hz halves their cost. Frames of a paused trainer are passed on at once.

    Connect `controller.frameArrived` to `push` and `frameDue` to the view's drawing slot.
    """

    frameDue = Signal(object)

    #: Shared by every throttle: when any of them last passed a frame on. Two secondary views drawing back to
    #: back block the GUI for the sum of their paints, so a throttle waits until `MIN_GAP` has passed.
    _last_any_flush = -1.0
    MIN_GAP = 0.009
    MAX_DEFERRALS = 2

    def __init__(self, rate: float, delay_ms: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._interval = 1.0 / rate
        self._delay = delay_ms / 1000.0
        self._frame: views.ViewFrame | None = None
        self._last = -self._interval
        self._deferrals = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    @Slot(object)
    def push(self, frame: views.ViewFrame) -> None:
        self._frame = frame
        if not frame.running:
            self._timer.stop()
            self.flush()
        elif not self._timer.isActive():
            wait = max(self._delay, self._last + self._interval - time.perf_counter())
            self._timer.start(round(wait * 1000))

    @Slot()
    def flush(self) -> None:
        """Pass the waiting frame on now (if any)."""
        frame = self._frame
        if frame is None:
            return
        since = time.perf_counter() - FrameThrottle._last_any_flush
        if frame.running and since < self.MIN_GAP and self._deferrals < self.MAX_DEFERRALS:
            self._deferrals += 1
            self._timer.start(max(1, round((self.MIN_GAP - since) * 1000)))
            return
        self._deferrals = 0
        self._frame = None
        self._last = time.perf_counter()
        FrameThrottle._last_any_flush = self._last
        self.frameDue.emit(frame)


class TrainingController(QObject):
    """The single owner of the training thread: start, pause, step, reset, view options and shutdown.

    Listens to the Document (dataset, spec, settings, weights) and forwards every change to the worker as a
    message; publishes each frame the worker delivers as `frameArrived(ViewFrame)` on the GUI thread, and
    keeps the Document's weights/history current so Save writes them.
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
        self._generation = 0  # bumped whenever the network is replaced; older frames are stale
        self._request = view_request or views.ViewRequest(
            bounds=document.dataset.bounds(), resolution=MAX_RESOLUTION, neuron_map_size=32
        )
        self._thread = QThread()
        self._thread.setObjectName("trainingThread")
        self._recorded_history = document.history
        self._worker = TrainingWorker(
            document.dataset,
            document.spec,
            document.settings,
            self._weights_load(True),
            self._request,
            adapt_resolution=adapt_resolution,
        )
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.frameReady.connect(self._on_frame_ready)
        self._worker.runningChanged.connect(self._on_running_changed)
        self._worker.diverged.connect(self._on_diverged)
        self._worker.failed.connect(self._on_failed)
        document.datasetChanged.connect(self._on_dataset_changed)
        document.specChanged.connect(self._on_spec_changed)
        document.settingsChanged.connect(self._on_settings_changed)
        document.weightsReplaced.connect(self._on_weights_replaced)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._alive = True
        self._thread.start()

    # --- commands ---------------------------------------------------------------------------------------
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
    def worker(self) -> TrainingWorker:
        return self._worker

    @Slot()
    def start(self) -> None:
        self._post("run", True)

    @Slot()
    def pause(self) -> None:
        self._post("run", False)

    @Slot()
    def toggle(self) -> None:
        self._post("run", not self._running)
        self._running = not self._running  # optimistic, so two quick presses toggle twice

    @Slot()
    def step_once(self) -> None:
        self._post("run", False)
        self._post("steps", 1)

    @Slot()
    def step_epoch(self) -> None:
        self._post("run", False)
        self._post("epoch")

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
            self._post("view", new)

    def set_adaptive_resolution(self, enabled: bool) -> None:
        """Let the decision-image resolution shrink while training when it costs more than its budget."""
        self._post("adapt", bool(enabled))

    @Slot(float, float, float, float)
    def set_view_bounds(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Connect the canvas's visibleRangeChanged here: views are recomputed for the visible area."""
        if x1 > x0 and y1 > y0:
            self.set_view_options(bounds=(float(x0), float(x1), float(y0), float(y1)))

    @Slot()
    def shutdown(self) -> None:
        """Stop the worker and wait for its thread; idempotent (closeEvent and aboutToQuit both call it)."""
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
        self._worker.post("stop")
        self._thread.quit()
        self._thread.wait()
        self._record(self._worker.take_frame())
        self._running = False

    # --- worker -> GUI ----------------------------------------------------------------------------------
    @Slot()
    def _on_frame_ready(self) -> None:
        frame = self._worker.take_frame()
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
            )
            self._recorded_history = self.document.history
        elif state is not None and self.document.optimizer_state_step != snapshot.step:
            # e.g. paused after a large network ran: its state comes only every few seconds while training
            self.document.record_optimizer_state(state, snapshot.step, snapshot.shuffle_state)

    @Slot(bool)
    def _on_running_changed(self, running: bool) -> None:
        self._running = running
        self.runningChanged.emit(running)

    @Slot(str)
    def _on_diverged(self, message: str) -> None:
        self._running = False
        self.diverged.emit(message)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    # --- document -> worker -----------------------------------------------------------------------------
    @Slot()
    def _on_dataset_changed(self) -> None:
        self._post("dataset", self.document.dataset)

    @Slot()
    def _on_spec_changed(self) -> None:
        self._post("spec", self.document.spec)
        self._next_generation()

    @Slot()
    def _on_settings_changed(self) -> None:
        self._post("settings", self.document.settings)

    @Slot()
    def _on_weights_replaced(self) -> None:
        # Document.load() (Open, New) installs a new history list; an edit (reset, import, undo) keeps ours.
        continued = self.document.history is not self._recorded_history
        self._recorded_history = self.document.history
        if continued:  # a new or opened project: show it, do not train it unasked
            self._post("run", False)
        load = self._weights_load(continued)
        if load is None:
            self._post("reset", self.document.settings.seed)
        else:
            self._post("weights", load)
        self._next_generation()
        # The trainer restarts from the document's own state: a frame of that same step is nothing new (it
        # must not mark a just-opened project modified); the first trained step is recorded.
        self._recorded_step = self.document.step

    def _next_generation(self) -> None:
        """Frames from before this point show a network the document no longer has."""
        self._generation += 1
        self._post("generation", self._generation)

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
        )

    def _post(self, kind: str, payload: Any = None) -> None:
        if self._alive:
            self._worker.post(kind, payload)


def install_training(window: Any, **controller_options: Any) -> TrainingController:
    """Wire live training into the main window (`workbench.qt.main_window.MainWindow`) in one call.

    Uses the window's `document`, `canvas`, `closing` signal, `set_dock_widget(name, widget)`, its Train
    actions (`action_train_toggle`, `action_step`, `action_reset_weights`) and Train menu. Adds the training
    panel, loss and hidden-space views, decision regions on the canvas, and Step Epoch plus the region options
    to the Train menu. Shutdown runs on `window.closing` and on QApplication.aboutToQuit.
    """
    from workbench.qt.hidden_space_plot import HiddenSpacePlot
    from workbench.qt.loss_plot import LossPlot
    from workbench.qt.training_panel import DecisionRegions, TrainingActions, TrainingPanel

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
    return controller
