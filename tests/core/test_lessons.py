"""Lessons: the file format (round trip, clear errors), every goal kind failing and passing, and the checker
that CI runs over the shipped lessons."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest

from workbench.core.controls import CONTROLS, VIEWS
from workbench.core.data.generators import generate
from workbench.core.lessons.checker import check_lesson, check_step
from workbench.core.lessons.emit import lesson_text, to_toml
from workbench.core.lessons.format import (
    Goal,
    LessonError,
    find_lesson,
    parse_lesson,
    shipped_lessons,
)
from workbench.core.lessons.goals import GoalState, evaluate_goal, last_layer_linear_accuracy
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings, parse_layers
from workbench.core.training.gradient_flow import GradientFlow

MINIMAL = """
title = "Small"
[[steps]]
title = "One"
budget = 400
[steps.data]
generator = "gaussians"
classes = 2
points = 100
[steps.network]
layers = ""
[[steps.goals]]
kind = "train_loss"
below = 0.01
"""


def lesson_with(extra: str = "", step_extra: str = "") -> str:
    """The minimal lesson with lines added at the top level (before the steps) and to the step."""
    head, _, steps = MINIMAL.partition("[[steps]]")
    first, _, rest = steps.partition("[steps.data]")
    return f"{head}{extra}\n[[steps]]{first}{step_extra}\n[steps.data]{rest}"


# --- the shipped lessons ------------------------------------------------------------------------------------
def test_the_shipped_lessons_follow_the_lecture_in_order() -> None:
    lessons = shipped_lessons()
    assert len(lessons) >= 11
    assert [lesson.order for lesson in lessons] == list(range(1, len(lessons) + 1))
    names = [lesson.name for lesson in lessons]
    assert names[:3] == ["neuron", "activations", "xor"]
    assert "skip-connections" in names
    for lesson in lessons:
        assert lesson.title and lesson.steps
        for step in lesson.steps:
            assert step.text.strip(), f"{lesson.name}: step {step.title!r} has no text"
            assert step.goals, f"{lesson.name}: step {step.title!r} checks nothing"


def test_a_lesson_is_found_by_name_number_stem_or_path(tmp_path) -> None:
    assert find_lesson("xor").name == "xor"
    assert find_lesson("3").name == "xor"
    assert find_lesson("03-xor").name == "xor"
    path = tmp_path / "07-mine.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    own = find_lesson(str(path))
    assert (own.name, own.order, own.title) == ("mine", 7, "Small")
    with pytest.raises(LessonError, match="no lesson 'nope'; the lessons are: neuron, activations"):
        find_lesson("nope")


# --- format -------------------------------------------------------------------------------------------------
def test_steps_take_the_lesson_defaults_and_the_solution_changes_only_the_reference() -> None:
    lesson = parse_lesson(
        """
        title = "Defaults"
        [setup.data]
        generator = "moons"
        seed = 4
        [setup.network]
        layers = "3:relu"
        [setup.training]
        learning_rate = 0.1
        [[steps]]
        title = "A"
        [[steps]]
        title = "B"
        [steps.training]
        learning_rate = 0.2
        [steps.solution.network]
        layers = "5:tanh,5:tanh"
        residuals = ["1>2"]
        """
    )
    first, second = lesson.steps
    assert first.setup.data.generator == "moons" and first.setup.data.seed == 4
    assert first.setup.spec.hidden == (LayerSpec(3, "relu"),)
    assert first.reference == first.setup
    assert second.setup.settings.learning_rate == 0.2  # the step's own key wins, the others stay
    assert second.setup.spec.hidden == (LayerSpec(3, "relu"),)
    assert second.reference.spec.hidden == parse_layers("5:tanh,5:tanh")
    assert second.reference.spec.residuals == (Link(1, 2),)
    assert second.reference.settings.learning_rate == 0.2


def test_a_step_can_start_from_a_shipped_example() -> None:
    text = MINIMAL.replace('generator = "gaussians"\nclasses = 2\npoints = 100', 'example = "iris"')
    step = parse_lesson(text).steps[0]
    dataset, spec, _ = step.setup.build()
    assert dataset.n_points == 150 and dataset.n_classes == spec.n_classes == 3
    with pytest.raises(LessonError, match="no example 'iriss'"):
        parse_lesson(text.replace('"iris"', '"iriss"')).steps[0].setup.build()


def test_relabel_turns_four_blobs_into_the_xor_pattern() -> None:
    lesson = parse_lesson(lesson_with().replace("classes = 2", "classes = 4\nrelabel = [0, 1, 0, 1]"))
    dataset = lesson.steps[0].setup.data.build()
    assert dataset.n_classes == 2
    signs = np.sign(dataset.points[:, 0] * dataset.points[:, 1])
    assert np.all((signs > 0) == (dataset.labels == 0))  # opposite corners share a class


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = ", "not a valid TOML file"),
        ('summary = "no title"\n[[steps]]\ntitle = "x"', 'title is missing: write title = "..."'),
        ('title = "No steps"', r"at least one \[\[steps\]\] table"),
        (lesson_with('colour = "red"'), "the lesson: unknown key 'colour'"),
        (lesson_with(step_extra='txet = "typo"'), "step 1: the step: unknown key 'txet'"),
        (MINIMAL.replace('"gaussians"', '"galaxy"'), "unknown generator 'galaxy'; choose from moons"),
        (MINIMAL.replace('layers = ""', 'layers = "4:swish"'), "unknown activation 'swish'"),
        (MINIMAL.replace('layers = ""', 'layers = "two"'), "width must be a whole number"),
        (MINIMAL.replace('kind = "train_loss"', 'kind = "happiness"'), "kind must be one of train_accuracy"),
        (
            MINIMAL.replace("below = 0.01", "below = 0.01\nabove = 0.001"),
            "give exactly one of below or above",
        ),
        (MINIMAL.replace("below = 0.01", "at_least = 0.1"), "unknown key 'at_least'"),
        (MINIMAL.replace("below = 0.01", "below = 0.01\nafter = 999"), "beyond the step's budget of 400"),
        (
            MINIMAL.replace('kind = "train_loss"', 'kind = "gradient_norm"\nlayer = 3'),
            "layer must be 1 to 1",
        ),
        (lesson_with(step_extra='views = ["lossPlott"]'), "views: unknown name 'lossPlott'; choose from"),
        (
            lesson_with(step_extra='[steps.classroom]\nlocked = ["lr"]'),
            "classroom locked: unknown name 'lr'; choose from network",
        ),
        (MINIMAL.replace("points = 100", "points = -5"), "the number of points must be"),
        (MINIMAL.replace("budget = 400", "budget = 0"), "budget must be a whole number of steps"),
        (
            MINIMAL.replace('generator = "gaussians"', 'dataset = "plane"'),
            'regression datasets \\(plane, gauss, formula\\) need task = "regression"',
        ),
        (
            MINIMAL.replace('generator = "gaussians"', 'task = "regression"\ndataset = "formula"'),
            'dataset "formula" needs formula',
        ),
    ],
)
def test_malformed_lessons_say_what_to_change(text: str, message: str) -> None:
    with pytest.raises(LessonError, match=message):
        parse_lesson(text, "bad")


REGRESSION = (
    MINIMAL.replace(
        'generator = "gaussians"\nclasses = 2', 'task = "regression"\ndataset = "formula"\nformula = "x / 6"'
    )
    .replace("budget = 400", "budget = 3000")
    .replace('layers = ""', 'layers = "4:tanh"')
    .replace('kind = "train_loss"\nbelow = 0.01', 'kind = "test_r2"\nat_least = 0.95')
)


def test_a_regression_lesson_builds_its_values_and_its_goal_is_checked() -> None:
    step = parse_lesson(REGRESSION).steps[0]
    data = step.setup.data
    assert (data.task, data.dataset, data.formula) == ("regression", "formula", "x / 6")
    dataset, spec, _ = step.setup.build()
    assert dataset.is_regression and len(dataset) == 100
    assert spec.task == "regression" and spec.layer_sizes[-1] == 1
    check = check_step(step)
    assert check.passed, check
    unreachable = REGRESSION.replace("at_least = 0.95", "at_least = 1.5")
    assert not check_step(parse_lesson(unreachable).steps[0]).passed


def test_a_regression_dataset_takes_no_classes() -> None:
    with pytest.raises(LessonError, match="takes no classes"):
        parse_lesson(REGRESSION.replace("points = 100", "points = 100\nclasses = 3"))


def test_lesson_text_round_trips_the_current_state() -> None:
    dataset = generate("moons", n_points=60, seed=2).replace(
        class_names=("left", 'say "hi"\\'), test_fraction=0.3
    )
    spec = NetworkSpec(("x", "y", "xy"), parse_layers("4:relu,3:tanh"), 2).with_links([Link(0, 2)], [])
    settings = TrainingSettings(learning_rate=0.07, optimizer="adam", batch_size=None, l2=0.001, seed=9)
    text = 'Line one with *Markdown* and σ(z) = 1 / (1 + e⁻ᶻ)\n\nA """ and a back\\slash.\n'
    goals = (Goal("test_accuracy", "at_least", 0.9), Goal("gradient_norm", "below", 1e-3, 100, 2))
    written = lesson_text(
        "Mine",
        "Try it",
        text,
        dataset,
        spec,
        settings,
        goals=goals,
        budget=300,
        views=["lossPlot"],
        hidden=["network"],
        locked=["learning_rate"],
    )
    lesson = parse_lesson(written, "mine")
    step = lesson.steps[0]
    assert (lesson.title, step.title, step.text) == ("Mine", "Try it", text)
    assert step.goals == goals and step.budget == 300
    assert (step.views, step.hidden, step.locked) == (("lossPlot",), ("network",), ("learning_rate",))
    rebuilt, rebuilt_spec, rebuilt_settings = step.setup.build()
    assert rebuilt.class_names == dataset.class_names
    np.testing.assert_allclose(rebuilt.points, dataset.points, rtol=1e-5)
    np.testing.assert_array_equal(rebuilt.labels, dataset.labels)
    np.testing.assert_array_equal(rebuilt.is_test, dataset.is_test)  # the same train/test split
    assert rebuilt_spec == spec and rebuilt_settings == settings


