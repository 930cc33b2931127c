"""Runs side by side: each run is a plain Trainer run; runs train in parallel processes; cancel stops them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training import comparison
from workbench.core.training.comparison import (
    Comparison,
    ComparisonError,
    RunCancelled,
    RunFinished,
    RunProgress,
    default_values,
    parse_values,
    plan_runs,
)
from workbench.core.training.trainer import Trainer
from workbench.core.training.trainer_process import limit_blas_threads

DATASET = generate("spiral", 120, 2, seed=5)
SPEC = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(5, "tanh")), n_classes=2)
SETTINGS = TrainingSettings(learning_rate=0.05, batch_size=8, seed=2)


def same_weights(a, b) -> bool:
    return all(
        wa.tobytes() == wb.tobytes() and ba.tobytes() == bb.tobytes()
        for (wa, ba), (wb, bb) in zip(a, b, strict=True)
    )


@pytest.mark.parametrize(
    ("parameter", "values"),
    [("seed", (4, 9)), ("learning_rate", (0.01, 0.1)), ("activation", ("relu", "sigmoid"))],
)
def test_each_run_equals_a_plain_trainer_run_with_its_seed_and_settings(parameter, values) -> None:
    limit_blas_threads()  # as in the workers: the same BLAS, the same sums
    steps = 257
    with Comparison(DATASET, SPEC, SETTINGS, parameter, values, steps, workers=2) as runs:
        results = runs.run()
    assert [r.index for r in results] == [0, 1]
    for result, value in zip(results, values, strict=True):
        spec, settings = SPEC, SETTINGS
        if parameter == "activation":
            spec = SPEC.with_hidden(tuple(LayerSpec(layer.width, value) for layer in SPEC.hidden))
        else:
            settings = replace(SETTINGS, **{parameter: value})
        plain = Trainer(DATASET, spec, settings)
        plain.step(steps)
        assert result.steps == steps and result.epoch == plain.epoch
        assert same_weights(result.weights, plain.get_weights()), result.label
        assert result.metrics == plain.evaluate()
        assert result.history == plain.history
        assert result.recording.latest.step == steps  # the last step is recorded, for scrubbing to the end
        record = result.recording.at(int(result.recording.steps[len(result.recording) // 2]))
        fresh = Trainer(DATASET, spec, settings)
        fresh.step(record.step)
        assert same_weights(record.weights, fresh.get_weights())


def test_runs_train_in_parallel_processes_and_report_progress() -> None:
    events = []
    with Comparison(DATASET, SPEC, SETTINGS, "seed", (0, 1, 2), 400, workers=2) as runs:
        assert runs.workers == min(2, comparison.scheduling.available_cpus())
        results = runs.run(events.append)
    assert [r.label for r in results] == ["seed 0", "seed 1", "seed 2"]
    finished = [e.result.index for e in events if isinstance(e, RunFinished)]
    assert sorted(finished) == [0, 1, 2]
    assert all(r.steps == 400 and r.divergence is None for r in results)
    assert len({r.weights[0][0].tobytes() for r in results}) == 3  # different seeds, different networks
    assert not results[0].weights[0][0].flags.writeable


def test_cancel_stops_every_run_promptly() -> None:
    runs = Comparison(DATASET, SPEC, SETTINGS, "seed", (0, 1, 2, 3), 10**9, workers=2)
    runs.start()
    try:
        seen: set[int] = set()
        while len(seen) < runs.workers:  # both workers are well into a (very long) run
            seen |= {e.index for e in runs.poll(None) if isinstance(e, RunProgress)}
        runs.cancel()
        events = []
        while not runs.finished:
            events.extend(runs.poll(None))
        assert sorted(e.index for e in events if isinstance(e, RunCancelled)) == [0, 1, 2, 3]
        assert runs.results == {} and runs.failures == {}
    finally:
        runs.close()
    assert all(not process.is_alive() for process in runs._processes.values())


def test_a_run_that_diverges_stops_there_and_says_so() -> None:
    settings = replace(SETTINGS, learning_rate=100.0, optimizer="sgd")
    with Comparison(DATASET, SPEC, settings, "seed", (0, 1), 2000, workers=1) as runs:
        results = runs.run()
    assert all(r.divergence and "diverged" in r.divergence for r in results)
    assert all(r.steps < 2000 and r.recording.latest.step <= r.steps for r in results)


@pytest.mark.parametrize(
    ("parameter", "values", "message"),
    [
        ("seed", (1,), "number of runs to compare must be a whole number from 2 to 9"),
        ("seed", tuple(range(10)), "from 2 to 9"),
        ("learning_rate", (0.1, 0.1), "each run needs its own learning rate: 0.1 appears twice"),
        ("learning_rate", (0.1, 1000.0), "run 2 (1000): the learning rate must be"),
        ("optimizer", ("adam", "rmsprop"), "unknown optimizer 'rmsprop'"),
        ("activation", ("tanh", "swirl"), "unknown activation 'swirl'"),
        ("batch_size", (0, 8), "run 1 (0): the batch size must be"),
        ("colour", (1, 2), "cannot vary 'colour'"),
    ],
)
def test_a_plan_that_cannot_run_says_what_to_change(parameter, values, message) -> None:
    with pytest.raises(ComparisonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_runs(SPEC, SETTINGS, parameter, values)


def test_typed_values_are_parsed_with_clear_errors() -> None:
    assert parse_values("batch_size", "8, 32 all") == (8, 32, None)
    assert parse_values("learning_rate", "0.01;0.1") == (0.01, 0.1)
    assert parse_values("optimizer", "Adam sgd") == ("adam", "sgd")
    with pytest.raises(ComparisonError, match="'x' is not a whole number or 'all'"):
        parse_values("batch_size", "8 x")
    with pytest.raises(ComparisonError, match="no training points"):
        Comparison(_no_training(), SPEC, SETTINGS, "seed", (0, 1), 5)
    with pytest.raises(ComparisonError, match="number of steps of each run"):
        Comparison(DATASET, SPEC, SETTINGS, "seed", (0, 1), 0)
    with pytest.raises(ComparisonError, match="no hidden layer"):
        plan_runs(replace(SPEC, hidden=()), SETTINGS, "activation", ("tanh", "relu"))


def _no_training():
    from workbench.core.data.dataset import Dataset

    return Dataset.empty()


@pytest.mark.parametrize("parameter", list(comparison.PARAMETERS))
def test_default_values_plan_valid_runs_around_the_projects_own_value(parameter) -> None:
    for count in (2, 4, 9):
        values = default_values(parameter, SPEC, SETTINGS, count)
        if parameter not in ("optimizer", "activation"):
            assert len(values) == count
        setups = plan_runs(SPEC, SETTINGS, parameter, values)
        assert len(setups) == len(values) >= 2
    own = {"seed": 2, "learning_rate": 0.05, "batch_size": 8, "momentum": 0.9, "optimizer": "momentum"}
    if parameter in own:  # the project's own value (or the nearest on the ladder) is among them
        values = default_values(parameter, SPEC, SETTINGS, 3)
        distance = [abs(v - own[parameter]) if isinstance(v, float) else v != own[parameter] for v in values]
        assert min(distance) < 0.03
