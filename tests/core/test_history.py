"""The bounded loss history: its bound, spikes surviving the thinning, deltas, the project file."""

from __future__ import annotations

import base64
import json
import math
import pickle

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.files.project import Project, project_from_bytes, project_to_bytes
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.history import KEY_COLUMNS, MAX_ENTRIES, TrainingHistory
from workbench.core.training.trainer import Metrics, Trainer


def noisy_run(n: int, seed: int = 0, step_every: int = 50) -> list[Metrics]:
    """A falling loss with noise and a few spikes, as a long training run records it."""
    rng = np.random.default_rng(seed)
    entries = []
    for i in range(n):
        loss = 2.0 / (1 + i / 300) + 0.05 * rng.random()
        if rng.random() < 0.002:
            loss += 5 * rng.random()  # a spike
        accuracy = min(1.0, 0.4 + i / (2 * n) + 0.05 * rng.random())
        test_loss = math.nan if 1000 <= i < 1100 else 1.1 * loss  # no test points for a while: a gap
        entries.append(Metrics(i * step_every, i // 40, loss, accuracy, test_loss, accuracy * 0.95))
    return entries


def assert_bins_keep_their_extremes(raw: TrainingHistory, thinned: TrainingHistory) -> None:
    """Each bin of the thinned history's width shows the same lowest and highest values as the raw run."""
    width = thinned.bin_width
    raw_bins = raw.steps // width
    thin_bins = thinned.steps // width
    assert set(thin_bins) == set(raw_bins)  # no stretch of the run went missing
    for name in KEY_COLUMNS:
        raw_values, thin_values = raw.column(name), thinned.column(name)
        for b in np.unique(raw_bins):
            here = raw_values[raw_bins == b]
            kept = thin_values[thin_bins == b]
            if np.isnan(here).all():
                assert np.isnan(kept).all()
                continue
            assert np.nanmin(kept) == np.nanmin(here) and np.nanmax(kept) == np.nanmax(here)


def test_a_long_run_stays_within_the_bound_and_keeps_every_bins_extremes() -> None:
    entries = noisy_run(5000)
    raw = TrainingHistory(max_entries=10**6)
    bounded = TrainingHistory(max_entries=300)
    for metrics in entries:
        raw.append(metrics)
        bounded.append(metrics)
        assert len(bounded) <= 300
    assert len(raw) == 5000 and bounded.bin_width > 1
    assert_bins_keep_their_extremes(raw, bounded)
    assert bounded[0] == entries[0] and bounded[-1] == entries[-1]  # the run's start and current end
    assert np.all(np.diff(bounded.steps) > 0)
    spike = int(np.argmax(raw.column("train_loss")))
    assert spike in set(bounded.steps // 50)  # the highest spike is still there, at its own step
    gap = np.isnan(bounded.column("test_loss")) & (bounded.steps >= 1000 * 50)
    assert gap.any()  # the time without test points is still a gap in the test curve


def test_trainer_history_stays_bounded_in_a_long_run_and_matches_an_unbounded_one() -> None:
    dataset = generate("spiral", n_points=200, n_classes=3, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(8, "tanh"),), n_classes=3)
    settings = TrainingSettings(learning_rate=0.05, batch_size=8, seed=3)
    bounded = Trainer(dataset, spec, settings, record_every=2, max_history=100)
    unbounded = Trainer(dataset, spec, settings, record_every=2, max_history=10**6)
    for _ in range(30):
        bounded.step(100)
        unbounded.step(100)
        assert len(bounded.recorded_history) <= 100
        assert len(bounded.history) <= 101  # plus the current state
    assert len(unbounded.recorded_history) == 1501
    assert_bins_keep_their_extremes(unbounded.recorded_history, bounded.recorded_history)


def test_frozen_views_never_change_and_cross_processes_as_their_entries() -> None:
    history = TrainingHistory(max_entries=64)
    entries = noisy_run(200)
    for metrics in entries[:40]:
        history.append(metrics)
    view = history.frozen()
    before = {name: view.column(name).copy() for name in ("step", "train_loss")}
    with pytest.raises(TypeError):
        view.append(entries[0])
    with pytest.raises(ValueError, match="read-only"):
        view.column("step")[0] = 7
    for metrics in entries[40:]:  # appends, then thinnings
        history.append(metrics)
    history.cut_after(entries[150].step)  # and a cut back (divergence)
    for name, values in before.items():
        np.testing.assert_array_equal(view.column(name), values)
    copied = pickle.loads(pickle.dumps(history.frozen()))
    assert copied == history and copied.is_frozen
    assert len(pickle.dumps(view.tail(38))) < len(pickle.dumps(view)) / 4  # a tail pickles only its rows


def test_delta_reassembly_equals_the_trainers_history_through_thinnings() -> None:
    # The training process sends the entries added since the last snapshot, and everything after a thinning.
    from workbench.core.training.trainer_process import SnapshotDelta, TrainerProcess, _TrainingLoop

    dataset = generate("gaussians", 120, 3, seed=4)
    spec = NetworkSpec(hidden=(LayerSpec(5, "tanh"),), n_classes=3)
    settings = TrainingSettings(batch_size=16, learning_rate=0.05)

    class Pipe:  # the child's end of the pipe, keeping what it sent
        def __init__(self) -> None:
            self.sent: list = []

        def send(self, message) -> None:
            self.sent.append(pickle.loads(pickle.dumps(message)))

        def poll(self, *_: object) -> bool:
            return False

    pipe = Pipe()
    loop = _TrainingLoop(pipe, dataset, spec, settings, None)
    loop.trainer = Trainer(dataset, spec, settings, record_every=1, max_history=64)
    receiver = TrainerProcess.__new__(TrainerProcess)  # only its reassembly, no process
    receiver._history = TrainingHistory()
    tails = []
    for steps in [3, 10, 25, 40, 7, 90, 1, 200]:
        loop.trainer.step(steps)
        loop._send_snapshot()
        delta = next(m for m in reversed(pipe.sent) if isinstance(m, SnapshotDelta))
        tails.append((delta.history_keep, len(delta.history_tail)))
        snapshot = receiver._assemble(delta).snapshot
        assert snapshot.history == loop.trainer.recorded_history
        assert len(snapshot.history) <= 64
    assert any(keep > 0 for keep, _ in tails[1:])  # mostly only the new entries travel ...
    assert any(keep == 0 for keep, _ in tails[1:])  # ... and everything after a thinning


def project_with_history(history) -> Project:
    dataset = generate("moons", n_points=30, seed=1)
    return Project(dataset, NetworkSpec(n_classes=2), TrainingSettings(), history=history)


def test_project_round_trip_keeps_a_thinned_history_exactly() -> None:
    history = TrainingHistory()
    for metrics in noisy_run(MAX_ENTRIES + 5000):
        history.append(metrics)
    assert history.bin_width > 1
    loaded = project_from_bytes(project_to_bytes(project_with_history(history.frozen())))
    assert loaded.history == history


def encode(values, dtype) -> dict:
    data = np.ascontiguousarray(values, dtype={"int64": "<i8", "float64": "<f8"}[dtype])
    return {"dtype": dtype, "shape": list(data.shape), "data": base64.b64encode(data.tobytes()).decode()}


def test_a_file_with_a_longer_history_opens_thinned_to_the_bound_with_its_spikes() -> None:
    entries = noisy_run(60_000)  # written by an older Workbench, which kept every entry
    document = json.loads(project_to_bytes(project_with_history(())))
    columns = {name: [getattr(m, name) for m in entries] for name in Metrics.__dataclass_fields__}
    document["state"]["history"] = {
        name: encode(values, "int64" if name in ("step", "epoch") else "float64")
        for name, values in columns.items()
    }
    loaded = project_from_bytes(json.dumps(document).encode())
    assert 0 < len(loaded.history) <= MAX_ENTRIES
    raw = TrainingHistory(max_entries=10**6)
    for metrics in entries:
        raw.append(metrics)
    assert_bins_keep_their_extremes(raw, loaded.history)
    assert loaded.history[0] == entries[0] and loaded.history[-1] == entries[-1]


def test_an_old_project_file_still_opens_with_its_history() -> None:
    # Format version 1 as the first Workbench wrote it: base64 columns, a NaN where there were no test points.
    dataset = {
        "class_names": ["a", "b"],
        "test_fraction": 0.0,
        "split_seed": 0,
        "points": encode([[0.0, 0.0], [1.0, 1.0]], "float64"),
        "labels": encode([0, 1], "int64"),
        "split_keys": encode([0.5, 0.7], "float64"),
    }
    history = {
        "step": encode([0, 50, 100], "int64"),
        "epoch": encode([0, 25, 50], "int64"),
        "train_loss": encode([0.7, 0.4, 0.2], "float64"),
        "train_accuracy": encode([0.5, 1.0, 1.0], "float64"),
        "test_loss": encode([math.nan] * 3, "float64"),
        "test_accuracy": encode([math.nan] * 3, "float64"),
    }
    document = {
        "format": "workbench-project",
        "format_version": 1,
        "created_by": "Workbench 0.1.0",
        "dataset": dataset,
        "network": {"features": ["x", "y"], "hidden": [], "n_classes": 2},
        "training": {"learning_rate": 0.03, "optimizer": "sgd", "momentum": 0.9, "batch_size": None,
                     "l2": 0.0, "seed": 0, "beta1": 0.9, "beta2": 0.999},
        "state": {"step": 100, "epoch": 50, "weights": None, "optimizer": None, "history": history},
    }
    loaded = project_from_bytes(json.dumps(document).encode())
    assert list(loaded.history.steps) == [0, 50, 100]
    assert [m.train_loss for m in loaded.history] == [0.7, 0.4, 0.2]
    assert math.isnan(loaded.history[-1].test_loss)
    assert loaded.make_trainer().step_count == 0  # no weights yet: a fresh start
