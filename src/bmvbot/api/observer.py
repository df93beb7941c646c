"""What the API sees of a running bot beyond ``TradingState``: the book, fills, rebalances, latency.

``VenueTap`` wraps the trading service's venue (it is a ``Venue`` itself): every call goes
through unchanged, and the tap keeps the last L2 book (for the imbalance index), the recent
swarm fills and rebalance reports (numbered, for the event stream), and the wall-clock latency
of each venue operation in bounded rings (for p50/p99). ``observe`` rebuilds a session's
service on a tapped venue before it starts.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bmvbot.bootstrap import TradingSession
from bmvbot.core.swarm import ReplacementPlan
from bmvbot.core.types import L2Snapshot, Lamports, MarketSpec, WalletId
from bmvbot.ports.venue import ExecutionReport, MarketSnapshot, MarketTrade, Venue
from bmvbot.services.trading import TradingService

RECENT_EVENTS = 1000
"""Fills and rebalances kept for the event stream (older ones are dropped)."""
LATENCY_SAMPLES = 2048
"""Latency samples kept per operation."""


@dataclass(frozen=True, slots=True)
class FillEvent:
    """One swarm fill seen in a snapshot (numbered in arrival order)."""

    seq: int
    trade: MarketTrade


@dataclass(frozen=True, slots=True)
class RebalanceEvent:
    """One plan sent to the venue and what came back (numbered in arrival order)."""

    seq: int
    ts_ns: int
    steps: int
    report: ExecutionReport | None


def percentile(samples: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of ``samples`` (None when empty).

    ``rank = ceil(fraction * n)``, clamped to 1..n, on the sorted samples.
    """
    if not samples:
        return None
    ordered = sorted(samples)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


class VenueTap(Venue):
    """A ``Venue`` that forwards to another and remembers what the API shows."""

    def __init__(self, venue: Venue) -> None:
        """Wrap ``venue``."""
        self._venue = venue
        self.book: L2Snapshot | None = None
        self.fills: deque[FillEvent] = deque(maxlen=RECENT_EVENTS)
        self.rebalances: deque[RebalanceEvent] = deque(maxlen=RECENT_EVENTS)
        self.latency_ms: dict[str, deque[float]] = {}
        self.last_snapshot_ns: int | None = None
        # venue calls finished: the service's state changes only around them (or by
        # pause/resume), so (calls, is_paused) identifies one picture of the bot
        self.venue_failures = 0
        self.calls = 0
        self._seq = 0

    @contextmanager
    def _timed(self, operation: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        except Exception:
            self.venue_failures += 1
            raise
        finally:
            ring = self.latency_ms.setdefault(operation, deque(maxlen=LATENCY_SAMPLES))
            ring.append((time.perf_counter() - start) * 1000.0)
            self.calls += 1  # what the API shows may have changed: see ``calls``

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def market_spec(self) -> MarketSpec:
        """Return the wrapped venue's market."""
        return await self._venue.market_spec()

    async def wallets(self) -> tuple[WalletId, ...]:
        """Return the wrapped venue's wallets."""
        return await self._venue.wallets()

    async def snapshot(self) -> MarketSnapshot:
        """Return the wrapped venue's snapshot; keep its book and swarm fills."""
        with self._timed("snapshot"):
            snapshot = await self._venue.snapshot()
        self.book = snapshot.book
        self.last_snapshot_ns = snapshot.ts_ns
        for trade in snapshot.trades:
            if trade.is_swarm_fill:
                self.fills.append(FillEvent(self._next_seq(), trade))
        return snapshot

    async def execute(self, plan: ReplacementPlan, tip_lamports: Lamports) -> ExecutionReport:
        """Send ``plan`` through the wrapped venue; keep the report."""
        with self._timed("execute"):
            report = await self._venue.execute(plan, tip_lamports)
        ts_ns = self.last_snapshot_ns or 0
        self.rebalances.append(RebalanceEvent(self._next_seq(), ts_ns, len(plan.steps), report))
        return report

    async def cancel_all(self, tip_lamports: Lamports) -> ExecutionReport:
        """Cancel every swarm order through the wrapped venue; keep the report."""
        with self._timed("cancel_all"):
            report = await self._venue.cancel_all(tip_lamports)
        ts_ns = self.last_snapshot_ns or 0
        self.rebalances.append(RebalanceEvent(self._next_seq(), ts_ns, 0, report))
        return report

    def latency_percentiles(self) -> dict[str, tuple[float | None, float | None, int]]:
        """Return ``operation -> (p50_ms, p99_ms, samples)`` over the kept samples."""
        return {
            name: (percentile(list(ring), 0.50), percentile(list(ring), 0.99), len(ring))
            for name, ring in sorted(self.latency_ms.items())
        }


def observe(session: TradingSession, *, tip_lamports: int) -> tuple[TradingSession, VenueTap]:
    """Return ``session`` with its service rebuilt on a tapped venue, and the tap.

    Call before the first tick: the original service is dropped unused.
    """
    tap = VenueTap(session.venue)
    service = TradingService(
        tap,
        session.clock,
        session.service.params,
        tip_lamports=tip_lamports,
        journal=session.journal,
    )
    return dataclasses.replace(session, service=service), tap
