"""When the training process stops on its own (out of memory), the window says why; nothing is lost."""

from __future__ import annotations

from workbench.core.training.trainer_process import OUT_OF_MEMORY
from workbench.qt.app import install_panels

WAIT_MS = 20_000


def test_a_training_failure_is_shown_and_the_data_is_kept(make_window, qtbot) -> None:
    window = make_window()
    install_panels(window)
    qtbot.waitUntil(lambda: window.training.last_frame is not None, timeout=WAIT_MS)
    shown: list[tuple[str, str]] = []
    window._show_error = lambda title, text: shown.append((title, text))
    dataset, spec = window.document.dataset, window.document.spec
    window.training.failed.emit(OUT_OF_MEMORY)  # what the controller relays from the training process
    assert shown == [("Training Paused", OUT_OF_MEMORY)]
    assert window.document.dataset is dataset and window.document.spec == spec
    assert not window.training.is_running
