"""The lesson file format: a title and steps, each with Markdown text, a set-up, goals and a reference run.

Why TOML: teachers edit lessons in a text editor, and TOML reads like a settings file (Python reads it with
the standard library's `tomllib`; `emit.py` writes it for "Save as Lesson"). A file looks like this
(docs/lessons.md is the full reference)::

    title = "XOR needs a hidden layer"
    [setup.data]                 # defaults of every step (each step may override single keys)
    generator = "xor"
    [setup.network]
    layers = ""                  # no hidden layer
    [[steps]]
    title = "A single layer fails"
    text = "Markdown, with formulas in Unicode: σ(z) = 1 / (1 + e⁻ᶻ)"
    budget = 1000                # steps `workbench lesson check` trains the reference set-up
    views = ["lossPlot"]
    [[steps.goals]]
    kind = "test_accuracy"
    at_least = 0.95
    [steps.solution.network]     # what the reference run changes (the student's task)
    layers = "2:tanh"

Everything is checked when the file is read: unknown keys (typos), unknown names, values out of range all
raise `LessonError` with the file, the step and what to change, never a traceback.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core import limits
from workbench.core.controls import CONTROLS, VIEWS
from workbench.core.data.dataset import DEFAULT_CLASS_NAMES, Dataset, DatasetFormatError
from workbench.core.data.generators import GENERATORS
from workbench.core.model.spec import (
    FEATURES,
    LayerSpec,
    NetworkSpec,
    SpecError,
    TrainingSettings,
    parse_layers,
    parse_links,
)

RESOURCE_PACKAGE = "workbench.resources"
#: The task of a lesson's data: classes, or a target value per point.
TASKS = ("classification", "regression")
#: Generated datasets of the regression task (`data.dataset`; "formula" also takes `data.formula`).
REGRESSION_DATASETS = ("plane", "gauss", "formula")
#: The steps `lesson check` trains when a step names no budget.
DEFAULT_BUDGET = 2000
MAX_BUDGET = 200_000
_STEM = re.compile(r"^(\d+)[-_ ]+(.+)$")


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file, the step and what to change."""


# ----------------------------------------------------------------------------------------------------------
# Goals


#: Goal kind -> (what it measures, the bounds it takes). "at_least"/"at_most" for accuracies and counts,
#: "below"/"above" for losses and norms.
GOAL_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "train_accuracy": ("train accuracy", ("at_least", "at_most")),
    "test_accuracy": ("test accuracy", ("at_least", "at_most")),
    "train_loss": ("train loss", ("below", "above")),
    "test_loss": ("test loss", ("below", "above")),
    "hidden_neurons": ("hidden neurons", ("at_least", "at_most")),
    "gradient_norm": ("gradient norm ‖∂L/∂W‖", ("below", "above")),
    "separable": ("linear accuracy on the last hidden layer", ("at_least", "at_most")),
    "test_rmse": ("test RMSE", ("below", "above")),
    "test_r2": ("test R²", ("at_least", "at_most")),
}
#: Goals of the regression task (a classification run never meets them).
REGRESSION_GOALS = ("test_rmse", "test_r2")


@dataclass(frozen=True)
class Goal:
    """One condition on the training state, e.g. test accuracy at least 0.95 (see `GOAL_KINDS`).

    `after`: the goal counts only once the run has trained this many steps, so "still below 60 % after 2000
    steps" (a network that cannot learn) is a goal too. `layer` (gradient_norm): the weight matrix of node
    `layer` (1 = the first hidden layer's, L + 1 = the output's).
    """

    kind: str
    bound: str
    value: float
    after: int = 0
    layer: int = 1

    def describe(self) -> str:
        """The goal in words, e.g. "test accuracy ≥ 95 %"."""
        label = GOAL_KINDS[self.kind][0]
        if self.kind == "gradient_norm":
            label = f"‖∂L/∂W‖ of layer {self.layer}"
        sign = {"at_least": "≥", "at_most": "≤", "below": "<", "above": ">"}[self.bound]
        text = f"{label} {sign} {format_value(self.kind, self.value)}"
        return f"{text} after {self.after:,} steps" if self.after else text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, self.bound: self.value}
        if self.kind == "gradient_norm":
            data["layer"] = self.layer
        if self.after:
            data["after"] = self.after
        return data


