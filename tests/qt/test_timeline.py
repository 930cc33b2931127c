"""The timeline: scrubbing a recorded run shows the recorded weights, computed off the GUI thread (newest
request wins); back to live; continue from a recorded step (undoable); animation and view-image export."""

from __future__ import annotations

import threading
from itertools import pairwise

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSlider, QWidget

from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present import views
from workbench.core.training.recording import Recording
from workbench.core.training.trainer import Trainer
from workbench.qt.document import Document
from workbench.qt.live_training import install_training
from workbench.qt.timeline_export import AnimationOptions

WAIT_MS = 20_000


def make_document() -> Document:
    dataset = generate("gaussians", 120, 3, seed=2)
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"), LayerSpec(3, "tanh")), n_classes=3)
    return Document(dataset, spec, TrainingSettings(batch_size=16))


def recorded_run(document: Document, steps: int = 150) -> Recording:
    """A recording of `steps` steps of training the document's network, made headless as the training
    process makes it (records where the recording says one is due)."""
    trainer = Trainer(document.dataset, document.spec, document.settings, seed=0)
    recording = Recording(trainer.spec)
    while trainer.step_count < steps:
        wait = recording.steps_until_due(trainer.step_count)
        if wait == 0:
            recording.add(trainer.step_count, trainer.epoch, trainer.get_weights(), trainer.metrics)
        else:
            trainer.step(min(wait, steps - trainer.step_count))
    return recording


@pytest.fixture
def timeline_window(make_window, monkeypatch):
    """A window with live training and a recorded run in its document: [window, recording] (a list, emptied
    at the end, so that pytest's reference to it does not keep the window alive for the leak check)."""
    document = make_document()
    recording = recorded_run(document)
    frozen = recording.frozen()
    monkeypatch.setattr(type(document), "recording", property(lambda self: frozen), raising=False)
    window = make_window(document)
    install_training(window)
    window.timeline.refresh()
    pair = [window, frozen]
    yield pair
    pair.clear()


def wait_for_frame(qtbot, controller, step: int | None) -> views.ViewFrame:
    qtbot.waitUntil(
        lambda: controller.last_frame is not None and controller.last_frame.at_step == step, timeout=WAIT_MS
    )
    return controller.last_frame


def network_at(record, spec) -> Network:
    network = Network(spec)
    network.set_weights(record.weights_list())
    return network


def test_scrubbing_shows_the_recorded_steps_weights_in_every_view(qtbot, timeline_window) -> None:
    window, recording = timeline_window
    controller, bar = window.training, window.timeline
    wait_for_frame(qtbot, controller, None)
    slider = window.findChild(QSlider, "timelineSlider")
    assert slider is bar.slider
    assert slider.maximum() == len(recording) and slider.value() == len(recording)  # right end = live
    assert "Live" in bar.state.text()

    record = recording[7]
    slider.setValue(7)
    assert bar.shown_step == record.step and "Viewing step" in bar.state.text()
    frame = wait_for_frame(qtbot, controller, record.step)
    network = network_at(record, recording.spec)
    request = controller.view_request
    expected, _ = views.decision_image(network, frame.bounds, request.resolution, discrete=request.discrete)
    np.testing.assert_array_equal(frame.decision_rgba, expected)
    maps = views.neuron_maps(network, network.spec, frame.bounds, request.neuron_map_size)
    assert len(frame.neuron_maps) == len(maps)
    for shown, computed in zip(frame.neuron_maps, maps, strict=True):
        np.testing.assert_array_equal(shown, computed)
    live = Network(recording.spec, seed=window.document.settings.seed)
    untrained, _ = views.decision_image(live, frame.bounds, request.resolution, discrete=request.discrete)
    assert not np.array_equal(frame.decision_rgba, untrained)
    for shown, recorded in zip(frame.shown_weights, record.weights_list(), strict=True):
        np.testing.assert_array_equal(shown[0], recorded[0])
    loss_plot = window.findChild(QWidget, "lossPlot")
    qtbot.waitUntil(lambda: loss_plot.cursor_step == record.step, timeout=WAIT_MS)

    bar.action_earlier.trigger()  # Alt+Left
    assert bar.shown_step == recording[6].step and slider.value() == 6
    wait_for_frame(qtbot, controller, recording[6].step)
    bar.action_live.trigger()  # "Back to live"
    assert bar.is_live and slider.value() == len(recording) and not bar.action_live.isEnabled()
    wait_for_frame(qtbot, controller, None)
    qtbot.waitUntil(lambda: loss_plot.cursor_step is None, timeout=WAIT_MS)


