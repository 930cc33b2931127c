"""Exported weights load in other tools and compute what the engine computes; bad imports are refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.files.export import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    WeightsExportError,
    WeightsImportError,
    export_weights,
    import_weights,
)
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import ACTIVATIONS, FEATURES, LayerSpec, NetworkSpec

ALL_FEATURES = tuple(FEATURES)
CLASS_NAMES = ["red", "green", "blue"]


def make_spec(
    activation: str = "tanh", features: tuple[str, ...] = ALL_FEATURES, widths=(6, 5)
) -> NetworkSpec:
    return NetworkSpec(features, tuple(LayerSpec(w, activation) for w in widths), n_classes=3)


def mixed_spec() -> NetworkSpec:
    """One hidden layer per activation, so a single network exercises all of them."""
    return NetworkSpec(ALL_FEATURES, tuple(LayerSpec(5, a) for a in ACTIVATIONS), n_classes=3)


def trained_looking_network(spec: NetworkSpec, seed: int = 1) -> Network:
    """Random weights with non-zero biases (fresh biases may be zero) and the first layer's biases zero,
    so the point (0, 0), whose features are all 0, hits a pre-activation of exactly 0."""
    network = Network(spec, seed=seed)
    rng = np.random.default_rng(seed)
    weights = [(w, rng.normal(0, 0.5, b.shape).astype(np.float32)) for w, b in network.get_weights()]
    weights[0] = (weights[0][0], np.zeros_like(weights[0][1]))
    network.set_weights(weights)
    return network


def sample_points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    near = rng.uniform(-3, 3, size=(300, 2))
    far = rng.uniform(-50, 50, size=(100, 2))
    special = np.array([[0.0, 0.0], [50.0, -50.0], [-50.0, 50.0], [0.0, 1.0], [1.0, 0.0]])
    return np.concatenate([special, near, far]).astype(np.float32)


# --- ONNX ------------------------------------------------------------------------------------------------


def run_onnx(path, points: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(["probabilities"], {"input": points.astype(np.float32)})
    return probabilities


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_matches_engine_for_every_activation(tmp_path, activation):
    spec = make_spec(activation)
    network = trained_looking_network(spec)
    path = export_weights(tmp_path / "model.onnx", spec, network.get_weights(), CLASS_NAMES)
    points = sample_points()
    expected = network.predict_proba(points)
    np.testing.assert_allclose(run_onnx(path, points), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("features", [("x",), ("y2",), ("xy", "siny"), ("sinx", "y", "x2")])
def test_onnx_matches_engine_for_any_feature_subset(tmp_path, features):
    spec = make_spec("tanh", features=features, widths=(4,))
    network = trained_looking_network(spec)
    path = export_weights(tmp_path / "model.onnx", spec, network.get_weights(), CLASS_NAMES)
    points = sample_points(2)
    np.testing.assert_allclose(run_onnx(path, points), network.predict_proba(points), atol=1e-5, rtol=0)


def test_onnx_model_is_valid_and_describes_itself(tmp_path):
    import onnx

    spec = mixed_spec()
    network = trained_looking_network(spec)
    path = export_weights(tmp_path / "model.onnx", spec, network.get_weights(), CLASS_NAMES)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert [opset.version for opset in model.opset_import if opset.domain in ("", "ai.onnx")] == [17]
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["probabilities"]
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["class_names"]) == CLASS_NAMES
    assert NetworkSpec.from_dict(json.loads(props["spec"])) == spec
    assert props["format"] == "workbench-weights"
    points = sample_points(3)
    np.testing.assert_allclose(run_onnx(path, points), network.predict_proba(points), atol=1e-5, rtol=0)


def test_onnx_step_is_zero_at_exactly_zero(tmp_path):
    """A single step neuron fed x: the output class flips exactly where the engine's does, at x > 0."""
    spec = NetworkSpec(("x",), (LayerSpec(1, "step"),), n_classes=2)
    weights = [
        (np.ones((1, 1), np.float32), np.zeros(1, np.float32)),
        (np.array([[5.0, -5.0]], np.float32), np.zeros(2, np.float32)),
    ]
    network = Network(spec)
    network.set_weights(weights)
    path = export_weights(tmp_path / "step.onnx", spec, weights, ["a", "b"])
    points = np.array([[-1e-7, 0.0], [0.0, 0.0], [1e-7, 0.0]], np.float32)
    engine = network.predict_proba(points)
    assert engine[0, 0] == pytest.approx(0.5) and engine[1, 0] == pytest.approx(0.5) and engine[2, 0] > 0.99
    np.testing.assert_allclose(run_onnx(path, points), engine, atol=1e-6, rtol=0)


