"""Export for slides: an animation of the recorded run (GIF/MP4) and a picture of one view (PNG/SVG).

- Decision regions and hidden space are drawn headless by `core.present.animation` (the same computations as
  the live views, plus the points and a caption with the step) on a thread of their own: the window stays
  responsive, the progress dialog counts frames, Cancel stops before the next frame and leaves no file.
- The whole window is grabbed while the timeline steps through the chosen records: each step waits for the
  view-frame worker's frame of that record (the GUI thread never computes a view and keeps running its event
  loop between frames), has every view draw it at once and grabs the window. The frames are then encoded
  on a thread. The timeline returns to where it was.
- A view image is the view as it is shown, so at the step the timeline shows: PNG (pixels, as on screen) or
  SVG (the plots' curves and points as vectors; images such as the decision regions embedded).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressDialog,
    QSpinBox,
    QWidget,
)

from workbench.core.files.atomic import atomic_write_bytes
from workbench.core.present import animation
from workbench.core.present.animation import AnimationError, frame_indices

#: What an animation can show: the two headless views of `core.present.animation` and the whole window.
ANIMATION_VIEWS = {"regions": "Decision regions", "hidden": "Hidden space", "window": "Whole window"}
#: The views a picture can be taken of: name -> (label, objectName of the widget; "" = the window itself).
IMAGE_VIEWS = {
    "regions": ("Decision regions (the canvas)", "datasetCanvas"),
    "hidden": ("Hidden space", "hiddenSpacePlot"),
    "network": ("Network", "networkPanel"),
    "curves": ("Loss and accuracy curves", "lossPlot"),
    "prediction": ("Predicted vs actual (regression)", "predictionScatter"),
    "window": ("Whole window", ""),
}
IMAGE_FORMATS = (".png", ".svg")
ANIMATION_FILTER = "GIF animation (*.gif);;MP4 video (*.mp4)"
IMAGE_FILTER = "PNG image (*.png);;SVG drawing (*.svg)"
#: Frames asked for by default: enough to see the run change, small enough for a slide.
DEFAULT_FRAMES = 60


class ExportCancelled(Exception):
    """The user pressed Cancel: nothing was written."""


@dataclass(frozen=True)
class AnimationOptions:
    """What to animate and how: `view` (a key of ANIMATION_VIEWS), frames per second, (width, height) in
    pixels and the number of frames (evenly over the records; at most one per record)."""

    view: str = "regions"
    fps: float = 10.0
    size: tuple[int, int] = (480, 480)
    count: int = DEFAULT_FRAMES


# ------------------------------------------------------------------------------------------------------------
# Jobs
# ------------------------------------------------------------------------------------------------------------
class AnimationJob(QObject):
    """One export running: `progressed(done, total)` per frame, then `finished(message)` once ("" when the
    file is written, else why not; "cancelled" after Cancel)."""

    progressed = Signal(int, int)
    finished = Signal(str)

    def __init__(self, path: Path, total: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.total = total
        self.frames_written = 0
        self.message: str | None = None  # set when finished
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self.message is not None

    @Slot()
    def cancel(self) -> None:
        self._cancel.set()

    def join(self) -> None:
        """Wait for the encoding thread (at shutdown, after `cancel`)."""
        if self._thread is not None:
            self._thread.join()

    def _write_on_thread(self, frames: Any, fps: float) -> None:
        """Encode `frames` (an iterable; drawn lazily when it is a generator) on a thread of its own."""

        def counted() -> Any:
            for index, frame in enumerate(frames, 1):
                if self._cancel.is_set():
                    raise ExportCancelled
                yield frame
                self.progressed.emit(index, self.total)

        def work() -> None:
            try:
                self.frames_written = animation.write_animation(self.path, counted(), fps)
                message = ""
            except ExportCancelled:
                message = "cancelled"
            except (AnimationError, OSError, ValueError) as exc:
                message = str(exc)
            self.finished.emit(message)  # queued to the GUI thread

        self.finished.connect(self._remember, Qt.ConnectionType.UniqueConnection)
        self._thread = threading.Thread(target=work, name="animationExport", daemon=True)
        self._thread.start()

    @Slot(str)
    def _remember(self, message: str) -> None:
        self.message = message


class WindowAnimationJob(AnimationJob):
    """Grabs the window at each chosen record (GUI thread, one record per event-loop turn), then encodes."""

    def __init__(
        self, window: Any, controller: Any, timeline: Any, path: Path, options: AnimationOptions
    ) -> None:
        records = list(timeline.recording)
        indices = frame_indices(len(records), options.count)
        super().__init__(path, len(indices), window)
        self._window = window
        self._controller = controller
        self._timeline = timeline
        self._records = [records[i] for i in indices]
        self._options = options
        self._frames: list[np.ndarray] = []
        self._wanted: Any = None
        self._restore = timeline.shown_record

    def start(self) -> None:
        self._controller.frameArrived.connect(self._on_frame)
        self._next()

    @Slot()
    def _next(self) -> None:
        if self._cancel.is_set():
            self._stop_grabbing()
            self.message = "cancelled"
            self.finished.emit("cancelled")
            return
        if len(self._frames) == len(self._records):
            self._stop_grabbing()
            self.progressed.emit(0, self.total)  # encoding: the dialog starts counting again
            self._write_on_thread(iter(self._frames), self._options.fps)
            return
        self._wanted = self._records[len(self._frames)]
        self._timeline.show_record(self._wanted)

    @Slot(object)
    def _on_frame(self, frame: Any) -> None:
        if self._wanted is None or frame.recorded is not self._wanted:
            return  # live, or an earlier record's frame still on its way
        self._wanted = None
        draw_frame_now(self._window, frame)
        self._frames.append(fit_image(self._window.grab().toImage(), self._options.size))
        self.progressed.emit(len(self._frames), self.total)
        QTimer.singleShot(0, self._next)  # let the window repaint and take input between frames

    def _stop_grabbing(self) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            self._controller.frameArrived.disconnect(self._on_frame)
        if self._restore is None:
            self._timeline.go_live()
        else:
            self._timeline.show_record(self._restore)


class HeadlessAnimationJob(AnimationJob):
    """Draws decision-region or hidden-space frames with `core.present.animation` on a thread."""

    def __init__(self, parent: QObject, path: Path, frames: Any, total: int, fps: float) -> None:
        super().__init__(path, total, parent)
        self._frames = frames
        self._fps = fps

    def start(self) -> None:
        self._write_on_thread(self._frames, self._fps)


# ------------------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------------------
def draw_frame_now(window: Any, frame: Any) -> None:
    """Have every view draw `frame` now (some views draw at their own, lower rate): for a grab that shows
    one moment everywhere."""
    views = [
        getattr(window, "decision_regions", None),
        getattr(window, "live_network", None),
        window.findChild(QWidget, "lossPlot"),
        window.findChild(QWidget, "hiddenSpacePlot"),
        window.findChild(QWidget, "predictionScatter"),
    ]
    for view in views:
        # `draw_frame` draws even behind another tab (the scatter waits there otherwise)
        show = getattr(view, "draw_frame", None) or getattr(view, "show_frame", None)
        if callable(show):
            show(frame)


def image_to_array(image: QImage) -> np.ndarray:
    """A QImage as a C-contiguous (H, W, 4) uint8 RGBA array (row 0 at the top)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return data.reshape(height, image.bytesPerLine())[:, : width * 4].reshape(height, width, 4).copy()


