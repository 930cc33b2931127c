"""The ``workbench`` command: no arguments opens the GUI, subcommands work headless.

    workbench                                  open the GUI
    workbench train ...                        train on a generated or CSV dataset (or continue a project)
    workbench export PROJECT -o OUT            export a project's weights (npz, safetensors, onnx, json, py)
    workbench generate NAME -o data.csv        write a generated dataset as CSV

Anything wrong with the arguments or the input files ends with exit status 2 and one ``error: ...`` line on
stderr, never a traceback, so scripts can rely on the status and people can read the reason.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from workbench import __version__
from workbench.core.dataset import Dataset, DatasetFormatError
from workbench.core.spec import ACTIVATIONS, FEATURES, OPTIMIZERS, NetworkSpec, SpecError, TrainingSettings

EXIT_OK = 0
EXIT_GUI_MISSING = 1
EXIT_USAGE = 2

#: Seconds between progress lines on stderr; short runs print none.
PROGRESS_INTERVAL = 2.0


class UsageError(Exception):
    """Bad arguments or input: reported as one ``error:`` line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports mistakes as one line instead of usage + error, so all errors look alike."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# ------------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="workbench", description="Neural Network Workbench. Without a command: open the GUI."
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser("train", help="train a network headless and report the result")
    source = train.add_argument_group("data (one of --data / --dataset, or the data of --project)")
    train.add_argument(
        "--project", metavar="P", help="continue from a saved project; other options override it"
    )
    source.add_argument("--data", metavar="CSV", help="CSV file with x,y,label columns")
    source.add_argument(
        "--dataset", metavar="NAME", help="generated dataset: " + ", ".join(_generator_names())
    )
    source.add_argument("--classes", type=int, metavar="K", help="number of classes for --dataset")
    source.add_argument(
        "--points", type=int, metavar="N", help="number of points for --dataset (default 400)"
    )
    source.add_argument(
        "--noise", type=float, metavar="F", help="noise for --dataset (its default if omitted)"
    )
    source.add_argument(
        "--test-fraction", type=float, metavar="F", help="share of points held out (0 to 0.9)"
    )
    train.add_argument(
        "--seed", type=int, metavar="S", help="seed for data, split and initial weights (default 0)"
    )
    net = train.add_argument_group("network")
    net.add_argument(
        "--features", metavar="LIST", help="input features, e.g. x,y,x2 (from " + ",".join(FEATURES) + ")"
    )
    net.add_argument(
        "--layers", metavar="SPEC", help="hidden layers, e.g. 16,16 or 16:tanh,8:relu ('' for none)"
    )
    net.add_argument(
        "--activation", metavar="NAME", help="activation of hidden layers: " + ", ".join(ACTIVATIONS)
    )
    opt = train.add_argument_group("training")
    opt.add_argument("--optimizer", choices=OPTIMIZERS)
    opt.add_argument("--lr", type=float, metavar="F", help="learning rate")
    opt.add_argument("--momentum", type=float, metavar="F")
    opt.add_argument("--batch-size", metavar="N|all", help="mini-batch size, or 'all' for full batch")
    opt.add_argument("--l2", type=float, metavar="F", help="L2 regularisation strength")
    length = opt.add_mutually_exclusive_group(required=True)
    length.add_argument(
        "--steps", type=int, metavar="N", help="number of training steps (0: just initialise)"
    )
    length.add_argument("--epochs", type=int, metavar="N", help="number of passes over the training points")
    out = train.add_argument_group("output")
    out.add_argument("--save", metavar="OUT", help="write the trained project (.wbproj)")
    out.add_argument("--export", metavar="OUT", help="export the weights; format from the extension")
    out.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    out.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    export = commands.add_parser("export", help="export a project's weights")
    export.add_argument("project", metavar="PROJECT")
    export.add_argument("-o", "--output", required=True, metavar="OUT")
    export.add_argument("--format", choices=("npz", "safetensors", "onnx", "json", "py"))

    generate = commands.add_parser("generate", help="write a generated dataset as CSV")
    generate.add_argument("name", metavar="NAME", help=", ".join(_generator_names()))
    generate.add_argument("-o", "--output", required=True, metavar="CSV")
    generate.add_argument("--points", type=int, metavar="N")
    generate.add_argument("--classes", type=int, metavar="K")
    generate.add_argument("--noise", type=float, metavar="F")
    generate.add_argument("--seed", type=int, default=0, metavar="S")
    return parser


def _generator_names() -> list[str]:
    from workbench.core.generators import GENERATORS

    return list(GENERATORS)


