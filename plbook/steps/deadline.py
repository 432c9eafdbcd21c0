"""A whole exchange bounded by the attempt's deadline, for kinds whose clients bound each read.

Client libraries (httpx, the Stripe SDK) time each read, not an exchange, so a server that
drips a byte a second holds a step for ever. In the main thread a real-time alarm interrupts
the blocked read at the deadline, at the cost of one system call; elsewhere the work runs in a
helper thread that the step stops waiting for.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar, cast

from plbook.steps.base import StepRuntime

ResultT = TypeVar("ResultT")


class DeadlinePassed(BaseException):
    """The attempt's deadline came before the work was done.

    A BaseException, as KeyboardInterrupt is, so no client library's `except Exception`
    mistakes it for an error of its own and carries on.
    """


def before_deadline(
    runtime: StepRuntime, work: Callable[[], ResultT], give_up: Callable[[], None]
) -> ResultT:
    """Give what `work()` gives, unless the attempt's deadline comes first (DeadlinePassed).

    `give_up()` is called when a helper thread is left behind, to cut what it is blocked on.
    """
    remaining = runtime.remaining()
    if remaining <= 0:
        raise DeadlinePassed()
    on_alarm = signal.getsignal(signal.SIGALRM)
    if threading.current_thread() is threading.main_thread() and on_alarm in _FREE_ALARM:
        return _with_alarm(remaining, work)
    return _in_helper_thread(remaining, work, give_up)


_FREE_ALARM = (signal.SIG_DFL, signal.SIG_IGN, None)


def _alarm_rings(signal_number: int, frame: FrameType | None) -> None:
    raise DeadlinePassed()


def _with_alarm(remaining: float, work: Callable[[], ResultT]) -> ResultT:
    previous = signal.signal(signal.SIGALRM, _alarm_rings)
    signal.setitimer(signal.ITIMER_REAL, remaining)
    try:
        return work()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _in_helper_thread(
    remaining: float, work: Callable[[], ResultT], give_up: Callable[[], None]
) -> ResultT:
    outcome: dict[str, Any] = {}

    def do_work() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed over to the step's own thread
            outcome["error"] = error

    thread = threading.Thread(target=do_work, name="plbook-step", daemon=True)
    thread.start()
    thread.join(remaining)
    if thread.is_alive():
        give_up()
        raise DeadlinePassed()
    if "error" in outcome:
        raise outcome["error"]
    return cast(ResultT, outcome["value"])
