"""The headless lesson checker behind `workbench lesson check`: does each step's reference set-up reach its
goals within its step budget, on this engine?

Why: a lesson claims things ("two tanh units solve XOR", "a step-function stack does not learn"); CI runs
this checker over every shipped lesson, so a change to the engine that makes a claim untrue fails the build.
Each step's reference set-up (its own, with the `solution` tables applied) trains with a plain `Trainer`
in chunks; after each chunk the goals are checked, and the step passes as soon as all of them hold at once
(what the lesson panel shows as ✓), or fails when the budget is spent. Goals that already hold before any
training fail too: such a step would show ✓ before the student did anything.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from workbench.core.lessons.format import Lesson, LessonError, Step
from workbench.core.lessons.goals import GoalResult, GoalState, evaluate_goals
from workbench.core.model.spec import SpecError
from workbench.core.training.trainer import Trainer

#: Steps trained between two checks of the goals (the trainer measures gradients every 50 steps).
CHUNK = 50
#: Expensive goals (a forward pass and a fit) are checked every this many chunks, and at the end.
EXPENSIVE_EVERY = 4


@dataclass(frozen=True)
class StepCheck:
    """The verdict on one step: passed, after how many steps, the goals at that moment, and any error."""

    number: int
    title: str
    passed: bool
    steps: int
    seconds: float
    results: tuple[GoalResult, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "title": self.title,
            "passed": self.passed,
            "steps_trained": self.steps,
            "seconds": round(self.seconds, 3),
            "goals": [result.to_dict() for result in self.results],
            **({"error": self.error} if self.error else {}),
        }


@dataclass(frozen=True)
class LessonCheck:
    """The verdicts on every step of one lesson."""

    name: str
    title: str
    steps: tuple[StepCheck, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(step.passed for step in self.steps)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "steps": [step.to_dict() for step in self.steps],
        }


def check_lesson(lesson: Lesson) -> LessonCheck:
    """Check every step of the lesson."""
    return LessonCheck(
        lesson.name,
        lesson.title,
        tuple(check_step(step, number) for number, step in enumerate(lesson.steps, start=1)),
    )


def check_step(step: Step, number: int = 1) -> StepCheck:
    """Train the step's reference set-up for at most its budget and report its goals (see the module)."""
    start = time.perf_counter()
    try:
        dataset, spec, settings = step.reference.build()
        trainer = Trainer(dataset, spec, settings)
    except (LessonError, SpecError) as exc:
        return StepCheck(number, step.title, False, 0, time.perf_counter() - start, error=str(exc))
    if not step.goals:
        return StepCheck(number, step.title, True, 0, time.perf_counter() - start)
    results: list[GoalResult] = []
    previous: dict[int, GoalResult] = {}
    chunk = 0
    while True:
        state = GoalState(
            trainer.step_count,
            trainer.spec,
            dataset,
            trainer.get_weights(),
            *_metrics(trainer),
            gradients=trainer.gradient_flow,
            test_rmse=float(trainer.metrics.test_rmse),
            test_r2=float(trainer.metrics.test_r2),
        )
        remaining = step.budget - trainer.step_count
        cheap = chunk % EXPENSIVE_EVERY != 0 and remaining > 0
        results = evaluate_goals(step.goals, state, cheap_only=cheap, previous=previous)
        if cheap and all(result.met for result in results):
            results = evaluate_goals(step.goals, state)  # confirm the older expensive verdicts now
        previous = dict(enumerate(results))
        chunk += 1
        if all(result.met for result in results) or remaining <= 0:
            break
        outcome = trainer.step(min(CHUNK, remaining))
        if outcome.steps == 0:  # diverged at once, or no training points
            break
    passed = all(result.met for result in results)
    error = None if passed or trainer.divergence is None else trainer.divergence
    if passed and trainer.step_count == 0:  # a step whose goals hold untrained asks the student nothing
        passed, error = False, "the goals already hold before any training: make them ask for something"
    seconds = time.perf_counter() - start
    return StepCheck(number, step.title, passed, trainer.step_count, seconds, tuple(results), error)


def _metrics(trainer: Trainer) -> tuple[float, float, float, float]:
    m = trainer.metrics
    values = (m.train_loss, m.train_accuracy, m.test_loss, m.test_accuracy)
    return tuple(float(v) if math.isfinite(v) else math.nan for v in values)  # type: ignore[return-value]
