"""Live training: a worker that runs the core Trainer on a QThread, and the one controller that owns it.

Threading rules (docs/architecture.md, STYLE points 7–8):
- `TrainingWorker.run` is a plain loop on its own QThread. Everything the GUI wants (start, pause, step,
  new settings/dataset/spec/weights, what the views show, stop) arrives as a message on a thread-safe queue
  that the loop drains between training slices. The worker never touches a widget.
- Training runs in slices of ~2 ms, after each of which the worker briefly releases the GIL so the GUI thread
  stays responsive.
- At most ~30 times a second the worker turns a trainer snapshot into a `ViewFrame` (views computed here, off
  the GUI thread), stores it as "the latest frame" under a lock and emits `frameReady` only when the GUI has
  taken the previous one: frames are never queued up, stale ones are simply replaced.
- `TrainingController` (GUI thread) is the only path to the worker. `shutdown()` is the single stop path,
  called from the window's closeEvent and from QApplication.aboutToQuit; it is idempotent.

Integration in a main window is one call: `install_training(window)` (see its docstring).
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
import traceback
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractEventDispatcher, QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication

from workbench.core import views
from workbench.core.engine import Network
from workbench.core.trainer import Trainer
from workbench.qt.document import Document

#: Frames per second the worker publishes at most.
MAX_FRAME_RATE = 30.0
#: Length of one uninterrupted training slice before the worker lets other threads run.
TRAINING_SLICE_SECONDS = 0.002
#: Time the worker may spend on one frame's decision image; its resolution adapts to stay near this.
DECISION_BUDGET_SECONDS = 0.010
#: Largest decision image side; the default a fresh request starts from.
MAX_RESOLUTION = 256
#: Share of the worker's time that goes to training while it runs, however slow the views are.
TRAINING_SHARE = 0.6
#: Longest the worker waits for the GUI to draw a frame before it trains on regardless.
GUI_DRAW_TIMEOUT_SECONDS = 0.05
MIN_RESOLUTION = 64


@dataclass(frozen=True, eq=False)
class WeightsLoad:
    """Weights for the trainer, and whether they continue a saved run (open) or start a new one (reset)."""

    weights: Any
    continue_run: bool = False
    step: int = 0
    epoch: int = 0
    history: tuple = ()
    optimizer_state: dict | None = None


def _limit_blas_threads() -> None:
    """One BLAS thread: on 2 cores a multi-threaded 65k x 16 matmul is several times *slower* (measured)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional; OPENBLAS_NUM_THREADS=1 in the environment does the same
        return
    threadpool_limits(1, user_api="blas")