def test_scrubbing_computes_off_the_gui_thread_and_the_newest_position_wins(
    qtbot, timeline_window, monkeypatch
) -> None:
    window, recording = timeline_window
    controller, bar = window.training, window.timeline
    wait_for_frame(qtbot, controller, None)
    steps_of = {records.weights[0][0].tobytes(): records.step for records in recording}
    gate, entered = threading.Event(), threading.Event()
    computed: list[tuple[int, int]] = []  # (thread, recorded step) of every recorded moment computed
    original = views.compute_frame

    def spy(snapshot, network, *args, **kwargs):
        step = steps_of.get(network.get_weights()[0][0].tobytes())
        if step is not None and step != 0:
            computed.append((threading.get_ident(), step))
            entered.set()
            assert gate.wait(WAIT_MS / 1000)  # the worker is busy for as long as the test likes
        return original(snapshot, network, *args, **kwargs)

    monkeypatch.setattr(views, "compute_frame", spy)
    bar.slider.setValue(1)
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    # The worker is stuck computing step 1; the GUI still answers every move of the slider at once.
    for index in range(2, 13):
        bar.slider.setValue(index)
        assert bar.shown_step == recording[index].step
        assert f"Viewing step {recording[index].step:,}" in bar.state.text()
    gate.set()
    wait_for_frame(qtbot, controller, recording[12].step)
    main = threading.get_ident()
    assert all(thread != main for thread, _ in computed)
    assert [step for _, step in computed] == [recording[1].step, recording[12].step]  # 2..11: never computed


def test_a_new_run_brings_the_views_back_to_live(qtbot, timeline_window, monkeypatch) -> None:
    window, _ = timeline_window
    bar = window.timeline
    bar.show_index(3)
    assert not bar.is_live
    other = recorded_run(window.document, 40).frozen()
    monkeypatch.setattr(type(window.document), "recording", property(lambda self: other))
    bar.refresh()
    assert bar.is_live and bar.slider.maximum() == len(other)


def test_continue_from_here_calls_the_document_for_the_shown_step(qtbot, timeline_window) -> None:
    window, recording = timeline_window
    bar = window.timeline
    assert not bar.action_continue.isEnabled()  # live: nothing to continue from
    asked: list[int] = []
    window.document.continue_from = asked.append
    bar.show_index(5)
    assert bar.action_continue.isEnabled() and bar.continue_button.isEnabled()
    bar.continue_button.click()
    assert asked == [recording[5].step]
    assert bar.is_live  # the views follow the continued run


def test_animation_of_the_decision_regions_has_the_requested_frames(qtbot, timeline_window, tmp_path) -> None:
    window, _ = timeline_window
    path = tmp_path / "run.gif"
    job = window.timeline_exports.start_animation(path, AnimationOptions("regions", 10, (64, 48), 5))
    qtbot.waitUntil(lambda: job.done, timeout=WAIT_MS)
    assert job.message == "" and job.frames_written == 5
    with Image.open(path) as gif:
        assert gif.n_frames == 5 and gif.size == (64, 48)
        pictures = []
        for index in range(gif.n_frames):
            gif.seek(index)
            pictures.append(np.asarray(gif.convert("RGB")))
    assert all(not np.array_equal(a, b) for a, b in pairwise(pictures))  # it moves


