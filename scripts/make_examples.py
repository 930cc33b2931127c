"""Make the example datasets of File ▸ Open Example from scikit-learn's bundled data (run once, offline).

    python scripts/make_examples.py   # needs scikit-learn; writes resources/examples/*.csv

Each file starts with a ``# source:`` provenance line (where the data come from, licence, how it was made)
and a ``# classes:`` line, then ``x,y,label`` rows; the app reads them like any CSV (``#`` starts a comment).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn import datasets

OUT = Path(__file__).resolve().parents[1] / "resources" / "examples"


def write(name: str, title: str, source: str, axes: tuple[str, str], points, labels, names) -> None:
    """One example file: provenance and axis names as comments, then x,y,label rows."""
    lines = [
        f"# title: {title}",
        f"# source: {source}",
        f"# axes: x = {axes[0]}, y = {axes[1]}",
        "# classes: " + json.dumps(list(names)),
        "x,y,label",
    ]
    rows = zip(np.asarray(points).tolist(), labels, strict=True)
    lines += [f"{x:.6g},{y:.6g},{names[t]}" for (x, y), t in rows]
    (OUT / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    iris = datasets.load_iris()
    write(
        "iris",
        "Iris flowers: petal length and width (3 species)",
        "Fisher (1936) iris data as bundled with scikit-learn 'load_iris' (public domain); "
        "columns petal length and petal width in cm, all 150 flowers; made by scripts/make_examples.py",
        ("petal length (cm)", "petal width (cm)"),
        iris.data[:, 2:4],
        iris.target.tolist(),
        ["setosa", "versicolor", "virginica"],
    )
    wine = datasets.load_wine()
    cols = [wine.feature_names.index("alcohol"), wine.feature_names.index("flavanoids")]
    write(
        "wine",
        "Wine: alcohol and flavanoids (3 cultivars)",
        "UCI Wine recognition data (Forina et al.; CC BY 4.0) as bundled with scikit-learn 'load_wine'; "
        "columns alcohol (% vol) and flavanoids, all 178 wines; made by scripts/make_examples.py",
        ("alcohol (% vol)", "flavanoids"),
        wine.data[:, cols],
        wine.target.tolist(),
        ["cultivar 1", "cultivar 2", "cultivar 3"],
    )
    cancer = datasets.load_breast_cancer()
    cols = [cancer.feature_names.tolist().index(c) for c in ("mean radius", "mean texture")]
    write(
        "breast_cancer",
        "Breast cancer: cell nucleus radius and texture (2 diagnoses)",
        "UCI Breast Cancer Wisconsin (Diagnostic) data (Wolberg et al.; CC BY 4.0) as bundled with "
        "scikit-learn 'load_breast_cancer'; columns mean radius and mean texture, all 569 samples; "
        "made by scripts/make_examples.py",
        ("mean radius", "mean texture"),
        cancer.data[:, cols],
        cancer.target.tolist(),
        ["malignant", "benign"],
    )
    digits = datasets.load_digits()
    keep = np.isin(digits.target, [0, 1, 6, 7])  # four digits whose shapes differ clearly
    data = digits.data[keep]
    centred = data - data.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    embedded = centred @ vt[:2].T / 10.0  # first two principal components, scaled to about ±3
    embedded *= np.sign(embedded[0])  # a fixed orientation
    write(
        "digits",
        "Handwritten digits 0, 1, 6, 7: a 2D principal-component view of 8×8 images",
        "UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak; CC BY 4.0) as bundled with "
        "scikit-learn 'load_digits'; the 8x8 images of digits 0, 1, 6 and 7 projected on their first two "
        "principal components (numpy SVD, divided by 10); made by scripts/make_examples.py",
        ("principal component 1", "principal component 2"),
        embedded,
        [[0, 1, 6, 7].index(int(t)) for t in digits.target[keep]],
        ["0", "1", "6", "7"],
    )


if __name__ == "__main__":
    main()
