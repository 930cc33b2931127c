"""The ``workbench`` command: no arguments opens the GUI, subcommands work headless.

    workbench                                  open the GUI
    workbench PROJECT.wbproj | DATA.csv        open the GUI with that file
    workbench train ...                        train on a generated or CSV dataset (or continue a project)
    workbench export PROJECT -o OUT            export a project's weights (npz, safetensors, onnx, json, py)
    workbench export PROJECT --at-step K -o OUT   the weights recorded at step K of the run
    workbench timeline PROJECT [--json]        list the recorded steps of the project's run
    workbench animate PROJECT -o run.gif       an animation of the recorded run (GIF or MP4)
    workbench generate NAME -o data.csv        write a generated dataset as CSV (regression: x,y,target)
    workbench landscape PROJECT --params P1,P2 | --random SEED | --pca -o OUT.npz
                                               the loss surface on a 2D slice through the weights
    workbench backprop PROJECT --point X,Y --label NAME | --target VALUE [--json]
                                               the F-pass and B-pass of one point
    workbench gradcheck PROJECT [--json]       back-propagation against finite differences

Anything wrong with the arguments or the input files ends with exit status 2 and one ``error: ...`` line on
stderr, never a traceback, so scripts can rely on the status and people can read the reason (`EXIT_CODES`).
Headless commands run with one BLAS thread, like the window's training process: on two cores a
multi-threaded BLAS made some full-batch runs 20-60x slower.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from workbench import __version__
from workbench.core import limits
from workbench.core.data.dataset import Dataset, DatasetFormatError
from workbench.core.model.spec import (
    ACTIVATIONS,
    FEATURES,
    OPTIMIZERS,
    TASKS,
    Link,
    NetworkSpec,
    SpecError,
    TrainingSettings,
    parse_links,
)

EXIT_OK = 0
EXIT_GUI_MISSING = 1
EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130
EXIT_GRADIENT_CHECK_FAILED = 4
#: Documented in the README and in ``--help``.
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_GUI_MISSING: "the GUI cannot start (PySide6 or its system libraries missing)",
    EXIT_USAGE: "bad arguments or input files, or not enough memory (one 'error:' line on stderr)",
    EXIT_DIVERGED: "training diverged (the results, the saved project and the export hold the last good "
    "weights)",
    EXIT_GRADIENT_CHECK_FAILED: "gradcheck: back-propagation disagrees with finite differences",
    EXIT_INTERRUPTED: "a headless command interrupted with Ctrl+C",
}
PROJECT_SUFFIX = ".wbproj"
#: An example of --connect and --residual for ``train --help``; quoted, because a shell reads > as a
#: redirection (unquoted, ``--connect in>3`` reaches us as ``--connect in`` and writes a file named 3).
LINKS_EXAMPLE = "--connect 'in>3,1>out' --residual '1>3'"
OUT_OF_MEMORY = (
    "not enough memory to train this network on batches of {batch} points; "
    "use a smaller --batch-size or narrower layers"
)

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
    from workbench.core.data.formula import FUNCTIONS
    from workbench.core.data.generators import DEFAULT_FORMULA, GENERATORS, STARTING_DATASET
    from workbench.core.files.export import EXPORT_FORMATS

    regression_names = [name for name, info in GENERATORS.items() if info.task == "regression"]

    settings, spec = TrainingSettings(), NetworkSpec()
    layers = ",".join(str(layer.width) for layer in spec.hidden)
    activation = spec.hidden[0].activation if spec.hidden else "tanh"
    batch = "all" if settings.batch_size is None else settings.batch_size
    formats = ", ".join(EXPORT_FORMATS)
    points = GENERATORS[STARTING_DATASET].default_points
    class_defaults = ", ".join(f"{n} {i.default_classes}" for n, i in GENERATORS.items() if i.takes_classes)
    fraction = limits.TEST_FRACTION
    parser = _Parser(
        prog="workbench",
        description="Neural Network Workbench. Without a command: open the GUI\n"
        "(given a .wbproj or .csv file: open that file in it).",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    train = commands.add_parser(
        "train",
        help="train a network headless and report the result",
        description="Train headless. Options left out keep the --project's values,\n"
        "else the defaults shown.\n\n"
        "Skip connections, e.g. three layers of 16 where layer 3 also reads the input\n"
        "features, the output also reads layer 1, and layer 1's output is added to layer 3's\n"
        "(quote the lists: a shell reads > as a redirection):\n"
        f"  workbench train --dataset spiral --layers 16,16,16 {LINKS_EXAMPLE} --steps 2000",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = train.add_argument_group("data (one of --data / --dataset, or the data of --project)")
    train.add_argument(
        "--project",
        metavar="P",
        help="continue from a saved project (--save names another file: inputs are never overwritten)",
    )
    source.add_argument(
        "--data",
        metavar="CSV",
        help="CSV file with x,y,label (or x,y,target: numbers with fractions are read as regression targets)",
    )
    source.add_argument(
        "--columns",
        metavar="X,Y,T",
        help="the x, y and label (or target) columns of a wider --data file: header names or 1-based numbers",
    )
    source.add_argument(
        "--dataset",
        metavar="NAME",
        help="generated dataset: "
        + ", ".join(GENERATORS)
        + f" (the last {len(regression_names)} are regression)",
    )
    source.add_argument(
        "--formula",
        metavar="EXPR",
        help=f"the target of --dataset formula, e.g. 'sin(x) * cos(y)' (default {DEFAULT_FORMULA!r}): "
        "numbers, x, y, pi, e, + - * / ** %% and the functions " + ", ".join(FUNCTIONS),
    )
    source.add_argument(
        "--task",
        choices=TASKS,
        help="classification or regression (default: the data's; regression datasets imply regression). "
        "'--task regression' on classes uses the class numbers as target values; '--task classification' "
        "on values makes classes of them (whole numbers 0-19 each a class, else below 0 / 0 or above)",
    )
    source.add_argument(
        "--classes",
        type=int,
        metavar="K",
        help=f"number of classes for --dataset (default: the dataset's, {class_defaults})",
    )
    source.add_argument(
        "--points", type=int, metavar="N", help=f"number of points for --dataset (default {points})"
    )
    source.add_argument(
        "--noise", type=float, metavar="F", help="noise for --dataset (default: the dataset's own)"
    )
    source.add_argument(
        "--test-fraction",
        type=float,
        metavar="F",
        help=f"share of points held out, {fraction.minimum:g} to {fraction.maximum:g} (default 0.2)",
    )
    train.add_argument(
        "--seed", type=int, metavar="S", help="seed for data, split and initial weights (default 0)"
    )
    net = train.add_argument_group("network")
    net.add_argument(
        "--features",
        metavar="LIST",
        help=f"input features from {','.join(FEATURES)} (default {','.join(spec.features)})",
    )
    net.add_argument(
        "--standardize",
        nargs="?",
        const="standardize",
        choices=("none", "standardize"),
        metavar="MODE",
        help="standardize the inputs: (x - mean) / std per coordinate, statistics from the training "
        "points; '--standardize none' switches a --project's off (default: the --project's, else none)",
    )
    net.add_argument(
        "--layers",
        metavar="SPEC",
        help=f"hidden layers, e.g. 16,16 or 16:tanh,8:relu; '' for none (default {layers})",
    )
    net.add_argument(
        "--activation",
        metavar="NAME",
        help=f"activation of hidden layers: {', '.join(ACTIVATIONS)} (default {activation})",
    )
    net.add_argument(
        "--connect",
        metavar="LIST",
        help="extra weighted connections, comma-separated A>B: A is 'in' (the features) or a hidden "
        "layer number (1-based), B a later layer number or 'out'; B then also reads A through its own "
        "weights. Each layer reads the one before it anyway, so k>k+1 is not allowed. '' for none "
        "(default none)",
    )
    net.add_argument(
        "--residual",
        metavar="LIST",
        help="residual links, comma-separated A>B: A's output is added to B's output after B's "
        "activation, without weights (A and B need the same width). '' for none (default none)",
    )
    opt = train.add_argument_group("training")
    opt.add_argument(
        "--optimizer", choices=OPTIMIZERS, help=f"{', '.join(OPTIMIZERS)} (default {settings.optimizer})"
    )
    opt.add_argument(
        "--lr", type=float, metavar="F", help=f"learning rate (default {settings.learning_rate:g})"
    )
    opt.add_argument(
        "--momentum",
        type=float,
        metavar="F",
        help=f"momentum of the 'momentum' optimizer (default {settings.momentum:g})",
    )
    opt.add_argument(
        "--batch-size",
        metavar="N|all",
        help=f"mini-batch size, or 'all' for full batch (default {batch})",
    )
    opt.add_argument(
        "--l2", type=float, metavar="F", help=f"L2 regularisation strength (default {settings.l2:g})"
    )
    length = opt.add_mutually_exclusive_group(required=True)
    length.add_argument(
        "--steps", type=int, metavar="N", help="number of training steps (0: just initialise)"
    )
    length.add_argument("--epochs", type=int, metavar="N", help="number of passes over the training points")
    out = train.add_argument_group("output")
    out.add_argument("--save", metavar="OUT.wbproj", help="write the trained project (.wbproj)")
    out.add_argument(
        "--export", metavar="OUT", help=f"export the weights; format from the extension: {formats}"
    )
    out.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    out.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    export = commands.add_parser(
        "export",
        help="export a project's weights",
        description=f"Export a project's weights. Formats: {formats}.",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("project", metavar="PROJECT")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="format from the extension")
    export.add_argument("--format", choices=tuple(EXPORT_FORMATS), help="override the extension")
    export.add_argument(
        "--at-step",
        type=int,
        metavar="K",
        help="export the weights recorded at step K of the run instead of the latest ones "
        "(see 'workbench timeline PROJECT' for the recorded steps)",
    )

    timeline = commands.add_parser(
        "timeline",
        help="list the recorded steps of a project's run",
        description="List the steps of the project's run whose weights are recorded (dense early, sparser "
        "later), with the epoch and the metrics measured there.",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    timeline.add_argument("project", metavar="PROJECT")
    timeline.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    from workbench.core.present.animation import MAX_FPS, MAX_GIF_FPS, MIN_FPS, VIEWS

    animate = commands.add_parser(
        "animate",
        help="write an animation (GIF or MP4) of a project's recorded run",
        description="Render the recorded run headless: one frame per recorded step (dense early, sparser "
        "later, so the moment the network 'gets it' is not over in one frame), captioned with the step.",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    animate.add_argument("project", metavar="PROJECT")
    animate.add_argument("-o", "--output", required=True, metavar="OUT", help="run.gif or run.mp4")
    animate.add_argument(
        "--view",
        choices=VIEWS,
        default="regions",
        help="the decision regions with the points, or the hidden space of --layer (default regions)",
    )
    animate.add_argument(
        "--fps",
        type=float,
        default=10.0,
        metavar="F",
        help=f"frames per second, {MIN_FPS:g} to {MAX_FPS:g} ({MAX_GIF_FPS:g} for a GIF; default 10)",
    )
    animate.add_argument(
        "--size", default="480x480", metavar="WxH", help="frame size in pixels (default 480x480)"
    )
    animate.add_argument(
        "--frames",
        type=int,
        metavar="N",
        help="at most N frames, evenly over the recorded steps (default: one per recorded step)",
    )
    animate.add_argument(
        "--layer", type=int, default=1, metavar="L", help="hidden layer of --view hidden (default 1)"
    )

    generate = commands.add_parser(
        "generate",
        help="write a generated dataset as CSV",
        description="Write a generated dataset as CSV: x,y,label, or x,y,target for the regression "
        f"datasets {', '.join(regression_names)}.",
    )
    generate.add_argument("name", metavar="NAME", help=", ".join(GENERATORS))
    generate.add_argument(
        "--formula",
        metavar="EXPR",
        help=f"the target of the formula dataset, e.g. 'sin(x) * cos(y)' (default {DEFAULT_FORMULA!r})",
    )
    generate.add_argument("-o", "--output", required=True, metavar="CSV")
    generate.add_argument("--points", type=int, metavar="N", help=f"number of points (default {points})")
    generate.add_argument(
        "--classes", type=int, metavar="K", help="number of classes (default: the dataset's)"
    )
    generate.add_argument("--noise", type=float, metavar="F", help="noise (default: the dataset's own)")
    generate.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default 0)")
    _add_landscape_parser(commands)
    _add_backprop_parser(commands)

    gradcheck = commands.add_parser(
        "gradcheck",
        help="check back-propagation against finite differences on a project's network",
        description="Compare the gradient back-propagation computes for the project's network and training "
        "points with central finite differences in float64, and report the largest relative error "
        "(a big network is checked on a random sample of its parameters).",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gradcheck.add_argument("project", metavar="PROJECT")
    gradcheck.add_argument(
        "--json",
        action="store_true",
        help='print {"max_relative_error": float, "parameters_checked": int} on stdout',
    )
    return parser


def _exit_codes_text() -> str:
    return "exit status:\n" + "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items())


def _generator_names() -> list[str]:
    from workbench.core.data.generators import GENERATORS

    return list(GENERATORS)


# ------------------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m workbench``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return _open_gui()
    if _names_a_file_to_open(argv):
        if not os.path.isfile(argv[0]):
            return _fail(f"cannot open {argv[0]!r}: no such file")
        return _open_gui(argv[:1])
    from workbench.core.files.export import WeightsExportError, WeightsImportError
    from workbench.core.files.export.parameter_names import ParameterNameError
    from workbench.core.files.project import ProjectFormatError
    from workbench.core.present.animation import AnimationError
    from workbench.core.present.backprop import BackpropError
    from workbench.core.present.landscape import LandscapeError
    from workbench.core.present.views import ViewError
    from workbench.core.training.recording import RecordingError

    try:
        args = build_parser().parse_args(argv)
        with _one_blas_thread():
            if args.command == "train":
                return run_train(args)
            if args.command == "export":
                return run_export(args)
            if args.command == "timeline":
                return run_timeline(args)
            if args.command == "animate":
                return run_animate(args)
            if args.command == "generate":
                return run_generate(args)
            if args.command == "landscape":
                return run_landscape(args)
            if args.command == "backprop":
                return run_backprop(args)
            if args.command == "gradcheck":
                return run_gradcheck(args)
        raise UsageError(
            "give a command: train, export, timeline, animate, generate, landscape, backprop or gradcheck "
            "(or nothing to open the GUI)"
        )
    except MemoryError:  # numpy's _ArrayMemoryError too; training turns it into a message of its own
        return _fail("not enough memory for this command")
    except (
        UsageError,
        SpecError,
        DatasetFormatError,
        ProjectFormatError,
        WeightsImportError,
        WeightsExportError,
        RecordingError,
        AnimationError,
        ViewError,
        LandscapeError,
        ParameterNameError,
        BackpropError,
    ) as exc:
        return _fail(str(exc))
    except BrokenPipeError:  # `workbench timeline P | head`: the reader has all it wanted, no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's exit flush stays quiet
        return EXIT_OK
    except OSError as exc:
        where = f"cannot write {exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK


def _fail(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


def _names_a_file_to_open(argv: list[str]) -> bool:
    """``workbench run.wbproj`` (or a CSV): the GUI opens it, as the window's own Open would."""
    first = argv[0]
    return (
        len(argv) == 1
        and not first.startswith("-")
        and first not in ("train", "export", "timeline", "animate", "generate", "landscape")
        and first not in ("train", "export", "timeline", "animate", "generate", "backprop")
        and Path(first).suffix.lower() in (PROJECT_SUFFIX, ".csv")
    )