def test_standardized_inputs_survive_the_round_trip() -> None:
    dataset = generate("gaussians", n_points=50, seed=1)
    points = dataset.points * 40 + 300
    dataset = dataset.replace(points=points)
    from workbench.core.data.scaling import standardized_spec

    spec = standardized_spec(NetworkSpec(n_classes=3), "standardize", points[dataset.train_indices])
    written = lesson_text("S", "S", "", dataset, spec, TrainingSettings())
    _, rebuilt_spec, _ = parse_lesson(written).steps[0].setup.build()
    assert rebuilt_spec.input_scaling is not None
    np.testing.assert_allclose(rebuilt_spec.input_scaling.mean, spec.input_scaling.mean, rtol=1e-5)


def test_the_emitter_writes_what_tomllib_reads_back() -> None:
    document = {
        "title": 'quotes " and \\ and tab\t and \x01',
        "text": 'ends in a quote"',
        "more": 'three """ quotes\nand a second line\\n',
        "numbers": [1, 2.5, -3e-12],
        "flag": False,
        "rows": [[1.0, 2.0, 0], [3.5, -4.25, 1]],
        "odd key": 1,
        "table": {"inner": "x", "deeper": {"y": 2}},
        "items": [{"a": 1}, {"a": 2, "sub": {"b": "c"}}],
    }
    assert tomllib.loads(to_toml(document)) == document


