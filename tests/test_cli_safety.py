"""The command line keeps files safe, reports out-of-memory and divergence by status, opens files in the GUI,
documents its defaults and exit codes, and trains with one BLAS thread."""

from __future__ import annotations

import re
import sys
import types

import numpy as np
import pytest

import workbench.cli as cli
from workbench.cli import main
from workbench.core.data.generators import GENERATORS, STARTING_DATASET, generate
from workbench.core.files.export import EXPORT_FORMATS
from workbench.core.files.project import load_project
from workbench.core.model.spec import NetworkSpec, TrainingSettings


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


@pytest.fixture
def trained(tmp_path, capsys):
    path = tmp_path / "p.wbproj"
    assert main(["train", "--dataset", "moons", "--points", "60", "--steps", "5", "--save", str(path)]) == 0
    capsys.readouterr()
    return path


# --- files --------------------------------------------------------------------------------------------------
def test_export_never_overwrites_its_own_project(capsys, trained) -> None:
    before = trained.read_bytes()
    message = _error(capsys, ["export", str(trained), "-o", str(trained), "--format", "json"])
    assert "would overwrite the input file" in message
    assert trained.read_bytes() == before


def test_a_py_export_may_not_put_its_weights_over_the_project(capsys, tmp_path, trained) -> None:
    project = tmp_path / "model.npz"  # a project saved under an odd name
    project.write_bytes(trained.read_bytes())
    message = _error(capsys, ["export", str(project), "-o", str(tmp_path / "model.py")])
    assert "would overwrite the input file" in message
    assert project.read_bytes() == trained.read_bytes()


def test_train_never_overwrites_its_data(capsys, tmp_path) -> None:
    data = tmp_path / "points.csv"
    data.write_text("x,y,label\n0,0,a\n1,1,b\n2,2,a\n3,3,b\n")
    before = data.read_bytes()
    assert "must end in .wbproj" in _error(
        capsys, ["train", "--data", str(data), "--steps", "1", "--save", str(data)]
    )
    link = tmp_path / "run.wbproj"
    link.symlink_to(data)  # the same file under a project name
    assert "would overwrite the input file of --data" in _error(
        capsys, ["train", "--data", str(data), "--steps", "1", "--save", str(link)]
    )
    same_as_export = tmp_path / "points.json"
    same_as_export.write_bytes(before)
    assert "would overwrite the input file of --data" in _error(
        capsys, ["train", "--data", str(same_as_export), "--steps", "1", "--export", str(same_as_export)]
    )
    assert data.read_bytes() == before and same_as_export.read_bytes() == before


def test_save_requires_the_project_extension_and_never_replaces_the_project_it_continues(
    capsys, trained
) -> None:
    assert "must end in .wbproj" in _error(
        capsys, ["train", "--dataset", "moons", "--steps", "1", "--save", str(trained.with_suffix(".json"))]
    )
    before = trained.read_bytes()
    assert "would overwrite the input file of --project" in _error(
        capsys, ["train", "--project", str(trained), "--steps", "5", "--save", str(trained), "--quiet"]
    )
    assert trained.read_bytes() == before
    continued = trained.with_name("continued.wbproj")
    args = ["train", "--project", str(trained), "--steps", "5", "--save", str(continued), "--quiet"]
    assert main(args) == 0
    assert load_project(continued).step == load_project(trained).step + 5


# --- out of memory and divergence ---------------------------------------------------------------------------
@pytest.mark.parametrize("error", ["MemoryError", "_ArrayMemoryError"])
def test_out_of_memory_is_one_error_line_with_status_2(capsys, monkeypatch, error) -> None:
    from workbench.core.training.trainer import Trainer

    def out_of_memory(self, n=1, should_stop=None):
        if error == "MemoryError":
            raise MemoryError
        np.empty((10**12, 10**6), np.float32)  # numpy's own _ArrayMemoryError, without using any memory

    monkeypatch.setattr(Trainer, "step", out_of_memory)
    message = _error(capsys, ["train", "--dataset", "moons", "--steps", "1", "--batch-size", "all"])
    assert re.search(r"not enough memory .* batches of \d+ points", message)
    assert "--batch-size" in message


def test_a_full_batch_too_large_for_the_memory_is_refused_before_allocating(capsys, monkeypatch) -> None:
    """The issue's case (a huge full batch into a 1,024-wide layer) on a machine with little free memory."""
    from workbench.core.model.engine import network as network_module

    monkeypatch.setattr(network_module, "available_memory", lambda: 50_000_000)
    argv = ["train", "--dataset", "moons", "--points", "20000", "--batch-size", "all", "--layers", "1024"]
    message = _error(capsys, [*argv, "--steps", "1"])
    assert re.search(r"not enough memory .* batches of 1[0-9],[0-9]{3} points", message)


# --- the GUI entry ------------------------------------------------------------------------------------------
def test_a_project_path_opens_the_gui_with_it(monkeypatch, trained) -> None:
    calls = []
    fake = types.ModuleType("workbench.qt.app")
    fake.main = lambda argv=None: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "workbench.qt.app", fake)
    assert main([str(trained)]) == 0
    assert calls == [[str(trained)]]


def test_a_missing_project_path_is_an_error_not_an_invalid_choice(capsys, tmp_path) -> None:
    message = _error(capsys, [str(tmp_path / "gone.wbproj")])
    assert "no such file" in message and "invalid choice" not in message


# --- help, defaults, layers ---------------------------------------------------------------------------------
def test_help_shows_the_defaults_formats_and_exit_codes(capsys) -> None:
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    settings, spec = TrainingSettings(), NetworkSpec()
    for expected in (
        f"learning rate (default {settings.learning_rate:g})",
        f"(default {settings.optimizer})",
        f"(default {settings.batch_size})",
        f"(default {','.join(str(layer.width) for layer in spec.hidden)})",
        f"(default {spec.hidden[0].activation})",
        "(default 0.2)",
        ", ".join(EXPORT_FORMATS),
        "3 training diverged",
    ):
        assert expected in text, expected
    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert all(f"{code} " in text for code in cli.EXIT_CODES)


def test_the_cli_and_the_window_start_from_the_same_spiral(capsys) -> None:
    assert main(["train", "--dataset", "spiral", "--steps", "0", "--json"]) == 0
    import json

    result = json.loads(capsys.readouterr().out)
    starting = generate(STARTING_DATASET)
    assert STARTING_DATASET == "spiral"
    assert result["network"]["n_classes"] == starting.n_classes == GENERATORS["spiral"].default_classes == 2
    assert result["n_train"] + result["n_test"] == len(starting)


def test_layers_with_an_empty_entry_are_refused(capsys) -> None:
    assert "empty" in _error(capsys, ["train", "--dataset", "moons", "--layers", "8,,8", "--steps", "1"])


# --- BLAS threads -------------------------------------------------------------------------------------------
def test_headless_training_runs_with_one_blas_thread(capsys, monkeypatch) -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen: list[int] = []
    original = cli._train

    def recording_train(trainer, n_steps, quiet, *rest):
        seen.extend(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
        return original(trainer, n_steps, quiet, *rest)

    monkeypatch.setattr(cli, "_train", recording_train)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):  # what numpy starts with on 2 cores
        before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        if not before or max(before) < 2:
            pytest.skip("this BLAS cannot run more than one thread here")
        assert main(["train", "--dataset", "moons", "--steps", "3", "--batch-size", "all", "--quiet"]) == 0
        after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert seen and set(seen) == {1}
    assert after == before  # restored for whoever runs next in this process
