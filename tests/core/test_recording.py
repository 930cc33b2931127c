"""The weight recording of a run: a bounded geometric schedule, lookups, storage and bit-exact weights."""

from __future__ import annotations

import copy
import itertools
import json
import math
import pickle
import tracemalloc

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings
from workbench.core.training.recording import (
    MAX_RECORDS,
    Recording,
    RecordingError,
    RecordingFormatError,
    StepNotRecorded,
    grid_steps,
    next_grid_step,
    weight_shapes,
)
from workbench.core.training.trainer import Trainer

SPEC = NetworkSpec(("x", "y"), (LayerSpec(6, "tanh"), LayerSpec(4, "relu")), 3)


def zeros(spec: NetworkSpec = SPEC, value: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.full(w, value, np.float32), np.full(b, value, np.float32)) for w, b in weight_shapes(spec)]


def run_schedule(recording: Recording, total: int) -> Recording:
    """Record wherever the schedule asks, up to step `total` (the weights say which step they are)."""
    while recording.next_step() <= total:
        step = recording.next_step()
        recording.add(step, step // 10, zeros(value=float(step)), {"train_loss": 1.0 / (step + 1)})
    return recording


# ------------------------------------------------------------------------------------------------ schedule
@pytest.mark.parametrize("total", [10**3, 10**4, 10**5, 10**6, 10**7])
def test_the_schedule_is_dense_early_geometric_later_and_bounded(total: int) -> None:
    recording = run_schedule(Recording(SPEC), total)
    steps = recording.steps
    assert len(steps) <= MAX_RECORDS
    assert len(steps) >= 100  # a slider has plenty to show at any run length
    assert steps[0] == 0 and steps[-1] > total / 1.2  # the start and (nearly) the end are there
    assert list(steps[:10]) == list(range(10))  # every one of the first steps: that is where change is fast
    gaps = np.diff(steps)
    ratios = steps[1:][steps[:-1] >= 100] / steps[:-1][steps[:-1] >= 100]
    # Geometric: each snapshot a roughly constant factor after the previous one (never a linear crawl).
    assert ratios.min() > 1.02 and ratios.max() < 1.25, (ratios.min(), ratios.max())
    assert (gaps > 0).all()
    # Memory: bounded by the capacity whatever the run's length.
    assert recording.nbytes <= recording.max_nbytes


def test_the_memory_bound_shrinks_the_capacity_for_large_networks() -> None:
    wide = NetworkSpec(("x", "y"), (LayerSpec(256, "tanh"), LayerSpec(256, "tanh")))
    budget = 4 * 2**20
    recording = Recording(wide, max_bytes=budget)
    assert recording.record_nbytes == 4 * wide.n_parameters  # float32
    assert 4 <= recording.capacity == budget // recording.record_footprint < MAX_RECORDS
    big = zeros(wide)
    while recording.next_step() <= 100_000:
        recording.add(recording.next_step(), 0, big)
        assert recording.nbytes <= budget
    assert recording.steps[0] == 0 and recording.steps[-1] > 20_000  # sparse, but to the end
    huge = NetworkSpec(("x", "y"), (LayerSpec(1024, "tanh"), LayerSpec(1024, "tanh")))
    assert Recording(huge, max_bytes=budget).capacity == 4  # never fewer: start, step 1, latest and one


def test_the_memory_estimate_matches_what_python_allocates() -> None:
    spec = NetworkSpec(("x", "y"), (LayerSpec(16, "tanh"),) * 3)
    weights = zeros(spec)
    tracemalloc.start()
    try:
        recording = Recording(spec)
        while recording.next_step() <= 10**7:
            recording.add(recording.next_step(), 0, weights, {"train_loss": 0.5})
        traced = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert recording.nbytes == pytest.approx(traced, rel=0.2)
    assert traced <= 1.2 * recording.max_nbytes


def test_a_smaller_budget_thins_a_copy_the_way_a_run_would() -> None:
    recording = run_schedule(Recording(SPEC), 100_000)
    small = recording.resized(max_records=30)
    assert len(small) <= 30 < len(recording) and small.level > recording.level
    assert small.steps[0] == 0 and small.steps[-1] == recording.steps[-1]
    grid = set(grid_steps(small.level, int(small.steps[-1])).tolist())
    assert set(small.steps[1:-1].tolist()) <= grid
    assert small.next_step() > small.steps[-1]
    assert len(recording) > 30  # the original is untouched


def test_thinning_keeps_the_first_and_latest_and_stays_on_a_coarser_grid() -> None:
    recording = Recording(SPEC, origin=1000, max_records=40)
    run_schedule(recording, 1000 + 50_000)
    assert recording.level >= 1 and len(recording) <= 40
    steps = recording.steps
    assert steps[0] == 1000
    grid = set((grid_steps(recording.level, 50_000) + 1000).tolist())
    assert set(steps[1:-1].tolist()) <= grid  # all but the first and latest lie on the thinned grid
    # Thinning at any time keeps the latest record, even off the grid (a pause between grid steps).
    latest_off_grid = int(steps[-1]) + 3
    recording.add(latest_off_grid, 0, zeros())
    for _ in range(20):
        recording.add(recording.next_step(), 0, zeros())
        assert recording.steps[0] == 1000
        grid = set((grid_steps(recording.level, int(recording.steps[-1]) - 1000) + 1000).tolist())
        assert set(recording.steps[1:-1].tolist()) <= grid
        assert recording.latest is not None and recording.latest.step == recording.steps[-1]


def test_grid_helpers_agree() -> None:
    for level in range(4):
        grid = grid_steps(level, 100_000)
        for a, b in itertools.pairwise(grid):
            assert next_grid_step(int(a), level) == b
            assert next_grid_step(int(b) - 1, level) == b
    assert set(grid_steps(2, 10**6)) <= set(grid_steps(1, 10**6)) <= set(grid_steps(0, 10**6))


def test_steps_until_due_tells_the_training_loop_where_to_stop() -> None:
    recording = Recording(SPEC)
    assert recording.steps_until_due(0) == 0
    recording.add(0, 0, zeros())
    assert recording.next_step() == 1 and recording.steps_until_due(0) == 1
    run_schedule(recording, 500)
    due = recording.next_step()
    assert recording.steps_until_due(due - 7) == 7 and recording.is_due(due) and recording.is_due(due + 5)


# ------------------------------------------------------------------------------------------------ lookups
def test_lookups_name_the_nearest_recorded_steps() -> None:
    recording = run_schedule(Recording(SPEC), 2000)
    assert recording.at(1).step == 1
    step = int(recording.steps[-3])
    assert float(recording.at(step).weights[0][0][0, 0]) == step
    missing = step + 1
    with pytest.raises(StepNotRecorded, match=f"step {missing:,} is not recorded") as caught:
        recording.at(missing)
    assert caught.value.nearest == (step, int(recording.steps[-2]))
    assert f"{step:,}" in str(caught.value)
    assert recording.nearest(missing).step == step
    assert recording.at_or_before(missing).step == step
    with pytest.raises(StepNotRecorded, match="empty"):
        Recording(SPEC).at(3)


def test_records_are_read_only_copies_and_frozen_views_never_change() -> None:
    recording = Recording(SPEC)
    weights = zeros(value=1.0)
    record = recording.add(0, 0, weights)
    weights[0][0][...] = 5.0  # the caller's arrays stay the caller's
    assert record.weights[0][0][0, 0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        record.weights[0][0][0, 0] = 2.0
    view = recording.frozen()
    run_schedule(recording, 3000)
    assert len(view) == 1 and list(view.steps) == [0]
    with pytest.raises(RecordingError, match="frozen"):
        view.add(10**6, 0, zeros())
    with pytest.raises(ValueError):
        recording.steps[0] = 5
    clone = pickle.loads(pickle.dumps(recording[3]))  # to another process
    assert not clone.weights[0][0].flags.writeable and clone.serial == recording[3].serial


def test_weights_of_another_network_are_refused() -> None:
    recording = Recording(SPEC)
    other = NetworkSpec(("x", "y"), (LayerSpec(7, "tanh"), LayerSpec(4, "relu")), 3)
    with pytest.raises(RecordingError, match="belongs to a network with shapes"):
        recording.add(0, 0, zeros(other))
    with pytest.raises(RecordingError, match="NaN"):
        recording.add(0, 0, zeros(value=math.nan))
    recording.add(5, 0, zeros())
    with pytest.raises(RecordingError, match="not after the latest"):
        recording.add(5, 0, zeros())
    with pytest.raises(RecordingError, match="before the recording's start"):
        Recording(SPEC, origin=10).add(3, 0, zeros())


def test_a_graph_spec_records_its_wider_weight_matrices() -> None:
    graph = NetworkSpec(("x", "y"), (LayerSpec(5, "tanh"), LayerSpec(5, "tanh")), 2).with_links(
        connections=[Link(0, 2)], residuals=[Link(1, 2)]
    )
    assert weight_shapes(graph)[1] == ((5 + 2, 5), (5,))  # rows: layer 1's block, then the input's
    recording = Recording(graph)
    recording.add(0, 0, zeros(graph))
    assert Recording.from_dict(recording.to_dict(), graph).at(0).weights[1][0].shape == (7, 5)


# ------------------------------------------------------------------------------------------------ sharing
def test_cut_after_forgets_the_steps_training_went_back_from() -> None:
    recording = run_schedule(Recording(SPEC), 400)
    before = recording.steps[recording.steps <= 100]
    recording.cut_after(100)
    assert list(recording.steps) == list(before)
    assert recording.next_step() > 100


def test_a_mirror_catches_up_from_deltas_even_after_cuts_and_thinning() -> None:
    owner = Recording(SPEC, max_records=30)
    mirror = Recording(SPEC, max_records=30)
    for total in (50, 300, 5000):
        run_schedule(owner, total)
        delta = pickle.loads(pickle.dumps(owner.delta(mirror)))  # across the process boundary
        assert len(delta.new) < len(owner) or total == 50  # only what the mirror lacks travels
        mirror.apply(delta)
        assert list(mirror.steps) == list(owner.steps) and mirror.level == owner.level
    sent = owner.delta(mirror).kept  # the owner may keep just the serials it sent, not a mirror
    owner.cut_after(int(owner.steps[-4]))
    owner.add(int(owner.steps[-1]) + 1, 0, zeros(value=-1.0))
    delta = owner.delta(sent)
    assert len(delta.new) == 1
    mirror.apply(delta)
    assert list(mirror.steps) == list(owner.steps)
    assert mirror.latest.weights[0][0][0, 0] == -1.0


def test_a_branch_starts_at_a_recorded_step_and_records_densely_after_it() -> None:
    parent = run_schedule(Recording(SPEC), 10_000)
    k = int(parent.steps[-10])
    branch = parent.branch(k)
    assert branch.parent_step == k and branch.origin == k and len(branch) == 1
    assert branch.first.weights[0][0][0, 0] == k  # the parent's weights at k
    assert branch.next_step() == k + 1
    run_schedule(branch, k + 30)
    assert list(branch.steps[:5]) == [k, k + 1, k + 2, k + 3, k + 4]
    with pytest.raises(StepNotRecorded, match="nearest recorded"):
        parent.branch(k + 1)
    restored = Recording.from_dict(branch.to_dict())
    assert restored.parent_step == k and restored.origin == k


# ------------------------------------------------------------------------------------------------ storage
def test_seeds_of_equal_length_record_the_same_steps() -> None:
    a = run_schedule(Recording(SPEC, max_records=60), 40_000)
    b = run_schedule(Recording(SPEC, max_records=60), 40_000)
    assert a.level > 0 and list(a.steps) == list(b.steps)


def test_to_dict_round_trips_bit_for_bit() -> None:
    recording = run_schedule(Recording(SPEC, max_records=50), 20_000)
    recording.add(
        int(recording.steps[-1]) + 2, 7, zeros(value=-0.0), {"train_loss": 0.5, "test_loss": math.nan}
    )
    data = recording.to_dict()
    restored = Recording.from_dict(json.loads(json.dumps(data, allow_nan=False)), SPEC)
    assert list(restored.steps) == list(recording.steps)
    assert restored.level == recording.level and restored.ratio == recording.ratio
    assert restored.next_step() == recording.next_step()
    for a, b in zip(recording, restored, strict=True):
        assert a.epoch == b.epoch
        assert a.metrics().keys() == b.metrics().keys()
        for name, value in a.metrics().items():
            assert (math.isnan(value) and math.isnan(b.metrics()[name])) or value == b.metrics()[name]
        for (wa, ba), (wb, bb) in zip(a.weights, b.weights, strict=True):
            assert wa.tobytes() == wb.tobytes() and ba.tobytes() == bb.tobytes()
            assert not wb.flags.writeable
    empty = Recording.from_dict(Recording(SPEC).to_dict())
    assert len(empty) == 0 and empty.next_step() == 0


def test_a_stored_recording_longer_than_the_capacity_is_thinned_on_load() -> None:
    data = run_schedule(Recording(SPEC), 10_000).to_dict()
    restored = Recording.from_dict(data, max_records=20)
    assert len(restored) <= 20 and restored.steps[0] == 0 and restored.steps[-1] == data_last_step(data)


def data_last_step(data: dict) -> int:
    return int(Recording.from_dict(data).steps[-1])


def _malformed_cases() -> list[tuple[str, object, str]]:
    base = run_schedule(Recording(SPEC), 30).to_dict()

    def changed(path: str, value: object) -> dict:
        data = copy.deepcopy(base)
        *parents, key = path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is KeyError:
            del target[key]
        else:
            target[key] = value
        return data

    steps = base["columns"]["step"]
    wrong_step_data = dict(steps, data=base["columns"]["epoch"]["data"])  # epochs (0, 0, ...) do not rise
    return [
        ("not an object", [1, 2], "not a JSON object"),
        ("newer", changed("format_version", 99), "newer Workbench"),
        ("no network", changed("network", KeyError), "'network' is missing"),
        ("bad network", changed("network.hidden", [{"width": 0, "activation": "tanh"}]), "layer width"),
        ("bad origin", changed("origin", -1), "'origin' must be a whole number"),
        ("bool level", changed("level", True), "'level'"),
        ("bad ratio", changed("ratio", 1.0), "'ratio'"),
        ("no columns", changed("columns", KeyError), "'columns' is missing"),
        ("bad step shape", changed("columns.step.shape", [2, 2]), "columns.step"),
        ("short epoch", changed("columns.epoch.shape", [3]), "columns.epoch has shape"),
        ("bad base64", changed("columns.train_loss.data", "!" * len(steps["data"]) * 2), "train_loss"),
        ("steps fall", changed("columns.step", wrong_step_data), "must rise"),
        ("missing node", changed("weights", base["weights"][:1]), "list of 3 nodes"),
        ("wrong W", changed("weights.1.W.shape", [len(base["columns"]["step"]["data"]), 6, 4]), "node 2 W"),
        ("float64 W", changed("weights.0.W.dtype", "float64"), "node 1 W must have dtype float32"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"), _malformed_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_malformed_recordings_are_refused_with_a_clear_message(name: str, data: object, message: str) -> None:
    with pytest.raises(RecordingFormatError, match="damaged recording") as caught:
        Recording.from_dict(data)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_a_recording_of_another_network_does_not_load_into_a_project() -> None:
    data = Recording(SPEC).to_dict()
    other = NetworkSpec(("x", "y"), (LayerSpec(6, "tanh"),), 3)
    with pytest.raises(RecordingFormatError, match="another network"):
        Recording.from_dict(data, other)


# ------------------------------------------------------------------------------------------------ determinism
@pytest.mark.parametrize(
    "settings",
    [
        TrainingSettings(learning_rate=0.01, optimizer="adam", batch_size=7, seed=3),
        TrainingSettings(learning_rate=0.05, optimizer="momentum", batch_size=None, l2=0.01, seed=11),
    ],
    ids=["adam-batches", "momentum-full-batch-l2"],
)
def test_recorded_weights_equal_a_fresh_run_of_that_many_steps_bit_for_bit(
    settings: TrainingSettings,
) -> None:
    dataset = generate("spiral", 150, 3, seed=2)
    spec = NetworkSpec(("x", "y", "xy"), (LayerSpec(10, "tanh"), LayerSpec(6, "relu")), 3)
    trainer = Trainer(dataset, spec, settings)
    recording = Recording(trainer.spec)
    total = 700
    while trainer.step_count < total:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
            continue
        result = trainer.step(min(wait, total - trainer.step_count, 64))  # a live loop also caps its chunks
        assert not result.diverged
    assert recording.steps[-1] > 600 and len(recording) > 60
    for k in recording.steps[[0, 1, 2, 19, 30, -8, -1]].tolist():
        record = recording.at(k)
        fresh = Trainer(dataset, spec, settings)
        fresh.step(k)
        assert fresh.step_count == k and record.epoch == fresh.epoch
        for (w, b), (fw, fb) in zip(record.weights, fresh.get_weights(), strict=True):
            assert w.tobytes() == fw.tobytes() and b.tobytes() == fb.tobytes(), f"step {k}"
        assert record.train_loss == fresh.metrics.train_loss
