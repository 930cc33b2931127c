"""Background threads give way to the GUI thread, but never where that could starve them."""

import os
import sys
import threading

import pytest

from workbench.core.training import scheduling


def _run_in_thread(function):
    result = {}

    def target():
        result["applied"] = function()
        result["own"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux only")
def test_only_the_calling_thread_is_lowered(monkeypatch):
    monkeypatch.setattr(scheduling, "available_cpus", lambda: 2)
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    result = _run_in_thread(scheduling.lower_current_thread_priority)
    assert result["applied"]
    assert result["own"] == min(19, before + scheduling.BACKGROUND_NICENESS)  # relative to the GUI's own
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's thread


def test_one_cpu_keeps_normal_priority(monkeypatch):
    # The training process fills the only CPU: a lowest-priority view thread would never draw a frame.
    monkeypatch.setattr(scheduling, "available_cpus", lambda: 1)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    result = _run_in_thread(scheduling.lower_current_thread_priority)
    assert result == {"applied": False, "own": before}


def test_other_platforms_leave_priorities_alone(monkeypatch):
    # Elsewhere niceness belongs to the whole process: lowering it would slow the GUI thread too.
    monkeypatch.setattr(scheduling.sys, "platform", "darwin")
    monkeypatch.setattr(scheduling, "available_cpus", lambda: 8)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    result = _run_in_thread(scheduling.lower_current_thread_priority)
    assert result == {"applied": False, "own": before}


def test_available_cpus_counts_at_least_one():
    assert scheduling.available_cpus() >= 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux only")
def test_a_thread_can_take_a_given_niceness_and_read_it_back():
    # The training process uses this to run at the niceness of the thread that started it.
    before = scheduling.current_thread_niceness()
    target = min(19, before + 3)
    result = _run_in_thread(lambda: scheduling.set_current_thread_niceness(target))
    assert result == {"applied": True, "own": target}
    assert scheduling.current_thread_niceness() == before  # the caller's thread is untouched
