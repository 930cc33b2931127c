"""What measuring the gradient flow costs training, in steps per second.

The trainer measures per-layer gradient norms, update ratios and per-neuron |δ| once every
``record_every`` steps (`workbench.core.training.gradient_flow`). This script times, for a few networks,
(a) training steps as `Trainer.step` runs them (everything included) and (b) one measurement alone (the
probe's two calls and the append), and prints the share of training time the measurements take:
cost(b) / (record_every × time per step). It also trains a twin with the probe's measurements stubbed out
("without") in interleaved rounds: "A/B" is the difference in steps per second (noisy on a busy machine;
the measured share is the steadier figure). Best of several interleaved rounds, one BLAS thread.

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


class _NoProbe(GradientProbe):
    """The probe with its measurements left out (same call sites): the baseline training speed."""

    def gradients(self, workspace):  # type: ignore[no-untyped-def]
        return self._zeros, []

    def update_ratios(self) -> np.ndarray:
        return self._zeros


def _steps_per_second(trainer: Trainer, steps: int) -> float:
    start = time.perf_counter()
    trainer.step(steps)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    args = parser.parse_args()
    limit_blas_threads()
    steps, rounds = (500, 3) if args.quick else (3000, 5)
    dataset = generate("spiral", n_points=1000, seed=0)
    settings = TrainingSettings(batch_size=16)
    print(f"{'network':22} {'steps/s':>9} {'without':>9} {'A/B':>7} {'measure us':>11} {'overhead':>9}")
    for name, spec in configurations(dataset.n_classes).items():
        trainer = Trainer(dataset, spec, settings, seed=0)
        baseline = Trainer(dataset, spec, settings, seed=0)
        stub = baseline._probe = _NoProbe(baseline.network)
        stub._zeros = np.zeros(len(baseline.network.layers))
        network = trainer.network
        probe = GradientProbe(network)
        workspace = network.workspace(16)
        flow = GradientFlow(len(network.layers))
        best_step, best_measure, best_without = np.inf, np.inf, 0.0
        for _ in range(rounds):
            best_without = max(best_without, _steps_per_second(baseline, steps))
            best_step = min(best_step, 1 / _steps_per_second(trainer, steps))
            start = time.perf_counter()
            for i in range(200):
                norms, deltas = probe.gradients(workspace)
                flow.append(i, norms, probe.update_ratios())
                flow.set_deltas(i, deltas)
            best_measure = min(best_measure, (time.perf_counter() - start) / 200)
        share = best_measure / (trainer.record_every * best_step)
        ab = 1 / best_step / best_without - 1
        speeds = f"{1 / best_step:9.0f} {best_without:9.0f} {ab:7.1%}"
        print(f"{name:22} {speeds} {best_measure * 1e6:11.1f} {share:9.2%}")


if __name__ == "__main__":
    main()
