"""The view-frame worker: turns training snapshots into the frames the views draw, off the GUI thread.

It does not train and relays no commands (`core.training.trainer_link` does that, at the GUI's priority);
it only computes pictures, so it is the one thread that may run at a lower priority
(`workbench.core.training.scheduling`): the GUI thread preempts it whenever it has something to draw.

- Everything arrives as a typed message on one queue (`post()`): what the views show (`ShowViews`,
  `AdaptResolution`, `ViewDataset`) from the GUI, `LiveSnapshot`s from the trainer link's event thread,
  `FrameTaken` when the GUI took a frame, `StopViews`. One queue keeps them in the order they were caused: the
  points a snapshot was trained on are always here before the snapshot.
- It publishes the newest snapshot as a `ViewFrame` (at most `MAX_FRAME_RATE` a second), stored as "the
  latest frame" under a lock, and emits `frameReady` only when the GUI has taken the previous one: frames
  never queue up, stale ones are simply replaced. After each frame it asks the training process for the next
  snapshot (`want_snapshot`), so one travels while the GUI draws. A changed view request (zoom, regions
  on/off, hidden-space layer) is answered from the last snapshot without asking the training process.
- The first frame does not wait for the training process, which takes from ~20 ms to seconds to start: it is
  computed from the document's own state by the process's start-up code (`first_snapshot`), before the
  thread lowers its priority.
- Time travel: `ViewAt(record, spec)` makes the views show a recorded moment of the run (the timeline's
  slider) instead of the live network: the frame's views are computed here from the record's weights, the
  frame's snapshot stays the live one (the controller keeps recording training into the document while the
  user looks back). Only the newest `ViewAt` counts: all waiting messages are handled before a frame is
  computed, and a frame waits until the GUI took the previous one, so dragging never queues up stale frames.
  The views of one record are computed once and reused while live snapshots keep arriving.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from workbench.core.model.engine import Network
from workbench.core.present import views
from workbench.core.training.scheduling import lower_current_thread_priority
from workbench.core.training.trainer_process import WeightsLoad, first_snapshot, limit_blas_threads
from workbench.core.training.training_messages import (
    AdaptResolution,
    FrameTaken,
    LiveSnapshot,
    ShowViews,
    StopViews,
    UnknownMessageError,
    ViewDataset,
    ViewGeneration,
)

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


@dataclass(frozen=True)
class ViewAt:
    """Show the recorded moment `record` (a `Record` of a recording of the network `spec`) in the views;
    `record=None` goes back to following training live."""

    record: Any = None
    spec: Any = None


class ViewFrameWorker(QObject):
    """Computes `ViewFrame`s from snapshots on its own thread. Talk to it only through `post()` and
    `take_frame()`; start it by connecting a QThread's `started` to `run`."""

    #: A new frame is waiting in `take_frame()` (emitted only after the previous one was taken).
    frameReady = Signal()
    #: The worker stopped after an internal error (a message for the user).
    failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        dataset: Any,
        spec: Any,
        settings: Any,
        load: WeightsLoad | None,
        view_request: views.ViewRequest | None,
        want_snapshot: Callable[[], None],
        *,
        adapt_resolution: bool = False,
    ) -> None:
        super().__init__()
        self._initial: tuple | None = (dataset, spec, settings, load)
        self._want_snapshot = want_snapshot
        self._messages: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._latest: views.ViewFrame | None = None
        self._consumed = True
        self._request = view_request or views.ViewRequest(resolution=MAX_RESOLUTION)
        self._adapt = adapt_resolution
        self._resolution = self._request.resolution
        # Worker-thread state (touched only inside run()).
        self._view_network: Network | None = None
        self._dataset = dataset
        self._live: LiveSnapshot | None = None
        self._generation = 0  # the newest replacement of the network the GUI announced
        self._dirty = False
        #: The next frame answers the user (new view options, a paused snapshot): it skips the 30 Hz grid.
        self._answer_now = False
        self._previous_frame: views.ViewFrame | None = None
        self._at: ViewAt | None = None  # the recorded moment the views show; None: live
        self._recorded_frame: views.ViewFrame | None = None  # its views, computed once
        self._recorded_network: Network | None = None
        self._secondary_dirty = True
        self._last_secondary = -1.0
        self.frames_published = 0
        #: Seconds spent computing views and waiting (for benchmarks and diagnosis).
        self.time_split = {"views": 0.0, "idle": 0.0}

    # --- thread-safe API (any thread) -------------------------------------------------------------------
    def post(self, message: Any) -> None:
        """Queue a message for the worker (wakes it up)."""
        self._messages.put(message)

    def take_frame(self) -> views.ViewFrame | None:
        """The latest frame (None if there is none); lets the worker publish the next one."""
        with self._lock:
            frame, self._latest = self._latest, None
            self._consumed = True
        self._messages.put(FrameTaken())
        return frame

    # --- the loop (worker thread) -----------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # a bug must not kill the thread silently and leave the GUI waiting forever
            self.failed.emit("the views stopped after an internal error:\n" + traceback.format_exc(limit=4))
        finally:
            self.finished.emit()

    def _loop(self) -> None:
        limit_blas_threads()
        self._draw_first_frame()
        # From now on the GUI thread must win the CPU whenever it wants it; frames fill the time it leaves.
        lower_current_thread_priority()
        frame_interval = 1.0 / MAX_FRAME_RATE
        due = 0.0  # frames are due on a fixed 30 Hz grid, so the average rate really is 30 when keeping up
        while True:
            now = time.perf_counter()
            timeout: float | None = None
            if self._dirty and self._ready_for_frame() and self._current():
                if now >= due or self._answer_now:
                    self._publish()
                    due = max(due + frame_interval, now)  # late: start a new grid from now
                    self._want_snapshot()  # the next snapshot arrives while the GUI draws this frame
                    self.time_split["views"] += time.perf_counter() - now
                    continue
                timeout = due - now
            if not self._wait_and_handle(timeout):
                return
            self.time_split["idle"] += time.perf_counter() - now

    def _draw_first_frame(self) -> None:
        """The untrained (or opened) network at once, from the document's state (at the GUI's priority)."""
        initial, self._initial = self._initial, None
        assert initial is not None
        if not self._wait_and_handle(0.0):  # stopped before it started
            self.post(StopViews())
            return
        if self._live is not None or self._generation > 0:
            return  # the training process was quicker, or the document has another network by now
        dataset, spec, settings, load = initial
        try:
            snapshot = first_snapshot(dataset, spec, settings, load)
        except Exception:  # the training process reports the problem; its snapshot follows
            return
        self._live = LiveSnapshot(snapshot, 0.0, False, 0)
        self._dirty = True
        self._publish()

    def _current(self) -> bool:
        """A snapshot of the network the GUI shows now is at hand."""
        return self._live is not None and self._live.generation >= self._generation

    def _ready_for_frame(self) -> bool:
        with self._lock:
            return self._consumed

    def _wait_and_handle(self, timeout: float | None) -> bool:
        """Wait up to `timeout` seconds (None: until one comes) for a message, then handle every waiting one;
        False when asked to stop."""
        try:
            message = self._messages.get(timeout=timeout) if timeout != 0.0 else self._messages.get_nowait()
        except queue.Empty:
            return True
        while True:
            if not self.handle(message):
                return False
            try:
                message = self._messages.get_nowait()
            except queue.Empty:
                return True

    def handle(self, message: Any) -> bool:
        """Apply one message (on the worker thread); False on `StopViews`. Raises on anything else."""
        match message:
            case LiveSnapshot():
                self._live = message
                self._dirty = True
                self._answer_now = self._answer_now or not message.running
                if message.generation < self._generation:  # taken before a replacement: ask for a new one
                    self._want_snapshot()
            case ViewGeneration(number=number):
                # A snapshot waiting here may be of the old network now; it used up the training process's
                # one credit without being drawn, so ask again (a spare `WantSnapshot` costs nothing).
                self._generation = number
                self._want_snapshot()
            case ViewAt(record=record):
                self._at = message if record is not None else None
                self._recorded_frame = None
                self._secondary_dirty = True  # live frames must not reuse a recorded moment's thumbnails
                self._answer_now = True
                self._dirty = True
            case ShowViews(request=request):
                self._secondary_dirty = True
                self._recorded_frame = None
                self._request = request
                self._answer_now = True
                self._resolution = (
                    min(self._resolution, request.resolution) if self._adapt else request.resolution
                )
                self._dirty = True
            case AdaptResolution(enabled=enabled):
                self._adapt = bool(enabled)
                self._resolution = self._request.resolution
                self._dirty = True
            case ViewDataset(dataset=dataset):
                self._dataset = dataset  # drawn with the snapshot trained on it, which follows
                self._secondary_dirty = True
                self._recorded_frame = None
            case FrameTaken():
                pass  # `take_frame` already marked it; the message only wakes the loop
            case StopViews():
                return False
            case _:
                raise UnknownMessageError("the view-frame worker", message)
        return True

    def _publish(self) -> None:
        live = self._live
        assert live is not None
        if self._at is not None:
            frame = self._recorded(live)
            self._previous_frame = frame
            self._dirty = False
            self._answer_now = False
            self._hand_over(frame)
            return
        snapshot = live.snapshot
        network = self._view_network
        if network is None or network.spec != snapshot.spec:
            network = self._view_network = Network(snapshot.spec)
        network.set_weights(snapshot.weights)
        # Paused frames are few: draw them at full resolution; while training the resolution may adapt. The
        # frame says "running" as the snapshot does: one taken just before a pause is not a paused frame.
        running = live.running
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
                steps_per_second=live.steps_per_second if running else 0.0,
                running=running,
                reuse_secondary=not secondary,
            )
        frame = replace(frame, generation=live.generation)
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
        self._answer_now = False
        self._hand_over(frame)

    def _recorded(self, live: LiveSnapshot) -> views.ViewFrame:
        """A frame whose views show the recorded moment `self._at` (computed once per record and request),
        carrying the live snapshot."""
        at = self._at
        assert at is not None
        frame = self._recorded_frame
        if frame is None or frame.recorded is not at.record:
            network = self._recorded_network
            if network is None or network.spec != at.spec:
                network = self._recorded_network = Network(at.spec)
            network.set_weights(at.record.weights_list())
            with np.errstate(all="ignore"):
                frame = views.compute_frame(
                    live.snapshot, network, self._dataset, self._request, self._previous_frame
                )
            frame = self._recorded_frame = replace(frame, recorded=at.record)
        return replace(
            frame,
            snapshot=live.snapshot,
            steps_per_second=live.steps_per_second if live.running else 0.0,
            running=live.running,
            generation=live.generation,
        )

    def _hand_over(self, frame: views.ViewFrame) -> None:
        """Publish `frame` as the latest one and tell the GUI (which takes it when it is ready)."""
        with self._lock:
            self._latest = frame
            self._consumed = False
        self.frames_published += 1
        self.frameReady.emit()


__all__ = [
    "DECISION_BUDGET_SECONDS",
    "MAX_FRAME_RATE",
    "MAX_RESOLUTION",
    "MIN_RESOLUTION",
    "SECONDARY_RATE",
    "ViewAt",
    "ViewFrameWorker",
]