def format_value(kind: str, value: float) -> str:
    """A measured or goal value as the lesson panel shows it (accuracies in %, norms in scientific)."""
    if not math.isfinite(value):
        return "–"
    if kind.endswith("accuracy") or kind == "separable":
        return f"{100 * value:.4g} %"
    if kind == "hidden_neurons":
        return f"{int(value)}"
    if kind == "gradient_norm" or (value != 0 and abs(value) < 1e-3):
        return f"{value:.2g}"
    return f"{value:.4g}"


# ----------------------------------------------------------------------------------------------------------
# Set-up


@dataclass(frozen=True)
class DataSetup:
    """Where a step's points come from: a generator with its seed, a shipped example or rows in the file."""

    generator: str | None = "spiral"
    example: str | None = None
    #: Inline points (x, y, label[, split key]) with their class names (Save as Lesson writes these).
    rows: tuple[tuple[float, ...], ...] = ()
    class_names: tuple[str, ...] = ()
    points: int | None = None
    classes: int | None = None
    noise: float | None = None
    seed: int = 0
    test_fraction: float = 0.2
    #: Generated class c becomes class relabel[c] (e.g. four blobs [0, 1, 0, 1] = the XOR pattern).
    relabel: tuple[int, ...] = ()
    task: str = "classification"
    #: A regression dataset (`REGRESSION_DATASETS`) and its formula.
    dataset: str | None = None
    formula: str | None = None

    def build(self) -> Dataset:
        """The dataset; raises LessonError when it cannot be made."""
        try:
            if self.dataset is not None:
                dataset = GENERATORS[self.dataset].generate(
                    self.points, None, self.noise, self.seed, self.test_fraction, self.formula
                )
            elif self.rows:
                dataset = self._from_rows()
            elif self.example:
                from workbench.core.files.examples import example

                try:
                    dataset = example(self.example).dataset(self.test_fraction, self.seed)
                except KeyError as exc:
                    raise LessonError(str(exc.args[0])) from None
            else:
                dataset = GENERATORS[str(self.generator)].generate(
                    self.points, self.classes, self.noise, self.seed, self.test_fraction
                )
            if self.relabel:
                dataset = _relabel(dataset, self.relabel)
        except (SpecError, DatasetFormatError) as exc:
            raise LessonError(f"data: {exc}") from None
        return dataset

    def _from_rows(self) -> Dataset:
        array = np.asarray(self.rows, dtype=np.float64)
        keys = array[:, 3] if array.shape[1] == 4 else None
        if self.task == "regression":  # rows are [x, y, target value(, split key)]
            return Dataset.regression(
                array[:, :2],
                array[:, 2],
                split_keys=keys,
                test_fraction=self.test_fraction,
                split_seed=self.seed,
            )
        names = self.class_names or DEFAULT_CLASS_NAMES[: int(array[:, 2].max()) + 1]
        if not np.array_equal(array[:, 2], np.round(array[:, 2])):
            raise LessonError("data: the labels (third number of each row) must be whole numbers")
        return Dataset(
            array[:, :2],
            array[:, 2].astype(np.int64),
            tuple(names),
            split_keys=keys,
            test_fraction=self.test_fraction,
            split_seed=self.seed,
        )


def _relabel(dataset: Dataset, relabel: tuple[int, ...]) -> Dataset:
    if len(relabel) != dataset.n_classes:
        raise LessonError(
            f"data: relabel lists {len(relabel)} classes but the dataset has {dataset.n_classes}"
        )
    n_new = max(relabel) + 1
    if sorted(set(relabel)) != list(range(n_new)):
        raise LessonError("data: relabel must use the classes 0, 1, ... without gaps")
    labels = np.asarray(relabel, dtype=np.int64)[dataset.labels]
    return dataset.replace(labels=labels, class_names=DEFAULT_CLASS_NAMES[:n_new])


