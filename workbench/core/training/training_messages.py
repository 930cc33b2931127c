"""The messages of live training: what the GUI, the command relay, the view-frame worker and the training
process say to each other, one small frozen dataclass per kind.

Each receiver dispatches with one `match` on the message type whose last case raises `UnknownMessageError`:
a message nobody handles is a bug to see at once, not a command silently dropped.

- GUI -> training process (through the relay, `trainer_link`): `SetRunning`, `TrainSteps`,
  `TrainEpoch`, `SetSettings`, `SetDataset`, `SetSpec`, `ResetWeights`, `Generation`, `WantSnapshot` (sent by
  the view-frame worker when it is ready for the next snapshot), `Stop`, and
  `trainer_process.WeightsLoad` (weights to continue or start from).
- training process -> GUI: `RunningChanged`, `Diverged`, `Failed` and `trainer_process.SnapshotDelta`; the
  parent turns a delta back into a `LiveSnapshot` and reports `ProcessDied` if the process disappears
  without being asked to stop.
- GUI (and the event relay) -> view-frame worker: `ShowViews`, `AdaptResolution`, `ViewDataset`,
  `ViewGeneration`, `LiveSnapshot`, `FrameTaken`, `StopViews`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.data.dataset import Dataset
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.present.views import ViewRequest
from workbench.core.training.trainer import TrainerSnapshot


class UnknownMessageError(TypeError):
    """A receiver got a message it has no case for (a programming error, never user input)."""

    def __init__(self, receiver: str, message: object) -> None:
        super().__init__(f"{receiver} cannot handle a {type(message).__name__} message: {message!r:.200}")


# --- GUI -> training process ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetRunning:
    """Train continuously (True) or pause (False); also cancels pending single steps."""

    running: bool


@dataclass(frozen=True)
class TrainSteps:
    """Train this many more mini-batch steps (pausing continuous training first), then stop."""

    count: int


@dataclass(frozen=True)
class TrainEpoch:
    """Train one pass over the training points, then stop."""


@dataclass(frozen=True)
class SetSettings:
    settings: TrainingSettings


@dataclass(frozen=True)
class SetDataset:
    """Train on new data, keeping the weights."""

    dataset: Dataset


@dataclass(frozen=True)
class SetSpec:
    """A new architecture: the trainer re-initialises what no longer fits."""

    spec: NetworkSpec


@dataclass(frozen=True)
class ResetWeights:
    """Fresh random weights from `seed` (a new run)."""

    seed: int | None


@dataclass(frozen=True)
class Generation:
    """Sent right after a message that replaces the network: snapshots taken from now on carry `number`."""

    number: int


@dataclass(frozen=True)
class WantSnapshot:
    """The view-frame worker is ready for the next snapshot (one at a time, so the pipe never fills up)."""


@dataclass(frozen=True)
class Stop:
    """End the training process."""


# --- training process -> GUI ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunningChanged:
    running: bool


@dataclass(frozen=True)
class Diverged:
    """Training diverged; the trainer restored the last good weights and paused."""

    message: str


@dataclass(frozen=True)
class Failed:
    """Something failed (a message for the user); training is paused."""

    message: str


@dataclass(frozen=True, eq=False)
class LiveSnapshot:
    """A trainer snapshot as the parent sees it: whole again (history included), with how fast training went,
    whether it was running and which replacement of the network (`Generation`) it follows."""

    snapshot: TrainerSnapshot
    steps_per_second: float
    running: bool
    generation: int


@dataclass(frozen=True)
class ProcessDied:
    """The training process ended without being asked to (reported once, by the parent)."""


# --- GUI -> view-frame worker -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ShowViews:
    """What the views show now (bounds, resolution, hidden-space layer, ...)."""

    request: ViewRequest


@dataclass(frozen=True)
class AdaptResolution:
    enabled: bool


@dataclass(frozen=True, eq=False)
class ViewDataset:
    """The points the hidden-space view shows (the training process gets its own `SetDataset`)."""

    dataset: Any


@dataclass(frozen=True)
class ViewGeneration:
    """The network was replaced (`Generation` `number` follows it to the training process): snapshots of an
    older generation would only be dropped, so the worker does not draw them."""

    number: int


@dataclass(frozen=True)
class FrameTaken:
    """The GUI took the latest frame: the worker may publish the next one."""


@dataclass(frozen=True)
class StopViews:
    """End the view-frame worker's loop."""


__all__ = [
    "AdaptResolution",
    "Diverged",
    "Failed",
    "FrameTaken",
    "Generation",
    "LiveSnapshot",
    "ProcessDied",
    "ResetWeights",
    "RunningChanged",
    "SetDataset",
    "SetRunning",
    "SetSettings",
    "SetSpec",
    "ShowViews",
    "Stop",
    "StopViews",
    "TrainEpoch",
    "TrainSteps",
    "UnknownMessageError",
    "ViewDataset",
    "ViewGeneration",
    "WantSnapshot",
]
