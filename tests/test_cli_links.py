"""`workbench train --connect/--residual`: skip connections from the command line to the spec, the saved
project, the export and the JSON result; impossible links end in one clear error line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.files.export import import_weights
from workbench.core.files.project import load_project
from workbench.core.model.spec import Link, NetworkSpec

EXAMPLE = ["--layers", "16,16,16", "--connect", "in>3,1>out", "--residual", "1>3"]


def _train(capsys, *args: str) -> dict:
    assert main(["train", *args, "--json", "--quiet"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "--json prints exactly one line on stdout"
    return json.loads(out)


def _error(capsys, *args: str) -> str:
    assert main(["train", "--dataset", "moons", "--steps", "1", *args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


def test_the_example_reaches_the_spec_the_json_the_project_and_the_export(capsys, tmp_path):
    project, weights = tmp_path / "skips.wbproj", tmp_path / "skips.safetensors"
    result = _train(
        capsys,
        "--dataset",
        "moons",
        *EXAMPLE,
        "--steps",
        "30",
        "--save",
        str(project),
        "--export",
        str(weights),
    )
    assert result["network"]["connections"] == ["in>3", "1>out"]
    assert result["network"]["residuals"] == ["1>3"]
    assert [layer["width"] for layer in result["network"]["hidden"]] == [16, 16, 16]
    saved = load_project(project)
    assert saved.spec.connections == (Link(0, 3), Link(1, 4)) and saved.spec.residuals == (Link(1, 3),)
    assert result["n_parameters"] == saved.spec.n_parameters == sum(w.size + b.size for w, b in saved.weights)
    # 2 extra rows (the input features) into layer 3, 16 (layer 1) into the output
    assert [w.shape for w, _ in saved.weights] == [(2, 16), (16, 16), (18, 16), (32, 2)]
    for (w0, b0), (w1, b1) in zip(import_weights(weights, saved.spec), saved.weights, strict=True):
        assert np.array_equal(w0, w1) and np.array_equal(b0, b1)


def test_a_project_keeps_its_links_unless_told_otherwise(capsys, tmp_path):
    project = tmp_path / "run.wbproj"
    _train(capsys, "--dataset", "moons", *EXAMPLE, "--steps", "5", "--save", str(project))

    kept = _train(capsys, "--project", str(project), "--steps", "5")
    assert (kept["steps"], kept["network"]["connections"]) == (10, ["in>3", "1>out"])
    assert kept["network"]["residuals"] == ["1>3"]

    replaced = _train(capsys, "--project", str(project), "--connect", "2>out", "--steps", "0")
    assert replaced["network"]["connections"] == ["2>out"] and replaced["network"]["residuals"] == ["1>3"]
    assert replaced["steps"] == 0, "another network starts from fresh weights"

    removed = _train(capsys, "--project", str(project), "--connect", "", "--residual", "", "--steps", "0")
    assert removed["network"]["connections"] == removed["network"]["residuals"] == []

    other_depth = _train(capsys, "--project", str(project), "--layers", "8,8", "--steps", "0")
    assert other_depth["network"]["connections"] == other_depth["network"]["residuals"] == []


def test_links_are_case_and_space_tolerant_and_listed_in_spec_order(capsys):
    result = _train(
        capsys, "--dataset", "xor", "--layers", "4,4,4", "--connect", " 2>OUT , IN>3 ", "--steps", "0"
    )
    assert result["network"]["connections"] == ["in>3", "2>out"]
    spec = NetworkSpec.from_dict(result["network"])
    assert spec.sources(4) == [3, 2] and spec.sources(3) == [2, 0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--connect", "1>2"], "connection 1>2: every layer already reads the one before it"),
        (["--connect", "3>1"], "connection 3>1: links go forward"),
        (["--connect", "in>4"], "connection 'in>4': there is no hidden layer 4 (hidden layers: 1 to 3)"),
        (["--connect", "x>3"], "'x' is not 'in', 'out' or a hidden layer number"),
        (["--connect", "1>3,,2>out"], "separated by single commas"),
        (["--connect", "1>3,1>3"], "a connection is listed twice"),
        (["--residual", "out>3"], "residual link out>3: nothing comes after the output"),
        (
            ["--residual", "in>1"],
            "residual link in>1: it adds 2 values to 16; a residual link needs equal widths",
        ),
        (["--layers", "16,8,16", "--residual", "1>2"], "it adds 16 values to 8"),
        (
            ["--connect", "in"],
            "quote the list, e.g. --connect 'in>3,1>out': a shell reads > as a redirection",
        ),
        (["--residual", "1"], "quote the list, e.g. --residual 'in>3,1>out'"),
        (["--layers", "", "--connect", "in>1"], "there is no hidden layer 1 (hidden layers: none)"),
    ],
)
def test_impossible_links_exit_2_with_one_line_naming_them(capsys, args, expected):
    if "--layers" not in args:
        args = ["--layers", "16,16,16", *args]
    assert expected in _error(capsys, *args)


def test_help_documents_the_options_with_the_example(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--connect LIST" in text and "--residual LIST" in text
    assert "--layers 16,16,16 --connect 'in>3,1>out' --residual '1>3'" in text
    assert "k>k+1 is not allowed" in text and "same width" in text
