"""Exports of networks with connections and residual links: documented tensor names, the same numbers in
ONNX and PyTorch as in the engine, one SGD step equal to torch autograd, and an import back that checks the
links."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.files.export import (
    IMPORT_FORMATS,
    WeightsImportError,
    export_weights,
    import_weights,
)
from workbench.core.files.export.layout import state_from_weights
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings, parse_links
from workbench.core.training.trainer import Trainer

CLASS_NAMES = ["red", "green", "blue"]


def graph(
    activations=("relu", "tanh", "leaky_relu"),
    widths=(6, 5, 6),
    connect: str = "in>3,1>out,2>out",
    residual: str = "1>3",
    features=("x", "y", "xy", "sinx"),
) -> NetworkSpec:
    hidden = tuple(LayerSpec(w, a) for w, a in zip(widths, activations, strict=True))
    spec = NetworkSpec(tuple(features), hidden, n_classes=3)
    return spec.with_links(parse_links(connect, len(hidden)), parse_links(residual, len(hidden))).validate()


def made_up_weights(spec: NetworkSpec, seed: int = 1, scale: float = 0.6) -> list:
    """Weights in the engine's layout (W (fan_in, width), the sources' blocks stacked), non-zero biases."""
    rng = np.random.default_rng(seed)
    sizes = spec.layer_sizes
    return [
        (
            rng.normal(0, scale, (spec.fan_in(node), sizes[node])).astype(np.float32),
            rng.normal(0, scale, sizes[node]).astype(np.float32),
        )
        for node in range(1, spec.output_node + 1)
    ]


def sample_points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    near = rng.uniform(-3, 3, size=(300, 2))
    far = rng.uniform(-20, 20, size=(60, 2))
    return np.concatenate([[[0.0, 0.0], [1.0, -1.0]], near, far]).astype(np.float32)


def engine_probabilities(spec: NetworkSpec, weights, points: np.ndarray) -> np.ndarray:
    return Network.from_weights(spec, weights).predict_proba(points)


# --- names -----------------------------------------------------------------------------------------------


def test_a_graph_stores_one_pair_per_linear_and_one_matrix_per_connection_under_documented_names(tmp_path):
    spec = graph()  # features 4; widths 6, 5, 6; in>3, 1>out, 2>out; residual 1>3 (no weights)
    weights = made_up_weights(spec)
    path = export_weights(tmp_path / "model.npz", spec, weights, CLASS_NAMES)
    with np.load(path, allow_pickle=False) as data:
        shapes = {key: data[key].shape for key in data.files}
        tensors = {key: data[key] for key in data.files}
    assert list(shapes.items()) == [
        ("linear.1.weight", (6, 4)),
        ("linear.1.bias", (6,)),
        ("linear.2.weight", (5, 6)),
        ("linear.2.bias", (5,)),
        ("linear.3.weight", (6, 5)),
        ("linear.3.bias", (6,)),
        ("linear.out.weight", (3, 6)),
        ("linear.out.bias", (3,)),
        ("connections.in_to_3.weight", (6, 4)),
        ("connections.1_to_out.weight", (3, 6)),
        ("connections.2_to_out.weight", (3, 5)),
    ]
    # The engine's stacked W of the output reads h3 (rows 0-5), then h1 (6-11), then h2 (12-16).
    w_out = weights[3][0]
    np.testing.assert_array_equal(tensors["linear.out.weight"], w_out[:6].T)
    np.testing.assert_array_equal(tensors["connections.1_to_out.weight"], w_out[6:12].T)
    np.testing.assert_array_equal(tensors["connections.2_to_out.weight"], w_out[12:].T)
    np.testing.assert_array_equal(tensors["connections.in_to_3.weight"], weights[2][0][5:].T)


def test_a_chain_keeps_the_sequential_keys_and_format_version_1(tmp_path):
    spec = graph(connect="", residual="")
    path = export_weights(tmp_path / "model.json", spec, made_up_weights(spec), CLASS_NAMES)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert list(document["state_dict"]) == [f"{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")]
    assert document["format_version"] == 1 and "forward" not in document
    assert document["modules"][:2] == ["Linear(4, 6)", "ReLU()"]


def test_metadata_records_the_links_and_the_forward_pass(tmp_path):
    spec = graph()
    path = export_weights(tmp_path / "model.json", spec, made_up_weights(spec), CLASS_NAMES)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format_version"] == 2
    assert document["spec"]["connections"] == ["in>3", "1>out", "2>out"]
    assert document["spec"]["residuals"] == ["1>3"]
    assert document["forward"] == [
        "h1 = relu(linear.1(in))",
        "h2 = tanh(linear.2(h1))",
        "h3 = leaky_relu(linear.3(h2) + connections.in_to_3(in)) + h1",
        "logits = linear.out(h3) + connections.1_to_out(h1) + connections.2_to_out(h2)",
    ]
    assert "connections.in_to_3: Linear(4, 6, bias=False)" in document["modules"]
    assert "linear.{node}.weight" in document["weight_layout"]


# --- the same numbers everywhere -------------------------------------------------------------------------


def run_onnx(path, points: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(["probabilities"], {"input": points.astype(np.float32)})
    return probabilities


@pytest.mark.parametrize(
    ("connect", "residual", "widths"),
    [
        ("in>3,1>out,2>out", "1>3", (6, 5, 6)),
        ("in>2,in>3,in>out", "", (4, 4, 4)),
        ("", "1>2,2>3,1>3", (5, 5, 5)),
        ("1>3", "in>out", (3, 3, 3)),  # features x, y, xy: 3 values, like the 3 classes
    ],
)
def test_onnx_of_a_graph_matches_the_engine(tmp_path, connect, residual, widths):
    import onnx

    features = ("x", "y", "xy") if "in>out" in residual else ("x", "y", "xy", "sinx")
    spec = graph(widths=widths, connect=connect, residual=residual, features=features)
    weights = made_up_weights(spec, seed=len(connect))
    path = export_weights(tmp_path / "model.onnx", spec, weights, CLASS_NAMES)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert [opset.version for opset in model.opset_import if opset.domain in ("", "ai.onnx")] == [17]
    assert [i.name for i in model.graph.input] == ["input"] and [o.name for o in model.graph.output] == [
        "probabilities"
    ]
    props = {p.key: p.value for p in model.metadata_props}
    assert NetworkSpec.from_dict(json.loads(props["spec"])) == spec
    points = sample_points(3)
    np.testing.assert_allclose(
        run_onnx(path, points), engine_probabilities(spec, weights, points), atol=1e-5, rtol=0
    )


@pytest.mark.parametrize("activation", ["step", "sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_onnx_of_a_graph_matches_the_engine_for_every_activation(tmp_path, activation):
    spec = graph(activations=(activation,) * 3)
    weights = made_up_weights(spec, seed=5)
    path = export_weights(tmp_path / "model.onnx", spec, weights, CLASS_NAMES)
    points = sample_points(4)
    np.testing.assert_allclose(
        run_onnx(path, points), engine_probabilities(spec, weights, points), atol=1e-5, rtol=0
    )


def test_the_generated_script_of_a_graph_predicts_like_the_engine_without_workbench(tmp_path):
    pytest.importorskip("torch")
    spec = graph()
    weights = made_up_weights(spec, seed=7)
    export_weights(tmp_path / "classifier.py", spec, weights, CLASS_NAMES)
    points = sample_points(8)
    np.save(tmp_path / "points.npy", points)
    driver = textwrap.dedent(
        """
        import sys
        import numpy as np
        import classifier
        assert not any(name.startswith("workbench") for name in sys.modules), "the script imported Workbench"
        np.save("out.npy", classifier.predict(np.load("points.npy")))
        np.save("features.npy", classifier.features(np.load("points.npy")).numpy())
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", driver], cwd=tmp_path, env=env, check=True, timeout=120)
    network = Network.from_weights(spec, weights)
    np.testing.assert_allclose(
        np.load(tmp_path / "out.npy"), network.predict_proba(points), atol=1e-5, rtol=0
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "features.npy"), network.features(points), atol=1e-6, rtol=0
    )


