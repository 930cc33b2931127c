"""Speed of the loss surface: a 41 x 41 slice over 1,000 training points, for Playground-size networks.

The target (issue 14) is at most 1 s per slice for a 2-8-8-2 or 2-4-2-2 network. Prints the best of a few
rounds per configuration and direction kind, single-threaded BLAS (as the window's worker and the command
line run). Run::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/landscape_speed.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from threadpoolctl import threadpool_limits

from workbench.core.data.generators import generate
from workbench.core.model.engine.network import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec
from workbench.core.present.landscape import Objective, SliceRequest, compute_slice

GRID = 41
POINTS = 1000
ROUNDS = 3
TARGET_SECONDS = 1.0

CONFIGURATIONS = {
    "2-8-8-2 tanh": NetworkSpec(hidden=(LayerSpec(8, "tanh"), LayerSpec(8, "tanh"))),
    "2-4-2-2 tanh": NetworkSpec(hidden=(LayerSpec(4, "tanh"), LayerSpec(2, "tanh"))),
    "2-8-8-8-8-2 relu": NetworkSpec(hidden=tuple(LayerSpec(8, "relu") for _ in range(4))),
}


def main() -> None:
    dataset = generate("spiral", n_points=int(POINTS / 0.8) + 1, seed=0)
    train = dataset.train_indices[:POINTS]
    points, labels = dataset.points[train], dataset.labels[train]
    print(f"loss surface {GRID} x {GRID} over {len(points)} training points, best of {ROUNDS} rounds")
    print(f"{'network':<20} {'params':>6} {'kind':<8} {'seconds':>8} {'grid points/s':>14} {'vs 1 s':>7}")
    with threadpool_limits(1):
        for name, spec in CONFIGURATIONS.items():
            weights = Network(spec, seed=1).get_weights()
            path = tuple(Network(spec, seed=s).get_weights() for s in (2, 3, 4))
            objective = Objective(spec, points, labels, l2=1e-3)
            for kind in ("params", "random", "pca"):
                request = SliceRequest(
                    spec,
                    points,
                    labels,
                    1e-3,
                    weights,
                    kind=kind,
                    span=1.0,
                    grid=GRID,
                    params=(0, 5),
                    path_steps=(0, 1, 2),
                    path_weights=path,
                )
                best = float("inf")
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    compute_slice(request, objective)
                    best = min(best, time.perf_counter() - start)
                ratio = best / TARGET_SECONDS
                print(
                    f"{name:<20} {objective.n_parameters:>6} {kind:<8} {best:>8.3f} "
                    f"{GRID * GRID / best:>14,.0f} {ratio:>6.2f}x"
                )


if __name__ == "__main__":
    main()
