"""The project file: exact round trips, continuing training, atomic writes and strict validation."""

from __future__ import annotations

import json
import math
import os
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.data.generators import generate
from workbench.core.files import project as project_module
from workbench.core.files.project import (
    FORMAT_VERSION,
    Project,
    ProjectFormatError,
    load_project,
    project_from_bytes,
    project_to_bytes,
    save_project,
)
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.trainer import Trainer


def _trained(optimizer: str = "adam", steps: int = 120, test_fraction: float = 0.25) -> Trainer:
    dataset = generate("spiral", n_points=90, n_classes=3, seed=2, test_fraction=test_fraction)
    spec = NetworkSpec(("x", "y", "xy"), (LayerSpec(6, "tanh"), LayerSpec(4, "relu")), 3)
    trainer = Trainer(dataset, spec, TrainingSettings(learning_rate=0.02, optimizer=optimizer, seed=5))
    trainer.step(steps)
    return trainer


@pytest.fixture(scope="module")
def valid_bytes() -> bytes:
    return project_to_bytes(Project.from_trainer(_trained()))


def _same_metrics(a, b) -> bool:
    return all(
        (x == y) or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a.to_dict().values(), b.to_dict().values(), strict=True)
    )


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_round_trip_keeps_everything_bit_exact(tmp_path, optimizer):
    trainer = _trained(optimizer, test_fraction=0.0)  # no test points: NaN test metrics must survive too
    original = Project.from_trainer(trainer)
    path = tmp_path / "session.wbproj"
    save_project(original, path)
    loaded = load_project(path)

    assert loaded.dataset.equals(original.dataset)
    assert loaded.spec == original.spec and loaded.settings == original.settings
    assert (loaded.step, loaded.epoch) == (trainer.step_count, trainer.epoch) == (120, original.epoch)
    for (w0, b0), (w1, b1) in zip(original.weights, loaded.weights, strict=True):
        assert w1.dtype == np.float32 and w1.tobytes() == w0.tobytes() and b1.tobytes() == b0.tobytes()
    assert loaded.optimizer_state.keys() == original.optimizer_state.keys()
    for key, value in original.optimizer_state.items():
        if isinstance(value, np.ndarray):
            assert loaded.optimizer_state[key].tobytes() == value.tobytes()
        else:
            assert loaded.optimizer_state[key] == value
    assert len(loaded.history) == len(original.history) > 1
    assert all(_same_metrics(a, b) for a, b in zip(original.history, loaded.history, strict=True))
    assert math.isnan(loaded.history[-1].test_loss)


def test_make_trainer_continues_where_the_project_stopped(tmp_path):
    trainer = _trained()
    path = tmp_path / "p.wbproj"
    save_project(Project.from_trainer(trainer), path)
    resumed = load_project(path).make_trainer()
    assert resumed.step_count == trainer.step_count and resumed.epoch == trainer.epoch
    assert resumed.evaluate() == trainer.evaluate()
    assert [m.step for m in resumed.history] == [m.step for m in trainer.history]
    resumed.step(30)
    assert resumed.step_count == trainer.step_count + 30
    # Adam state was restored: continuing differs from a fresh optimizer starting at the same weights
    fresh = Trainer(trainer.dataset, trainer.spec, trainer.settings, weights=trainer.get_weights())
    fresh.step(30)
    pairs = zip(fresh.get_weights(), resumed.get_weights(), strict=True)
    assert not all(np.array_equal(a, b) for (a, _), (b, _) in pairs)


def test_project_without_weights_or_history():
    dataset = generate("moons", n_points=20)
    project = Project(dataset, NetworkSpec(), TrainingSettings())
    loaded = project_from_bytes(project_to_bytes(project))
    assert loaded.weights is None and loaded.optimizer_state is None and len(loaded.history) == 0
    trainer = loaded.make_trainer()
    assert trainer.step_count == 0


def test_file_is_strict_utf8_json_documented_fields(valid_bytes):
    document = json.loads(valid_bytes.decode("utf-8"), parse_constant=lambda name: pytest.fail(name))
    assert document["format"] == "workbench-project" and document["format_version"] == FORMAT_VERSION
    assert set(document) >= {"dataset", "network", "training", "state"}
    assert set(document["state"]) == {
        "step",
        "epoch",
        "weights",
        "optimizer",
        "history",
        "shuffle",
        "recording",
        "gradients",
    }


