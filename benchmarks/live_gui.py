"""Live training with every view on screen: training speed, frames drawn and GUI responsiveness.

Runs the real main window offscreen with all its panels (`workbench.qt.app.install_panels`: network panel
with neuron thumbnails, training panel, loss curves, hidden-space view, decision regions on the canvas),
trains for a fixed wall time and prints, all measured in the same run:

- training steps/s with views, headless `Trainer.step()` steps/s (before and after the live run), the ratio;
- decision images actually painted on the canvas per second (not frames computed), and their resolution;
- the interval of a 10 ms QTimer on the GUI thread (median, p99, max): idle first, then while training.

Targets on a 2-core machine: frames >= 30/s with a 256 x 256 decision image, GUI timer p99 <= 20 ms, training
with views >= 60 % of headless. Not a test: figures depend on the machine and on what else runs on it, so
compare the ratio within one run and repeat a few times.

    QT_QPA_PLATFORM=offscreen python benchmarks/live_gui.py [--seconds 10] [--large] [--adaptive]

`--large` trains 2-64-64-64-8 on 20,000 points instead of 2-16-16-16-4 on 1,000.
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

import numpy as np

from workbench.core.generators import generate
from workbench.core.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.trainer import Trainer
from workbench.core.trainer_process import limit_blas_threads


def headless_rate(dataset, spec, settings, seconds: float) -> float:
    trainer = Trainer(dataset, spec, settings)
    trainer.step(200)
    started = time.perf_counter()
    steps = 0
    while time.perf_counter() - started < seconds:
        steps += trainer.step(200).steps
    return steps / (time.perf_counter() - started)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc; None elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def cpu_ticks() -> list[int] | None:
    """The machine's CPU time counters (Linux /proc/stat: user, nice, system, idle, ..., steal)."""
    try:
        with open("/proc/stat") as stat:
            return [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def steal_share(before: list[int] | None, after: list[int] | None) -> str:
    """CPU time the hypervisor gave to other machines during the run: above a few % the figures are noise."""
    if before is None or after is None or len(before) < 8:
        return "n/a"
    delta = [b - a for a, b in zip(before, after, strict=True)]
    return f"{delta[7] / max(1, sum(delta)):.1%}"


def summary(intervals: list[float]) -> str:
    if not intervals:
        return "no ticks"
    a = np.asarray(intervals)
    return f"median {np.median(a):5.1f} ms, p99 {np.percentile(a, 99):5.1f} ms, max {a.max():6.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="wall time of the live run")
    parser.add_argument("--large", action="store_true", help="2-64-64-64-8 on 20,000 points")
    parser.add_argument("--adaptive", action="store_true", help="let the decision-image resolution adapt")
    parser.add_argument("--resolution", type=int, default=256, help="decision-image side (max when adaptive)")
    args = parser.parse_args()
    limit_blas_threads()  # as the app does at start-up: multi-threaded BLAS is slower for these sizes

    import pyqtgraph as pg
    from PySide6.QtCore import QEventLoop, QObject, QSettings, QTimer, Slot
    from PySide6.QtWidgets import QApplication

    class TimerProbe(QObject):
        """A 10 ms timer on the GUI thread that records how late it actually fires."""

        def __init__(self) -> None:
            super().__init__()
            self.intervals: list[float] = []
            self._last = 0.0
            self.timer = QTimer(self)
            self.timer.setInterval(10)
            self.timer.timeout.connect(self.tick)

        def start(self) -> None:
            self.intervals.clear()
            self._last = time.perf_counter()
            self.timer.start()

        def stop(self) -> None:
            self.timer.stop()

        @Slot()
        def tick(self) -> None:
            now = time.perf_counter()
            self.intervals.append((now - self._last) * 1000)
            self._last = now

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

    headless_before = headless_rate(dataset, spec, settings, 2.0)

    folder = tempfile.mkdtemp(prefix="workbench-bench-")
    document = Document(dataset, spec, settings)
    window = MainWindow(
        document,
        settings=QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat),
        data_dir=folder,
    )
    install_panels(window)
    controller = window.training
    controller.set_adaptive_resolution(args.adaptive)
    controller.set_view_options(resolution=args.resolution)
    window.resize(1600, 1000)
    window.show()
    window.canvas.fit_to_data()

    # Count decision images as the canvas paints them: a frame counts once it is on screen.
    background = window.canvas.background_image
    painted = {"count": 0, "last": None, "sides": []}
    original_paint = pg.ImageItem.paint

    def counting_paint(item, painter, *rest):
        if item is background and item.image is not None and item.image is not painted["last"]:
            painted["last"] = item.image
            painted["count"] += 1
            painted["sides"].append(item.image.shape[0])
        return original_paint(item, painter, *rest)

    pg.ImageItem.paint = counting_paint
    probe = TimerProbe()
    wait(1000)

    probe.start()
    wait(2000)
    probe.stop()
    idle = list(probe.intervals)

    controller.start()
    wait(500)  # let it get going
    painted["count"] = 0
    painted["sides"].clear()
    started_step = controller.last_frame.snapshot.step
    published_before = controller.worker.frames_published
    trainer_pid = controller.worker.trainer_pid
    trainer_cpu_before = process_cpu_seconds(trainer_pid) if trainer_pid else None
    gui_cpu_before = time.process_time()
    ticks_before = cpu_ticks()
    started = time.perf_counter()
    probe.start()
    wait(int(args.seconds * 1000))
    probe.stop()
    elapsed = time.perf_counter() - started
    steal = steal_share(ticks_before, cpu_ticks())
    gui_cpu = (time.process_time() - gui_cpu_before) / elapsed
    trainer_cpu_after = process_cpu_seconds(trainer_pid) if trainer_pid else None
    trainer_cpu = (
        (trainer_cpu_after - trainer_cpu_before) / elapsed
        if trainer_cpu_before is not None and trainer_cpu_after is not None
        else None
    )
    frames = painted["count"]
    published = controller.worker.frames_published - published_before
    trained = controller.last_frame.snapshot.step - started_step
    split = dict(controller.worker.time_split)
    controller.pause()
    wait(200)
    controller.shutdown()
    window._ask_save_changes = lambda: "discard"
    window.close()
    pg.ImageItem.paint = original_paint

    headless_after = headless_rate(dataset, spec, settings, 2.0)
    headless = (headless_before + headless_after) / 2
    live_rate = trained / elapsed
    sides = painted["sides"] or [0]
    print(
        f"network 2-{width}-{width}-{width}-{n_classes} ReLU, batch 64, {n_points:,} points, "
        f"{args.seconds:g} s, {os.cpu_count()} cores"
    )
    print(f"training with views  : {live_rate:8.0f} steps/s")
    print(
        f"headless step()      : {headless:8.0f} steps/s "
        f"(before {headless_before:.0f}, after {headless_after:.0f})"
    )
    print(f"ratio                : {live_rate / headless:8.0%}   (target >= 60 %)")
    print(
        f"frames drawn         : {frames / elapsed:8.1f} /s  (target >= 30; "
        f"computed {published / elapsed:.1f} /s)"
    )
    print(f"decision image       : {int(np.median(sides))} px median (min {min(sides)}, max {max(sides)})")
    print(f"GUI 10 ms timer idle : {summary(idle)}")
    print(f"GUI 10 ms timer live : {summary(probe.intervals)}  (target p99 <= 20 ms)")
    total = sum(split.values()) or 1.0
    print("view thread          : " + ", ".join(f"{k} {v / total:.0%}" for k, v in split.items()))
    trainer_share = "n/a" if trainer_cpu is None else f"{trainer_cpu:.0%}"
    print(f"CPU (of one core)    : training process {trainer_share}, GUI process {gui_cpu:.0%}")
    print(f"stolen by hypervisor : {steal} of the machine's CPU time during the live run (noise if > ~1 %)")
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