@pytest.mark.parametrize("links", [("", ""), ("in>3,1>out,2>out", "1>3")], ids=["chain", "graph"])
def test_one_sgd_step_of_the_engine_equals_torch_autograd_on_the_generated_model(tmp_path, links):
    torch = pytest.importorskip("torch")
    spec = graph(activations=("tanh", "relu", "sigmoid"), connect=links[0], residual=links[1])
    dataset = generate("spiral", n_points=80, n_classes=3, seed=4, test_fraction=0.0)
    settings = TrainingSettings(learning_rate=0.5, optimizer="sgd", batch_size=None, seed=3)
    trainer = Trainer(dataset, spec, settings)
    # Made-up weights with large biases, so every unit is active somewhere and every gradient is non-zero.
    trainer.set_weights(made_up_weights(spec, seed=11, scale=0.8))

    script = export_weights(tmp_path / "model.py", spec, trainer.get_weights(), CLASS_NAMES)
    generated = runpy.run_path(str(script), run_name="generated_model")
    model = generated["load_model"]()
    with np.load(tmp_path / "model.npz") as tensors:
        assert list(model.state_dict()) == list(tensors.files), "build_model()'s keys are the file's keys"

    points = dataset.points[dataset.train_indices]
    labels = torch.from_numpy(dataset.labels[dataset.train_indices].astype(np.int64))
    model.train()
    loss = torch.nn.functional.cross_entropy(model(generated["features"](points)), labels)
    loss.backward()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter -= settings.learning_rate * parameter.grad

    before = state_from_weights(spec, trainer.get_weights())
    trainer.step(1)
    after = state_from_weights(spec, trainer.get_weights())
    for key, value in model.state_dict().items():
        assert not np.allclose(after[key], before[key], atol=1e-4, rtol=0), f"{key} did not move"
        np.testing.assert_allclose(after[key], value.numpy(), atol=2e-5, rtol=0, err_msg=key)


