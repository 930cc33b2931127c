"""The colours of every view, read once from the shipped `palette.json` (no Qt: core views need them too).

The file lives in the top-level `resources/` folder, installed as the package `workbench.resources`, and is
found through `importlib.resources`, so a checkout and an installed wheel read the same file.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

from workbench.core import limits

MAX_CLASSES = int(limits.CLASSES.maximum)

RESOURCE_PACKAGE = "workbench.resources"
PALETTE_FILE = "palette.json"
THEMES = ("light", "dark")

_COLOR = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")


def resource(*parts: str) -> Traversable:
    """A shipped resource file or folder, e.g. `resource("icons", "pan.svg")`."""
    try:
        path = files(RESOURCE_PACKAGE)
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"the package {RESOURCE_PACKAGE} (the repository's resources/ folder) is not installed: "
            "reinstall Workbench (pip install -e .)"
        ) from None
    for part in parts:
        path = path / part
    return path


def rgba(color: str) -> tuple[int, int, int, int]:
    """'#RRGGBB' or '#RRGGBBAA' -> (r, g, b, a) in 0..255."""
    if not _COLOR.fullmatch(color):
        raise ValueError(f"not a colour: {color!r} (expected '#RRGGBB' or '#RRGGBBAA')")
    values = [int(color[i : i + 2], 16) for i in range(1, len(color), 2)]
    return (values[0], values[1], values[2], values[3] if len(values) == 4 else 255)


@dataclass(frozen=True)
class Palette:
    """Named colours: per class, per weight sign, for the views, and per theme (light/dark)."""

    classes: tuple[str, ...]
    positive_weight: str
    negative_weight: str
    zero_weight: str
    unknown_weight: str
    decision_alpha: float
    overlay_alpha: float
    earlier_run_alpha: float
    views: Mapping[str, str]
    themes: Mapping[str, Mapping[str, str | None]]
    dark_window: Mapping[str, str]

    def theme(self, dark: bool) -> Mapping[str, str | None]:
        return self.themes["dark" if dark else "light"]


def parse_palette(data: Mapping[str, Any]) -> Palette:
    """Check the palette's contents (every colour well-formed, one colour per class, both themes alike)."""

    def color(value: Any, where: str, optional: bool = False) -> Any:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{PALETTE_FILE}: {where} must be a colour string, got {value!r}")
        try:
            rgba(value)
        except ValueError as error:
            raise ValueError(f"{PALETTE_FILE}: {where}: {error}") from None
        return value

    def alpha(name: str) -> float:
        value = data["alpha"][name]
        if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{PALETTE_FILE}: alpha.{name} must be a number in [0, 1], got {value!r}")
        return float(value)

    classes = tuple(color(c, f"classes[{i}]") for i, c in enumerate(data["classes"]))
    if len(classes) < MAX_CLASSES:
        raise ValueError(f"{PALETTE_FILE}: {len(classes)} class colours for {MAX_CLASSES} classes")
    weights = {k: color(v, f"weights.{k}") for k, v in data["weights"].items()}
    views = {k: color(v, f"views.{k}") for k, v in data["views"].items()}
    themes = {
        name: MappingProxyType({k: color(v, f"themes.{name}.{k}", optional=True) for k, v in theme.items()})
        for name, theme in data["themes"].items()
    }
    if set(themes) != set(THEMES) or set(themes["light"]) != set(themes["dark"]):
        raise ValueError(f"{PALETTE_FILE}: themes must be 'light' and 'dark' with the same names")
    dark_window = {k: color(v, f"dark_window.{k}") for k, v in data["dark_window"].items()}
    return Palette(
        classes=classes,
        positive_weight=weights["positive"],
        negative_weight=weights["negative"],
        zero_weight=weights["zero"],
        unknown_weight=weights["unknown"],
        decision_alpha=alpha("decision_regions"),
        overlay_alpha=alpha("neuron_overlay"),
        earlier_run_alpha=alpha("earlier_run_curves"),
        views=MappingProxyType(views),
        themes=MappingProxyType(themes),
        dark_window=MappingProxyType(dark_window),
    )


@functools.cache
def palette() -> Palette:
    """The shipped palette (read once)."""
    return parse_palette(json.loads(resource(PALETTE_FILE).read_text(encoding="utf-8")))
