"""The latency timing helper: ``async with timer.measure("rpc", "get_slot"): ...``.

``LatencyRecorder`` implements the ``LatencyTimer`` port. Each measured call appends one
``LatencySample`` (monotonic duration in ms, wall time from the injected Clock, whether the body
raised) to an in-memory buffer; ``flush`` (or the ``run`` loop) writes the buffer to a
``LatencyStore`` in one batch, off the measured path. Samples are diagnostics, not money: when
the buffer is full the oldest are dropped and counted in ``dropped_count``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

from bmvbot.core.errors import StoreError
from bmvbot.ports.clock import Clock
from bmvbot.ports.store import LatencySample, LatencyStore, LatencyTimer

_log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class LatencyRecorder(LatencyTimer):
    """Measure I/O calls and batch the samples into a ``LatencyStore``."""

    def __init__(self, store: LatencyStore, clock: Clock, *, max_buffered: int = 10_000) -> None:
        self._store = store
        self._clock = clock
        self._buffer: deque[LatencySample] = deque(maxlen=max_buffered)
        self.dropped_count = 0

    @asynccontextmanager
    async def measure(self, component: str, operation: str) -> AsyncIterator[None]:
        """Time the body; record ``latency_ms`` and ``is_ok`` (False when the body raised)."""
        ts_ns = self._clock.now_ns()
        started = time.perf_counter()
        is_ok = False
        try:
            yield
            is_ok = True
        finally:
            latency_ms = (time.perf_counter() - started) * 1_000.0
            self.record(LatencySample(ts_ns, component, operation, latency_ms, is_ok))

    def timed(
        self, component: str, operation: str
    ) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
        """Return a decorator that measures every call of an async function."""

        def decorate(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
            @functools.wraps(function)
            async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                async with self.measure(component, operation):
                    return await function(*args, **kwargs)

            return wrapper

        return decorate

    def record(self, sample: LatencySample) -> None:
        """Buffer one sample (dropping the oldest when the buffer is full)."""
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped_count += 1
        self._buffer.append(sample)

    @property
    def pending(self) -> int:
        """Return how many samples wait to be written."""
        return len(self._buffer)

    async def flush(self) -> int:
        """Write the buffered samples in one batch and return how many were written.

        On a store error the samples stay buffered and the error is raised.
        """
        batch = list(self._buffer)
        if not batch:
            return 0
        self._buffer.clear()
        try:
            await self._store.add_latency_samples(batch)
        except StoreError:
            # put them back in front of anything recorded meanwhile, within the bound
            newer = list(self._buffer)
            self._buffer.clear()
            for sample in batch + newer:
                self.record(sample)
            raise
        return len(batch)

    async def run(self, interval_s: float = 1.0) -> None:
        """Flush every ``interval_s`` until cancelled; store errors are logged and retried."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.flush()
            except StoreError as error:
                _log.warning("latency samples not stored pending=%d: %s", self.pending, error)
