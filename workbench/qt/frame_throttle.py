"""The frame throttle: hands live frames to a secondary view at its own rate, in event-loop turns of its
own."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.core.present import views


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


__all__ = ["FrameThrottle"]