# --- Round trips -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_export_import_round_trip_gives_identical_predictions(tmp_path, fmt):
    spec = mixed_spec()
    original = trained_looking_network(spec, seed=4)
    path = export_weights(tmp_path / f"model.{fmt}", spec, original.get_weights(), CLASS_NAMES)
    restored = Network(spec, seed=99)
    restored.set_weights(import_weights(path, spec))
    points = sample_points(5)
    np.testing.assert_array_equal(restored.predict_proba(points), original.predict_proba(points))
    for (w1, b1), (w2, b2) in zip(original.get_weights(), restored.get_weights(), strict=True):
        assert w2.dtype == np.float32 and b2.dtype == np.float32
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)


def test_npz_holds_exactly_the_state_dict_without_pickles(tmp_path):
    spec = make_spec("relu", features=("x", "y"), widths=(8, 4))
    network = trained_looking_network(spec)
    path = export_weights(tmp_path / "model.npz", spec, network.get_weights(), CLASS_NAMES)
    with np.load(path, allow_pickle=False) as data:
        tensors = {key: data[key] for key in data.files}
    assert {k: v.shape for k, v in tensors.items()} == {
        "0.weight": (8, 2),
        "0.bias": (8,),
        "2.weight": (4, 8),
        "2.bias": (4,),
        "4.weight": (3, 4),
        "4.bias": (3,),
    }
    assert all(v.dtype == np.float32 for v in tensors.values())
    np.testing.assert_array_equal(tensors["2.weight"], network.get_weights()[1][0].T)


def test_safetensors_and_json_carry_the_spec_and_class_names(tmp_path):
    from safetensors import safe_open

    spec = mixed_spec()
    weights = trained_looking_network(spec).get_weights()
    st_path = export_weights(tmp_path / "model.safetensors", spec, weights, CLASS_NAMES)
    with safe_open(str(st_path), framework="np") as handle:
        metadata = handle.metadata()
    assert metadata["format"] == "workbench-weights" and json.loads(metadata["format_version"]) == 1
    assert NetworkSpec.from_dict(json.loads(metadata["spec"])) == spec
    assert json.loads(metadata["class_names"]) == CLASS_NAMES

    json_path = export_weights(tmp_path / "model.json", spec, weights, CLASS_NAMES)
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert document["format"] == "workbench-weights" and document["format_version"] == 1
    assert NetworkSpec.from_dict(document["spec"]) == spec
    assert document["class_names"] == CLASS_NAMES
    assert np.array_equal(np.array(document["state_dict"]["0.weight"], np.float32), weights[0][0].T)


# --- PyTorch ---------------------------------------------------------------------------------------------


def test_npz_loads_into_the_matching_torch_sequential(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    spec = NetworkSpec(("x", "y"), (LayerSpec(8, "relu"), LayerSpec(8, "tanh")), n_classes=3)
    network = trained_looking_network(spec)
    path = export_weights(tmp_path / "model.npz", spec, network.get_weights(), CLASS_NAMES)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(path).items()})
    points = sample_points(6)
    with torch.no_grad():
        probabilities = torch.softmax(model(torch.from_numpy(points)), dim=1).numpy()
    np.testing.assert_allclose(probabilities, network.predict_proba(points), atol=1e-5, rtol=0)