def test_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "p.wbproj"
    save_project(Project.from_trainer(_trained(steps=10)), path)
    before = path.read_bytes()

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left"):
        save_project(Project.from_trainer(_trained(steps=40)), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.wbproj"], "the temporary file must be removed"
    assert load_project(path).step == 10


def test_save_into_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        save_project(Project.from_trainer(_trained(steps=1)), tmp_path / "missing" / "p.wbproj")


def _edit(valid: bytes, change) -> bytes:
    document = json.loads(valid)
    change(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format_version=FORMAT_VERSION + 1), "newer Workbench.*please update"),
        (lambda d: d.update(format="something-else"), "not a Workbench project"),
        (lambda d: d.pop("format_version"), "format_version"),
        (lambda d: d["network"].update(n_classes=2), "2 outputs but the dataset has 3 classes"),
        (lambda d: d["network"]["hidden"][0].update(width=7), "layer 1 W has shape"),
        (lambda d: d["network"]["hidden"][0].update(activation="swish"), "unknown activation"),
        (lambda d: d["training"].update(learning_rate=-1), "learning rate"),
        (lambda d: d["training"].update(optimizer="sgd"), "optimizer"),
        (lambda d: d["dataset"]["points"].update(shape=[3, 2]), "points: data length does not match"),
        (lambda d: d["dataset"]["labels"].update(shape=[3]), "dataset labels has shape"),
        (lambda d: d["dataset"]["points"].update(data="!!!!"), "points"),
        (lambda d: d["dataset"].update(test_fraction=2), "test fraction"),
        (lambda d: d["dataset"].update(class_names=["a"] * 9), "dataset"),
        (lambda d: d["state"].update(step=-3), "state.step"),
        (lambda d: d["state"].update(step=10**400), "state.step"),
        (lambda d: d["state"]["weights"].pop(), "weights must be a list of 3 layers"),
        (lambda d: d["state"]["history"].pop("train_loss"), "history train_loss"),
    ],
)
def test_malformed_projects_raise_one_error_type_with_a_reason(valid_bytes, change, message):
    with pytest.raises(ProjectFormatError, match=message):
        project_from_bytes(_edit(valid_bytes, change))


def test_non_finite_weights_are_refused_on_save_and_on_load():
    project = Project.from_trainer(_trained(steps=1))
    weights = [(w.copy(), b.copy()) for w, b in project.weights]
    weights[1][0][0, 0] = np.nan
    with pytest.raises(ProjectFormatError, match="cannot save the project: the weights contain NaN"):
        project_to_bytes(replace(project, weights=weights))

    document = json.loads(project_to_bytes(project))
    document["state"]["weights"][1]["W"] = project_module._encode_array(weights[1][0], "float32")
    with pytest.raises(ProjectFormatError, match="layer 2 contain NaN"):
        project_from_bytes(json.dumps(document).encode())


def test_inconsistent_projects_are_refused_on_save(tmp_path):
    project = Project.from_trainer(_trained(steps=1))
    path = tmp_path / "p.wbproj"
    with pytest.raises(ProjectFormatError, match="3 outputs but the dataset has 2 classes"):
        save_project(replace(project, dataset=generate("moons", n_points=10)), path)
    with pytest.raises(ProjectFormatError, match="weights have shapes"):
        save_project(replace(project, weights=project.weights[:-1]), path)
    assert not path.exists()


def test_not_json_not_utf8_and_missing_file(tmp_path, valid_bytes):
    with pytest.raises(ProjectFormatError, match="not valid JSON"):
        project_from_bytes(valid_bytes[: len(valid_bytes) // 2])
    with pytest.raises(ProjectFormatError, match="not UTF-8"):
        project_from_bytes(b"\xff\xfe" + valid_bytes)
    with pytest.raises(ProjectFormatError, match="not valid JSON"):
        project_from_bytes(valid_bytes.replace(b'"test_fraction": 0.25', b'"test_fraction": NaN'))
    with pytest.raises(ProjectFormatError, match="cannot read"):
        load_project(tmp_path / "absent.wbproj")


# ------------------------------------------------------------------------------------------------------------
# fuzzing: the only outcomes allowed are a loaded project or ProjectFormatError

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([10**400, -1, 0, 2**63, 2**64])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e308, -1e308, 5e-324])
    | st.text(max_size=8)
    | st.sampled_from(["NaN", "float32", "int64", "$array", "adam"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=10,
)


def _load_or_format_error(data: bytes) -> None:
    try:
        loaded = project_from_bytes(data)
    except ProjectFormatError as exc:
        assert str(exc)
    else:
        assert loaded.spec.n_classes == loaded.dataset.n_classes


@FUZZ
@given(data=st.binary(max_size=300))
def test_fuzz_random_bytes(data):
    _load_or_format_error(data)


@FUZZ
@given(data=st.data())
def test_fuzz_byte_level_mutations(valid_bytes, data):
    raw = bytearray(valid_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "truncate", "delete", "insert"]))
        pos = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "truncate":
            del raw[pos:]
        elif kind == "delete":
            del raw[pos : pos + data.draw(st.integers(1, 16))]
        else:
            raw[pos:pos] = data.draw(
                st.sampled_from([b"0", b"-", b"[", b"}", b'"', b"9e999", b"NaN", b"\xff"])
            )
    _load_or_format_error(bytes(raw))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


