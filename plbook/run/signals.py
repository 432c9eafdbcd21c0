"""Stop signals: SIGTERM and SIGHUP end a run as Ctrl-C does, with its record and reports."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
"""The shell's convention: 128 plus the signal's number."""


class Stopped(KeyboardInterrupt):
    """The run was told to stop by a signal other than Ctrl-C (CI cancel, docker stop, ssh gone)."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal.Signals(signal_number).name)
        self.signal_number = signal_number


def _stop(signal_number: int, frame: FrameType | None) -> None:
    # One stop is enough: a second one must not cut the writing of the record short.
    for each in STOP_SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    raise Stopped(signal_number)


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """While the block runs, make SIGTERM and SIGHUP raise `Stopped` (a KeyboardInterrupt)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals; a run in a thread keeps the defaults
        return
    previous = {each: signal.signal(each, _stop) for each in STOP_SIGNALS}
    try:
        yield
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def exit_code_of(interrupt: KeyboardInterrupt) -> int:
    """Give the exit code of a run ended by an interrupt: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP."""
    if isinstance(interrupt, Stopped):
        return EXIT_CODES[signal.Signals(interrupt.signal_number)]
    return EXIT_CODES[signal.SIGINT]


def interruption(interrupt: KeyboardInterrupt) -> str:
    """Give how a step stopped by an interrupt is recorded: `interrupted (SIGTERM)`."""
    if isinstance(interrupt, Stopped):
        return f"interrupted ({signal.Signals(interrupt.signal_number).name})"
    return "interrupted (Ctrl-C)"
