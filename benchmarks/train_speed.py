"""Training speed of the numpy engine against PyTorch (CPU) and scikit-learn, in steps per second.

Each configuration trains the same architecture with Adam, the same batch size and the same batch sampling
(a fresh shuffle every epoch, consecutive slices of it) on a spiral dataset, single-threaded everywhere:
BLAS through threadpoolctl, PyTorch through ``torch.set_num_threads(1)``. The engine is timed through
``Trainer.step`` (including its periodic evaluation and divergence checks); PyTorch runs an ordinary loop
(``zero_grad`` / ``loss.backward()`` / ``step``); scikit-learn runs ``MLPClassifier.partial_fit`` epochs.
Each framework is timed in several interleaved rounds and the best round counts, so a busy machine slows
every column alike. PyTorch and scikit-learn are optional: a missing one is skipped with a note.

Configuration (e) is a graph (``--connect in>3,1>4,2>out --residual 2>4``): PyTorch runs an equivalent
hand-written ``nn.Module`` (`SkipNet`, concatenating the sources of each layer as the engine does);
scikit-learn cannot express it and is left out.

Run it with the OpenBLAS overrides removed (they select slow kernels on some machines)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/train_speed.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from workbench.core.data.generators import generate
from workbench.core.model.features import compute_features
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings, parse_links
from workbench.core.training.trainer import Trainer

LEARNING_RATE = 1e-3


@dataclass(frozen=True)
class Config:
    label: str
    hidden: tuple[int, ...]
    activation: str
    n_classes: int
    n_points: int
    batch_size: int | None  # None = the full training set
    steps: int  # steps per timed round
    connect: str = ""  # extra connections, as on the command line
    residual: str = ""  # residual links

    def spec(self) -> NetworkSpec:
        spec = NetworkSpec(
            ("x", "y"), tuple(LayerSpec(w, self.activation) for w in self.hidden), self.n_classes
        )
        n_hidden = len(self.hidden)
        connections = parse_links(self.connect, n_hidden, "connection")
        return spec.with_links(connections, parse_links(self.residual, n_hidden, "residual link")).validate()


CONFIGS = (
    Config("(a) 2-8-8-2 tanh, batch 10, 500 points", (8, 8), "tanh", 2, 500, 10, 4000),
    Config("(b) 2-16-16-16-4 ReLU, batch 64, 5k points", (16, 16, 16), "relu", 4, 5000, 64, 3000),
    Config("(c) 2-64-64-64-8 ReLU, batch 256, 100k points", (64, 64, 64), "relu", 8, 100_000, 256, 600),
    Config("(d) 2-32-32-2 tanh, full batch, 1k points", (32, 32), "tanh", 2, 1000, None, 600),
    Config(
        "(e) 2-32-32-32-32-4 ReLU + skips, batch 64, 5k",
        (32, 32, 32, 32),
        "relu",
        4,
        5000,
        64,
        3000,
        connect="in>3,1>4,2>out",
        residual="2>4",
    ),
)


def _dataset(config: Config):
    return generate("spiral", config.n_points, config.n_classes, seed=1)


# ----------------------------------------------------------------------------------------------- engine
def engine_runner(config: Config):
    dataset = _dataset(config)
    spec = config.spec()
    settings = TrainingSettings(learning_rate=LEARNING_RATE, optimizer="adam", batch_size=config.batch_size)
    trainer = Trainer(dataset, spec, settings, seed=0)
    trainer.step(20)  # warm-up: buffers allocated

    def run(steps: int) -> float:
        start = time.perf_counter()
        trainer.step(steps)
        return time.perf_counter() - start

    return run


# ---------------------------------------------------------------------------------------------- PyTorch
def skip_net():
    """Configuration (e) by hand in PyTorch: the graph of ``--connect in>3,1>4,2>out --residual 2>4``."""
    import torch
    from torch import nn

    class SkipNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer1 = nn.Linear(2, 32)
            self.layer2 = nn.Linear(32, 32)
            self.layer3 = nn.Linear(32 + 2, 32)  # reads layer 2 and the inputs
            self.layer4 = nn.Linear(32 + 32, 32)  # reads layer 3 and layer 1
            self.output = nn.Linear(32 + 32, 4)  # reads layer 4 and layer 2

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h1 = torch.relu(self.layer1(x))
            h2 = torch.relu(self.layer2(h1))
            h3 = torch.relu(self.layer3(torch.cat([h2, x], dim=1)))
            h4 = torch.relu(self.layer4(torch.cat([h3, h1], dim=1))) + h2  # residual 2>4
            return self.output(torch.cat([h4, h2], dim=1))

    return SkipNet()


def torch_runner(config: Config):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    dataset = _dataset(config)
    train = dataset.train_indices
    x = torch.from_numpy(compute_features(dataset.points[train], ("x", "y"), np.float32))
    y = torch.from_numpy(dataset.labels[train])
    if config.connect or config.residual:
        model = skip_net()
    else:
        activation = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[config.activation]
        layers: list[torch.nn.Module] = []
        width = 2
        for hidden in config.hidden:
            layers += [torch.nn.Linear(width, hidden), activation()]
            width = hidden
        layers.append(torch.nn.Linear(width, config.n_classes))
        model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(y)
    batch = min(config.batch_size or n, n)
    state = {"perm": torch.randperm(n), "pos": 0}

    def run(steps: int) -> float:
        perm, pos = state["perm"], state["pos"]
        start = time.perf_counter()
        for _ in range(steps):
            if pos >= n:
                perm, pos = torch.randperm(n), 0
            idx = perm[pos : pos + batch]
            pos += batch
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        elapsed = time.perf_counter() - start
        state["perm"], state["pos"] = perm, pos
        return elapsed

    run(20)
    return run


# --------------------------------------------------------------------------------------- scikit-learn
def sklearn_runner(config: Config):
    if config.connect or config.residual:
        return None  # MLPClassifier is a chain only
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    dataset = _dataset(config)
    train = dataset.train_indices
    x = compute_features(dataset.points[train], ("x", "y"), np.float32)
    y = dataset.labels[train]
    n = len(y)
    batch = min(config.batch_size or n, n)
    model = MLPClassifier(
        hidden_layer_sizes=config.hidden,
        activation=config.activation,
        solver="adam",
        learning_rate_init=LEARNING_RATE,
        batch_size=batch,
        alpha=0.0,
        shuffle=True,
        random_state=0,
    )
    classes = np.arange(config.n_classes)
    steps_per_epoch = math.ceil(n / batch)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.partial_fit(x, y, classes=classes)

    def run(steps: int) -> float:
        epochs = max(1, round(steps / steps_per_epoch))
        start = time.perf_counter()
        for _ in range(epochs):
            model.partial_fit(x, y)  # one epoch of shuffled mini-batches
        return (time.perf_counter() - start) * steps / (epochs * steps_per_epoch)

    return run


# ------------------------------------------------------------------------------------------------ main
def best_rate(run, steps: int) -> float:
    return steps / run(steps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and steps (a smoke test)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (best counts)")
    parser.add_argument("--only", default="abcde", help="letters of the configurations to run, e.g. 'ae'")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    scale = 0.1 if args.quick else 1.0

    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        print("note: threadpoolctl is not installed; BLAS may use several threads")
    else:
        threadpool_limits(1)
        kernels = ", ".join(f"{i['internal_api']} {i.get('architecture', '?')}" for i in threadpool_info())
        print(f"BLAS: {kernels} (1 thread)")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            print(
                f"warning: {name}={os.environ[name]} is set and may select a slow kernel; see the docstring"
            )

    frameworks = {"engine": engine_runner}
    try:
        import torch

        frameworks["pytorch"] = torch_runner
        print(f"PyTorch {torch.__version__} (CPU, 1 thread)")
    except ImportError:
        print("note: PyTorch is not installed; its column is skipped")
    try:
        import sklearn

        frameworks["sklearn"] = sklearn_runner
        print(f"scikit-learn {sklearn.__version__}")
    except ImportError:
        print("note: scikit-learn is not installed; its column is skipped")
    print(f"numpy {np.__version__}; {rounds} rounds, best round counts\n")

    header = f"{'configuration':48s}" + "".join(f"{name + ' steps/s':>17s}" for name in frameworks)
    header += "".join(f"{'vs ' + name:>12s}" for name in frameworks if name != "engine")
    print(header)
    print("-" * len(header))
    for config in (c for c in CONFIGS if c.label[1] in args.only):
        steps = max(20, int(config.steps * scale))
        runners = {name: make(config) for name, make in frameworks.items()}
        rates = dict.fromkeys(runners, 0.0)
        for _ in range(rounds):
            for name, run in runners.items():
                if run is not None:
                    rates[name] = max(rates[name], best_rate(run, steps))
        line = f"{config.label:48s}" + "".join(
            f"{rates[name]:17,.0f}" if rates[name] else f"{'—':>17s}" for name in runners
        )
        line += "".join(
            f"{rates['engine'] / rates[name]:11.2f}×" if rates[name] else f"{'—':>12s}"
            for name in runners
            if name != "engine"
        )
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
