"""Live training with every view on screen: training speed, frame rate and GUI responsiveness.

Runs the real main window offscreen (with `install_training`), trains for a fixed wall time with the decision
regions, hidden-space view and curves visible, and prints:

- training steps/s with views, and the ratio to headless `Trainer.step()` measured in the same process;
- view frames drawn per second, and the decision-image resolution used;
- the interval of a 10 ms QTimer on the GUI thread (median, p99, max) while training, and idle beforehand.

Targets on a 2-core machine: frames >= 30/s with a 256 x 256 decision image, GUI timer p99 <= 20 ms, training
with views >= 60 % of headless. Not a test: figures depend on the machine and on what else runs on it.

    QT_QPA_PLATFORM=offscreen python benchmarks/live_gui.py [--seconds 10] [--large] [--adaptive]

`--large` trains 2-64-64-64-8 on 20,000 points instead of 2-16-16-16-4 on 1,000.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np
from PySide6.QtCore import QEventLoop, QObject, QSettings, QTimer, Slot
from PySide6.QtWidgets import QApplication

from workbench.core import views
from workbench.core.generators import generate
from workbench.core.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.trainer import Trainer


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


class FrameCounter(QObject):
    """Counts frames after every view has drawn them (connected last)."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0
        self.resolutions: list[int] = []

    @Slot(object)
    def count(self, frame: views.ViewFrame) -> None:
        self.frames += 1
        if frame.decision_rgba is not None:
            self.resolutions.append(frame.decision_rgba.shape[0])


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def headless_rate(dataset, spec, settings, seconds: float) -> float:
    trainer = Trainer(dataset, spec, settings)
    trainer.step(200)
    started = time.perf_counter()
    steps = 0
    while time.perf_counter() - started < seconds:
        steps += trainer.step(200).steps
    return steps / (time.perf_counter() - started)


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

    width, n_points, n_classes = (64, 20_000, 8) if args.large else (16, 1_000, 4)
    dataset = generate("gaussians", n_points, n_classes, seed=3)
    spec = NetworkSpec(hidden=(LayerSpec(width, "relu"),) * 3, n_classes=n_classes)
    settings = TrainingSettings(learning_rate=0.003, optimizer="adam", batch_size=64)

    app = QApplication.instance() or QApplication(sys.argv)
    from workbench.qt.document import Document
    from workbench.qt.main_window import MainWindow
    from workbench.qt.training import install_training

    headless_before = headless_rate(dataset, spec, settings, 2.0)

    folder = tempfile.mkdtemp(prefix="workbench-bench-")
    document = Document(dataset, spec, settings)
    window = MainWindow(
        document,
        settings=QSettings(os.path.join(folder, "s.ini"), QSettings.Format.IniFormat),
        data_dir=folder,
    )
    controller = install_training(window, adapt_resolution=args.adaptive)
    controller.set_view_options(resolution=args.resolution)
    window.resize(1600, 1000)
    window.show()
    window.canvas.fit_to_data()
    counter = FrameCounter()
    controller.frameArrived.connect(counter.count)
    probe = TimerProbe()
    wait(500)

    probe.start()
    wait(2000)
    probe.stop()
    idle = list(probe.intervals)

    counter.frames = 0
    counter.resolutions.clear()
    step_before = controller.last_frame.snapshot.step if controller.last_frame else 0
    controller.start()
    wait(300)  # let it get going
    counter.frames = 0
    started_step = controller.last_frame.snapshot.step
    started = time.perf_counter()
    probe.start()
    wait(int(args.seconds * 1000))
    probe.stop()
    elapsed = time.perf_counter() - started
    frames = counter.frames
    trained = controller.last_frame.snapshot.step - started_step
    split = dict(controller.worker.time_split)
    controller.pause()
    wait(200)
    controller.shutdown()
    window._ask_save_changes = lambda: "discard"
    window.close()
    del step_before

    headless_after = headless_rate(dataset, spec, settings, 2.0)
    headless = (headless_before + headless_after) / 2
    live_rate = trained / elapsed
    resolutions = counter.resolutions or [0]
    print(
        f"network 2-{width}-{width}-{width}-{n_classes} ReLU, batch 64, {n_points:,} points, "
        f"{args.seconds:g} s"
    )
    print(f"training with views : {live_rate:8.0f} steps/s")
    print(
        f"headless step()    : {headless:8.0f} steps/s "
        f"(before {headless_before:.0f}, after {headless_after:.0f})"
    )
    print(f"ratio               : {live_rate / headless:8.0%}   (target >= 60 %)")
    print(f"frames drawn        : {frames / elapsed:8.1f} /s  (target >= 30)")
    print(
        f"decision image      : {int(np.median(resolutions))} px median "
        f"(min {min(resolutions)}, max {max(resolutions)})"
    )
    print(f"GUI 10 ms timer idle: {summary(idle)}")
    print(f"GUI 10 ms timer live: {summary(probe.intervals)}  (target p99 <= 20 ms)")
    total = sum(split.values()) or 1.0
    print("worker time split   : " + ", ".join(f"{k} {v / total:.0%}" for k, v in split.items()))
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
