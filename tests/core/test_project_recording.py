"""Format version 3: a project keeps its run's weight recording; older files open without one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.files import project as project_module
from workbench.core.files.project import (
    Project,
    ProjectFormatError,
    load_project,
    project_from_bytes,
    project_to_bytes,
    save_project,
)
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Trainer

FIXTURES = Path(__file__).parent / "fixtures"


def recorded_run(steps: int = 200, spec: NetworkSpec | None = None) -> tuple[Trainer, Recording]:
    dataset = generate("xor", 80, seed=2)
    trainer = Trainer(dataset, spec or NetworkSpec(hidden=(LayerSpec(5, "tanh"),)), TrainingSettings())
    recording = Recording(trainer.spec)
    while trainer.step_count < steps:
        if recording.is_due(trainer.step_count):
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        due = recording.steps_until_due(trainer.step_count)
        trainer.step(max(1, min(due, steps - trainer.step_count)))
    recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
    return trainer, recording


def test_the_recording_survives_save_and_open_bit_for_bit(tmp_path) -> None:
    trainer, recording = recorded_run()
    path = tmp_path / "run.wbproj"
    save_project(Project.from_trainer(trainer, recording), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format_version"] == 4 and document["state"]["recording"]["network"]
    loaded = load_project(path).recording
    assert loaded is not None and loaded.is_frozen
    assert loaded.steps.tolist() == recording.steps.tolist()
    for got, want in zip(loaded, recording, strict=True):
        assert got.epoch == want.epoch and got.train_loss == want.train_loss
        for (w, b), (ww, wb) in zip(got.weights_list(), want.weights_list(), strict=True):
            np.testing.assert_array_equal(w, ww)
            np.testing.assert_array_equal(b, wb)


@pytest.mark.parametrize("name", ["version1.wbproj", "version1-before-links.wbproj"])
def test_older_files_open_without_a_recording_and_save_as_the_current_version(tmp_path, name) -> None:
    project = load_project(FIXTURES / name)
    assert project.recording is None
    save_project(project, tmp_path / "again.wbproj")
    document = json.loads((tmp_path / "again.wbproj").read_text(encoding="utf-8"))
    assert document["format_version"] == 4 and document["state"]["recording"] is None
    assert load_project(tmp_path / "again.wbproj").recording is None


def test_a_version_2_file_opens_without_a_recording() -> None:
    trainer, _ = recorded_run(30)
    document = json.loads(project_to_bytes(Project.from_trainer(trainer)))
    document["format_version"] = 2
    del document["state"]["recording"]
    assert project_from_bytes(json.dumps(document).encode()).recording is None


def test_a_large_recording_is_thinned_to_the_files_budget(monkeypatch) -> None:
    trainer, recording = recorded_run(400)
    monkeypatch.setattr(project_module, "FILE_RECORDING_BYTES", recording.record_footprint * 20)
    loaded = project_from_bytes(project_to_bytes(Project.from_trainer(trainer, recording))).recording
    assert 4 <= len(loaded) <= 20 < len(recording)
    assert loaded.first.step == 0 and loaded.latest.step == 400  # the start and the end survive thinning


def test_a_damaged_or_foreign_recording_is_a_clear_error() -> None:
    trainer, recording = recorded_run(60)
    valid = json.loads(project_to_bytes(Project.from_trainer(trainer, recording)))
    cases = [
        (lambda r: r["weights"][0]["W"].update(shape=[1, 2, 3]), r"state\.recording: node 1 W has shape"),
        (lambda r: r.update(format_version=9), r"state\.recording: made by a newer Workbench"),
        (lambda r: r["network"].update(hidden=[{"width": 3, "activation": "tanh"}]), "another network"),
        (lambda r: r.update(columns="x"), "'columns' is missing"),
    ]
    for damage, message in cases:
        document = json.loads(json.dumps(valid))
        damage(document["state"]["recording"])
        with pytest.raises(ProjectFormatError, match=message):
            project_from_bytes(json.dumps(document).encode())
    document = json.loads(json.dumps(valid))
    document["state"]["step"] = 10
    with pytest.raises(ProjectFormatError, match=r"goes past state\.step"):
        project_from_bytes(json.dumps(document).encode())


def test_a_recording_of_another_network_is_refused_on_save() -> None:
    trainer, _ = recorded_run(10)
    _, other = recorded_run(10, NetworkSpec(hidden=(LayerSpec(3, "relu"),)))
    with pytest.raises(ProjectFormatError, match="cannot save the project: the weight recording belongs"):
        project_to_bytes(Project.from_trainer(trainer, other))