# --- goals --------------------------------------------------------------------------------------------------
def state(**changes) -> GoalState:
    dataset = generate("gaussians", n_points=80, n_classes=2, seed=0)
    spec = NetworkSpec(hidden=parse_layers("3,2"), n_classes=2)
    values = dict(
        step=500,
        spec=spec,
        dataset=dataset,
        weights=Network(spec).get_weights(),
        train_loss=0.2,
        train_accuracy=0.9,
        test_loss=0.3,
        test_accuracy=0.85,
    )
    values.update(changes)
    return GoalState(**values)


@pytest.mark.parametrize(
    ("goal", "failing", "passing"),
    [
        (Goal("train_accuracy", "at_least", 0.95), {}, {"train_accuracy": 0.96}),
        (Goal("test_accuracy", "at_least", 0.95), {}, {"test_accuracy": 0.95}),
        (Goal("test_accuracy", "at_most", 0.6), {}, {"test_accuracy": 0.55}),
        (Goal("train_loss", "below", 0.05), {}, {"train_loss": 0.04}),
        (Goal("test_loss", "below", 0.05), {"test_loss": math.nan}, {"test_loss": 0.01}),
        (Goal("train_loss", "above", 0.5), {}, {"train_loss": 0.7}),
        (Goal("hidden_neurons", "at_most", 4), {}, {"spec": NetworkSpec(hidden=parse_layers("2,2"))}),
        (Goal("train_loss", "above", 0.1, after=1000), {}, {"step": 1000}),
    ],
)
def test_every_simple_goal_can_fail_and_pass(goal: Goal, failing: dict, passing: dict) -> None:
    assert not evaluate_goal(goal, state(**failing)).met
    passed = evaluate_goal(goal, state(**passing))
    assert passed.met, passed.text


def test_a_goal_with_after_says_how_long_to_wait() -> None:
    result = evaluate_goal(Goal("train_loss", "above", 0.1, after=1000), state(step=200))
    assert not result.met
    assert result.text == "train loss > 0.1 after 1,000 steps — now 0.2; wait until step 1,000"


