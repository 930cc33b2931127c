"""`workbench lesson`: the listing scripts read, the checker CI runs over every shipped lesson (exit 0 only
when every step's goals are met), and clear errors for bad names and broken lesson files."""

from __future__ import annotations

import json

import pytest

from workbench.cli import EXIT_LESSON_FAILED, EXIT_USAGE, main
from workbench.core.lessons.format import shipped_lessons

IMPOSSIBLE = """
title = "Impossible"
[[steps]]
title = "XOR without a hidden layer"
budget = 300
text = "No line separates XOR."
[steps.data]
generator = "xor"
points = 100
[steps.network]
layers = ""
[[steps.goals]]
kind = "test_accuracy"
at_least = 0.95
"""


def test_list_json_names_every_lesson_in_order(capsys) -> None:
    assert main(["lesson", "--list", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [item["name"] for item in items] == [lesson.name for lesson in shipped_lessons()]
    assert [item["order"] for item in items] == list(range(1, len(items) + 1))
    assert len(items) >= 11
    assert items[2]["title"] == "XOR needs a hidden layer"
    assert items[2]["steps"] == ["No line separates XOR", "Two hidden neurons suffice"]


def test_list_prints_one_line_per_lesson(capsys) -> None:
    assert main(["lesson", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(shipped_lessons())
    assert lines[0].split()[:2] == ["1", "neuron"]


def test_check_all_passes_for_every_shipped_lesson(capsys) -> None:
    assert main(["lesson", "check", "--all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is True
    assert len(result["lessons"]) == len(shipped_lessons())
    for lesson in result["lessons"]:
        for step in lesson["steps"]:
            assert step["passed"], (lesson["name"], step)
            assert step["goals"] and all(goal["met"] for goal in step["goals"])


def test_check_one_lesson_by_number(capsys) -> None:
    assert main(["lesson", "check", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok   xor: XOR needs a hidden layer")
    assert out.rstrip().endswith("s") and "1 of 1 lessons passed" in out


def test_a_lesson_that_misses_its_goal_fails_the_check(tmp_path, capsys) -> None:
    path = tmp_path / "impossible.toml"
    path.write_text(IMPOSSIBLE, encoding="utf-8")
    assert main(["lesson", "check", str(path)]) == EXIT_LESSON_FAILED
    out = capsys.readouterr().out
    assert "FAIL impossible" in out
    assert "step 1 'XOR without a hidden layer' after 300 steps: test accuracy ≥ 95 % — now" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lesson"], "give --list, 'check NAME' (or 'check --all') or 'open NAME'"),
        (["lesson", "check"], "'lesson check' takes one lesson name or --all"),
        (["lesson", "check", "xor", "--all"], "'lesson check' takes one lesson name or --all"),
        (["lesson", "check", "nope"], "no lesson 'nope'; the lessons are: neuron"),
        (["lesson", "open"], "'lesson open' takes one lesson name"),
        (["lesson", "--list", "check", "xor"], "--list takes no lesson name"),
        (["lesson", "teach"], "invalid choice: 'teach'"),
    ],
)
def test_bad_arguments_give_one_error_line(argv, message, capsys) -> None:
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_broken_lesson_file_is_a_clear_error(tmp_path, capsys) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(IMPOSSIBLE.replace("kind = ", "knd = "), encoding="utf-8")
    assert main(["lesson", "check", str(path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "broken.toml: step 1: goal 1: kind must be one of" in err
