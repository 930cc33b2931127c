"""`workbench train` records its run; `timeline`, `export --at-step` and `animate` use the recording."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main
from workbench.core.data.generators import generate
from workbench.core.files.export import import_weights
from workbench.core.files.project import Project, load_project, save_project
from workbench.core.model.spec import NetworkSpec, TrainingSettings
from workbench.core.training.trainer import Trainer


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.wbproj"
    argv = ["train", "--dataset", "spiral", "--points", "200", "--layers", "6,6", "--seed", "3"]
    assert main([*argv, "--steps", "600", "--save", str(path), "--quiet"]) == 0
    return path


def _out(capsys, argv: list[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err  # one line, never a traceback
    return err


def test_timeline_lists_the_recorded_steps_dense_early_and_sparse_later(capsys, project) -> None:
    result = json.loads(_out(capsys, ["timeline", str(project), "--json"]))
    steps = result["steps"]
    assert steps[:21] == list(range(21)) and steps[-1] == 600 == result["step"]
    assert 50 < len(steps) < 150
    assert [r["step"] for r in result["records"]] == steps
    assert result["records"][-1]["train_loss"] < result["records"][0]["train_loss"]
    text = _out(capsys, ["timeline", str(project)])
    assert f"{len(steps)} recorded steps from step 0 to 600" in text


def test_the_weights_recorded_by_train_equal_a_fresh_run_of_that_many_steps(
    capsys, project, tmp_path
) -> None:
    saved = load_project(project)
    k = int(saved.recording.steps[40])
    out = tmp_path / "at.npz"
    assert f"recorded at step {k:,}" in _out(
        capsys, ["export", str(project), "--at-step", str(k), "-o", str(out)]
    )
    exported = import_weights(out, saved.spec)
    fresh = Trainer(saved.dataset, saved.spec, saved.settings)
    fresh.step(k)
    for (w, b), (fw, fb) in zip(exported, fresh.get_weights(), strict=True):
        np.testing.assert_array_equal(w, fw)
        np.testing.assert_array_equal(b, fb)


def test_export_at_a_step_that_is_not_recorded_names_the_nearest(capsys, project, tmp_path) -> None:
    steps = load_project(project).recording.steps.tolist()
    missing = steps[-2] + 1
    err = _error(capsys, ["export", str(project), "--at-step", str(missing), "-o", str(tmp_path / "w.npz")])
    assert f"step {missing:,} is not recorded; the nearest recorded steps are {steps[-2]:,} and" in err
    assert not (tmp_path / "w.npz").exists()


def test_a_project_without_a_recording_says_so(capsys, tmp_path) -> None:
    dataset = generate("xor", 40, seed=1)
    trainer = Trainer(dataset, NetworkSpec(), TrainingSettings())
    path = tmp_path / "old.wbproj"
    save_project(Project.from_trainer(trainer), path)
    assert json.loads(_out(capsys, ["timeline", str(path), "--json"]))["steps"] == []
    assert "no recorded steps" in _error(capsys, ["export", str(path), "--at-step", "0", "-o", "w.npz"])
    assert "no recorded steps" in _error(capsys, ["animate", str(path), "-o", str(tmp_path / "a.gif")])


def test_continuing_a_project_continues_its_recording(capsys, project, tmp_path) -> None:
    before = load_project(project).recording.steps.tolist()
    again = tmp_path / "more.wbproj"
    assert main(["train", "--project", str(project), "--steps", "300", "--save", str(again), "--quiet"]) == 0
    steps = load_project(again).recording.steps.tolist()
    assert steps[:60] == before[:60] and steps[-1] == 900


def test_animate_writes_a_gif_with_one_frame_per_recorded_step_or_as_many_as_asked(
    capsys, project, tmp_path
) -> None:
    out = tmp_path / "run.gif"
    text = _out(capsys, ["animate", str(project), "-o", str(out), "--size", "160x120", "--frames", "12"])
    assert "wrote 12 frames (steps 0 to 600)" in text
    with Image.open(out) as gif:
        assert gif.size == (160, 120) and gif.n_frames == 12
        gif.seek(0)
        first = np.asarray(gif.convert("RGB")).copy()
        gif.seek(11)
        last = np.asarray(gif.convert("RGB"))
    assert (first != last).any()  # the regions moved while it trained


def test_animate_the_hidden_space_as_mp4(capsys, project, tmp_path) -> None:
    out = tmp_path / "run.mp4"
    argv = ["animate", str(project), "-o", str(out), "--view", "hidden", "--layer", "2", "--frames", "8"]
    assert "wrote 8 frames" in _out(capsys, [*argv, "--fps", "4"])
    assert out.stat().st_size > 1000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "run.avi"], "choose a file ending in .gif or .mp4"),
        (["-o", "r.gif", "--size", "big"], "WIDTHxHEIGHT"),
        (["-o", "r.gif", "--fps", "100"], "frame rate must be"),
        (["-o", "r.gif", "--view", "hidden", "--layer", "5"], "layer"),
    ],
)
def test_animate_refuses_bad_options_with_one_line(
    capsys, project, tmp_path, monkeypatch, extra, message
) -> None:
    monkeypatch.chdir(tmp_path)
    assert message in _error(capsys, ["animate", str(project), *extra])


def test_animate_runs_headless_from_the_command_line(project, tmp_path) -> None:
    out = tmp_path / "cli.gif"
    command = [sys.executable, "-m", "workbench", "animate", str(project), "-o", str(out), "--frames", "3"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "PySide6" not in done.stderr and out.exists()


def test_a_listing_cut_short_by_its_reader_ends_quietly(project) -> None:
    """`workbench timeline P | head -1`: the closed pipe is the reader's choice, not an error to print."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    command = [sys.executable, "-m", "workbench", "timeline", str(project)]
    try:
        result = subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert result.returncode == 0
    assert result.stderr == ""