class TrainingWorker(QObject):
    """Owns the core Trainer inside the worker thread. Talk to it only through `post()` and `take_frame()`."""

    #: A new frame is waiting in `take_frame()` (emitted only after the previous one was taken).
    frameReady = Signal()
    runningChanged = Signal(bool)
    #: Training diverged; the trainer restored the last good weights and the worker paused. Argument: message.
    diverged = Signal(str)
    #: Something failed in the worker (a message for the user; the worker keeps running, paused).
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
        adapt_resolution: bool = True,
    ) -> None:
        super().__init__()
        self._initial = (dataset, spec, settings, load)
        self._messages: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._drawn = threading.Event()
        self._lock = threading.Lock()
        self._latest: views.ViewFrame | None = None
        self._consumed = True
        self._request = view_request or views.ViewRequest(resolution=MAX_RESOLUTION)
        self._adapt = adapt_resolution
        self._resolution = self._request.resolution
        # Worker-thread state (touched only inside run()).
        self._trainer: Trainer | None = None
        self._view_network: Network | None = None
        self._dataset = dataset
        self._running = False
        self._pending_steps = 0
        self._dirty = True
        self._previous_frame: views.ViewFrame | None = None
        self._rate_steps = 0
        self._rate_started = time.perf_counter()
        self._steps_per_second = 0.0
        self.frames_published = 0
        #: Seconds spent training, computing views and waiting (for benchmarks and diagnosis).
        self.time_split = {"train": 0.0, "views": 0.0, "idle": 0.0}

    # --- thread-safe API (any thread) -------------------------------------------------------------------
    def post(self, kind: str, payload: Any = None) -> None:
        """Queue a message for the training loop and wake it up."""
        self._messages.put((kind, payload))
        self._wake.set()
        self._drawn.set()

    def frame_drawn(self) -> None:
        """The GUI has drawn the last frame and is idle: training may take the GIL again."""
        self._drawn.set()

    def take_frame(self) -> views.ViewFrame | None:
        """The latest frame (None if there is none); lets the worker publish the next one."""
        with self._lock:
            frame, self._latest = self._latest, None
            self._consumed = True
        self._wake.set()
        return frame

    # --- the loop (worker thread) -----------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # a bug must not kill the thread silently and leave the GUI waiting forever
            self.failed.emit("training stopped after an internal error:\n" + traceback.format_exc(limit=4))
        finally:
            self.finished.emit()

    def _loop(self) -> None:
        _limit_blas_threads()
        dataset, spec, settings, load = self._initial
        self._trainer = Trainer(dataset, spec, settings, seed=settings.seed)
        self._rebuild_view_network()
        self._load_weights(load)
        last_publish = 0.0
        publish_cost = 0.0  # views + waiting for the GUI to draw, of the last frame
        frame_interval = 1.0 / MAX_FRAME_RATE
        while True:
            if not self._drain_messages():
                return
            training = self._running or self._pending_steps > 0
            if training:
                t0 = time.perf_counter()
                # Until the next frame is due, but never less than TRAINING_SHARE of the time: when views
                # and drawing are slow, frames get rarer instead of training starving.
                min_train = publish_cost * TRAINING_SHARE / (1.0 - TRAINING_SHARE)
                self._train_slice(
                    max(last_publish + frame_interval, t0 + max(min_train, TRAINING_SLICE_SECONDS))
                )
                time.sleep(0)
                self.time_split["train"] += time.perf_counter() - t0
            now = time.perf_counter()
            if self._dirty and self._consumed and now - last_publish >= frame_interval:
                self._publish()
                last_publish = now
                publish_cost = time.perf_counter() - now if self._running else 0.0
                self.time_split["views"] += time.perf_counter() - now
            elif not training:
                # Idle: sleep until a message arrives, the GUI takes a frame, or the next publish slot opens.
                wait = 0.5
                if self._dirty and self._consumed:
                    wait = max(0.0, frame_interval - (now - last_publish))
                self._wake.wait(wait)
                self._wake.clear()
                self.time_split["idle"] += time.perf_counter() - now

    def _drain_messages(self) -> bool:
        """Apply every queued message; False when asked to stop."""
        trainer = self._trainer
        assert trainer is not None
        while True:
            try:
                kind, payload = self._messages.get_nowait()
            except queue.Empty:
                return True
            if kind == "stop":
                return False
            if kind == "run":
                if bool(payload) != self._running:
                    self._running = bool(payload)
                    self._reset_rate()
                    self.runningChanged.emit(self._running)
                self._pending_steps = 0
            elif kind == "steps":
                self._pending_steps += int(payload)
            elif kind == "epoch":
                self._pending_steps += self._steps_per_epoch()
            elif kind == "settings":
                self._guarded(trainer.set_settings, payload)
            elif kind == "dataset":
                self._dataset = payload
                self._guarded(trainer.set_dataset, payload)
            elif kind == "spec":
                self._guarded(trainer.set_spec, payload)
                self._rebuild_view_network()
            elif kind == "weights":
                self._load_weights(payload)
            elif kind == "reset":
                self._guarded(trainer.reset_weights, payload)
            elif kind == "view":
                self._request = payload
                self._resolution = (
                    min(self._resolution, payload.resolution) if self._adapt else payload.resolution
                )
            self._dirty = True

    def _guarded(self, function: Any, *args: Any) -> None:
        try:
            function(*args)
        except ValueError as exc:  # SpecError and friends: tell the user, keep the previous state
            self._stop_running()
            self.failed.emit(str(exc))

    def _load_weights(self, load: WeightsLoad | None) -> None:
        """Start a run from given weights: fresh (reset, import, undo) or continued (an opened project)."""
        trainer = self._trainer
        assert trainer is not None
        if load is None or load.weights is None:
            return
        try:
            trainer.reset_weights()  # fresh optimizer, step 0, empty history ...
            trainer.set_weights(load.weights)  # ... from these weights
            if load.continue_run:
                trainer.set_progress(load.step, load.epoch, load.history)
                if load.optimizer_state:
                    trainer.load_optimizer_state(load.optimizer_state)
        except (ValueError, KeyError, TypeError) as exc:
            self._stop_running()
            self.failed.emit(f"could not load the weights: {exc}")

    def _rebuild_view_network(self) -> None:
        trainer = self._trainer
        assert trainer is not None
        self._view_network = Network(trainer.spec)

    def _steps_per_epoch(self) -> int:
        trainer = self._trainer
        assert trainer is not None
        n_train = len(self._dataset.train_indices)
        batch = trainer.settings.batch_size or n_train
        return max(1, math.ceil(n_train / max(1, batch)))

    def _stop_running(self) -> None:
        self._pending_steps = 0
        if self._running:
            self._running = False
            self.runningChanged.emit(False)

    def _reset_rate(self) -> None:
        self._rate_steps = 0
        self._rate_started = time.perf_counter()

    def _train_slice(self, until: float) -> None:
        """Train until `until` (the next frame is due) or a message arrives, yielding the GIL every ~2 ms.

        One long `trainer.step()` call per frame keeps the trainer's per-call evaluation rare; the GIL is
        released inside `should_stop`, between two steps.
        """
        trainer = self._trainer
        assert trainer is not None
        messages = self._messages
        perf_counter = time.perf_counter
        next_yield = perf_counter() + TRAINING_SLICE_SECONDS

        def should_stop() -> bool:
            nonlocal next_yield
            now = perf_counter()
            if now >= next_yield:
                time.sleep(0)  # let the GUI thread take the GIL
                next_yield = perf_counter() + TRAINING_SLICE_SECONDS
            return now >= until or not messages.empty()

        stepping = self._pending_steps > 0 and not self._running
        result = trainer.step(self._pending_steps if stepping else 1_000_000_000, should_stop=should_stop)
        done = int(result.steps)
        if stepping:
            self._pending_steps = max(0, self._pending_steps - done)
        self._rate_steps += done
        elapsed = perf_counter() - self._rate_started
        if elapsed >= 0.5:
            self._steps_per_second = self._rate_steps / elapsed
            self._reset_rate()
        self._dirty = self._dirty or done > 0
        if result.diverged:
            self._stop_running()
            self._dirty = True
            self.diverged.emit(result.message or "training diverged")
        elif done == 0:
            # Nothing to train on (no training points): wait for new data instead of spinning.
            self._pending_steps = 0
            self._wake.wait(0.05)
            self._wake.clear()

    def _publish(self) -> None:
        trainer = self._trainer
        network = self._view_network
        assert trainer is not None and network is not None
        snapshot = trainer.snapshot()
        network.set_weights(snapshot.weights)
        # Paused frames are few: draw them at full resolution; while training the resolution adapts.
        resolution = self._resolution if self._running else self._request.resolution
        request = replace(self._request, resolution=resolution)
        with np.errstate(all="ignore"):
            frame = views.compute_frame(
                snapshot,
                network,
                self._dataset,
                request,
                self._previous_frame,
                steps_per_second=self._steps_per_second if self._running else 0.0,
                running=self._running,
            )
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
        self._drawn.clear()
        self.frameReady.emit()
        if self._running:
            # Let the GUI draw without competing for the GIL (a Python training loop would slow every one of
            # its Qt calls); the controller reports when its event loop is idle again, or a message arrives.
            self._drawn.wait(GUI_DRAW_TIMEOUT_SECONDS)


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
        self.document = document
        self._running = False
        self._last_frame: views.ViewFrame | None = None
        self._recorded_step = document.step
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
        self._awaiting_draw = False
        dispatcher = QAbstractEventDispatcher.instance(self.thread())
        if dispatcher is not None:
            dispatcher.aboutToBlock.connect(self._on_gui_idle)
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
        dispatcher = QAbstractEventDispatcher.instance(self.thread())
        if dispatcher is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                dispatcher.aboutToBlock.disconnect(self._on_gui_idle)
        self._worker.post("stop")
        self._thread.quit()
        self._thread.wait()
        self._record(self._worker.take_frame())
        self._running = False

    # --- worker -> GUI ----------------------------------------------------------------------------------
    @Slot()
    def _on_frame_ready(self) -> None:
        frame = self._worker.take_frame()
        if frame is None or not self._alive:
            return
        self._last_frame = frame
        self._record(frame)
        self.frameArrived.emit(frame)
        self._awaiting_draw = True  # paints are queued now; `aboutToBlock` comes once they are done

    @Slot()
    def _on_gui_idle(self) -> None:
        if self._awaiting_draw:
            self._awaiting_draw = False
            self._worker.frame_drawn()

    def _record(self, frame: views.ViewFrame | None) -> None:
        if frame is None:
            return
        snapshot = frame.snapshot
        if snapshot.step != self._recorded_step:
            self._recorded_step = snapshot.step
            self.document.record_training(snapshot.weights, snapshot.history, snapshot.step, snapshot.epoch)
            self._recorded_history = self.document.history

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
        self._recorded_step = -1

    def _weights_load(self, continue_run: bool) -> WeightsLoad | None:
        doc = self.document
        if doc.weights is None:
            return None
        return WeightsLoad(
            weights=[(w.copy(), b.copy()) for w, b in doc.weights],
            continue_run=continue_run,
            step=doc.step,
            epoch=doc.epoch,
            history=tuple(doc.history),
            optimizer_state=doc.optimizer_state if continue_run else None,
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