@dataclass(frozen=True)
class Setup:
    """Everything a step starts from: data, network (standardized or not) and training settings."""

    data: DataSetup = field(default_factory=DataSetup)
    spec: NetworkSpec = field(default_factory=NetworkSpec)
    standardize: bool = False
    settings: TrainingSettings = field(default_factory=TrainingSettings)

    def build(self) -> tuple[Dataset, NetworkSpec, TrainingSettings]:
        """Dataset, spec (class count of the data, input scaling measured on its training points) and
        settings, ready for a `Trainer` or the window's document."""
        dataset = self.data.build()
        spec = replace(self.spec, n_classes=dataset.n_classes, task=dataset.task, input_scaling=None)
        if self.standardize:
            from workbench.core.data.scaling import standardized_spec

            spec = standardized_spec(spec, "standardize", dataset.points[dataset.train_indices])
        try:
            spec.validate()
        except SpecError as exc:
            raise LessonError(f"network: {exc}") from None
        return dataset, spec, self.settings


# ----------------------------------------------------------------------------------------------------------
# Lessons


@dataclass(frozen=True)
class Step:
    """One page of a lesson: text, the set-up it starts from, its goals and the reference run for checks."""

    title: str
    text: str
    setup: Setup
    #: The set-up `lesson check` trains: the step's own with the `solution` tables applied (the student's
    #: task done), or the set-up itself.
    reference: Setup
    goals: tuple[Goal, ...] = ()
    budget: int = DEFAULT_BUDGET
    views: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    #: The raw tables the step was read from (for writing it back unchanged).
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Lesson:
    """A title and its steps; `name` is the file stem without its order number ("xor" for 03-xor.toml)."""

    name: str
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    order: int = 0
    path: str = ""


def lesson_name(stem: str) -> tuple[int, str]:
    """("03-xor" -> (3, "xor")); a stem without a number sorts after the numbered ones."""
    match = _STEM.match(stem)
    if match:
        return int(match.group(1)), match.group(2)
    return 10**6, stem


def parse_lesson(text: str, name: str = "lesson", *, order: int = 0, path: str = "") -> Lesson:
    """Read a lesson from TOML text; raises LessonError naming what is wrong."""
    where = path or name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{where}: not a valid TOML file: {exc}") from None
    try:
        return _lesson(data, name, order, path)
    except LessonError as exc:
        raise LessonError(f"{where}: {exc}") from None