# --- import back -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", IMPORT_FORMATS)
def test_a_graph_imports_back_into_the_engine_layout_bit_for_bit(tmp_path, fmt):
    spec = graph()
    weights = made_up_weights(spec)
    path = export_weights(tmp_path / f"model.{fmt}", spec, weights, CLASS_NAMES)
    back = import_weights(path, spec)
    for (w0, b0), (w1, b1) in zip(back, weights, strict=True):
        assert w0.dtype == np.float32 and w0.flags.c_contiguous
        assert w0.tobytes() == w1.tobytes() and b0.tobytes() == b1.tobytes()


@pytest.mark.parametrize("fmt", ["safetensors", "json"])
def test_import_names_links_that_differ(tmp_path, fmt):
    spec = graph()
    path = export_weights(tmp_path / f"model.{fmt}", spec, made_up_weights(spec), CLASS_NAMES)
    fewer = graph(connect="in>3,1>out")
    with pytest.raises(
        WeightsImportError, match=r"connections in>3, 1>out, 2>out but this network has in>3, 1>out"
    ):
        import_weights(path, fewer)
    no_residual = graph(residual="")
    with pytest.raises(WeightsImportError, match=r"residual links 1>3 but this network has none"):
        import_weights(path, no_residual)


def test_a_chain_file_into_a_graph_and_back_says_which_is_which(tmp_path):
    spec, chain = graph(), graph(connect="", residual="")
    chain_file = export_weights(tmp_path / "chain.npz", chain, made_up_weights(chain), CLASS_NAMES)
    graph_file = export_weights(tmp_path / "graph.npz", spec, made_up_weights(spec), CLASS_NAMES)
    with pytest.raises(WeightsImportError, match="plain chain of layers, but this network has connections"):
        import_weights(chain_file, spec)
    with pytest.raises(
        WeightsImportError, match="network with connections or residual links, but this network"
    ):
        import_weights(graph_file, chain)
    residual_only = graph(connect="")  # no extra tensors, but still not a Sequential
    with pytest.raises(WeightsImportError, match="plain chain"):
        import_weights(chain_file, residual_only)


def test_a_npz_with_a_misshapen_connection_names_the_tensor(tmp_path):
    spec = graph()
    path = export_weights(tmp_path / "model.npz", spec, made_up_weights(spec), CLASS_NAMES)
    tensors = dict(np.load(path))
    tensors["connections.in_to_3.weight"] = np.zeros((6, 3), np.float32)
    np.savez(tmp_path / "bad.npz", **tensors)
    with pytest.raises(WeightsImportError, match=r"tensor 'connections\.in_to_3\.weight' has shape \(6, 3\)"):
        import_weights(tmp_path / "bad.npz", spec)
    del tensors["connections.in_to_3.weight"]
    np.savez(tmp_path / "missing.npz", **tensors)
    with pytest.raises(WeightsImportError, match=r"missing tensor 'connections\.in_to_3\.weight'"):
        import_weights(tmp_path / "missing.npz", spec)


def test_the_documented_numpy_example_computes_what_the_engine_computes(tmp_path, monkeypatch):
    """docs/export-formats.md reads a graph's .npz by hand; its snippet, run as written, must be right."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "export-formats.md").read_text(encoding="utf-8")
    snippet = text.split("Plain numpy for this example", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    spec = graph(
        activations=("relu",) * 3, widths=(8, 8, 8), connect="in>3,1>out", residual="1>3", features=("x", "y")
    )
    spec = NetworkSpec(spec.features, spec.hidden, 2, spec.connections, spec.residuals).validate()
    weights = made_up_weights(spec, seed=3)
    export_weights(tmp_path / "skips.npz", spec, weights, ["a", "b"])
    monkeypatch.chdir(tmp_path)
    points = sample_points(9)
    namespace = {"np": np, "f": points.astype(np.float64)}
    exec(compile(snippet, "export-formats.md", "exec"), namespace)
    logits = namespace["logits"]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, engine_probabilities(spec, weights, points), atol=1e-5, rtol=0)
