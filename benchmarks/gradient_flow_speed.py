"""What measuring the gradient flow costs training, in steps per second.

The trainer measures per-layer gradient norms, update ratios and per-neuron |δ| once every
``record_every`` steps (`workbench.core.training.gradient_flow`). This script times, for a few networks,
(a) training steps as `Trainer.step` runs them (everything included) and (b) one measurement alone (the
probe's two calls and the append), and prints the share of training time the measurements take:
cost(b) / (record_every × time per step). Best of several interleaved rounds, one BLAS thread.

    python benchmarks/gradient_flow_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from workbench.core.data.generators import generate
from workbench.core.model.presets import get_preset
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.gradient_flow import GradientFlow, GradientProbe
from workbench.core.training.trainer import Trainer
from workbench.core.training.trainer_process import limit_blas_threads


def configurations(n_classes: int) -> dict[str, NetworkSpec]:
    base = NetworkSpec(n_classes=n_classes)
    return {
        "playground 2-4-2": NetworkSpec(
            hidden=(LayerSpec(4, "tanh"), LayerSpec(2, "tanh")), n_classes=n_classes
        ),
        "default 2-8-8": base,
        "10 sigmoid x 8": NetworkSpec(
            hidden=tuple(LayerSpec(8, "sigmoid") for _ in range(10)), n_classes=n_classes
        ),
        "deep narrow + skips": get_preset("deep_skips").apply(base),
        "3 x 64 relu": NetworkSpec(
            hidden=tuple(LayerSpec(64, "relu") for _ in range(3)), n_classes=n_classes
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    args = parser.parse_args()
    limit_blas_threads()
    steps, rounds = (500, 3) if args.quick else (3000, 5)
    dataset = generate("spiral", n_points=1000, seed=0)
    settings = TrainingSettings(batch_size=16)
    print(f"{'network':22} {'steps/s':>9} {'measure us':>11} {'overhead':>9}")
    for name, spec in configurations(dataset.n_classes).items():
        trainer = Trainer(dataset, spec, settings, seed=0)
        network = trainer.network
        probe = GradientProbe(network)
        workspace = network.workspace(16)
        flow = GradientFlow(len(network.layers))
        best_step, best_measure = np.inf, np.inf
        for _ in range(rounds):
            start = time.perf_counter()
            trainer.step(steps)
            best_step = min(best_step, (time.perf_counter() - start) / steps)
            start = time.perf_counter()
            for i in range(200):
                norms, deltas = probe.gradients(workspace)
                flow.append(i, norms, probe.update_ratios())
                flow.set_deltas(i, deltas)
            best_measure = min(best_measure, (time.perf_counter() - start) / 200)
        share = best_measure / (trainer.record_every * best_step)
        print(f"{name:22} {1 / best_step:9.0f} {best_measure * 1e6:11.1f} {share:9.2%}")


if __name__ == "__main__":
    main()