# ------------------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m workbench``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return _open_gui()
    from workbench.core.export import WeightsExportError, WeightsImportError
    from workbench.core.project import ProjectFormatError

    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return run_train(args)
        if args.command == "export":
            return run_export(args)
        if args.command == "generate":
            return run_generate(args)
        raise UsageError("give a command: train, export or generate (or nothing to open the GUI)")
    except (
        UsageError,
        SpecError,
        DatasetFormatError,
        ProjectFormatError,
        WeightsImportError,
        WeightsExportError,
    ) as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f"cannot write {exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK


def _fail(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


def _open_gui() -> int:
    try:
        from workbench.qt.app import main as gui_main
    except ImportError as exc:
        print(f"error: the Workbench GUI cannot start: {exc}", file=sys.stderr)
        return EXIT_GUI_MISSING
    return int(gui_main() or 0)


# ------------------------------------------------------------------------------------------------------------
# workbench train


def run_train(args: argparse.Namespace) -> int:
    from workbench.core.project import Project, load_project, save_project

    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise UsageError("--seed must be a whole number of at least 0")
    base = load_project(args.project) if args.project else None
    dataset = _train_dataset(args, base.dataset if base else None)
    spec = _train_spec(args, base.spec if base else None, dataset.n_classes)
    settings = _train_settings(args, base.settings if base else None)
    if (args.steps or 0) < 0 or (args.epochs or 0) < 0:
        raise UsageError("--steps and --epochs must be at least 0")
    for option in ("save", "export"):
        target = getattr(args, option)
        if target is not None and not Path(target).parent.is_dir():
            raise UsageError(f"--{option}: the folder of {target!r} does not exist")

    trainer = _make_trainer(base, dataset, spec, settings)
    first_step = trainer.step_count
    n_steps = args.steps if args.steps is not None else args.epochs * _steps_per_epoch(dataset, settings)
    seconds, diverged, message = _train(trainer, n_steps, quiet=args.quiet)
    metrics = trainer.evaluate()

    saved = exported = None
    if args.save:
        save_project(Project.from_trainer(trainer), args.save)
        saved = args.save
    if args.export:
        from workbench.core.export import export_weights

        exported = str(export_weights(args.export, spec, trainer.snapshot().weights, dataset.class_names))

    result = {
        "steps": int(metrics.step),
        "epochs": int(metrics.epoch),
        "steps_run": trainer.step_count - first_step,
        "train_loss": _finite_or_none(metrics.train_loss),
        "train_accuracy": _finite_or_none(metrics.train_accuracy),
        "test_loss": _finite_or_none(metrics.test_loss),
        "test_accuracy": _finite_or_none(metrics.test_accuracy),
        "diverged": diverged,
        "message": message,
        "seconds": round(seconds, 4),
        "n_train": len(dataset.train_indices),
        "n_test": len(dataset.test_indices),
        "n_parameters": spec.n_parameters,
        "network": spec.to_dict(),
        "training": settings.to_dict(),
        "saved": saved,
        "exported": exported,
    }
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        print(_summary(result))
    return EXIT_OK


def _train_dataset(args: argparse.Namespace, base: Dataset | None) -> Dataset:
    from workbench.core.csv_io import read_csv
    from workbench.core.generators import generate

    seed = 0 if args.seed is None else args.seed
    if args.data and args.dataset:
        raise UsageError("give either --data or --dataset, not both")
    if not args.dataset:
        for option in ("classes", "points", "noise"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option} only applies to a generated --dataset")
    if args.data:
        dataset = read_csv(args.data, split_seed=seed)
    elif args.dataset:
        dataset = generate(args.dataset, args.points, args.classes, args.noise, seed)
    elif base is not None:
        dataset = base
    else:
        raise UsageError("no data: give --data CSV, --dataset NAME or --project P")
    if args.test_fraction is not None:
        if not 0 <= args.test_fraction <= 0.9:
            raise UsageError("--test-fraction must be between 0 and 0.9")
        dataset = dataset.replace(test_fraction=args.test_fraction)
    if len(dataset.train_indices) == 0:
        raise UsageError("the dataset has no training points")
    return dataset


def _train_spec(args: argparse.Namespace, base: NetworkSpec | None, n_classes: int) -> NetworkSpec:
    from workbench.core.spec import parse_layers

    spec = base or NetworkSpec()
    if args.features is not None:
        spec = replace(spec, features=tuple(f.strip() for f in args.features.split(",") if f.strip()))
    if args.activation is not None and args.activation not in ACTIVATIONS:
        raise UsageError(f"unknown activation {args.activation!r}; choose from {', '.join(ACTIVATIONS)}")
    if args.layers is not None:
        spec = spec.with_hidden(parse_layers(args.layers, args.activation or "tanh"))
    elif args.activation is not None:
        spec = spec.with_hidden([replace(layer, activation=args.activation) for layer in spec.hidden])
    return replace(spec, n_classes=n_classes).validate()


def _train_settings(args: argparse.Namespace, base: TrainingSettings | None) -> TrainingSettings:
    settings = base or TrainingSettings()
    changes: dict[str, Any] = {}
    if args.optimizer is not None:
        changes["optimizer"] = args.optimizer
    if args.lr is not None:
        changes["learning_rate"] = args.lr
    if args.momentum is not None:
        changes["momentum"] = args.momentum
    if args.l2 is not None:
        changes["l2"] = args.l2
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.batch_size is not None:
        text = args.batch_size.strip().lower()
        if text in ("all", "full"):
            changes["batch_size"] = None
        else:
            try:
                changes["batch_size"] = int(text)
            except ValueError:
                raise UsageError(
                    f"--batch-size must be a whole number or 'all', not {args.batch_size!r}"
                ) from None
    return replace(settings, **changes).validate()


def _make_trainer(base: Any, dataset: Dataset, spec: NetworkSpec, settings: TrainingSettings) -> Any:
    """A fresh trainer, or the project's when its network still fits (weights, optimizer, history kept)."""
    from workbench.core.trainer import Trainer

    if base is not None and spec == base.spec and base.weights is not None:
        project = replace(base, dataset=dataset, spec=spec, settings=settings)
        if settings.optimizer != base.settings.optimizer:
            project = replace(project, optimizer_state=None)
        return project.make_trainer()
    return Trainer(dataset, spec, settings)


def _steps_per_epoch(dataset: Dataset, settings: TrainingSettings) -> int:
    n_train = len(dataset.train_indices)
    return 1 if settings.batch_size is None else max(1, math.ceil(n_train / settings.batch_size))


def _train(trainer: Any, n_steps: int, quiet: bool) -> tuple[float, bool, str | None]:
    """Run `n_steps` steps in chunks; returns (seconds spent in steps, diverged, divergence message)."""
    seconds = 0.0
    done = 0
    chunk = 50
    last_report = time.perf_counter()
    while done < n_steps:
        todo = min(chunk, n_steps - done)
        started = time.perf_counter()
        result = trainer.step(todo)
        elapsed = time.perf_counter() - started
        seconds += elapsed
        done += todo
        if result.diverged:
            return seconds, True, result.message
        if elapsed < 0.05:  # keep progress checks rare without making huge chunks
            chunk = min(chunk * 2, 5000)
        now = time.perf_counter()
        if not quiet and now - last_report >= PROGRESS_INTERVAL:
            last_report = now
            print(f"step {done}/{n_steps}  ({done / n_steps:.0%})", file=sys.stderr, flush=True)
    return seconds, False, None


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _summary(result: dict[str, Any]) -> str:
    def show(value: float | None, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    lines = [
        f"steps {result['steps']}  epochs {result['epochs']}  ({result['seconds']:.2f} s training)",
        f"train loss {show(result['train_loss'], '.4f')}  accuracy {show(result['train_accuracy'], '.3f')}",
        f"test  loss {show(result['test_loss'], '.4f')}  accuracy {show(result['test_accuracy'], '.3f')}",
    ]
    if result["diverged"]:
        lines.append(f"training diverged: {result['message']}")
    if result["saved"]:
        lines.append(f"saved project to {result['saved']}")
    if result["exported"]:
        lines.append(f"exported weights to {result['exported']}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------------
# workbench export / generate


def run_export(args: argparse.Namespace) -> int:
    from workbench.core.export import export_weights
    from workbench.core.project import load_project

    project = load_project(args.project)
    if project.weights is None:
        raise UsageError(f"{args.project!r} has no trained weights yet; train it first")
    written = export_weights(
        args.output, project.spec, project.weights, project.dataset.class_names, args.format
    )
    print(f"exported weights to {written}")
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    from workbench.core.csv_io import write_csv
    from workbench.core.generators import generate

    dataset = generate(args.name, args.points, args.classes, args.noise, args.seed)
    write_csv(dataset, args.output)
    print(f"wrote {dataset.n_points} points in {dataset.n_classes} classes to {args.output}")
    return EXIT_OK
