"""Predicted against actual target values, for the regression scatter (`qt/prediction_scatter.py`).

Qt-free so it can be tested without a window: one forward pass of the shown weights over the dataset's points,
the RMSE and R² of each split (the trainer's definitions, on every point), and at most `max_points` of the
pairs for drawing (a denser scatter shows no more, and each point costs the GUI thread time every frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Points drawn at most; the metrics are always computed on all of them.
MAX_POINTS = 4000


@dataclass(frozen=True, eq=False)
class PredictionPoints:
    """Target (`actual`) and prediction of each drawn point, which of them are test points, and the RMSE and
    R² of each split over all points (NaN where a split is empty or, for R², its targets are all equal)."""

    actual: np.ndarray  # (N,) float64
    predicted: np.ndarray  # (N,) float64
    is_test: np.ndarray  # (N,) bool
    train_rmse: float
    train_r2: float
    test_rmse: float
    test_r2: float

    @property
    def value_range(self) -> tuple[float, float]:
        """The smallest and largest value among targets and finite predictions ((-1, 1) with none)."""
        values = np.concatenate([self.actual, self.predicted])
        values = values[np.isfinite(values)]
        if not len(values):
            return (-1.0, 1.0)
        return float(values.min()), float(values.max())


def split_metrics(actual: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """RMSE and R² (1 − squared error / spread around the targets' mean) of one split, as the trainer
    computes them; NaN for no points, R² NaN when the targets do not vary."""
    if not len(actual):
        return math.nan, math.nan
    with np.errstate(all="ignore"):
        diff = predicted - actual
        squared = float(np.dot(diff, diff))
        spread = float(np.sum((actual - actual.mean()) ** 2))
        rmse = math.sqrt(squared / len(actual))
        r2 = 1.0 - squared / spread if spread > 1e-12 else math.nan
    return rmse, r2


def predicted_vs_actual(network: Any, dataset: Any, max_points: int = MAX_POINTS) -> PredictionPoints:
    """Each point's prediction by `network` (a regression `Network` holding the weights to show) against its
    target in `dataset` (a regression `Dataset`); thinned evenly to `max_points` for drawing."""
    if not dataset.is_regression or not network.spec.is_regression:
        raise ValueError("predicted against actual values needs a regression network and dataset")
    actual = np.asarray(dataset.targets, dtype=np.float64)
    is_test = np.asarray(dataset.is_test, dtype=bool)
    predicted = np.asarray(network.predict(dataset.points), dtype=np.float64) if len(actual) else np.zeros(0)
    train_rmse, train_r2 = split_metrics(actual[~is_test], predicted[~is_test])
    test_rmse, test_r2 = split_metrics(actual[is_test], predicted[is_test])
    if len(actual) > max_points:
        keep = np.linspace(0, len(actual) - 1, max_points).astype(np.intp)
        actual, predicted, is_test = actual[keep], predicted[keep], is_test[keep]
    return PredictionPoints(actual, predicted, is_test, train_rmse, train_r2, test_rmse, test_r2)


__all__ = ["MAX_POINTS", "PredictionPoints", "predicted_vs_actual", "split_metrics"]
