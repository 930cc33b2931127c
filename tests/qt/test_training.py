"""The threaded trainer: start/pause/step, live settings, data and weight changes, divergence, shutdown."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QThread

from workbench.core.data.edits import AddPoints
from workbench.core.data.generators import generate
from workbench.core.model.engine import Network
from workbench.core.model.spec import LayerSpec, NetworkSpec, TrainingSettings
from workbench.core.present import views
from workbench.core.present.views import HiddenSpaceRequest
from workbench.core.training.training_messages import UnknownMessageError
from workbench.qt.document import Document
from workbench.qt.training_controller import TrainingController
from workbench.qt.training_panel import DivergenceBanner

WAIT_MS = 20_000


def easy_document() -> Document:
    dataset = generate("gaussians", 200, 2, seed=1)
    spec = NetworkSpec(hidden=(LayerSpec(6, "tanh"),), n_classes=2)
    return Document(dataset, spec, TrainingSettings(learning_rate=0.05, batch_size=16, optimizer="adam"))


@pytest.fixture
def make_controller(qtbot):
    controllers: list[TrainingController] = []

    def factory(document: Document | None = None) -> TrainingController:
        controller = TrainingController(document or easy_document())
        controllers.append(controller)
        return controller

    yield factory
    for controller in controllers:
        controller.shutdown()


def wait_for_frame(qtbot, controller: TrainingController, condition) -> None:
    """Wait until a frame arrives for which `condition(frame)` holds."""
    qtbot.waitUntil(
        lambda: controller.last_frame is not None and condition(controller.last_frame), timeout=WAIT_MS
    )


def test_training_lowers_the_loss_pause_holds_and_step_does_one_step(qtbot, make_controller) -> None:
    controller = make_controller()
    wait_for_frame(qtbot, controller, lambda f: True)
    first_loss = controller.last_frame.snapshot.metrics.train_loss
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        controller.start()
    assert controller.is_running
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step >= 300)
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        controller.pause()
    assert not controller.is_running
    wait_for_frame(qtbot, controller, lambda f: not f.running)
    paused = controller.last_frame.snapshot
    assert paused.metrics.train_loss < 0.5 * first_loss
    assert controller.document.step == paused.step  # the document keeps the weights/history current for Save

    with qtbot.waitSignal(controller.frameArrived, timeout=WAIT_MS):
        controller.step_once()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step != paused.step)
    stepped = controller.last_frame.snapshot
    assert stepped.step == paused.step + 1
    assert any(not np.array_equal(a[0], b[0]) for a, b in zip(stepped.weights, paused.weights, strict=True))


def test_step_epoch_trains_one_pass_over_the_training_points(qtbot, make_controller) -> None:
    controller = make_controller()
    wait_for_frame(qtbot, controller, lambda f: True)
    controller.step_epoch()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.epoch == 1)
    n_train = len(controller.document.dataset.train_indices)
    assert controller.last_frame.snapshot.step == -(-n_train // 16)


def test_settings_change_live_without_reset(qtbot, make_controller) -> None:
    document = easy_document()
    controller = make_controller(document)
    controller.start()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step >= 100)
    before = controller.last_frame.snapshot.step
    document.set_settings(replace(document.settings, learning_rate=0.001, optimizer="momentum", momentum=0.8))
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.settings.optimizer == "momentum")
    snapshot = controller.last_frame.snapshot
    assert snapshot.settings.learning_rate == 0.001 and snapshot.settings.momentum == 0.8
    assert snapshot.step >= before  # training went on from where it was: no reset
    assert controller.is_running
    document.undo_stack.undo()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.settings.optimizer == "adam")


def test_drawing_while_training_trains_on_the_new_data(qtbot, make_controller) -> None:
    document = easy_document()
    controller = make_controller(document)
    controller.set_view_options(hidden=HiddenSpaceRequest(layer=1))
    controller.start()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step >= 50 and f.hidden is not None)
    assert len(controller.last_frame.hidden.points) == 200
    document.apply_edit(AddPoints(np.array([[5.0, 5.0], [5.5, 5.0], [6.0, 5.0]]), np.array([1, 1, 1])))
    wait_for_frame(qtbot, controller, lambda f: f.hidden is not None and len(f.hidden.points) == 203)
    step = controller.last_frame.snapshot.step
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step > step + 20)  # still training
    assert controller.is_running


def test_spec_change_continues_training_with_the_new_architecture(qtbot, make_controller) -> None:
    document = easy_document()
    controller = make_controller(document)
    controller.start()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step >= 20)
    document.set_spec(document.spec.with_hidden([LayerSpec(6, "tanh"), LayerSpec(3, "relu")]))
    wait_for_frame(qtbot, controller, lambda f: len(f.snapshot.weights) == 3 and f.snapshot.step >= 20)
    assert controller.is_running


def test_reset_weights_starts_a_new_run_and_undo_brings_the_old_weights_back(qtbot, make_controller) -> None:
    document = easy_document()
    controller = make_controller(document)
    controller.step_epoch()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.epoch == 1)
    trained = [w.copy() for w, _ in controller.last_frame.snapshot.weights]
    controller.reset_weights()
    wait_for_frame(qtbot, controller, lambda f: f.snapshot.step == 0)
    fresh = controller.last_frame.snapshot.weights
    assert not np.array_equal(fresh[0][0], trained[0])
    document.undo_stack.undo()
    wait_for_frame(qtbot, controller, lambda f: np.array_equal(f.snapshot.weights[0][0], trained[0]))


def test_huge_learning_rate_pauses_restores_and_shows_the_banner(qtbot, make_controller) -> None:
    document = easy_document()
    document.set_spec(document.spec.with_hidden([LayerSpec(6, "relu")]))
    document.set_settings(replace(document.settings, learning_rate=10.0, optimizer="sgd"))
    # Coordinates in the hundreds: SGD diverges at 10 and again at 1, so the banner must come back.
    big = replace(document.dataset, points=document.dataset.points * 300)
    document.load(big, document.spec, document.settings)
    controller = make_controller(document)
    banner = DivergenceBanner(document, controller)
    qtbot.addWidget(banner)
    with qtbot.waitSignal(controller.diverged, timeout=WAIT_MS) as blocker:
        controller.start()
    assert "diverged" in blocker.args[0]
    qtbot.waitUntil(lambda: not controller.is_running, timeout=WAIT_MS)
    assert not banner.isHidden()
    text = banner.message.text()
    assert "10" in text and text.count("diverged") == 1  # one sentence naming the rate that was too high
    assert banner.fix_button.text() == "Use 1 and resume"
    wait_for_frame(qtbot, controller, lambda f: not f.running)
    assert all(
        np.isfinite(w).all() and np.isfinite(b).all() for w, b in controller.last_frame.snapshot.weights
    )

    with qtbot.waitSignal(controller.diverged, timeout=WAIT_MS):
        banner.fix_button.click()  # resumes at 1 ... which diverges as well
    assert document.settings.learning_rate == pytest.approx(1.0)
    qtbot.waitUntil(lambda: not banner.isHidden(), timeout=WAIT_MS)
    assert "rate 1 is too high" in banner.message.text()
    assert banner.fix_button.text() == "Use 0.1 and resume"
    document.undo_stack.undo()
    assert document.settings.learning_rate == pytest.approx(10.0)


def test_shutting_down_mid_training_twenty_times_leaves_no_thread(qtbot, no_leftover_threads) -> None:
    before = set(threading.enumerate())
    for _ in range(20):
        controller = TrainingController(easy_document())
        controller.start()
        qtbot.waitUntil(lambda c=controller: c.last_frame is not None, timeout=WAIT_MS)
        controller.shutdown()
        controller.shutdown()  # idempotent: closeEvent and aboutToQuit may both call it
    running = [t for t in no_leftover_threads if isinstance(t, QThread) and t.isRunning()]
    assert not running
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("trainer-")]  # the links'
    assert len(no_leftover_threads) == 20


def test_commands_after_shutdown_are_ignored(qtbot) -> None:
    controller = TrainingController(easy_document())
    controller.shutdown()
    controller.start()
    controller.set_view_options(resolution=64)
    controller.document.set_settings(replace(controller.document.settings, learning_rate=0.2))
    assert not controller.is_running


# --- commands first, views second ---------------------------------------------------------------------------
def test_pause_and_start_reach_the_training_process_while_the_views_are_blocked(
    qtbot, make_controller, monkeypatch
) -> None:
    controller = make_controller()
    wait_for_frame(qtbot, controller, lambda f: True)
    original = views.compute_frame
    entered, release = threading.Event(), threading.Event()

    def blocked_compute_frame(*args, **kwargs):
        entered.set()
        release.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "compute_frame", blocked_compute_frame)
    try:
        with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS) as started:
            controller.start()
        assert started.args == [True]
        qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)  # the view worker is stuck inside a frame now
        with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS) as paused:
            controller.pause()
        assert paused.args == [False]  # answered by the training process, past the blocked views
        assert not controller.is_running
    finally:
        release.set()
    wait_for_frame(qtbot, controller, lambda f: not f.running and f.snapshot.step > 0)


def test_the_untrained_network_is_drawn_before_the_training_process_runs(qtbot, monkeypatch) -> None:
    from workbench.core.training import trainer_link

    slow_start = threading.Event()
    real_process = trainer_link.TrainerProcess

    def slow_process(*args, **kwargs):  # a forkserver that takes its time, as under load
        slow_start.wait()
        return real_process(*args, **kwargs)

    monkeypatch.setattr(trainer_link, "TrainerProcess", slow_process)
    document = easy_document()
    request = views.ViewRequest(
        bounds=document.dataset.bounds(),
        resolution=64,
        neuron_map_size=16,
        hidden=HiddenSpaceRequest(layer=1),
    )
    controller = TrainingController(document, view_request=request)
    try:
        wait_for_frame(qtbot, controller, lambda f: True)
        frame = controller.last_frame
        assert controller.trainer_pid is None  # no training process yet ...
        assert frame.snapshot.step == 0 and not frame.running  # ... and the untrained network is drawn
        assert frame.decision_rgba is not None and frame.decision_rgba.shape[:2] == (64, 64)
        assert len(frame.neuron_maps) == 2 and frame.hidden is not None
        assert not document.is_modified  # showing the network is not an edit
        slow_start.set()
        controller.step_once()  # the process, once it runs, continues from exactly that network
        wait_for_frame(qtbot, controller, lambda f: f.snapshot.step == 1)
    finally:
        slow_start.set()
        controller.shutdown()


def test_the_first_frame_shows_the_documents_own_weights(qtbot, make_controller) -> None:
    document = easy_document()
    weights = Network(document.spec, seed=123).get_weights()
    document.replace_weights(weights, "Import weights")
    controller = make_controller(document)
    wait_for_frame(qtbot, controller, lambda f: True)
    np.testing.assert_array_equal(controller.last_frame.snapshot.weights[0][0], weights[0][0])


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no niceness on this platform")
def test_the_training_process_runs_at_the_guis_priority(qtbot, make_controller) -> None:
    controller = make_controller()
    controller.step_once()
    qtbot.waitUntil(lambda: controller.reported_step == 1, timeout=WAIT_MS)
    assert os.getpriority(os.PRIO_PROCESS, controller.trainer_pid) == os.getpriority(os.PRIO_PROCESS, 0)


def test_unknown_messages_raise_in_the_controller_and_the_view_worker(qtbot, make_controller) -> None:
    controller = make_controller()
    wait_for_frame(qtbot, controller, lambda f: True)
    with pytest.raises(UnknownMessageError, match="training controller"):
        controller.handle_trainer_event(("running", True))
    with pytest.raises(UnknownMessageError, match="view-frame worker"):
        controller.view_worker.handle(("view", None))
    # Posted for real, the worker stops and says so instead of ignoring it.
    with qtbot.waitSignal(controller.failed, timeout=WAIT_MS) as failure:
        controller.view_worker.post(("view", None))
    assert "cannot handle a tuple message" in failure.args[0]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_training_process_that_dies_is_reported_and_training_shows_paused(qtbot, make_controller) -> None:
    controller = make_controller()
    with qtbot.waitSignal(controller.runningChanged, timeout=WAIT_MS):
        controller.start()
    with qtbot.waitSignal(controller.failed, timeout=WAIT_MS) as failure:
        os.kill(controller.trainer_pid, signal.SIGKILL)
    assert "stopped unexpectedly" in failure.args[0]
    assert not controller.is_running
    controller.start()  # a command to a dead process is dropped, never raises


def test_the_controller_and_the_view_worker_do_not_import_the_views() -> None:
    # The views import the controller and the frame throttle; only live_training imports both ways round.
    import subprocess
    import sys

    code = (
        "import sys, workbench.qt.training_controller, workbench.qt.frame_throttle; "
        "print(sorted(m for m in sys.modules if m.startswith('workbench.qt.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for view in ("training_panel", "loss_plot", "hidden_space_plot", "live_training", "main_window"):
        assert f"workbench.qt.{view}'" not in loaded
    assert "workbench.qt.view_frame_worker'" in loaded
