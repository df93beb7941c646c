"""``SimClock``: simulated time that moves only when told to (Simulation Lab, tests).

It starts at a fixed epoch (2026-01-01T00:00:00Z) unless given another start, never reads the
wall clock and never goes backwards.
"""

from __future__ import annotations

from bmvbot.core.errors import InvariantError
from bmvbot.ports.clock import Clock

SIM_EPOCH_NS = 1_767_225_600 * 1_000_000_000
"""2026-01-01T00:00:00Z in UTC nanoseconds: where every ``SimClock`` starts by default."""


class SimClock(Clock):
    """A clock advanced by hand: ``advance(ns)`` or ``set(ns)``; monotonic."""

    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = SIM_EPOCH_NS) -> None:
        if start_ns < 0:
            raise InvariantError(f"SimClock start_ns must be >= 0, was {start_ns}")
        self._now_ns = start_ns

    def now_ns(self) -> int:
        """Return the simulated time in UTC nanoseconds."""
        return self._now_ns

    def advance(self, ns: int) -> int:
        """Move time forward by ``ns`` nanoseconds and return the new time.

        Raises:
            InvariantError: ``ns`` is negative (time never goes backwards).
        """
        if ns < 0:
            raise InvariantError(f"SimClock.advance needs ns >= 0, was {ns}")
        self._now_ns += ns
        return self._now_ns

    def set(self, ns: int) -> None:
        """Jump to the absolute time ``ns``.

        Raises:
            InvariantError: ``ns`` is before the current time.
        """
        if ns < self._now_ns:
            raise InvariantError(
                f"SimClock.set cannot go backwards: now is {self._now_ns}, was asked for {ns}"
            )
        self._now_ns = ns
