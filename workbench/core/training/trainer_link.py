"""The GUI's line to the training process: commands out and events in, never waiting behind view work.

Why two small threads at the GUI's priority instead of sending from the GUI thread: a send blocks while the
pipe is full, and a large message (a 10^6-point dataset is tens of MB) fills it whenever the child is busy
in a long step; the GUI thread must never wait for that. So `send()` only puts the message on a queue:

- the *relay* thread starts the training process (starting takes ~20 ms to seconds; the child inherits this
  thread's priority, which is the GUI's) and then writes each queued command to the pipe, in order;
- the *event* thread reads what the child says and hands each event to `on_event` at once.

They are separate so that neither can block the other: a relay stuck on a full pipe while the child is stuck
sending a snapshot would otherwise deadlock. Neither computes anything, so both wake within a scheduler tick
even under load; the view-frame worker, which does compute, runs on a thread of its own at a lower priority.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

from workbench.core.data.dataset import Dataset
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.training.trainer_process import CLOSE_TIMEOUT_SECONDS, TrainerProcess, WeightsLoad
from workbench.core.training.training_messages import Failed, ProcessDied, Stop

#: Put on the relay's queue by `close()`: send `Stop`, then end.
_CLOSE = object()


class TrainerLink:
    """Starts a `TrainerProcess` off the calling thread and relays messages both ways.

    `send()` is thread-safe and never blocks; `on_event(event)` is called on the event thread for every
    `RunningChanged`, `Diverged`, `Failed`, `LiveSnapshot` and `ProcessDied`. `close()` is idempotent.
    """

    def __init__(
        self,
        dataset: Dataset,
        spec: NetworkSpec,
        settings: TrainingSettings,
        load: WeightsLoad | None,
        on_event: Callable[[Any], None],
        *,
        context: Any = None,
    ) -> None:
        self._on_event = on_event
        self._commands: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._process: TrainerProcess | None = None
        self._started = threading.Event()
        self._closed = False
        self._event_thread = threading.Thread(target=self._receive_events, name="trainer-events", daemon=True)
        self._relay_thread = threading.Thread(
            target=self._relay_commands,
            args=(dataset, spec, settings, load, context),
            name="trainer-relay",
            daemon=True,
        )
        self._relay_thread.start()

    @property
    def pid(self) -> int | None:
        """The training process's id once it runs (for diagnostics such as the benchmark's CPU figures)."""
        process = self._process
        return process.pid if process is not None else None

    def send(self, message: Any) -> None:
        """Queue a command for the training process (in order; dropped after `close()`)."""
        if not self._closed:
            self._commands.put(message)

    def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Stop the process (terminated if it does not stop within `timeout`) and both threads."""
        if self._closed:
            return
        self._closed = True
        self._commands.put(_CLOSE)
        self._relay_thread.join(timeout)
        if self._process is None:
            self._relay_thread.join()  # still starting the process (or failed to): it ends right after
        process = self._process
        if process is not None:
            process.wait_for_exit(timeout)  # terminated if it does not stop, which frees a stuck relay
        self._relay_thread.join()
        if self._event_thread.is_alive():
            self._event_thread.join()  # ends at the pipe's end of file
        if process is not None:
            process.close()  # only now: no thread uses the pipe any more

    # --- relay thread -----------------------------------------------------------------------------------
    def _relay_commands(self, dataset: Any, spec: Any, settings: Any, load: Any, context: Any) -> None:
        try:
            self._process = process = TrainerProcess(dataset, spec, settings, load, context=context)
        except Exception:  # no process: say why; there is nothing to relay to
            self._report(Failed("could not start training:\n" + traceback.format_exc(limit=3)))
            while self._commands.get() is not _CLOSE:
                pass
            return
        self._event_thread.start()
        while True:
            message = self._commands.get()
            if message is _CLOSE:
                process.send(Stop())
                return
            process.send(message)

    # --- event thread -----------------------------------------------------------------------------------
    def _receive_events(self) -> None:
        process = self._process
        assert process is not None
        while process.alive:
            for event in process.receive(timeout=None):
                self._report(event)
                if isinstance(event, ProcessDied):
                    return

    def _report(self, event: Any) -> None:
        try:
            self._on_event(event)
        except Exception:  # a receiver's bug must not end the event thread: report it and go on
            message = "a training event could not be handled (an internal error):\n"
            try:
                self._on_event(Failed(message + traceback.format_exc(limit=4)))
            except Exception:  # the receiver cannot even take that: leave it to the console
                traceback.print_exc()


__all__ = ["TrainerLink"]