def load_lesson(path: str | Path) -> Lesson:
    """Read a lesson file (its name and order come from the file stem, e.g. 03-xor.toml)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"cannot read lesson {str(path)!r}: {exc}") from None
    order, name = lesson_name(path.stem)
    return parse_lesson(text, name, order=order, path=str(path))


def shipped_lessons() -> list[Lesson]:
    """The lessons in resources/lessons/, in their order."""
    folder = files(RESOURCE_PACKAGE).joinpath("lessons")
    lessons = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".toml"):
            continue
        stem = entry.name.removesuffix(".toml")
        order, name = lesson_name(stem)
        text = entry.read_text(encoding="utf-8")
        lessons.append(parse_lesson(text, name, order=order, path=f"resources/lessons/{entry.name}"))
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.name))


def find_lesson(name: str, lessons: list[Lesson] | None = None) -> Lesson:
    """A shipped lesson by name ("xor"), file stem ("03-xor"), number ("3") or the path of a .toml file."""
    if name.endswith(".toml"):
        return load_lesson(name)
    lessons = shipped_lessons() if lessons is None else lessons
    key = name.strip().lower()
    for lesson in lessons:
        stem = f"{lesson.order:02d}-{lesson.name}"
        if key in (lesson.name.lower(), stem.lower(), str(lesson.order)):
            return lesson
    known = ", ".join(lesson.name for lesson in lessons)
    raise LessonError(f"no lesson {name!r}; the lessons are: {known}")


_LESSON_KEYS = {"title", "summary", "setup", "steps", "classroom", "views"}
_STEP_KEYS = {
    "title",
    "text",
    "budget",
    "views",
    "goals",
    "solution",
    "classroom",
    "data",
    "network",
    "training",
}
_SETUP_KEYS = {"data", "network", "training"}
_DATA_KEYS = {
    "generator",
    "example",
    "rows",
    "class_names",
    "points",
    "classes",
    "noise",
    "seed",
    "test_fraction",
    "relabel",
    "task",
    "formula",
    "dataset",
}
_NETWORK_KEYS = {"features", "layers", "activation", "connections", "residuals", "standardize"}
_TRAINING_KEYS = {"optimizer", "learning_rate", "momentum", "batch_size", "l2", "seed", "beta1", "beta2"}
_CLASSROOM_KEYS = {"hidden", "locked"}


def _lesson(data: dict[str, Any], name: str, order: int, path: str) -> Lesson:
    _known_keys(data, _LESSON_KEYS, "the lesson")
    title = _text(data.get("title"), "title")
    summary = str(data.get("summary", ""))
    defaults = _table(data.get("setup", {}), "setup")
    _known_keys(defaults, _SETUP_KEYS, "[setup]")
    classroom = _table(data.get("classroom", {}), "[classroom]")
    lesson_views = _names(data.get("views", []), "views", VIEWS)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise LessonError("a lesson needs at least one [[steps]] table")
    steps = []
    for number, raw in enumerate(raw_steps, start=1):
        try:
            steps.append(_step(_table(raw, "step"), defaults, classroom, lesson_views))
        except LessonError as exc:
            raise LessonError(f"step {number}: {exc}") from None
    return Lesson(name, title, tuple(steps), summary, order, path)


def _step(
    raw: dict[str, Any], defaults: dict[str, Any], classroom: dict[str, Any], lesson_views: tuple[str, ...]
) -> Step:
    _known_keys(raw, _STEP_KEYS, "the step")
    title = _text(raw.get("title"), "title")
    text = str(raw.get("text", ""))
    own = {key: raw[key] for key in _SETUP_KEYS if key in raw}
    merged = _merge(defaults, own)
    setup = _setup(merged)
    solution = _table(raw.get("solution", {}), "solution")
    _known_keys(solution, _SETUP_KEYS, "[steps.solution]")
    reference = _setup(_merge(merged, solution)) if solution else setup
    budget = raw.get("budget", DEFAULT_BUDGET)
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise LessonError(f"budget must be a whole number of steps from 1 to {MAX_BUDGET:,}")
    goals_raw = raw.get("goals", [])
    if not isinstance(goals_raw, list):
        raise LessonError("goals must be a list of [[steps.goals]] tables")
    n_layers = len(reference.spec.hidden) + 1
    goals = tuple(_goal(_table(g, "goal"), i, n_layers) for i, g in enumerate(goals_raw, start=1))
    for number, goal in enumerate(goals, start=1):
        if goal.after > budget:
            raise LessonError(f"goal {number}: after = {goal.after} is beyond the step's budget of {budget}")
    step_classroom = _table(raw.get("classroom", classroom), "[steps.classroom]")
    _known_keys(step_classroom, _CLASSROOM_KEYS, "classroom")
    views = _names(raw["views"], "views", VIEWS) if "views" in raw else lesson_views
    return Step(
        title,
        text,
        setup,
        reference,
        goals,
        budget,
        views,
        _names(step_classroom.get("hidden", []), "classroom hidden", CONTROLS),
        _names(step_classroom.get("locked", []), "classroom locked", CONTROLS),
        raw=copy.deepcopy(raw),
    )


def _goal(raw: dict[str, Any], number: int, n_layers: int) -> Goal:
    kind = raw.get("kind")
    if kind not in GOAL_KINDS:
        raise LessonError(f"goal {number}: kind must be one of {', '.join(GOAL_KINDS)}, not {kind!r}")
    allowed = GOAL_KINDS[kind][1]
    _known_keys(raw, {"kind", "after", "layer", *allowed}, f"goal {number} ({kind})")
    bounds = [key for key in allowed if key in raw]
    if len(bounds) != 1:
        raise LessonError(f"goal {number} ({kind}): give exactly one of {' or '.join(allowed)}")
    value = raw[bounds[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LessonError(f"goal {number} ({kind}): {bounds[0]} must be a number")
    after = raw.get("after", 0)
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise LessonError(f"goal {number} ({kind}): after must be a whole number of steps")
    layer = raw.get("layer", 1)
    if kind == "gradient_norm" and (
        isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= n_layers
    ):
        raise LessonError(
            f"goal {number} (gradient_norm): layer must be 1 to {n_layers} (the output's weights are "
            f"layer {n_layers})"
        )
    return Goal(kind, bounds[0], float(value), after, int(layer))


def _setup(tables: dict[str, Any]) -> Setup:
    data = _data(_table(tables.get("data", {}), "[data]"))
    spec, standardize = _network(_table(tables.get("network", {}), "[network]"))
    settings = _training(_table(tables.get("training", {}), "[training]"))
    if data.task == "classification":
        try:
            spec.validate()
        except SpecError as exc:
            raise LessonError(f"network: {exc}") from None
    return Setup(data, spec, standardize, settings)


def _data(raw: dict[str, Any]) -> DataSetup:
    _known_keys(raw, _DATA_KEYS, "[data]")
    raw = dict(raw)
    task = raw.get("task", "classification")
    if task not in TASKS:
        raise LessonError(f"data: task must be {' or '.join(TASKS)}, not {task!r}")
    if "dataset" in raw:  # the regression datasets' key (plane, gauss, formula)
        if task != "regression" or raw["dataset"] not in REGRESSION_DATASETS:
            raise LessonError(
                f"data: dataset {raw['dataset']!r}: the regression datasets "
                f'({", ".join(REGRESSION_DATASETS)}) need task = "regression"; classification lessons use '
                "generator = ..."
            )
        if raw["dataset"] == "formula" and not isinstance(raw.get("formula"), str):
            raise LessonError('data: dataset "formula" needs formula = "..." (e.g. "sin(x) * y")')
        if raw["dataset"] != "formula" and "formula" in raw:
            raise LessonError(f"data: dataset {raw['dataset']!r} takes no formula")
        other = sorted(set(raw) & {"generator", "example", "rows", "classes", "relabel", "class_names"})
        if other:
            raise LessonError(f"data: a regression dataset takes no {', '.join(other)}")
        noise, seed, fraction = _noise_seed_and_fraction(raw)
        return DataSetup(
            generator=None,
            task=task,
            dataset=str(raw["dataset"]),
            formula=raw.get("formula"),
            points=_optional_int(raw, "points", limits.POINTS),
            noise=noise,
            seed=seed,
            test_fraction=fraction,
        )
    sources = [key for key in ("generator", "example", "rows") if key in raw]
    if len(sources) > 1:
        raise LessonError(f"data: give one of generator, example or rows, not {' and '.join(sources)}")
    generator = raw.get("generator", "spiral" if not sources else None)
    if generator is not None and generator not in GENERATORS:
        raise LessonError(f"data: unknown generator {generator!r}; choose from {', '.join(GENERATORS)}")
    rows: tuple[tuple[float, ...], ...] = ()
    if "rows" in raw:
        rows = _rows(raw["rows"])
    names = raw.get("class_names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise LessonError("data: class_names must be a list of texts")
    points = _optional_int(raw, "points", limits.POINTS)
    classes = _optional_int(raw, "classes", limits.CLASSES)
    noise, seed, fraction = _noise_seed_and_fraction(raw)
    relabel = raw.get("relabel", [])
    if not isinstance(relabel, list) or not all(isinstance(c, int) and c >= 0 for c in relabel):
        raise LessonError("data: relabel must be a list of class numbers, e.g. [0, 1, 0, 1]")
    example = raw.get("example")
    return DataSetup(
        generator=generator,
        example=None if example is None else str(example),
        rows=rows,
        class_names=tuple(names),
        points=points,
        classes=classes,
        noise=noise,
        seed=seed,
        test_fraction=fraction,
        relabel=tuple(relabel),
        task=task,
        formula=raw.get("formula"),
    )


def _noise_seed_and_fraction(raw: dict[str, Any]) -> tuple[float | None, int, float]:
    """The knobs every kind of generated data takes: noise (None: the generator's), seed, test fraction."""
    noise = raw.get("noise")
    if noise is not None and (isinstance(noise, bool) or not isinstance(noise, (int, float))):
        raise LessonError("data: noise must be a number")
    seed = raw.get("seed", 0)
    if not limits.SEED.contains(seed):
        raise LessonError(f"data: {limits.SEED.message}")
    fraction = raw.get("test_fraction", 0.2)
    if not limits.TEST_FRACTION.contains(fraction):
        raise LessonError(f"data: {limits.TEST_FRACTION.message}")
    return None if noise is None else float(noise), int(seed), float(fraction)


def _rows(value: Any) -> tuple[tuple[float, ...], ...]:
    if not isinstance(value, list) or not value:
        raise LessonError("data: rows must be a list of [x, y, label] rows")
    rows = []
    for number, row in enumerate(value, start=1):
        if (
            not isinstance(row, list)
            or len(row) not in (3, 4)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)
            or not all(math.isfinite(v) for v in row)
        ):
            raise LessonError(f"data: row {number} must be [x, y, label] or [x, y, label, split key] numbers")
        rows.append(tuple(float(v) for v in row))
    if len({len(row) for row in rows}) != 1:
        raise LessonError("data: every row needs the same count of numbers")
    return tuple(rows)