def fit_image(image: QImage, size: tuple[int, int]) -> np.ndarray:
    """`image` scaled to fit (width, height), centred on white: every frame of a video has one size."""
    width, height = size
    canvas = QImage(width, height, QImage.Format.Format_RGBA8888)
    canvas.fill(QColor("white"))
    scaled = image.scaled(
        width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    painter = QPainter(canvas)
    painter.drawImage((width - scaled.width()) // 2, (height - scaled.height()) // 2, scaled)
    painter.end()
    return image_to_array(canvas)


def view_widget(window: Any, view: str) -> QWidget:
    """The widget of one of IMAGE_VIEWS in `window`."""
    if view not in IMAGE_VIEWS:
        raise AnimationError(f"unknown view {view!r}; choose from {', '.join(IMAGE_VIEWS)}")
    name = IMAGE_VIEWS[view][1]
    widget = window if not name else window.findChild(QWidget, name)
    if widget is None:
        raise AnimationError(f"the window has no {IMAGE_VIEWS[view][0].lower()} view")
    return widget


def widget_picture(widget: QWidget, suffix: str) -> bytes:
    """The widget as it is shown, as PNG or SVG bytes."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if suffix == ".png":
        if not widget.grab().save(buffer, "PNG"):
            raise AnimationError("the picture could not be encoded as PNG")
    else:
        from PySide6.QtSvg import QSvgGenerator

        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(QSize(widget.width(), widget.height()))
        generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
        generator.setTitle(widget.accessibleName() or "Workbench view")
        painter = QPainter(generator)
        try:
            widget.render(painter, QPoint(0, 0))
        finally:
            painter.end()
    data = QByteArray(buffer.data())
    buffer.close()
    return bytes(data.data())


# ------------------------------------------------------------------------------------------------------------
# The dialog
# ------------------------------------------------------------------------------------------------------------
class AnimationDialog(QDialog):
    """View, frame rate, size and number of frames of an animation."""

    def __init__(self, n_records: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("animationDialog")
        self.setWindowTitle("Export Animation")
        self.view = QComboBox()
        self.view.setObjectName("animationView")
        for key, label in ANIMATION_VIEWS.items():
            self.view.addItem(label, key)
        self.fps = QDoubleSpinBox()
        self.fps.setObjectName("animationFps")
        self.fps.setRange(1.0, animation.MAX_GIF_FPS)
        self.fps.setDecimals(0)
        self.fps.setValue(10.0)
        self.fps.setSuffix(" frames/s")
        self.width_box = QSpinBox()
        self.height_box = QSpinBox()
        for box, value in ((self.width_box, 480), (self.height_box, 480)):
            box.setRange(animation.MIN_SIDE, 1920)
            box.setValue(value)
            box.setSuffix(" px")
        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box)
        self.count = QSpinBox()
        self.count.setObjectName("animationFrames")
        self.count.setRange(1, max(1, n_records))
        self.count.setValue(min(DEFAULT_FRAMES, max(1, n_records)))
        self.count.setSuffix(f" of {n_records} recorded")
        self.count.setToolTip(
            f"Frames evenly over the {n_records} recorded moments (dense early, where training changes most)"
        )
        self.view.currentIndexChanged.connect(self._suggest_size)
        form = QFormLayout(self)
        form.addRow("View:", self.view)
        form.addRow("Frames:", self.count)
        form.addRow("Speed:", self.fps)
        form.addRow("Size:", size_row)
        note = QLabel("GIF or MP4: the file name you choose next decides.")
        note.setEnabled(False)
        form.addRow(note)
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @Slot()
    def _suggest_size(self) -> None:
        window = self.view.currentData() == "window"
        self.width_box.setValue(960 if window else 480)
        self.height_box.setValue(600 if window else 480)

    def options(self) -> AnimationOptions:
        return AnimationOptions(
            view=str(self.view.currentData()),
            fps=float(self.fps.value()),
            size=(self.width_box.value(), self.height_box.value()),
            count=self.count.value(),
        )


# ------------------------------------------------------------------------------------------------------------
# The window's export actions
# ------------------------------------------------------------------------------------------------------------
class TimelineExports(QObject):
    """File ▸ Export Animation… and Export View Image… of one window (`window.timeline_exports`)."""

    def __init__(self, window: Any, controller: Any, timeline: Any) -> None:
        super().__init__(window)
        self._window = window
        self._controller = controller
        self._timeline = timeline
        self.job: AnimationJob | None = None
        window.closing.connect(self.shutdown)

    # --- animation --------------------------------------------------------------------------------------
    def start_animation(self, path: str | Path, options: AnimationOptions) -> AnimationJob:
        """Start writing the animation to `path` (.gif or .mp4); AnimationError at once for what cannot be
        done (no records, a bad path, size or frame rate). The returned job reports its progress."""
        if self.job is not None and not self.job.done:
            raise AnimationError("an animation is being written already: wait for it or cancel it")
        path = animation.check_output_path(path)
        animation.check_size(options.size)
        recording = self._timeline.recording
        if recording is None or not len(recording):
            raise AnimationError("the run has no recorded steps to animate: train it first")
        if options.view == "window":
            job: AnimationJob = WindowAnimationJob(
                self._window, self._controller, self._timeline, path, options
            )
        elif options.view in animation.VIEWS:
            document = self._window.document
            request = self._controller.view_request
            records = list(recording)
            frames = animation.render_frames(
                recording.spec,
                records,
                view=options.view,
                size=options.size,
                count=options.count,
                points=document.dataset.points,
                labels=document.dataset.labels,
                targets=document.dataset.targets,
                bounds=self._window.canvas.visible_range() if options.view == "regions" else None,
                hidden=request.hidden,
                discrete=request.discrete,
            )
            total = len(frame_indices(len(records), options.count))
            job = HeadlessAnimationJob(self, path, frames, total, options.fps)
        else:
            raise AnimationError(f"unknown view {options.view!r}; choose from {', '.join(ANIMATION_VIEWS)}")
        self.job = job
        job.start()
        return job

    def export_animation(self) -> AnimationJob | None:
        """Ask what to animate and where, then write it with a progress dialog (Cancel stops it)."""
        window = self._window
        recording = self._timeline.recording
        if recording is None or not len(recording):
            window._show_error("Export Animation", "Nothing is recorded yet: train the network first.")
            return None
        dialog = AnimationDialog(len(recording), window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        options = dialog.options()
        stem = Path(window.document.display_name).stem
        answer = window._get_save_file(
            "Export Animation", ANIMATION_FILTER, str(Path.home() / f"{stem}-{options.view}.gif")
        )
        if not answer:
            return None
        path = Path(answer[0])
        if path.suffix.lower() not in animation.FORMATS:
            path = path.with_suffix(".mp4" if "mp4" in answer[1] else ".gif")
        try:
            job = self.start_animation(path, options)
        except AnimationError as exc:
            window._show_error("Cannot Export Animation", str(exc))
            return None
        self._show_progress(job)
        return job

    def _show_progress(self, job: AnimationJob) -> None:
        window = self._window
        progress = QProgressDialog(f"Writing {job.path.name}…", "Cancel", 0, job.total, window)
        progress.setObjectName("animationProgress")
        progress.setWindowTitle("Export Animation")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(job.cancel)
        job.progressed.connect(lambda done, total: progress.setValue(done))

        def finished(message: str) -> None:
            progress.close()
            progress.deleteLater()
            if message == "":
                window.statusBar().showMessage(f"Wrote {job.frames_written} frames to {job.path.name}", 8000)
            elif message != "cancelled":
                window._show_error("Cannot Export Animation", message)

        job.finished.connect(finished)
        progress.show()

    # --- one view -------------------------------------------------------------------------------------------
    def save_view_image(self, path: str | Path, view: str) -> Path:
        """Write view `view` (a key of IMAGE_VIEWS) as shown now to `path` (.png or .svg)."""
        target = animation.check_output_path(path, IMAGE_FORMATS)
        widget = view_widget(self._window, view)
        frame = self._controller.last_frame
        if frame is not None:
            draw_frame_now(self._window, frame)
        data = widget_picture(widget, target.suffix.lower())
        try:
            atomic_write_bytes(target, data)
        except OSError as exc:
            raise AnimationError(f"cannot write {target.name}: {exc.strerror or exc}") from None
        return target

    def export_view_image(self) -> Path | None:
        """Ask which view and where, then save it (at the step the timeline shows)."""
        window = self._window
        labels = [label for label, _ in IMAGE_VIEWS.values()]
        label, ok = QInputDialog.getItem(window, "Export View Image", "View:", labels, 0, False)
        if not ok:
            return None
        view = list(IMAGE_VIEWS)[labels.index(label)]
        step = self._timeline.shown_step
        moment = f"step{step}" if step is not None else "live"
        stem = Path(window.document.display_name).stem
        answer = window._get_save_file(
            "Export View Image", IMAGE_FILTER, str(Path.home() / f"{stem}-{view}-{moment}.png")
        )
        if not answer:
            return None
        path = Path(answer[0])
        if path.suffix.lower() not in IMAGE_FORMATS:
            path = path.with_suffix(".svg" if "svg" in answer[1].lower() else ".png")
        try:
            target = self.save_view_image(path, view)
        except AnimationError as exc:
            window._show_error("Cannot Export View Image", str(exc))
            return None
        window.statusBar().showMessage(f"Saved {label.lower()} as {target.name}", 6000)
        return target

    @Slot()
    def shutdown(self) -> None:
        """Stop a running export (window closing): its temporary file is removed, nothing is left half."""
        if self.job is not None:
            self.job.cancel()
            self.job.join()


__all__ = [
    "ANIMATION_VIEWS",
    "IMAGE_VIEWS",
    "AnimationDialog",
    "AnimationJob",
    "AnimationOptions",
    "TimelineExports",
]