@settings(FUZZ, max_examples=600)
@given(data=st.data())
def test_fuzz_json_value_mutations(valid_bytes, data):
    document = json.loads(valid_bytes)
    paths = [p for p in _paths(document) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = data.draw(st.sampled_from(["replace", "delete", "wrap", "shape"]))
            if action == "replace":
                parent[path[-1]] = data.draw(json_values)
            elif action == "delete":
                del parent[path[-1]]
            elif action == "wrap":
                parent[path[-1]] = [parent[path[-1]]]
            elif isinstance(parent.get(path[-1]) if isinstance(parent, dict) else None, dict):
                record = parent[path[-1]]
                record["shape"] = data.draw(st.lists(st.integers(-2, 10**12) | st.just(10**400), max_size=3))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or retyped this path
    text = json.dumps(document, allow_nan=True)
    _load_or_format_error(text.encode())


def test_huge_shape_does_not_allocate(valid_bytes, monkeypatch):
    document = json.loads(valid_bytes)
    document["dataset"]["points"]["shape"] = [10**15, 2]
    with pytest.raises(ProjectFormatError, match="data length does not match"):
        project_from_bytes(json.dumps(document).encode())
    assert project_module.FORMAT_VERSION == 4


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_saved_run_continues_bit_for_bit_as_if_never_saved(tmp_path, optimizer):
    # 120 steps stop mid-epoch (67 training points, batches of 16): optimizer state and batch order count.
    trainer = _trained(optimizer)
    path = tmp_path / "run.wbproj"
    save_project(Project.from_trainer(trainer), path)
    resumed = load_project(path).make_trainer()
    for steps in (1, 7, 40):
        trainer.step(steps)
        resumed.step(steps)
        for (w0, b0), (w1, b1) in zip(trainer.get_weights(), resumed.get_weights(), strict=True):
            assert w0.tobytes() == w1.tobytes() and b0.tobytes() == b1.tobytes()
    assert resumed.metrics == trainer.metrics
    saved_at = 120  # the saved file's history ends with the state at saving
    assert [s for s in resumed.history.steps if s != saved_at] == list(trainer.history.steps)


def test_a_damaged_shuffling_state_is_a_clear_error(valid_bytes):
    document = json.loads(valid_bytes)
    document["state"]["shuffle"]["state"] = "not hex"
    with pytest.raises(ProjectFormatError, match="shuffl"):
        project_from_bytes(json.dumps(document).encode())
    del document["state"]["shuffle"]  # files without it (older ones) open: the batch order starts afresh
    assert project_from_bytes(json.dumps(document).encode()).shuffle_state is None


def test_the_gradient_flow_is_saved_and_a_continued_run_goes_on_from_it(tmp_path):
    """Reopening a project showed an empty Gradient Flow plot; the curves now come back and continue."""
    trainer = _trained(steps=400)
    flow = trainer.gradient_flow
    assert len(flow) == 8  # one measurement every 50 steps
    path = tmp_path / "run.wbproj"
    save_project(Project.from_trainer(trainer), path)
    loaded = load_project(path).gradients
    np.testing.assert_array_equal(loaded.steps, flow.steps)
    np.testing.assert_array_equal(loaded.grad_norms, flow.grad_norms)
    np.testing.assert_array_equal(loaded.update_ratios, flow.update_ratios)
    continued = load_project(path).make_trainer()
    continued.step(100)
    trainer.step(100)
    np.testing.assert_array_equal(continued.gradient_flow.steps, trainer.gradient_flow.steps)
    np.testing.assert_allclose(continued.gradient_flow.grad_norms, trainer.gradient_flow.grad_norms)


def test_a_damaged_gradient_flow_is_a_clear_error_and_a_missing_one_is_none(valid_bytes):
    document = json.loads(valid_bytes)
    document["state"]["gradients"]["steps"]["shape"] = [1]
    with pytest.raises(ProjectFormatError, match=r"state\.gradients"):
        project_from_bytes(json.dumps(document).encode())
    del document["state"]["gradients"]
    assert project_from_bytes(json.dumps(document).encode()).gradients is None
