"""Project format versions: version-1 files open unchanged, version 2 stores the network's links, newer
versions are refused with a message instead of a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from workbench.core.data.generators import generate
from workbench.core.files.project import (
    FORMAT_VERSION,
    Project,
    ProjectFormatError,
    load_project,
    project_from_bytes,
    project_to_bytes,
    save_project,
)
from workbench.core.model.spec import LayerSpec, Link, NetworkSpec, TrainingSettings, parse_links
from workbench.core.training.trainer import Trainer

FIXTURES = Path(__file__).parent / "fixtures"
#: Real files written by Workbench before format version 2: before the spec had links at all, and by the
#: code just before version 2 (its spec already wrote empty "connections"/"residuals" lists).
VERSION_1_FILES = ["version1-before-links.wbproj", "version1.wbproj"]


def _fixture_recipe() -> Trainer:
    """How the version-1 fixtures were made (see their git history): 10 momentum steps on xor."""
    dataset = generate("xor", n_points=24, seed=3, test_fraction=0.25)
    spec = NetworkSpec(("x", "y", "xy"), (LayerSpec(4, "tanh"), LayerSpec(3, "relu")), 2)
    settings = TrainingSettings(learning_rate=0.05, optimizer="momentum", batch_size=8, seed=4)
    trainer = Trainer(dataset, spec, settings)
    trainer.step(10)
    return trainer


def graph_spec() -> NetworkSpec:
    spec = NetworkSpec(
        ("x", "y", "xy"), (LayerSpec(5, "relu"), LayerSpec(4, "tanh"), LayerSpec(5, "relu")), 3
    )
    return spec.with_links(parse_links("in>3,1>out,2>out", 3), parse_links("1>3", 3)).validate()


def random_weights(spec: NetworkSpec, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weights in the engine's layout (W (fan_in, width) stacking the sources' blocks), made up."""
    rng = np.random.default_rng(seed)
    sizes = spec.layer_sizes
    return [
        (
            rng.normal(size=(spec.fan_in(node), sizes[node])).astype(np.float32),
            rng.normal(size=sizes[node]).astype(np.float32),
        )
        for node in range(1, spec.output_node + 1)
    ]


