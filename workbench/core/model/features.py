"""Input features: what the network sees of a 2D point.

A plain network only gets the coordinates x and y. Giving it x², y², x·y, sin x or sin y as extra inputs
lets even logistic regression (no hidden layer) draw curved boundaries; that is the feature-engineering
lesson. Names are the keys of `workbench.core.model.spec.FEATURES`. Points are raw coordinates;
an optional `InputScaling` (part of the spec) standardizes them first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from workbench.core.model.spec import FEATURES, InputScaling, SpecError

#: Feature name -> function of the x and y columns (both 1-D arrays of the requested dtype).
FEATURE_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x": lambda x, y: x,
    "y": lambda x, y: y,
    "x2": lambda x, y: x * x,
    "y2": lambda x, y: y * y,
    "xy": lambda x, y: x * y,
    "sinx": lambda x, y: np.sin(x),
    "siny": lambda x, y: np.sin(y),
}

assert tuple(FEATURE_FUNCTIONS) == tuple(FEATURES), "features.py and spec.FEATURES must list the same names"


def compute_features(
    points: np.ndarray,
    names: Sequence[str],
    dtype: np.dtype | type = np.float32,
    scaling: InputScaling | None = None,
) -> np.ndarray:
    """The (N, F) feature matrix of raw (N, 2) points, one column per name, in the order given.

    With `scaling` the coordinates are standardized first, so x² is the square of the standardized x: the
    one place where that happens, so window, trainer, views, CLI and exports agree.

    Raises SpecError for an unknown feature name and ValueError for points that are not (N, 2).
    """
    unknown = [name for name in names if name not in FEATURE_FUNCTIONS]
    if unknown:
        raise SpecError(f"unknown input feature {unknown[0]!r}; choose from {', '.join(FEATURE_FUNCTIONS)}")
    points = np.asarray(points, dtype=dtype)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    if scaling is not None:
        mean = np.asarray(scaling.mean, dtype=np.float64)
        std = np.asarray(scaling.std, dtype=np.float64)
        points = ((points.astype(np.float64) - mean) / std).astype(dtype)
    out = np.empty((len(points), len(names)), dtype=dtype)
    x = np.ascontiguousarray(points[:, 0])
    y = np.ascontiguousarray(points[:, 1])
    for column, name in enumerate(names):
        out[:, column] = FEATURE_FUNCTIONS[name](x, y)
    return out
