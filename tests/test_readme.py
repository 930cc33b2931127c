"""The README's loading examples, copied as written, give the probabilities Workbench itself computes.

The snippets are read out of README.md ("Exported weights") and run against files freshly exported from a
network that is not the default (other input features, mixed activations, three classes), so a snippet that
hard-codes the default architecture fails here. Snippets that need PyTorch are skipped where it is missing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.core.files.export import export_weights
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec

ROOT = Path(__file__).resolve().parents[1]
SPEC = NetworkSpec(("x", "y", "xy", "sinx"), (LayerSpec(5, "tanh"), LayerSpec(4, "relu")), 3)
CLASS_NAMES = ("red", "green", "blue")


def readme_snippets() -> dict[str, str]:
    """The python code block after each "`.ext` — ..." paragraph of the "Exported weights" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exported weights", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"^`(\.\w+)` —.*?```python\n(.*?)```", section, flags=re.MULTILINE | re.DOTALL)
    return dict(found)


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Network:
    """A trained-looking network exported to model.* in a temporary working directory."""
    network = Network(SPEC, seed=3)
    rng = np.random.default_rng(3)
    network.set_weights([(w + rng.normal(size=w.shape).astype(w.dtype), b) for w, b in network.get_weights()])
    for ext in (".npz", ".safetensors", ".onnx", ".json", ".py"):
        export_weights(tmp_path / f"model{ext}", SPEC, network.get_weights(), CLASS_NAMES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the .py example imports the exported model.py
    yield network
    sys.modules.pop("model", None)


def run(code: str, namespace: dict | None = None) -> dict:
    namespace = {} if namespace is None else namespace
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


def check(namespace: dict, network: Network) -> None:
    points = np.asarray(namespace["points"], dtype=np.float64)
    probabilities = namespace["probabilities"]
    probabilities = probabilities.detach().numpy() if hasattr(probabilities, "detach") else probabilities
    expected = network.predict_proba(points)
    assert np.asarray(probabilities).shape == (len(points), SPEC.n_classes)
    np.testing.assert_allclose(probabilities, expected, atol=2e-5)


def test_the_readme_shows_an_example_for_every_export_format() -> None:
    assert set(readme_snippets()) == {".npz", ".safetensors", ".onnx", ".json", ".py"}


def test_the_onnx_example(exported) -> None:
    pytest.importorskip("onnxruntime")
    check(run(readme_snippets()[".onnx"]), exported)


def test_the_json_example_follows_the_file_description(exported) -> None:
    check(run(readme_snippets()[".json"]), exported)


def test_the_py_example(exported, capsys) -> None:
    pytest.importorskip("torch")
    check(run(readme_snippets()[".py"]), exported)


def test_the_safetensors_example_builds_the_model_from_its_metadata(exported) -> None:
    pytest.importorskip("torch")
    check(run(readme_snippets()[".safetensors"]), exported)


def test_the_npz_example_loads_into_the_model_built_for_that_network(exported) -> None:
    torch = pytest.importorskip("torch")
    namespace = run(readme_snippets()[".safetensors"])
    with torch.no_grad():
        for parameter in namespace["model"].parameters():
            parameter.zero_()  # so only the .npz can bring the weights back
    check(run(readme_snippets()[".npz"], namespace), exported)
