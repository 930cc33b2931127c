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
from sklearn.manifold import TSNE

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
    # t-SNE (scikit-learn, PCA start, fixed seed): a 2D map where each digit forms its own island; its
    # coordinates span about ±60, which is why the example wants input standardization.
    embedded = TSNE(n_components=2, perplexity=30, init="pca", random_state=0).fit_transform(digits.data)
    write(
        "digits",
        "Handwritten digits 0-9: a 2D t-SNE map of 8×8 images (10 classes)",
        "UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak; CC BY 4.0) as bundled with "
        "scikit-learn 'load_digits'; all 1,797 8x8 images mapped to 2D with scikit-learn's t-SNE "
        "(perplexity 30, PCA initialisation, random_state 0); made by scripts/make_examples.py",
        ("t-SNE coordinate 1", "t-SNE coordinate 2"),
        embedded,
        digits.target.tolist(),
        [str(d) for d in range(10)],
    )

if __name__ == "__main__":
    main()
