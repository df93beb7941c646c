"""``SystemClock``: the wall clock, and the only code in bmvbot that reads it."""

from __future__ import annotations

import time

from bmvbot.ports.clock import Clock


class SystemClock(Clock):
    """UTC wall-clock time in integer nanoseconds (``time.time_ns``)."""

    __slots__ = ()

    def now_ns(self) -> int:
        """Return the current UTC time in nanoseconds since the Unix epoch."""
        return time.time_ns()