def same_weights(a, b) -> bool:
    """Bit for bit, shapes and dtypes included."""
    return len(a) == len(b) and all(
        w0.dtype == w1.dtype
        and w0.shape == w1.shape
        and w0.tobytes() == w1.tobytes()
        and b0.tobytes() == b1.tobytes()
        for (w0, b0), (w1, b1) in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("name", VERSION_1_FILES)
def test_version_1_files_open_unchanged_and_continue_training(tmp_path, name):
    path = FIXTURES / name
    assert json.loads(path.read_text(encoding="utf-8"))["format_version"] == 1
    project = load_project(path)
    reference = _fixture_recipe()
    assert project.spec == reference.spec and project.spec.is_chain
    assert project.settings == reference.settings
    assert (project.step, project.dataset.n_points) == (10, 24)
    assert same_weights(project.weights, reference.get_weights())

    resumed = project.make_trainer()
    resumed.step(5)
    reference.step(5)
    assert same_weights(resumed.get_weights(), reference.get_weights())

    # Saving writes the current version; nothing is lost on the way.
    save_project(project, tmp_path / "again.wbproj")
    document = json.loads((tmp_path / "again.wbproj").read_text(encoding="utf-8"))
    assert document["format_version"] == FORMAT_VERSION == 4
    again = load_project(tmp_path / "again.wbproj")
    assert again.spec == project.spec and again.step == project.step
    assert same_weights(again.weights, project.weights)


@pytest.mark.parametrize("version", [5, 17])
def test_a_file_from_a_newer_workbench_is_refused_with_the_versions(version):
    document = json.loads((FIXTURES / "version1.wbproj").read_text(encoding="utf-8"))
    document["format_version"] = version
    with pytest.raises(ProjectFormatError) as info:
        project_from_bytes(json.dumps(document).encode())
    message = str(info.value)
    assert "made by a newer Workbench" in message
    assert f"version {version}; this one reads up to version 4" in message


def test_a_graph_and_its_weights_survive_save_and_open(tmp_path):
    spec = graph_spec()
    dataset = generate("spiral", n_points=60, n_classes=3, seed=1)
    weights = random_weights(spec)
    project = Project(dataset, spec, TrainingSettings(), weights, step=7, epoch=1)
    path = tmp_path / "graph.wbproj"
    save_project(project, path)

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format_version"] == 4
    assert document["network"]["connections"] == ["in>3", "1>out", "2>out"]
    assert document["network"]["residuals"] == ["1>3"]
    assert [layer["W"]["shape"] for layer in document["state"]["weights"]] == [
        [3, 5],
        [5, 4],
        [4 + 3, 5],
        [5 + 5 + 4, 3],
    ]

    loaded = load_project(path)
    assert loaded.spec == spec and loaded.spec.connections == (Link(0, 3), Link(1, 4), Link(2, 4))
    assert same_weights(loaded.weights, weights)


def test_weights_that_ignore_the_connections_are_refused_on_save_and_open():
    spec = graph_spec()
    dataset = generate("spiral", n_points=60, n_classes=3, seed=1)
    chain_weights = random_weights(NetworkSpec(spec.features, spec.hidden, spec.n_classes))
    with pytest.raises(ProjectFormatError, match="cannot save the project: the weights have shapes"):
        project_to_bytes(Project(dataset, spec, TrainingSettings(), chain_weights))

    chain = Project(dataset, NetworkSpec(spec.features, spec.hidden, 3), TrainingSettings(), chain_weights)
    document = json.loads(project_to_bytes(chain))
    document["network"] = spec.to_dict()  # the links added by hand, the weights left as they were
    with pytest.raises(
        ProjectFormatError, match=r"damaged project file: layer 3 W has shape \(4, 5\), expected \(7, 5\)"
    ):
        project_from_bytes(json.dumps(document).encode())


def test_a_damaged_link_list_is_a_clear_error():
    document = json.loads((FIXTURES / "version1.wbproj").read_text(encoding="utf-8"))
    for links, message in (
        (["1>1"], "go forward"),
        (["in>9"], "no hidden layer 9"),
        ("in>2", "list of texts"),
    ):
        document["network"]["connections"] = links
        with pytest.raises(ProjectFormatError, match=message):
            project_from_bytes(json.dumps(document).encode())


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_a_trained_graph_survives_save_open_export_and_import(tmp_path, optimizer):
    from workbench.core.files.export import IMPORT_FORMATS, export_weights, import_weights
    from workbench.core.model.engine import Network

    dataset = generate("spiral", n_points=90, n_classes=3, seed=2, test_fraction=0.25)
    settings = TrainingSettings(learning_rate=0.02, optimizer=optimizer, seed=5)
    trainer = Trainer(dataset, graph_spec(), settings)
    trainer.step(70)  # mid-epoch: the optimizer state and the batch order both matter
    path = tmp_path / "graph.wbproj"
    save_project(Project.from_trainer(trainer), path)

    opened = load_project(path)
    assert opened.spec == trainer.spec and same_weights(opened.weights, trainer.get_weights())
    resumed = opened.make_trainer()
    trainer.step(9)
    resumed.step(9)
    assert same_weights(resumed.get_weights(), trainer.get_weights()), "continues bit for bit"

    points = dataset.points
    expected = Network.from_weights(opened.spec, opened.weights).predict_proba(points)
    for fmt in IMPORT_FORMATS:
        exported = export_weights(tmp_path / f"graph.{fmt}", opened.spec, opened.weights, dataset.class_names)
        back = import_weights(exported, load_project(path).spec)
        assert same_weights(back, opened.weights), fmt
        assert np.array_equal(Network.from_weights(opened.spec, back).predict_proba(points), expected)
