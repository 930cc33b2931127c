"""Compare Runs: wall time of N runs in the worker pool against the same runs one after another in-process.

Trains `--runs` copies of the default network (2-8-8-2 tanh, momentum 0.03, batch 16) on the default spiral
(400 points) for `--steps` steps each, varying the seed, `--repeat` times, and prints the median wall time of
the whole comparison (process start-up, training, recording, results over the pipes) next to the same runs
trained one after another by `comparison.train_run` in this process, and their ratio. On 2 cores the pool
uses 2 processes, so the ideal ratio is about 0.5 plus the start-up. Not a test: figures depend on the
machine and on what else runs on it.

    python benchmarks/comparison.py [--runs 4] [--steps 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from workbench.core.data.generators import STARTING_DATASET, generate
    from workbench.core.model.spec import NetworkSpec, TrainingSettings
    from workbench.core.training.comparison import Comparison, default_values, plan_runs, train_run
    from workbench.core.training.trainer_process import limit_blas_threads

    limit_blas_threads()
    dataset = generate(STARTING_DATASET, seed=0)
    spec, settings = NetworkSpec(), TrainingSettings()
    seeds = default_values("seed", spec, settings, args.runs)
    pooled, serial = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        with Comparison(dataset, spec, settings, "seed", seeds, args.steps) as runs:
            results = runs.run()
            workers = runs.workers
        pooled.append(time.perf_counter() - started)
        started = time.perf_counter()
        for setup in plan_runs(spec, settings, "seed", seeds):
            train_run(dataset, setup, args.steps)
        serial.append(time.perf_counter() - started)
    pool_s, serial_s = statistics.median(pooled), statistics.median(serial)
    print(f"{args.runs} runs x {args.steps:,} steps of {spec.layer_sizes} ({workers} worker processes)")
    print(f"  compare runs (pool):     {pool_s:.2f} s wall (median of {args.repeat})")
    print(f"  one after another here:  {serial_s:.2f} s")
    print(f"  ratio pool / serial:     {pool_s / serial_s:.2f}")
    accuracies = ", ".join(f"{r.label}: {100 * r.metrics.test_accuracy:.1f} %" for r in results)
    print(f"  final test accuracy:     {accuracies}")


if __name__ == "__main__":
    main()
