"""Memory over a long live run: does anything grow with the length of training?

Trains in the real main window (offscreen, every view live: decision regions, neuron thumbnails, loss curves,
hidden space, autosave, and the weight recording of the run in both processes) for a fixed wall time,
samples the resident memory (VmRSS) of the GUI process and of the training process every `--interval`
seconds, prints the samples and the growth after the warm-up.

Targets: < 3 % growth over 10 minutes and flat (< 5 %) over 60. The history is bounded (10,000 entries,
filled after ~50 s at 10,000 steps/s; its ~0.5 MB columns grow until then), so memory should stay level after
it has first filled: the script prints the growth from then on too. The weight recording is bounded too (at
most 256 snapshots, thinned to half when full; ~1 MB for the small network, ~9 MB for `--large`): the
`records` column shows it filling and thinning. Not a test: run it on a quiet machine.

    QT_QPA_PLATFORM=offscreen python benchmarks/soak.py --minutes 10 [--large]

`--large` trains 2-64-64-64-8 on 20,000 points instead of 2-16-16-16-4 on 1,000 (as `live_gui.py`).
"""

# Only light imports at module level: the training process (multiprocessing) imports this file again.
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from live_gui import cpu_ticks, steal_share  # the sibling benchmark's helpers

from workbench.core.data.generators import generate
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.training.trainer_process import limit_blas_threads


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process in MB (Linux /proc/PID/status VmRSS; None elsewhere or when gone)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def growth(samples: list[tuple[float, float | None]], warmup: float) -> str:
    """Growth from the first sample after the warm-up to the last, in % and MB, and the spread after it."""
    values = [(t, v) for t, v in samples if t >= warmup and v is not None]
    if len(values) < 2:
        return "n/a (run longer than the warm-up)"
    first, last = values[0][1], values[-1][1]
    low, high = min(v for _, v in values), max(v for _, v in values)
    return (
        f"{(last - first) / first:+6.1%} ({last - first:+7.1f} MB: {first:.1f} -> {last:.1f}); "
        f"range after warm-up {low:.1f}-{high:.1f} MB ({(high - low) / low:.1%})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="wall time of the live run")
    parser.add_argument("--large", action="store_true", help="2-64-64-64-8 on 20,000 points")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before growth is counted")
    args = parser.parse_args()
    limit_blas_threads()  # as the app does at start-up

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    width, n_points, n_classes = (64, 20_000, 8) if args.large else (16, 1_000, 4)
    dataset = generate("gaussians", n_points, n_classes, seed=3)
    spec = NetworkSpec(hidden=(LayerSpec(width, "relu"),) * 3, n_classes=n_classes)
    settings = TrainingSettings(learning_rate=0.003, optimizer="adam", batch_size=64)

    app = QApplication.instance() or QApplication(sys.argv)
    from workbench.qt.app import install_panels
    from workbench.qt.document import Document
    from workbench.qt.main_window import MainWindow

    folder = tempfile.mkdtemp(prefix="workbench-soak-")
    document = Document(dataset, spec, settings)
    window = MainWindow(
        document,
        settings=QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat),
        data_dir=folder,  # autosaves (every minute while training) go here
    )
    install_panels(window)
    controller = window.training
    window.resize(1600, 1000)
    window.show()
    window.canvas.fit_to_data()
    wait(1000)

    print(
        f"network 2-{width}-{width}-{width}-{n_classes} ReLU, Adam, batch 64, {n_points:,} points, "
        f"{args.minutes:g} min, samples every {args.interval:g} s, warm-up {args.warmup:g} s, "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    print(
        f"{'time s':>7} {'step':>11} {'steps/s':>8} {'history':>8} {'records':>7} {'frames':>7} "
        f"{'GUI MB':>8} {'trainer MB':>10}",
        flush=True,
    )
    controller.start()
    gui_pid = os.getpid()
    gui: list[tuple[float, float | None]] = []
    trainer: list[tuple[float, float | None]] = []
    ticks_before = cpu_ticks()
    started = time.perf_counter()
    end = started + args.minutes * 60
    last_step, last_time = 0, started
    filled_at: float | None = None  # when the loss history first reached its bound (and was thinned)
    previous_length = 0
    while True:
        now = time.perf_counter()
        frame = controller.last_frame
        step = frame.snapshot.step if frame is not None else 0
        elapsed = now - started
        rate = (step - last_step) / max(1e-9, now - last_time)
        last_step, last_time = step, now
        length = len(document.history)
        if filled_at is None and length < previous_length:
            filled_at = elapsed
        previous_length = length
        gui_rss, trainer_rss = rss_mb(gui_pid), rss_mb(controller.trainer_pid)
        gui.append((elapsed, gui_rss))
        trainer.append((elapsed, trainer_rss))
        trainer_text = "gone" if trainer_rss is None else f"{trainer_rss:10.1f}"
        recording = document.recording
        records = len(recording) if recording is not None else 0
        print(
            f"{elapsed:7.0f} {step:11,} {rate:8.0f} {len(document.history):8,} {records:7,} "
            f"{controller.view_worker.frames_published:7,} {gui_rss:8.1f} {trainer_text:>10}",
            flush=True,
        )
        if now >= end:
            break
        wait(int(min(args.interval, end - now) * 1000))
    steal = steal_share(ticks_before, cpu_ticks())
    recording = document.recording

    controller.pause()
    wait(200)
    controller.shutdown()
    window._ask_save_changes = lambda: "discard"
    window.close()
    app.processEvents()

    print(f"growth after {args.warmup:g} s warm-up (target < 3 % over 10 min, < 5 % over 60):")
    print(f"  GUI process      : {growth(gui, args.warmup)}")
    print(f"  training process : {growth(trainer, args.warmup)}")
    if filled_at is not None:
        # Until then the bounded history itself grows (10,000 entries, ~0.5 MB a copy): by design, no leak.
        print(f"growth after the history first reached its bound (thinned by {filled_at:.0f} s):")
        print(f"  GUI process      : {growth(gui, filled_at)}")
        print(f"  training process : {growth(trainer, filled_at)}")
    if recording is not None:
        print(
            f"weight recording   : {len(recording)} snapshots, steps {recording.first.step:,} to "
            f"{recording.latest.step:,}, thinned {recording.level} times, ~{recording.nbytes / 2**20:.1f} MB "
            f"(at most {recording.max_nbytes / 2**20:.1f} MB)"
        )
    print(f"stolen by hypervisor : {steal} of the machine's CPU time (noise if > ~1 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