def _network(raw: dict[str, Any]) -> tuple[NetworkSpec, bool]:
    _known_keys(raw, _NETWORK_KEYS, "[network]")
    default = NetworkSpec()
    try:
        features = raw.get("features", list(default.features))
        if not isinstance(features, list) or not all(f in FEATURES for f in features):
            raise LessonError(f"network: features must be a list from {', '.join(FEATURES)}")
        activation = str(raw.get("activation", "tanh"))
        layers = raw.get("layers")
        if layers is None:
            hidden = tuple(LayerSpec(layer.width, activation) for layer in default.hidden)
        elif isinstance(layers, str):
            hidden = parse_layers(layers, activation)
        else:
            raise LessonError('network: layers must be a text like "8:tanh,8:tanh" ("" for none)')
        links = {}
        for key in ("connections", "residuals"):
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise LessonError(f'network: {key} must be a list of texts like "in>2"')
            links[key] = parse_links(",".join(value), len(hidden), key[:-1])
        spec = NetworkSpec(tuple(features), hidden).with_links(links["connections"], links["residuals"])
    except SpecError as exc:
        raise LessonError(f"network: {exc}") from None
    standardize = raw.get("standardize", False)
    if not isinstance(standardize, bool):
        raise LessonError("network: standardize must be true or false")
    return spec, standardize


def _training(raw: dict[str, Any]) -> TrainingSettings:
    _known_keys(raw, _TRAINING_KEYS, "[training]")
    values = TrainingSettings().to_dict()
    values.update(raw)
    if isinstance(values.get("batch_size"), str):
        if values["batch_size"] not in ("all", "full"):
            raise LessonError('training: batch_size must be a whole number or "all"')
        values["batch_size"] = None
    try:
        return TrainingSettings.from_dict(values)
    except SpecError as exc:
        raise LessonError(f"training: {exc}") from None


# ----------------------------------------------------------------------------------------------------------
# Small readers


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables of `over` replace single keys of `base`'s (one level deep: data, network, training)."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _known_keys(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise LessonError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LessonError(f"{where} must be a table")
    return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f'{key} is missing: write {key} = "..."')
    return value.strip()


def _names(value: Any, key: str, known: dict[str, Any]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LessonError(f"{key} must be a list of names")
    for name in value:
        if name not in known:
            raise LessonError(f"{key}: unknown name {name!r}; choose from {', '.join(known)}")
    return tuple(value)


def _optional_int(raw: dict[str, Any], key: str, limit: limits.Limit) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not limit.contains(value):
        raise LessonError(f"data: {limit.message}")
    return int(value)