def test_the_gradient_norm_goal_reads_the_latest_measurement_of_its_layer() -> None:
    flow = GradientFlow(3)
    flow.append(50, np.array([0.5, 0.2, 0.1]), np.zeros(3))
    goal = Goal("gradient_norm", "below", 1e-3, layer=1)
    assert not evaluate_goal(goal, state(gradients=flow.frozen())).met
    flow.append(100, np.array([5e-4, 0.2, 0.1]), np.zeros(3))
    result = evaluate_goal(goal, state(gradients=flow.frozen()))
    assert result.met and result.value == 5e-4
    unmeasured = evaluate_goal(goal, state(gradients=None))
    assert not unmeasured.met and "once training has run" in unmeasured.text


def test_separability_is_measured_on_the_last_hidden_layer() -> None:
    xor = parse_lesson(
        lesson_with().replace("classes = 2", "classes = 4\nrelabel = [0, 1, 0, 1]\nnoise = 0.3")
    )
    dataset = xor.steps[0].setup.data.build()
    plain = NetworkSpec(hidden=(), n_classes=2)  # the last "hidden layer" is the input itself
    assert last_layer_linear_accuracy(plain, Network(plain).get_weights(), dataset) <= 0.8
    products = NetworkSpec(features=("xy",), hidden=(), n_classes=2)  # x·y: one line separates XOR
    assert last_layer_linear_accuracy(products, Network(products).get_weights(), dataset) == 1.0
    goal = Goal("separable", "at_least", 1.0)
    assert not evaluate_goal(
        goal, state(spec=plain, dataset=dataset, weights=Network(plain).get_weights())
    ).met
    spec = products
    assert evaluate_goal(goal, state(spec=spec, dataset=dataset, weights=Network(spec).get_weights())).met


def test_regression_goals_read_rmse_and_r2_and_a_classifier_never_meets_them() -> None:
    goal = Goal("test_r2", "at_least", 0.9)
    assert evaluate_goal(goal, state(test_r2=0.93)).met
    assert not evaluate_goal(goal, state(test_r2=0.5)).met
    assert not evaluate_goal(goal, state()).met  # classification: R² is NaN
    assert evaluate_goal(Goal("test_rmse", "below", 0.1), state(test_rmse=0.05)).met


# --- checker ------------------------------------------------------------------------------------------------
def test_the_checker_passes_a_reachable_goal_and_stops_early() -> None:
    check = check_step(parse_lesson(MINIMAL).steps[0])
    assert check.passed, check
    assert 0 < check.steps < 400
    assert check.results[0].value < 0.01


def test_the_checker_fails_an_unreachable_goal_after_the_budget() -> None:
    text = lesson_with().replace("classes = 2", "classes = 4\nrelabel = [0, 1, 0, 1]")
    text = text.replace('kind = "train_loss"\nbelow = 0.01', 'kind = "test_accuracy"\nat_least = 0.95')
    check = check_lesson(parse_lesson(text))
    assert not check.passed
    (step,) = check.steps
    assert step.steps == 400 and not step.results[0].met
    assert check.to_dict()["steps"][0]["goals"][0]["goal"] == "test accuracy ≥ 95 %"


def test_the_checker_fails_goals_that_hold_before_any_training() -> None:
    text = MINIMAL.replace('kind = "train_loss"\nbelow = 0.01', 'kind = "hidden_neurons"\nat_most = 4')
    check = check_step(parse_lesson(text).steps[0])
    assert not check.passed and "already hold before any training" in check.error


def test_the_control_and_view_tables_name_real_object_names() -> None:
    for name, control in CONTROLS.items():
        assert control.object_names and control.description, name
    assert {"lossPlot", "hiddenSpacePlot", "gradientPlot", "lossLandscape", "backpropInspector"} <= set(VIEWS)


# --- docs ---------------------------------------------------------------------------------------------------
def test_the_teachers_reference_lists_every_goal_and_control_and_its_example_works() -> None:
    from pathlib import Path

    from workbench.core.lessons.format import GOAL_KINDS

    text = (Path(__file__).resolve().parents[2] / "docs" / "lessons.md").read_text(encoding="utf-8")
    for kind in GOAL_KINDS:
        assert f"`{kind}`" in text, kind
    for name, control in CONTROLS.items():
        objects = ", ".join(f"`{o}`" for o in control.object_names)
        assert f"| `{name}` | {control.description} | {objects} |" in text, name
    for view in VIEWS:
        assert f"`{view}`" in text, view
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    check = check_lesson(parse_lesson(example, "example"))
    assert check.passed, check
