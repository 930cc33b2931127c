"""Up to 20 classes everywhere: limits, palette, generators, CSV, projects and exports agree."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core import limits
from workbench.core.data.dataset import CLASS_COLORS, DatasetFormatError
from workbench.core.data.edits import AddClass
from workbench.core.data.generators import GENERATORS, generate
from workbench.core.files.csv_io import format_csv, parse_csv
from workbench.core.files.export import export_weights
from workbench.core.files.project import Project, load_project, save_project
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import NetworkSpec, SpecError, TrainingSettings
from workbench.core.palette import palette

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _lab(color: str) -> np.ndarray:
    """CIELAB (D65) of '#RRGGBB': distances there follow how different two colours look."""
    c = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
    f = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_twenty_classes_is_the_limit_everywhere() -> None:
    assert limits.CLASSES.maximum == 20
    assert limits.CLASSES.contains(20) and not limits.CLASSES.contains(21)
    NetworkSpec(n_classes=20).validate()
    with pytest.raises(SpecError, match="from 1 to 20"):
        NetworkSpec(n_classes=21).validate()


def test_the_class_palette_keeps_okabe_ito_and_twenty_colours_stay_apart() -> None:
    classes = [c.upper() for c in palette().classes[:20]]
    assert tuple(classes[:8]) == OKABE_ITO  # projects with up to 8 classes look as they always did
    assert len(set(classes)) == 20 and len(CLASS_COLORS) >= 20
    labs = [_lab(c) for c in classes]
    closest = min(np.linalg.norm(a - b) for i, a in enumerate(labs) for b in labs[i + 1 :])
    assert closest > 20  # CIELAB distance: clearly different colours, not two shades of one
    white = _lab("#FFFFFF")
    assert min(np.linalg.norm(lab - white) for lab in labs) > 20  # every class shows on a white plot


def test_gaussians_make_twenty_classes_and_the_class_list_stops_there() -> None:
    assert GENERATORS["gaussians"].max_classes == 20
    dataset = generate("gaussians", 400, 20, 0.2, seed=3)
    assert dataset.n_classes == 20 and set(np.unique(dataset.labels)) == set(range(20))
    with pytest.raises(DatasetFormatError, match="at most 20 classes"):
        AddClass("one too many").apply(dataset)


def test_a_csv_with_twenty_labels_reads_back_and_the_21st_is_refused() -> None:
    rows = "".join(f"{i}.0,{-i}.5,c{i}\n" for i in range(20))
    dataset = parse_csv("x,y,label\n" + rows)
    assert dataset.class_names == tuple(f"c{i}" for i in range(20))
    assert parse_csv(format_csv(dataset)).class_names == dataset.class_names
    with pytest.raises(DatasetFormatError, match="at most 20 classes"):
        parse_csv("x,y,label\n" + rows + "1,1,c20\n")


def test_a_twenty_class_project_saves_and_opens(tmp_path) -> None:
    dataset = generate("gaussians", 200, 20, 0.2, seed=1)
    spec = NetworkSpec(n_classes=20).validate()
    weights = Network(spec, seed=0).get_weights()
    path = tmp_path / "twenty.wbproj"
    save_project(Project(dataset, spec, TrainingSettings(), weights=weights), path)
    loaded = load_project(path)
    assert loaded.dataset.class_names == dataset.class_names and loaded.spec.n_classes == 20
    assert np.array_equal(loaded.dataset.labels, dataset.labels)
    assert loaded.weights is not None and loaded.weights[-1][0].shape[1] == 20


@pytest.mark.parametrize("fmt", ["json", "safetensors", "onnx", "py"])  # npz holds tensors only
def test_exports_name_all_twenty_classes(tmp_path, fmt) -> None:
    dataset = generate("gaussians", 100, 20, 0.2, seed=1)
    spec = NetworkSpec(n_classes=20).validate()
    weights = Network(spec, seed=0).get_weights()
    out = export_weights(tmp_path / f"w.{fmt}", spec, weights, dataset.class_names)
    data = out.read_bytes()
    assert all(name.encode() in data for name in dataset.class_names)


def test_the_cli_trains_twenty_classes_and_saves_a_project_that_opens(tmp_path, capsys) -> None:
    from workbench.cli import main

    out = tmp_path / "twenty.wbproj"
    argv = [
        "train",
        "--dataset",
        "gaussians",
        "--classes",
        "20",
        "--steps",
        "200",
        "--quiet",
        "--save",
        str(out),
    ]
    assert main(argv) == 0
    project = load_project(out)
    assert project.dataset.n_classes == 20 and project.spec.n_classes == 20
    assert main(["generate", "gaussians", "--classes", "21", "-o", str(tmp_path / "g.csv")]) == 2
    assert "takes 2 to 20 classes, not 21" in capsys.readouterr().err