def test_generated_pytorch_script_predicts_like_the_engine_without_workbench(tmp_path):
    pytest.importorskip("torch")
    spec = mixed_spec()
    network = trained_looking_network(spec, seed=7)
    script = export_weights(tmp_path / "classifier.py", spec, network.get_weights(), CLASS_NAMES)
    assert script == tmp_path / "classifier.py" and (tmp_path / "classifier.npz").is_file()
    points = sample_points(8)
    np.save(tmp_path / "points.npy", points)
    driver = textwrap.dedent(
        """
        import sys
        import numpy as np
        import classifier
        assert not any(name.startswith("workbench") for name in sys.modules), "the script imported Workbench"
        np.save("out.npy", classifier.predict(np.load("points.npy")))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, env=env, check=True, timeout=120)
    np.testing.assert_allclose(
        np.load(tmp_path / "out.npy"), network.predict_proba(points), atol=1e-5, rtol=0
    )
    demo = subprocess.run(
        [sys.executable, str(script)], cwd="/", env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0, demo.stderr
    assert any(name in demo.stdout for name in CLASS_NAMES)


# --- Export errors ---------------------------------------------------------------------------------------


def test_unknown_extension_is_refused_with_the_list_of_formats(tmp_path):
    spec = make_spec()
    weights = Network(spec).get_weights()
    with pytest.raises(ValueError, match=r"\.onnx") as info:
        export_weights(tmp_path / "model.h5", spec, weights, CLASS_NAMES)
    assert all(f".{fmt}" in str(info.value) for fmt in EXPORT_FORMATS)
    assert not (tmp_path / "model.h5").exists()


def test_explicit_format_overrides_the_extension(tmp_path):
    spec = make_spec()
    weights = trained_looking_network(spec).get_weights()
    path = export_weights(tmp_path / "weights.bin", spec, weights, CLASS_NAMES, fmt="json")
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "workbench-weights"


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_non_finite_weights_are_refused_and_nothing_is_written(tmp_path, fmt):
    spec = make_spec()
    weights = Network(spec).get_weights()
    weights[1] = (weights[1][0].copy(), weights[1][1].copy())
    weights[1][1][0] = np.nan
    with pytest.raises(WeightsExportError, match="non-finite"):
        export_weights(tmp_path / f"model.{fmt}", spec, weights, CLASS_NAMES)
    assert list(tmp_path.iterdir()) == []


def test_weights_that_do_not_fit_the_spec_or_class_names_are_refused(tmp_path):
    spec = make_spec()
    weights = Network(spec).get_weights()
    with pytest.raises(WeightsExportError, match="layer 1"):
        export_weights(tmp_path / "m.json", make_spec(widths=(7, 5)), weights, CLASS_NAMES)
    with pytest.raises(WeightsExportError, match="class names"):
        export_weights(tmp_path / "m.json", spec, weights, ["only", "two"])
    assert list(tmp_path.iterdir()) == []


def test_failed_write_reports_the_path(tmp_path):
    spec = make_spec()
    with pytest.raises(WeightsExportError, match="cannot write"):
        export_weights(tmp_path / "missing" / "m.npz", spec, Network(spec).get_weights(), CLASS_NAMES)


# --- Import errors ---------------------------------------------------------------------------------------


@pytest.fixture
def exported(tmp_path):
    """Every importable format written for one network."""
    spec = make_spec("relu", features=("x", "y", "x2"), widths=(8, 4))
    weights = trained_looking_network(spec).get_weights()
    paths = {
        fmt: export_weights(tmp_path / f"model.{fmt}", spec, weights, CLASS_NAMES) for fmt in IMPORT_FORMATS
    }
    return spec, paths


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_import_into_wider_layer_names_the_mismatch(exported, fmt):
    spec, paths = exported
    wider = make_spec("relu", features=spec.features, widths=(9, 4))
    message = "tensor '0.weight' has shape" if fmt == "npz" else "hidden layer 1: the file has 8 neurons"
    with pytest.raises(WeightsImportError, match=message):
        import_weights(paths[fmt], wider)


@pytest.mark.parametrize("fmt", ["safetensors", "json"])
def test_import_refuses_other_features_and_activations(exported, fmt):
    spec, paths = exported
    with pytest.raises(WeightsImportError, match="wrong input features"):
        import_weights(paths[fmt], make_spec("relu", features=("x", "y", "y2"), widths=(8, 4)))
    with pytest.raises(WeightsImportError, match=r"activation 'relu'.*'tanh'"):
        import_weights(paths[fmt], make_spec("tanh", features=spec.features, widths=(8, 4)))
    with pytest.raises(WeightsImportError, match="3 classes"):
        import_weights(paths[fmt], NetworkSpec(spec.features, spec.hidden, n_classes=2))


def test_import_names_missing_and_unexpected_tensors(exported, tmp_path):
    spec, paths = exported
    tensors = dict(np.load(paths["npz"]))
    del tensors["2.bias"]
    np.savez(tmp_path / "missing.npz", **tensors)
    with pytest.raises(WeightsImportError, match=r"missing tensor '2\.bias'"):
        import_weights(tmp_path / "missing.npz", spec)
    tensors = dict(np.load(paths["npz"]))
    tensors["6.weight"] = np.zeros((3, 3), np.float32)
    np.savez(tmp_path / "extra.npz", **tensors)
    with pytest.raises(WeightsImportError, match=r"unexpected tensor '6\.weight'"):
        import_weights(tmp_path / "extra.npz", spec)


def test_import_refuses_an_unknown_activation_and_a_newer_format(exported, tmp_path):
    spec, paths = exported
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    document["spec"]["hidden"][0]["activation"] = "swish"
    (tmp_path / "swish.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(WeightsImportError, match="unknown activation 'swish'"):
        import_weights(tmp_path / "swish.json", spec)
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    document["format_version"] = 5  # this Workbench writes 1 (chains), 2 (graphs), 3 (scaled), 4 (values)
    (tmp_path / "newer.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(WeightsImportError, match=r"newer Workbench.*up to version 4"):
        import_weights(tmp_path / "newer.json", spec)


def test_import_refuses_non_finite_json_values(exported, tmp_path):
    spec, paths = exported
    text = paths["json"].read_text(encoding="utf-8")
    document = json.loads(text)
    document["state_dict"]["0.bias"][0] = float("nan")
    (tmp_path / "nan.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(WeightsImportError, match="NaN"):
        import_weights(tmp_path / "nan.json", spec)
    document["state_dict"]["0.bias"][0] = 1e39  # finite in JSON, infinite in float32
    (tmp_path / "big.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(WeightsImportError, match="float32"):
        import_weights(tmp_path / "big.json", spec)


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_garbage_and_truncated_files_raise_import_errors(exported, tmp_path, fmt):
    spec, paths = exported
    data = paths[fmt].read_bytes()
    rng = np.random.default_rng(0)
    candidates = {
        "garbage": rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(),
        "empty": b"",
        "half": data[: len(data) // 2],
        "last byte missing": data.rstrip()[:-1],  # rstrip: a JSON file stays valid without its newline
        "header only": data[:16],
    }
    for label, content in candidates.items():
        broken = tmp_path / f"{label}.{fmt}"
        broken.write_bytes(content)
        with pytest.raises(WeightsImportError):
            import_weights(broken, spec)


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_files_with_flipped_bytes_import_or_raise_import_errors(exported, tmp_path, fmt):
    """Damage anywhere (header, zip directory, metadata, data) must never escape as another exception."""
    spec, paths = exported
    data = paths[fmt].read_bytes()
    rng = np.random.default_rng(1)
    target = tmp_path / f"damaged.{fmt}"
    for _ in range(400):
        damaged = bytearray(data)
        for position in rng.integers(0, len(data), rng.integers(1, 4)):
            damaged[position] = rng.integers(0, 256)
        target.write_bytes(
            bytes(damaged[: rng.integers(1, len(data) + 1)] if rng.random() < 0.3 else damaged)
        )
        try:
            weights = import_weights(target, spec)
        except WeightsImportError:
            continue
        assert all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in weights)


def test_import_refuses_unsupported_extensions_and_missing_files(exported, tmp_path):
    spec, _ = exported
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(WeightsImportError, match=r"\.npz, \.safetensors, \.json"):
        import_weights(tmp_path / "model.onnx", spec)
    with pytest.raises(WeightsImportError, match="no such file"):
        import_weights(tmp_path / "absent.npz", spec)


# --- Fuzzing the JSON importer ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def _mutate(document, path, value):
    """Replace the node at `path` (a list of choices, each picking a child) with `value`."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return value
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = _mutate(document[key], path[1:], value)
    return copy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mutate=st.booleans(),
    path=st.lists(st.integers(0, 50), max_size=6),
    value=json_values,
)
def test_json_importer_only_returns_weights_or_raises_import_error(exported, tmp_path, mutate, path, value):
    spec, paths = exported
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    candidate = _mutate(document, path, value) if mutate else value
    target = tmp_path / "fuzz.json"
    target.write_text(json.dumps(candidate), encoding="utf-8")
    try:
        weights = import_weights(target, spec)
    except WeightsImportError as exc:
        assert str(exc)
        return
    assert [(w.shape, b.shape) for w, b in weights] == [
        (w.shape, b.shape) for w, b in Network(spec).get_weights()
    ]
    assert all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in weights)