def _open_gui(paths: list[str] | None = None) -> int:
    try:
        from workbench.qt.app import main as gui_main
    except ImportError as exc:
        print(f"error: the Workbench GUI cannot start: {exc}", file=sys.stderr)
        return EXIT_GUI_MISSING
    return int((gui_main(paths) if paths else gui_main()) or 0)


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """One BLAS thread while a command runs (restored afterwards for callers in the same process)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a runtime dependency; OPENBLAS_NUM_THREADS=1 in the environment does the same
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


# ------------------------------------------------------------------------------------------------------------
# workbench train


def run_train(args: argparse.Namespace) -> int:
    from workbench.core.files.project import Project, load_project, save_project

    _check_option("--seed", args.seed, limits.SEED)
    base = load_project(args.project) if args.project else None
    dataset = _train_dataset(args, base.dataset if base else None)
    spec = _train_spec(args, base.spec if base else None, dataset)
    if args.standardize is not None:
        from workbench.core.data.scaling import standardized_spec

        spec = standardized_spec(spec, args.standardize, dataset.points[dataset.train_indices])
    settings = _train_settings(args, base.settings if base else None)
    _check_option("--steps", args.steps, limits.STEPS)
    _check_option("--epochs", args.epochs, limits.EPOCHS)
    if args.save is not None and Path(args.save).suffix.lower() != PROJECT_SUFFIX:
        raise UsageError(f"--save writes a project: the name must end in {PROJECT_SUFFIX}, not {args.save!r}")
    inputs = {"--data": args.data, "--project": args.project}
    for option in ("save", "export"):
        target = getattr(args, option)
        if target is None:
            continue
        if not Path(target).parent.is_dir():
            raise UsageError(f"--{option}: the folder of {target!r} does not exist")
        for source_option, source in inputs.items():
            # Never replace an input, not even the project being continued: a run that went wrong must not
            # cost the file it started from (save next to it instead).
            _refuse_overwriting(f"--{option}", target, source_option, source)
    if args.save and args.export:
        _refuse_overwriting("--export", args.export, "--save", args.save)

    trainer = _make_trainer(base, dataset, spec, settings)
    recording = _run_recording(base, trainer)
    first_step = trainer.step_count
    n_steps = args.steps if args.steps is not None else args.epochs * _steps_per_epoch(dataset, settings)
    with np.errstate(all="ignore"):  # a diverging run overflows: reported as divergence, not as warnings
        try:
            seconds, diverged, message = _train(trainer, n_steps, args.quiet, recording)
            metrics = trainer.evaluate()
        except MemoryError:  # numpy's _ArrayMemoryError is one too
            batch = settings.batch_size or len(dataset.train_indices)
            raise UsageError(OUT_OF_MEMORY.format(batch=f"{batch:,}")) from None

    saved = exported = None
    if args.save:
        save_project(Project.from_trainer(trainer, recording), args.save)
        saved = args.save
    if args.export:
        from workbench.core.files.export import export_weights

        exported = str(export_weights(args.export, spec, trainer.snapshot().weights, dataset.class_names))

    result = {
        "steps": int(metrics.step),
        "epochs": int(metrics.epoch),
        "steps_run": trainer.step_count - first_step,
        "task": dataset.task,
        "train_loss": _finite_or_none(metrics.train_loss),
        "train_accuracy": _finite_or_none(metrics.train_accuracy),
        "test_loss": _finite_or_none(metrics.test_loss),
        "test_accuracy": _finite_or_none(metrics.test_accuracy),
        "train_rmse": _finite_or_none(metrics.train_rmse),
        "test_rmse": _finite_or_none(metrics.test_rmse),
        "train_r2": _finite_or_none(metrics.train_r2),
        "test_r2": _finite_or_none(metrics.test_r2),
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
    return EXIT_DIVERGED if diverged else EXIT_OK


def _check_option(option: str, value: float | None, limit: limits.Limit) -> None:
    """An option outside the one table of limits (`workbench.core.limits`): one line naming the option."""
    if value is not None and not limit.contains(value):
        raise UsageError(f"{option}: {limit.message}")


def _refuse_overwriting(option: str, target: str, source_option: str, source: str | None) -> None:
    """A command never replaces one of its own input files (a CSV by a project, a project by weights...)."""
    if source is not None and _same_file(target, source):
        raise UsageError(
            f"{option} {target!r} would overwrite the input file of {source_option}; choose another name"
        )


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def _train_dataset(args: argparse.Namespace, base: Dataset | None) -> Dataset:
    from workbench.core.data.generators import generate
    from workbench.core.files.csv_io import parse_columns, read_csv

    seed = 0 if args.seed is None else args.seed
    if args.data and args.dataset:
        raise UsageError("give either --data or --dataset, not both")
    if args.columns is not None and not args.data:
        raise UsageError("--columns only applies to a --data CSV file")
    if not args.dataset:
        for option in ("classes", "points", "noise", "formula"):
            if getattr(args, option) is not None:
                raise UsageError(f"--{option} only applies to a generated --dataset")
    if args.data:
        columns = None if args.columns is None else parse_columns(args.columns)
        # --task regression reads whole numbers as values too (not as class numbers in order)
        task = "regression" if args.task == "regression" else None
        dataset = read_csv(args.data, split_seed=seed, columns=columns, task=task)
    elif args.dataset:
        dataset = generate(args.dataset, args.points, args.classes, args.noise, seed, formula=args.formula)
    elif base is not None:
        dataset = base
    else:
        raise UsageError("no data: give --data CSV, --dataset NAME or --project P")
    if args.task == "regression":
        dataset = dataset.as_regression()
    elif args.task == "classification":
        dataset = dataset.as_classification()
    if args.test_fraction is not None:
        _check_option("--test-fraction", args.test_fraction, limits.TEST_FRACTION)
        dataset = dataset.replace(test_fraction=args.test_fraction)
    if len(dataset.train_indices) == 0:
        raise UsageError("the dataset has no training points")
    return dataset


def _train_spec(args: argparse.Namespace, base: NetworkSpec | None, dataset: Dataset) -> NetworkSpec:
    """The network of the options (else the --project's), its output fitted to the data's task."""
    from workbench.core.model.spec import parse_layers

    spec = base or NetworkSpec()
    if args.features is not None:
        spec = replace(spec, features=tuple(f.strip() for f in args.features.split(",") if f.strip()))
    if args.activation is not None and args.activation not in ACTIVATIONS:
        raise UsageError(f"unknown activation {args.activation!r}; choose from {', '.join(ACTIVATIONS)}")
    if args.layers is not None:  # another number of layers drops the --project's links
        spec = spec.with_hidden(parse_layers(args.layers, args.activation or "tanh"))
    elif args.activation is not None:
        spec = spec.with_hidden([replace(layer, activation=args.activation) for layer in spec.hidden])
    connections = _links_option("--connect", args.connect, spec.connections, len(spec.hidden), "connection")
    residuals = _links_option("--residual", args.residual, spec.residuals, len(spec.hidden), "residual link")
    # The output follows the data's task and classes; a link that no longer fits is an error, not dropped.
    return replace(
        spec.with_links(connections, residuals), task=dataset.task, n_classes=dataset.n_classes
    ).validate()


def _links_option(
    option: str, text: str | None, kept: tuple[Link, ...], n_hidden: int, kind: str
) -> tuple[Link, ...]:
    """The links of --connect / --residual (None: keep the --project's). A list without any '>' most
    likely lost them to the shell, which reads > as a redirection: say so."""
    if text is None:
        return kept
    try:
        return parse_links(text, n_hidden, kind)
    except SpecError as exc:
        if text.strip() and ">" not in text:
            raise UsageError(
                f"{exc} (quote the list, e.g. {option} 'in>3,1>out': a shell reads > as a redirection)"
            ) from None
        raise


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
    from workbench.core.training.trainer import Trainer

    if base is not None and spec == base.spec and base.weights is not None:
        project = replace(base, dataset=dataset, spec=spec, settings=settings)
        if settings.optimizer != base.settings.optimizer:
            project = replace(project, optimizer_state=None)
        return project.make_trainer()
    return Trainer(dataset, spec, settings)


def _steps_per_epoch(dataset: Dataset, settings: TrainingSettings) -> int:
    n_train = len(dataset.train_indices)
    return 1 if settings.batch_size is None else max(1, math.ceil(n_train / settings.batch_size))


def _run_recording(base: Any, trainer: Any) -> Any:
    """The weight recording of this run: the --project's continued (when its network goes on training),
    else a new one from the trainer's step."""
    from workbench.core.training.recording import Recording

    kept = base.recording if base is not None and trainer.step_count == base.step else None
    if kept is not None and kept.spec == trainer.spec:
        recording = kept.copy()
        recording.cut_after(trainer.step_count)
        return recording
    return Recording(trainer.spec, origin=trainer.step_count)


def _record(trainer: Any, recording: Any, due_only: bool) -> None:
    latest = recording.latest
    if due_only and not recording.is_due(trainer.step_count):
        return
    if latest is None or latest.step < trainer.step_count:
        recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)


def _train(trainer: Any, n_steps: int, quiet: bool, recording: Any = None) -> tuple[float, bool, str | None]:
    """Run `n_steps` steps in chunks, stopping at the steps the `recording` (if any) records; returns
    (seconds spent in steps, diverged, divergence message)."""
    seconds = 0.0
    done = 0
    chunk = 50
    last_report = time.perf_counter()
    if recording is not None:
        _record(trainer, recording, due_only=True)
    while done < n_steps:
        todo = min(chunk, n_steps - done)
        if recording is not None:  # stop exactly where the next snapshot is due
            todo = min(todo, max(1, recording.steps_until_due(trainer.step_count)))
        started = time.perf_counter()
        result = trainer.step(todo)
        elapsed = time.perf_counter() - started
        seconds += elapsed
        done += todo
        if result.diverged:
            if recording is not None:  # back at the last good weights: record the run up to there
                recording.cut_after(trainer.step_count)
                _record(trainer, recording, due_only=False)
            return seconds, True, result.message
        if recording is not None:
            _record(trainer, recording, due_only=done < n_steps)  # and where the run ends
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

    lines = [f"steps {result['steps']}  epochs {result['epochs']}  ({result['seconds']:.2f} s training)"]
    for split in ("train", "test"):
        loss = f"{split:<5} loss {show(result[f'{split}_loss'], '.4f')}"
        if result.get("task") == "regression":
            rmse, r2 = show(result[f"{split}_rmse"], ".4f"), show(result[f"{split}_r2"], ".3f")
            lines.append(f"{loss}  RMSE {rmse}  R² {r2}")
        else:
            lines.append(f"{loss}  accuracy {show(result[f'{split}_accuracy'], '.3f')}")
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
    from workbench.core.files.export import export_weights
    from workbench.core.files.project import load_project

    _refuse_overwriting("-o", args.output, "PROJECT", args.project)
    if args.format == "py" or (args.format is None and Path(args.output).suffix.lower() == ".py"):
        _refuse_overwriting("-o", str(Path(args.output).with_suffix(".npz")), "PROJECT", args.project)
    project = load_project(args.project)
    if project.weights is None:
        raise UsageError(f"{args.project!r} has no trained weights yet; train it first")
    weights = project.weights
    if args.at_step is not None:
        weights = _recording_of(project, args.project).at(args.at_step).weights_list()
    written = export_weights(args.output, project.spec, weights, project.dataset.class_names, args.format)
    at = "" if args.at_step is None else f" recorded at step {args.at_step:,}"
    print(f"exported weights{at} to {written}")
    return EXIT_OK


def _recording_of(project: Any, name: str) -> Any:
    """The project's weight recording, or a UsageError that says why there is none."""
    if project.recording is None or not len(project.recording):
        raise UsageError(
            f"{name!r} has no recorded steps (saved by an older Workbench, or never trained); "
            "train it in the window or with 'workbench train --project' and save it again"
        )
    return project.recording


# ------------------------------------------------------------------------------------------------------------
# workbench timeline / animate


def run_timeline(args: argparse.Namespace) -> int:
    from workbench.core.files.project import load_project
    from workbench.core.training.recording import METRIC_NAMES

    project = load_project(args.project)
    recording = project.recording
    records = list(recording) if recording is not None else []
    if args.json:
        result = {
            "project": args.project,
            "step": project.step,
            "origin": None if recording is None else recording.origin,
            "parent_step": None if recording is None else recording.parent_step,
            "steps": [record.step for record in records],
            "records": [
                {
                    "step": record.step,
                    "epoch": record.epoch,
                    **{name: _finite_or_none(getattr(record, name)) for name in METRIC_NAMES},
                }
                for record in records
            ],
        }
        print(json.dumps(result, allow_nan=False))
        return EXIT_OK
    if not records:
        print(f"{args.project}: no recorded steps (saved by an older Workbench, or never trained)")
        return EXIT_OK
    branch = "" if recording.parent_step is None else f", continued from step {recording.parent_step:,}"
    span = f"from step {records[0].step:,} to {records[-1].step:,}"
    now = f"the run is at step {project.step:,}{branch}"
    print(f"{args.project}: {len(records)} recorded steps {span} ({now})")

    def show(value: float, fmt: str) -> str:
        return format(value, fmt) if math.isfinite(value) else "n/a"

    if project.spec.is_regression:
        print(
            f"{'step':>12} {'epoch':>8} {'train loss':>11} {'train RMSE':>11} {'train R²':>9} "
            f"{'test loss':>10} {'test RMSE':>10} {'test R²':>8}"
        )
        for r in records:
            print(
                f"{r.step:>12,} {r.epoch:>8,} {show(r.train_loss, '.4f'):>11} "
                f"{show(r.train_rmse, '.4f'):>11} "
                f"{show(r.train_r2, '.3f'):>9} {show(r.test_loss, '.4f'):>10} {show(r.test_rmse, '.4f'):>10} "
                f"{show(r.test_r2, '.3f'):>8}"
            )
        return EXIT_OK
    print(f"{'step':>12} {'epoch':>8} {'train loss':>11} {'train acc':>10} {'test loss':>10} {'test acc':>9}")
    for r in records:
        print(
            f"{r.step:>12,} {r.epoch:>8,} {show(r.train_loss, '.4f'):>11} "
            f"{show(r.train_accuracy, '.3f'):>10} {show(r.test_loss, '.4f'):>10} "
            f"{show(r.test_accuracy, '.3f'):>9}"
        )
    return EXIT_OK


def run_animate(args: argparse.Namespace) -> int:
    from workbench.core.files.project import load_project
    from workbench.core.present.animation import (
        check_output_path,
        check_size,
        render_frames,
        write_animation,
    )
    from workbench.core.present.views import HiddenSpaceRequest

    _refuse_overwriting("-o", args.output, "PROJECT", args.project)
    check_output_path(args.output)  # before the project is read: a wrong name fails at once
    size = check_size(args.size)
    project = load_project(args.project)
    if project.spec.is_regression:
        raise UsageError(
            f"{args.project!r} is a regression project: 'workbench animate' draws classification runs only "
            "so far (the window's File ▸ Export Animation… and 'workbench timeline' work)"
        )
    recording = _recording_of(project, args.project)
    dataset = project.dataset
    frames = render_frames(
        project.spec,
        recording.records,
        view=args.view,
        size=size,
        count=args.frames,
        points=dataset.points,
        labels=dataset.labels,
        targets=dataset.targets,
        hidden=HiddenSpaceRequest(layer=args.layer) if args.view == "hidden" else None,
    )
    written = write_animation(args.output, frames, args.fps)
    steps = f"steps {recording.first.step:,} to {recording.latest.step:,}"
    print(f"wrote {written} frames ({steps}) to {args.output}")
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    from workbench.core.data.generators import generate
    from workbench.core.files.csv_io import write_csv

    dataset = generate(args.name, args.points, args.classes, args.noise, args.seed, formula=args.formula)
    write_csv(dataset, args.output)
    if dataset.is_regression:
        low, high = (float(dataset.targets.min()), float(dataset.targets.max())) if len(dataset) else (0, 0)
        what = f"with target values from {low:.3g} to {high:.3g}"
    else:
        what = f"in {dataset.n_classes} classes"
    print(f"wrote {dataset.n_points} points {what} to {args.output}")
    return EXIT_OK


# ------------------------------------------------------------------------------------------ landscape
def _add_landscape_parser(commands: Any) -> None:
    import textwrap

    from workbench.core.present.landscape import MAX_GRID, MIN_GRID

    landscape = commands.add_parser(
        "landscape",
        help="write the loss surface on a 2D slice through a project's weights (npz)",
        description=textwrap.fill(
            "The training objective (mean cross-entropy, for regression mean 1/2 (y_hat - y)^2, over the "
            "training points plus the L2 term) "
            "at theta + alpha[i]*d1 + beta[j]*d2 around the project's weights theta, written to OUT.npz as "
            "'alpha' (N,), 'beta' (N,) and 'loss' (N, N) with loss[i, j] at alpha[i], beta[j]. Directions: "
            "--params P1,P2 (unit vectors along two single parameters named as in the export, e.g. "
            "'0.weight[1,0],2.bias[3]', index [out, in]), --random SEED (two filter-normalised random "
            "directions, Li et al. 2018) or --pca (the top two principal directions of the recorded run). "
            "The recorded run, projected onto the slice, is stored too ('path_step', 'path_alpha', "
            "'path_beta', 'path_off_slice').",
            100,
        ),
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    landscape.add_argument("project", metavar="PROJECT")
    kind = landscape.add_mutually_exclusive_group(required=True)
    kind.add_argument("--params", metavar="P1,P2", help="two parameters, e.g. '0.weight[1,0],2.bias[3]'")
    kind.add_argument("--random", type=int, metavar="SEED", help="filter-normalised random directions")
    kind.add_argument("--pca", action="store_true", help="principal directions of the recorded run")
    landscape.add_argument(
        "--span", type=float, default=1.0, metavar="S", help="alpha and beta from -S to S (default 1)"
    )
    landscape.add_argument(
        "--grid",
        type=int,
        default=41,
        metavar="N",
        help=f"N values per axis, {MIN_GRID} to {MAX_GRID}; odd N puts the weights themselves at the "
        "centre (default 41)",
    )
    landscape.add_argument("-o", "--output", required=True, metavar="OUT.npz")
    landscape.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def _split_parameter_names(text: str) -> list[str]:
    """``0.weight[1,0],2.bias[3]``: split at the commas outside brackets."""
    names, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [name.strip() for name in names]


def run_landscape(args: argparse.Namespace) -> int:
    from workbench.core.files.atomic import atomic_write_bytes
    from workbench.core.files.export.parameter_names import parameter_index, valid_forms
    from workbench.core.files.project import load_project
    from workbench.core.model.engine.network import Network
    from workbench.core.present.landscape import SliceRequest, compute_slice

    if Path(args.output).suffix.lower() != ".npz":
        raise UsageError(f"-o {args.output!r}: the loss surface is written as .npz")
    _refuse_overwriting("-o", args.output, "PROJECT", args.project)
    project = load_project(args.project)
    spec = project.spec
    params = (0, 1)
    if args.params is not None:
        names = _split_parameter_names(args.params)
        if len(names) != 2 or not all(names):
            raise UsageError(f"--params takes two parameter names P1,P2; valid forms: {valid_forms(spec)}")
        params = (parameter_index(spec, names[0]), parameter_index(spec, names[1]))
    kind = "params" if args.params is not None else "random" if args.random is not None else "pca"
    weights = project.weights
    if weights is None:
        weights = Network(spec, project.settings.seed).get_weights()
    records = list(project.recording) if project.recording is not None else []
    dataset = project.dataset
    train = dataset.train_indices
    truth = dataset.targets if dataset.targets is not None else dataset.labels
    request = SliceRequest(
        spec,
        dataset.points[train],
        truth[train],
        project.settings.l2,
        weights,
        kind=kind,
        span=args.span,
        grid=args.grid,
        params=params,
        seed=args.random or 0,
        path_steps=tuple(record.step for record in records),
        path_weights=tuple(record.weights_list() for record in records),
    )
    start = time.perf_counter()
    result = compute_slice(request)
    assert result is not None  # nothing asked it to stop
    seconds = time.perf_counter() - start
    arrays: dict[str, np.ndarray] = {"alpha": result.alpha, "beta": result.beta, "loss": result.loss}
    if result.path is not None:
        arrays.update(
            path_step=result.path.steps,
            path_alpha=result.path.alpha,
            path_beta=result.path.beta,
            path_off_slice=result.path.off_slice,
        )
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(args.output, buffer.getvalue())
    finite = result.loss[np.isfinite(result.loss)]
    summary = {
        "output": args.output,
        "directions": kind,
        "params": _split_parameter_names(args.params) if args.params is not None else None,
        "seed": args.random,
        "span": args.span,
        "grid": args.grid,
        "center_loss": _finite_or_none(result.center_loss),
        "min_loss": _finite_or_none(float(finite.min())) if len(finite) else None,
        "max_loss": _finite_or_none(float(finite.max())) if len(finite) else None,
        "path_points": 0 if result.path is None else len(result.path.steps),
        "path_on_surface": None if result.path is None else result.path.on_surface,
        "pca_explained": result.explained,
        "seconds": seconds,
    }
    if args.json:
        print(json.dumps(summary, allow_nan=False))
        return EXIT_OK
    print(
        f"wrote the loss surface ({args.grid} x {args.grid}, {kind} directions, span {args.span:g}) to "
        f"{args.output}: loss {summary['min_loss']:.4g} to {summary['max_loss']:.4g}, "
        f"{result.center_loss:.4g} at the project's weights ({seconds:.2f} s)"
    )
    return EXIT_OK


# ------------------------------------------------------------------------------------------------------------
# workbench backprop

BACKPROP_JSON = (
    'JSON: {"loss": L, "layers": [...]}, one entry per Linear in order (hidden layers, then the output), '
    'each with "node", "z", "a" (activation output; for the output the softmax probabilities, for '
    "regression the predicted value), "
    '"delta" (dL/dz), '
    '"weight_grad" (dL/dW in the exported layout, (out_features, in_features)) and "bias_grad". A layer '
    "that also reads extra connections has in_features = its sources side by side (the previous layer first, "
    'then the connections by source) and adds "weight_grad_tensors": that matrix split per exported tensor '
    '(linear.N.weight, connections.S_to_N.weight); a layer with residual links adds "h" (g(z) plus them).'
)


def _add_backprop_parser(commands: Any) -> None:
    backprop = commands.add_parser(
        "backprop",
        help="the F-pass and B-pass of one point with the project's weights",
        description="Back-propagation for one point: z and g(z) of every neuron, the loss, delta = dL/dz,\n"
        "dL/dW and dL/db, with the project's weights (float64, the same numbers as the window's\n"
        "Backprop inspector).\n\n" + BACKPROP_JSON + "\n\n"
        "Classification projects take the point's class (--label), regression projects its target\n"
        "value (--target); the loss is then the Euclidean 1/2 (y_hat - y)^2.",
        epilog=_exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backprop.add_argument("project", metavar="PROJECT")
    backprop.add_argument(
        "--point",
        required=True,
        metavar="X,Y",
        help="the point, e.g. --point 0.5,-1.2 (a negative x: --point=-0.5,1.2)",
    )
    backprop.add_argument(
        "--label", metavar="NAME", help="its class: a class name of the project (or 0, 1, ...)"
    )
    backprop.add_argument(
        "--target",
        metavar="VALUE",
        help="its target value, for regression projects, e.g. --target 0.5 (negative: --target=-0.5)",
    )
    backprop.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _parse_point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(
            f"--point {text!r}: give two numbers separated by a comma, e.g. --point 0.5,-1.2"
        ) from None
    if not all(math.isfinite(v) and abs(v) <= limits.MAX_COORDINATE for v in (x, y)):
        raise UsageError(
            f"--point {text!r} is outside what the network computes in: both numbers must be finite and at "
            f"most {limits.MAX_COORDINATE:.3g} in size"
        )
    return x, y


def _parse_label(text: str, class_names: Sequence[str]) -> int:
    names = list(class_names)
    for index, name in enumerate(names):
        if text == name:
            return index
    for index, name in enumerate(names):
        if text.strip().lower() == name.lower():
            return index
    raise UsageError(f"--label {text!r} is not a class of this project; its classes are {', '.join(names)}")


def _parse_target(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"--target {text!r} is not a number; give the point's target value, e.g. 0.5"
        ) from None
    if not (math.isfinite(value) and abs(value) <= limits.MAX_COORDINATE):
        raise UsageError(f"--target {text!r} must be a finite number of at most {limits.MAX_COORDINATE:.3g}")
    return value


def run_backprop(args: argparse.Namespace) -> int:
    from workbench.core.files.export.layout import weight_blocks
    from workbench.core.files.project import load_project
    from workbench.core.present import backprop

    point = _parse_point(args.point)
    project = load_project(args.project)
    regression = project.spec.is_regression
    if regression and args.label is not None:
        raise UsageError(
            "--label is for classification projects; this one is regression: give the point's target value "
            "with --target VALUE"
        )
    if not regression and args.target is not None:
        raise UsageError(
            "--target is for regression projects; this one is classification: give the point's class with "
            "--label NAME"
        )
    if regression and args.target is None:
        raise UsageError(
            "give the point's target value with --target VALUE (see 'workbench backprop --help')"
        )
    if not regression and args.label is None:
        raise UsageError("give the point's class with --label NAME (see 'workbench backprop --help')")
    label: float = (
        _parse_target(args.target) if regression else _parse_label(args.label, project.dataset.class_names)
    )
    if project.weights is None:
        raise UsageError(
            f"{args.project!r} has no weights yet; train it first (e.g. 'workbench train --project "
            f"{args.project} --steps 1000 --save {args.project}', or Train in the window and save)"
        )
    spec = project.spec
    result = backprop.trace(spec, project.weights, np.array([point]), [label])
    if args.json:
        names = {node: weight_blocks(spec, node) for node in range(1, spec.output_node + 1)}
        print(json.dumps(result.to_json(names), allow_nan=False))
        return EXIT_OK
    class_names = project.dataset.class_names
    truth = f"target {label:g}" if regression else f"label {class_names[int(label)]!r}"
    print(f"point ({point[0]:g}, {point[1]:g}), {truth}: loss {result.loss:.6g}")
    for layer in result.layers:
        what = "output" if layer.activation is None else f"layer {layer.name} ({layer.activation})"
        print(f"{what}:")
        output_name = "y_hat" if regression else "p"
        rows = [
            ("z", layer.z),
            (output_name if layer.activation is None else "a", layer.a),
            ("delta", layer.delta),
        ]
        for name, values in rows:
            print(f"  {name:<6} " + " ".join(f"{v:+.4f}" for v in values))
        print(
            f"  dL/dW  {layer.weight_grad.shape[0]}x{layer.weight_grad.shape[1]}, "
            f"|largest| {float(np.abs(layer.weight_grad).max()):.4g};  dL/db |largest| "
            f"{float(np.abs(layer.bias_grad).max()):.4g}"
        )
    return EXIT_OK


# ------------------------------------------------------------------------------------------------------------
# workbench gradcheck


def run_gradcheck(args: argparse.Namespace) -> int:
    """Back-propagation against finite differences on the project's weights (fresh ones if untrained)."""
    from workbench.core.files.project import load_project
    from workbench.core.model.engine import Network
    from workbench.core.training.gradcheck import check_project_gradients

    project = load_project(args.project)
    spec = project.spec
    weights = (
        project.weights if project.weights is not None else Network(spec, project.settings.seed).get_weights()
    )
    try:
        result = check_project_gradients(spec, weights, project.dataset, project.settings.l2)
    except ValueError as exc:
        raise UsageError(f"{args.project}: {exc}") from None
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        untrained = "" if project.weights is not None else " (no trained weights: checked fresh ones)"
        print(f"{args.project}{untrained}: {result.summary()}")
    if not result.passed:
        if args.json:
            print(f"error: {result.summary()}", file=sys.stderr)
        return EXIT_GRADIENT_CHECK_FAILED
    return EXIT_OK
