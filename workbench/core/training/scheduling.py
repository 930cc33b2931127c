"""CPU priorities: view-frame computation gives way to the GUI thread; commands and training never do.

Why: while training, a 2-core machine runs the training process (one core), the view computations (~40 % of
a core) and the GUI thread. At equal priority the GUI thread often woke up to find both cores busy and
painted at half speed: a 4 ms paint took 8 ms, and a 10 ms GUI timer fired up to 20-25 ms late. With the view
thread at a lower priority the GUI thread preempts it at once, and the views still run whenever the GUI is
idle. Only the view-frame worker is lowered: the thread that relays commands, the one that receives the
training process's events and the training process itself keep the GUI's priority. (Earlier the one worker
thread did all of it at niceness 19 and started the process, which inherited that: with two other busy
programs on two cores, a Pause took seconds to arrive.) The lowering is small (`BACKGROUND_NICENESS`).
"""

from __future__ import annotations

import os
import sys
import threading

#: How much nicer than the GUI the view-frame worker runs. Small on purpose: the GUI thread still preempts
#: it (CFS/EEVDF weight 1024 against 655), yet next to two busy programs it keeps about a third of a core for
#: frames (at 19, weight 15, it kept ~1.5 % and frames stopped under load; at 5 frames fell to a quarter
#: of those at 0 in a paired run with two busy programs).
BACKGROUND_NICENESS = 2


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def current_thread_niceness() -> int | None:
    """The calling thread's niceness (Linux; the process's elsewhere); None where there is none."""
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (AttributeError, OSError):
        return None


def set_current_thread_niceness(niceness: int) -> bool:
    """Set the calling thread's niceness (the whole process's off Linux: call it in a process of its own,
    such as the training process); True if applied. Raising a priority needs privileges: False then."""
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) != niceness:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except (AttributeError, OSError):
        return False
    return True


def lower_current_thread_priority(niceness: int = BACKGROUND_NICENESS) -> bool:
    """Make the calling thread (not the process) `niceness` nicer than it is; True if it was applied.

    Only on Linux, where niceness belongs to a thread (elsewhere it would slow the GUI thread too), and only
    with 2 CPUs or more: on one CPU the training process would starve a low-priority thread completely. A
    thread cannot raise its priority again without privileges, so use it for threads that stay background.
    """
    if not sys.platform.startswith("linux") or available_cpus() < 2:
        return False
    try:
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, own + niceness))
    except (AttributeError, OSError):
        return False
    return True


__all__ = [
    "BACKGROUND_NICENESS",
    "available_cpus",
    "current_thread_niceness",
    "lower_current_thread_priority",
    "set_current_thread_niceness",
]