def test_animation_of_the_hidden_space_as_mp4(qtbot, timeline_window, tmp_path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    window, _ = timeline_window
    path = tmp_path / "hidden.mp4"
    job = window.timeline_exports.start_animation(path, AnimationOptions("hidden", 8, (96, 96), 4))
    qtbot.waitUntil(lambda: job.done, timeout=WAIT_MS)
    assert job.message == ""
    assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == 4


def test_animation_of_the_whole_window_steps_the_timeline_and_comes_back(
    qtbot, timeline_window, tmp_path
) -> None:
    window, recording = timeline_window
    controller, bar = window.training, window.timeline
    wait_for_frame(qtbot, controller, None)
    path = tmp_path / "window.gif"
    seen: list[int | None] = []
    bar.shownStepChanged.connect(seen.append)
    job = window.timeline_exports.start_animation(path, AnimationOptions("window", 5, (160, 100), 3))
    qtbot.waitUntil(lambda: job.done, timeout=WAIT_MS)
    assert job.message == ""
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (160, 100)
    assert seen[:3] == [recording[0].step, recording[len(recording) // 2].step, recording[-1].step]
    assert bar.is_live  # back where the user was


def test_cancelled_exports_write_nothing(qtbot, timeline_window, tmp_path) -> None:
    window, _ = timeline_window
    exports = window.timeline_exports
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "cancelled.gif"
    job = exports.start_animation(path, AnimationOptions("window", 5, (64, 64), 4))
    job.cancel()  # before the first frame arrived
    qtbot.waitUntil(lambda: job.done, timeout=WAIT_MS)
    assert job.message == "cancelled" and not path.exists() and window.timeline.is_live

    job = exports.start_animation(path, AnimationOptions("regions", 10, (64, 64), 6))
    job.progressed.connect(lambda done, total: job.cancel(), Qt.ConnectionType.DirectConnection)
    qtbot.waitUntil(lambda: job.done, timeout=WAIT_MS)
    assert job.message == "cancelled" and not path.exists()
    assert not list(path.parent.iterdir())  # no temporary file left either


def test_bad_animation_requests_are_refused_with_a_message(timeline_window, tmp_path) -> None:
    from workbench.core.present.animation import AnimationError

    window, _ = timeline_window
    exports = window.timeline_exports
    with pytest.raises(AnimationError, match="gif"):
        exports.start_animation(tmp_path / "run.avi", AnimationOptions())
    with pytest.raises(AnimationError, match="view"):
        exports.start_animation(tmp_path / "run.gif", AnimationOptions(view="loss"))


def test_view_images_are_written_at_the_shown_step(qtbot, timeline_window, tmp_path) -> None:
    window, recording = timeline_window
    controller, bar = window.training, window.timeline
    bar.show_index(4)
    wait_for_frame(qtbot, controller, recording[4].step)
    exports = window.timeline_exports
    png = exports.save_view_image(tmp_path / "regions.png", "regions")
    image = QImage(str(png))
    assert image.width() == window.canvas.width() * window.canvas.devicePixelRatio()
    svg = exports.save_view_image(tmp_path / "hidden.svg", "hidden").read_text()
    assert "<svg" in svg and "</svg>" in svg
    with pytest.raises(Exception, match="png"):
        exports.save_view_image(tmp_path / "x.jpg", "regions")


def test_a_trained_run_scrubs_back_and_continues_from_a_recorded_step_undoably(qtbot, make_window) -> None:
    """End to end with the real training process: train, look back, continue from there, undo."""
    window = make_window(make_document())
    controller = install_training(window)
    document, bar = window.document, window.timeline
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        controller.start()
    qtbot.waitUntil(lambda: document.recording is not None and len(document.recording) >= 30, timeout=WAIT_MS)
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        controller.pause()

    def paused_state_arrived() -> bool:
        frame = controller.last_frame
        return not frame.running and frame.snapshot.step == document.step == document.recording.latest.step

    qtbot.waitUntil(paused_state_arrived, timeout=WAIT_MS)
    recording = document.recording
    assert bar.slider.maximum() == len(recording) and bar.is_live
    trained_step, trained_weights = document.step, document.weights

    bar.slider.setValue(20)
    record = recording[20]
    frame = wait_for_frame(qtbot, controller, record.step)
    request = controller.view_request
    network = network_at(record, recording.spec)
    expected, _ = views.decision_image(network, frame.bounds, request.resolution, discrete=request.discrete)
    np.testing.assert_array_equal(frame.decision_rgba, expected)
    assert frame.snapshot.step == trained_step  # training's own state is untouched by looking back
    assert document.step == trained_step

    with qtbot.waitSignal(document.recordingChanged, timeout=WAIT_MS):
        bar.continue_button.click()
    assert bar.is_live
    assert document.step == record.step
    assert document.undo_stack.undoText() == f"Continue from step {record.step}"
    for (w, b), (rw, rb) in zip(document.weights, record.weights_list(), strict=True):
        np.testing.assert_array_equal(w, rw)
        np.testing.assert_array_equal(b, rb)
    assert bar.slider.maximum() == len(document.recording) == 1  # the new branch starts at the step

    document.undo_stack.undo()
    assert document.step == trained_step and len(document.recording) == len(recording)
    for (w, b), (tw, tb) in zip(document.weights, trained_weights, strict=True):
        np.testing.assert_array_equal(w, tw)
        np.testing.assert_array_equal(b, tb)
    assert bar.slider.maximum() == len(recording)


def test_an_opened_run_can_be_looked_back_at_before_any_training(qtbot, make_window) -> None:
    window = make_window(make_document())
    controller = install_training(window)
    document, bar = window.document, window.timeline
    assert not bar.slider.isEnabled() and "nothing recorded yet" in bar.state.text()
    trainer = Trainer(document.dataset, document.spec, document.settings, seed=0)
    recording = recorded_run(document)
    trainer.step(int(recording.latest.step))
    document.load(
        document.dataset,
        document.spec,
        document.settings,
        weights=trainer.get_weights(),
        step=trainer.step_count,
        epoch=trainer.epoch,
        recording=recording,
    )
    assert bar.slider.isEnabled() and bar.slider.maximum() == len(recording) and bar.is_live
    bar.show_index(0)
    wait_for_frame(qtbot, controller, 0)
    assert window.timeline_exports is not None and window.action_export_animation.isEnabled()
