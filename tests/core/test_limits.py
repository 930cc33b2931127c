"""One table of limits drives the core's validation and the project loader (the widgets: tests/qt)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from workbench.core import limits
from workbench.core.data.generators import generate
from workbench.core.files.project import Project, ProjectFormatError, load_project, project_to_bytes
from workbench.core.model.spec import LayerSpec, NetworkSpec, SpecError, TrainingSettings

#: table entry -> how to build a validated core value from one number
SETTINGS_FIELDS = {
    "learning_rate": "learning_rate",
    "momentum": "momentum",
    "batch_size": "batch_size",
    "l2": "l2",
    "seed": "seed",
}


def _outside(limit: limits.Limit) -> list[float]:
    step = 1 if limit.whole else max(limit.maximum * 1e-3, 1e-9)
    values = [limit.maximum + step]
    if limit.minimum - step >= 0 or limit.minimum > 0:
        values.append(limit.minimum - step if limit.whole else limit.minimum / 2)
    return values


@pytest.mark.parametrize("key", list(SETTINGS_FIELDS))
def test_training_settings_accept_the_table_range_and_refuse_outside_it(key: str) -> None:
    limit = limits.TABLE[key]
    field = SETTINGS_FIELDS[key]
    for value in (limit.minimum, limit.maximum):
        value = int(value) if limit.whole else value
        assert getattr(replace(TrainingSettings(), **{field: value}).validate(), field) == value
    for value in _outside(limit):
        value = int(value) if limit.whole else value
        with pytest.raises(SpecError, match=limit.name) as caught:
            replace(TrainingSettings(), **{field: value}).validate()
        assert f"{limit.maximum:g}" in str(caught.value) or f"{int(limit.maximum):,}" in str(caught.value)


def test_network_spec_follows_the_table() -> None:
    width, layers, classes = limits.LAYER_WIDTH, limits.HIDDEN_LAYERS, limits.CLASSES
    NetworkSpec(hidden=(LayerSpec(int(width.maximum)),)).validate()
    with pytest.raises(SpecError, match="layer width must be a whole number from 1 to 1,024"):
        NetworkSpec(hidden=(LayerSpec(int(width.maximum) + 1),)).validate()
    NetworkSpec(hidden=(LayerSpec(2),) * int(layers.maximum)).validate()
    with pytest.raises(SpecError, match=layers.name):
        NetworkSpec(hidden=(LayerSpec(2),) * (int(layers.maximum) + 1)).validate()
    with pytest.raises(SpecError, match=classes.name):
        NetworkSpec(n_classes=int(classes.maximum) + 1).validate()


def _project_document(**training_changes) -> bytes:
    project = Project(generate("moons", 20, seed=1), NetworkSpec(), TrainingSettings())
    document = json.loads(project_to_bytes(project))
    document["training"].update(training_changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"batch_size": 3_000_000_000}, "batch size must be a whole number from 1 to 1,000,000"),
        ({"l2": 50.0}, "L2 strength must be a number from 0 to 10"),
        ({"learning_rate": 1e-9}, "learning rate"),
        ({"momentum": 0.9999}, "momentum"),
    ],
)
def test_a_project_outside_the_table_is_a_clear_format_error(tmp_path, changes, expected) -> None:
    path = tmp_path / "p.wbproj"
    path.write_bytes(_project_document(**changes))
    with pytest.raises(ProjectFormatError, match=expected):
        load_project(path)


def test_layers_with_an_empty_entry_are_refused() -> None:
    from workbench.core.model.spec import parse_layers

    assert parse_layers("") == ()
    assert [layer.width for layer in parse_layers("8, 8")] == [8, 8]
    for text in ("8,,8", "8,", ",8"):
        with pytest.raises(SpecError, match="empty"):
            parse_layers(text)
