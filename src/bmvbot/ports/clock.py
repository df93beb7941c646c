"""The Clock port: the only way code outside adapters learns the time."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """A source of UTC time in integer nanoseconds."""

    def now_ns(self) -> int:
        """Return the current UTC time in nanoseconds since the Unix epoch."""
        ...
