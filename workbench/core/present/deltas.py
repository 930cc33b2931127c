"""Each point's error signal: δ = ∂ℓ/∂z of every neuron for every point, ℓ that point's own loss.

Why: hovering a neuron during training can size the canvas's points by that neuron's |δ|, which shows where
its error signal comes from (typically the misclassified points near the boundary, and nothing from points
it cannot affect). Computed with the engine's own training path (`Workspace`) on all points as one batch;
the batch's mean loss gives ∂/∂z = δ_i / N, so δ_i is that times N.
"""

from __future__ import annotations

import numpy as np

from workbench.core.model.engine.network import Network, Workspace

#: Point sizes (pixels) for the smallest and the largest |δ| of the hovered neuron.
SMALLEST_POINT = 2.0
LARGEST_POINT = 20.0


def point_deltas(network: Network, points: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """δ per node 1..L+1 as (N, width) arrays (the output node's: probabilities − one-hot; in regression,
    where `labels` are the target values, ŷ − y)."""
    n = len(points)
    if n == 0:
        return [np.zeros((0, w)) for w in network.spec.layer_sizes[1:]]
    workspace = Workspace(network, n)
    workspace.batch[...] = network.training_table(points, labels)
    network.compute_gradients(workspace)
    return [np.asarray(dz, dtype=np.float64).T * n for dz in workspace.dz[1:]]


def delta_point_sizes(deltas: np.ndarray) -> np.ndarray:
    """Point sizes from one neuron's δ over the points: area in proportion to |δ| (relative to the
    largest); all equal when the neuron gets no error signal at all."""
    magnitude = np.abs(np.nan_to_num(np.asarray(deltas, dtype=np.float64)))
    peak = float(magnitude.max()) if len(magnitude) else 0.0
    if peak <= 0:
        return np.full(len(magnitude), SMALLEST_POINT)
    return SMALLEST_POINT + (LARGEST_POINT - SMALLEST_POINT) * np.sqrt(magnitude / peak)


__all__ = ["LARGEST_POINT", "SMALLEST_POINT", "delta_point_sizes", "point_deltas"]
