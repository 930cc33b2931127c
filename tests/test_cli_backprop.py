"""`workbench backprop`: the JSON contract, equal to torch autograd on the exported model, and its errors."""

from __future__ import annotations

import json
import runpy

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.data.generators import generate
from workbench.core.files.export import export_weights
from workbench.core.files.export.layout import linear_keys
from workbench.core.files.project import Project, load_project, save_project
from workbench.core.model.spec import NetworkSpec, TrainingSettings

TRAIN = [
    "--dataset",
    "spiral",
    "--classes",
    "3",
    "--points",
    "120",
    "--layers",
    "5,4",
    "--steps",
    "50",
    "--quiet",
]


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_backprop")
    graph = ["--connect", "in>2,1>out", "--residual", "1>2", "--layers", "4,4"]
    assert main(["train", *TRAIN, "--save", str(folder / "chain.wbproj")]) == 0
    assert main(["train", *TRAIN, *graph, "--save", str(folder / "graph.wbproj")]) == 0
    return folder


@pytest.mark.parametrize("name", ["chain", "graph"])
def test_json_equals_torch_autograd_on_the_exported_model(capsys, projects, tmp_path, name):
    torch = pytest.importorskip("torch")
    path = projects / f"{name}.wbproj"
    project = load_project(path)
    label = project.dataset.class_names[2]
    status, out, err = run(capsys, "backprop", path, "--point=-0.4,1.3", "--label", label, "--json")
    assert status == 0, err
    data = json.loads(out)
    spec = project.spec

    script = export_weights(tmp_path / "model.py", spec, project.weights, project.dataset.class_names)
    generated = runpy.run_path(str(script), run_name="generated_model")
    model = generated["load_model"]().double()
    zs = []
    for node, (weight_key, _) in enumerate(linear_keys(spec), start=1):  # the z of every Linear's node
        module = model.get_submodule(weight_key.rsplit(".", 1)[0])
        if spec.is_chain or node == 1:
            module.register_forward_hook(lambda _m, _i, output: zs.append(output))
    features = torch.as_tensor(generated["features"](np.array([[-0.4, 1.3]])), dtype=torch.float64)
    logits = model(features)
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([2]))
    loss.backward()

    assert data["loss"] == pytest.approx(loss.item(), rel=1e-6)
    assert [layer["node"] for layer in data["layers"]] == [
        spec.node_name(n) for n in range(1, spec.output_node + 1)
    ]
    params = dict(model.named_parameters())
    assert len(data["layers"]) == spec.output_node
    for node, (layer, (weight_key, bias_key)) in enumerate(
        zip(data["layers"], linear_keys(spec), strict=True), start=1
    ):
        assert set(layer) >= {"z", "a", "delta", "weight_grad", "bias_grad"}
        grad = np.array(layer["weight_grad"])
        assert grad.shape == (spec.layer_sizes[node], spec.fan_in(node))  # (out_features, in_features)
        np.testing.assert_allclose(layer["bias_grad"], params[bias_key].grad.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer["delta"], layer["bias_grad"])  # one point: ∂L/∂b = δ
        tensors = layer.get("weight_grad_tensors", {weight_key: layer["weight_grad"]})
        for key, value in tensors.items():
            np.testing.assert_allclose(value, params[key].grad.numpy(), rtol=1e-5, atol=1e-7, err_msg=key)
    np.testing.assert_allclose(data["layers"][-1]["z"], logits.detach().numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        data["layers"][-1]["a"], torch.softmax(logits, 1).detach().numpy()[0], rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(data["layers"][0]["z"], zs[0].detach().numpy()[0], rtol=1e-5, atol=1e-6)
    if spec.is_chain:
        assert "weight_grad_tensors" not in data["layers"][-1]
    else:
        assert set(data["layers"][-1]["weight_grad_tensors"]) == {
            "linear.out.weight",
            "connections.1_to_out.weight",
        }
        assert "h" in data["layers"][1]  # layer 2 adds layer 1's output (residual)


def test_text_output_names_every_layer(capsys, projects):
    status, out, err = run(
        capsys, "backprop", projects / "chain.wbproj", "--point", "0.5,0.5", "--label", "class 1"
    )
    assert status == 0, err
    assert "loss" in out and "layer 1 (tanh)" in out and "output:" in out and "delta" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--point", "0.5,0.5", "--label", "class 9"],
            "is not a class of this project; its classes are class 1",
        ),
        (["--point", "0.5", "--label", "class 1"], "give two numbers separated by a comma"),
        (["--point", "a,b", "--label", "class 1"], "give two numbers separated by a comma"),
        (["--point", "1,2,3", "--label", "class 1"], "give two numbers"),
        (["--point", "1e39,0", "--label", "class 1"], "outside what the network computes in"),
        (["--point", "nan,0", "--label", "class 1"], "outside what the network computes in"),
        (["--point", "0,0"], "give the point's class with --label"),
        (["--point", "0,0", "--target", "1.5"], "--target is for regression projects"),
    ],
)
def test_bad_arguments_get_one_clear_line(capsys, projects, args, message):
    status, out, err = run(capsys, "backprop", projects / "chain.wbproj", *args)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_project_without_weights_says_what_to_do(capsys, tmp_path):
    path = tmp_path / "fresh.wbproj"
    dataset = generate("moons", 40, 2, None, 0)
    save_project(Project(dataset, NetworkSpec(), TrainingSettings()), path)
    status, _, err = run(capsys, "backprop", path, "--point", "0,0", "--label", "class 1")
    assert status == 2
    assert "has no weights yet; train it first" in err and "workbench train --project" in err


def test_missing_project_and_help(capsys, tmp_path):
    status, _, err = run(capsys, "backprop", tmp_path / "nope.wbproj", "--point", "0,0", "--label", "a")
    assert status == 2 and err.startswith("error: ")
    status, out, _ = run(capsys, "backprop", "--help")
    assert status == 0
    assert '"weight_grad"' in out and "(out_features, in_features)" in out and "regression" in out
