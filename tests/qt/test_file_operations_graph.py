"""The window's Export Weights and Import Weights with a network that has connections and residual links."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.files.export import export_weights, import_weights
from workbench.core.model.spec import LayerSpec, NetworkSpec, parse_links
from workbench.qt.file_operations import WEIGHT_FILTERS


def graph_spec(n_classes: int) -> NetworkSpec:
    spec = NetworkSpec(
        ("x", "y"), (LayerSpec(6, "relu"), LayerSpec(6, "tanh"), LayerSpec(6, "relu")), n_classes
    )
    return spec.with_links(parse_links("in>3,1>out", 3), parse_links("1>3", 3)).validate()


def made_up_weights(spec: NetworkSpec, seed: int = 2) -> list:
    rng = np.random.default_rng(seed)
    sizes = spec.layer_sizes
    return [
        (
            rng.normal(size=(spec.fan_in(node), sizes[node])).astype(np.float32),
            rng.normal(size=sizes[node]).astype(np.float32),
        )
        for node in range(1, spec.output_node + 1)
    ]


def same(a, b) -> bool:
    return all(
        np.array_equal(w0, w1) and np.array_equal(b0, b1) for (w0, b0), (w1, b1) in zip(a, b, strict=True)
    )


@pytest.fixture
def graph_window(window):
    document = window.document
    spec = graph_spec(document.dataset.n_classes)
    document.set_spec(spec, "Add skip connections")
    document.replace_weights(made_up_weights(spec), "Set weights")
    return window


@pytest.mark.parametrize("fmt", ["npz", "safetensors", "json", "onnx", "py"])
def test_export_weights_writes_the_graphs_own_weights(graph_window, tmp_path, monkeypatch, fmt) -> None:
    window, document = graph_window, graph_window.document
    assert same(window.files.current_weights(), document.weights), "the graph's weights fit: none made up"
    chosen = next(f for f in WEIGHT_FILTERS if f"*.{fmt})" in f)
    monkeypatch.setattr(window, "_get_save_file", lambda *a: (str(tmp_path / "model"), chosen))
    assert window.files.export_weights()
    written = tmp_path / f"model.{fmt}"
    assert written.is_file()
    if fmt in ("npz", "safetensors", "json"):
        assert same(import_weights(written, document.spec), document.weights)
    if fmt == "py":
        assert "connections.in_to_3" in written.read_text(encoding="utf-8")


def test_import_weights_loads_a_graph_file_undoably_and_refuses_a_chains(
    graph_window, tmp_path, monkeypatch
) -> None:
    window, document = graph_window, graph_window.document
    errors: list[str] = []
    monkeypatch.setattr(window, "_show_error", lambda title, text: errors.append(f"{title}: {text}"))
    before = document.weights
    other = made_up_weights(document.spec, seed=9)
    path = export_weights(tmp_path / "other.safetensors", document.spec, other, None)
    assert window.files.import_weights(path)
    assert same(document.weights, other)
    document.undo_stack.undo()
    assert same(document.weights, before)

    chain = NetworkSpec(document.spec.features, document.spec.hidden, document.spec.n_classes)
    chain_file = export_weights(tmp_path / "chain.npz", chain, made_up_weights(chain), None)
    steps = document.undo_stack.count()
    assert not window.files.import_weights(Path(chain_file))
    assert len(errors) == 1 and "plain chain of layers" in errors[0] and "Nothing was changed" in errors[0]
    assert same(document.weights, before) and document.undo_stack.count() == steps
