"""The example datasets of File ▸ Open Example: small real datasets shipped as package data.

They live in ``resources/examples/*.csv`` (package ``workbench.resources``), made once by
``scripts/make_examples.py`` from scikit-learn's bundled data. Each file's leading comments carry a title, a
provenance line (source, licence, how it was made) and the axis names; the rows are plain ``x,y,label`` CSV.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib.resources import files

from workbench.core.data.dataset import Dataset
from workbench.core.files.csv_io import parse_csv

RESOURCE_PACKAGE = "workbench.resources"


@dataclass(frozen=True)
class Example:
    """One shipped dataset: its file stem, menu title, provenance and axis names."""

    name: str
    title: str
    source: str
    axes: str
    text: str

    def dataset(self, test_fraction: float = 0.2, split_seed: int = 0) -> Dataset:
        """The example as a dataset (same reader as File ▸ Import)."""
        return parse_csv(self.text, test_fraction=test_fraction, split_seed=split_seed)


def examples() -> list[Example]:
    """All shipped examples, sorted by title."""
    folder = files(RESOURCE_PACKAGE).joinpath("examples")
    found = [
        _example(entry.name.removesuffix(".csv"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".csv")
    ]
    return sorted(found, key=lambda example: example.title)


def example(name: str) -> Example:
    """The example with file stem `name` (KeyError with the known names otherwise)."""
    for item in examples():
        if item.name == name:
            return item
    raise KeyError(f"no example {name!r}; known: {', '.join(e.name for e in examples())}")


def _example(name: str, text: str) -> Example:
    meta: dict[str, str] = {}
    for line in io.StringIO(text):
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        meta[key.strip()] = value.strip()
    return Example(name, meta.get("title", name), meta.get("source", ""), meta.get("axes", ""), text)
