"""`workbench gradcheck PROJECT [--json]`: the contract scripts rely on, and a loud failure on a broken
back-propagation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.cli import EXIT_GRADIENT_CHECK_FAILED, main
from workbench.core.model.engine import Tanh, make_activation
from workbench.core.model.engine import network as network_module


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.wbproj"
    argv = ["train", "--dataset", "spiral", "--points", "200", "--layers", "6,5", "--seed", "3"]
    assert main([*argv, "--steps", "300", "--save", str(path), "--quiet"]) == 0
    return path


class BrokenTanh(Tanh):
    """tanh with a wrong derivative (1 − a instead of 1 − a²): a test double."""

    name = ""

    def backward(self, dy: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.multiply(1 - self._a, dy, out=out)


def test_json_has_exactly_the_documented_keys(capsys, project) -> None:
    assert main(["gradcheck", str(project), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"max_relative_error", "parameters_checked"}
    assert isinstance(result["max_relative_error"], float) and result["max_relative_error"] < 1e-5
    assert result["parameters_checked"] == 2 * 6 + 6 + 6 * 5 + 5 + 5 * 2 + 2  # every parameter: a small net


def test_text_says_it_passed(capsys, project) -> None:
    assert main(["gradcheck", str(project)]) == 0
    out = capsys.readouterr().out
    assert "Gradient check passed" in out and "all 65 parameters" in out


def test_a_broken_backward_fails_with_its_own_exit_status(capsys, project, monkeypatch) -> None:
    def broken(name: str):
        return BrokenTanh() if name == "tanh" else make_activation(name)

    monkeypatch.setattr(network_module, "make_activation", broken)
    assert main(["gradcheck", str(project), "--json"]) == EXIT_GRADIENT_CHECK_FAILED
    captured = capsys.readouterr()
    assert json.loads(captured.out)["max_relative_error"] > 1e-2
    assert "FAILED" in captured.err


def test_a_missing_project_is_one_line_of_error(capsys, tmp_path) -> None:
    assert main(["gradcheck", str(tmp_path / "nope.wbproj")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
