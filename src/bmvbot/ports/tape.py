"""The tape port: a recorded L2 market (tape v1) that our simulated orders rest on.

A ``TapeSource`` is a loaded tape; ``open_market`` gives a ``TapeMarket``, the replay's
matching side: it walks the tape's events, fills our resting orders by the queue-position
model of tape v1 and wakes the strategy only at events that can matter (see ``ReplayWatch``).
Every price is in ticks and every size in lots of the tape's instrument.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import Grid, L2Snapshot, Side


@dataclass(frozen=True, slots=True)
class DecimalStep:
    """A positive decimal increment (a tick or a lot) held exactly: ``mantissa * 10**-exponent``.

    Attributes:
        mantissa: a positive integer.
        exponent: decimal places, >= 0 (``0.0001`` is ``(1, 4)``, ``25`` is ``(25, 0)``).
    """

    mantissa: int
    exponent: int

    def __post_init__(self) -> None:
        if self.mantissa <= 0 or self.exponent < 0:
            raise ConfigError(
                f"a decimal step needs mantissa > 0 and exponent >= 0, was "
                f"{self.mantissa}e-{self.exponent}"
            )

    @classmethod
    def parse(cls, text: str, name: str) -> DecimalStep:
        """Return the step written as ``text`` (``"0.0001"``), exactly.

        Raises:
            ConfigError: ``text`` is not a finite decimal number > 0 with at most 18 places.
        """
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value <= 0:
            raise ConfigError(f"--{name} must be a decimal number > 0, was {text!r}", key=name)
        _, digits, exponent = value.as_tuple()
        mantissa = int("".join(map(str, digits)))
        if not isinstance(exponent, int):  # pragma: no cover -- finite Decimals have an int one
            raise ConfigError(f"--{name} must be a decimal number > 0, was {text!r}", key=name)
        if exponent > 0:
            mantissa, exponent = mantissa * 10**exponent, 0
        if -exponent > 18:
            raise ConfigError(
                f"--{name} must have at most 18 decimal places, was {text!r}", key=name
            )
        return cls(mantissa, -exponent)

    @property
    def decimal(self) -> Decimal:
        """Return the step as a ``Decimal``."""
        return Decimal(self.mantissa).scaleb(-self.exponent)

    def __str__(self) -> str:
        return format(self.decimal, "f")


@dataclass(frozen=True, slots=True)
class ReplayLatency:
    """Constant latency between sending a replacement and its arrival at the matching engine.

    Attributes:
        events: the orders arrive after this many more events (0: after the current one).
        ns: or, when > 0, after the last event within this many ns of the sending event.
    """

    events: int = 0
    ns: int = 0

    def __post_init__(self) -> None:
        if self.events < 0 or self.ns < 0 or (self.events and self.ns):
            raise ConfigError(
                f"latency must be >= 0 in events or in ns (not both), was events={self.events} "
                f"ns={self.ns}",
                key="latency",
            )


@dataclass(frozen=True, slots=True)
class ReplayWatch:
    """What the strategy wants to be woken for (beyond fills, arrivals and the last event).

    Attributes:
        market_low_lots: wake when the market price (mid, else last trade) is at or below this.
        market_high_lots: wake when the market price is at or above this.
        wake_at_ns: wake at the first event at or after this time.
        is_trade_watched: wake at every tape trade.
        is_top_watched: wake whenever the best bid or best ask changes.
        is_every_event_watched: wake at every event.
        best_bid_range: wake when the best bid leaves this closed range of ticks (or the bid
            side empties).
        best_ask_range: wake when the best ask leaves this closed range (or the side empties).
        pivot_range: wake when the volume-weighted price of the tape's trades in the window
            ``(ts - pivot_window_ns, ts]`` leaves this closed range (or the window empties).
        pivot_window_ns: the window of ``pivot_range``.
    """

    market_low_lots: float | None = None
    market_high_lots: float | None = None
    wake_at_ns: int | None = None
    is_trade_watched: bool = False
    is_top_watched: bool = False
    is_every_event_watched: bool = False
    best_bid_range: tuple[int, int] | None = None
    best_ask_range: tuple[int, int] | None = None
    pivot_range: tuple[float, float] | None = None
    pivot_window_ns: int | None = None


EVERY_EVENT = ReplayWatch(is_every_event_watched=True)
"""Wake at every event (the reference schedule)."""


@dataclass(frozen=True, slots=True)
class TapeFill:
    """One fill of our resting order, at its own price, as maker."""

    ts_ns: int
    side: Side
    price_lots: int
    size_base_lots: int


@dataclass(frozen=True, slots=True)
class TapeStep:
    """The market after one event the strategy is woken for.

    Attributes:
        index: the event's row number (0-based, header excluded).
        ts_ns: its time.
        best_bid_lots: best bid of the tape's book after the event, None when empty.
        best_ask_lots: best ask, None when empty.
        trade_ts_ns: tape trades since the previous step (times), oldest first.
        trade_price_lots: their prices.
        trade_size_base_lots: their sizes.
        fills: our fills since the previous step.
        is_pending: a replacement sent earlier has not reached the matching engine yet.
        resting: our resting orders (remaining sizes) as a grid.
    """

    index: int
    ts_ns: int
    best_bid_lots: int | None
    best_ask_lots: int | None
    trade_ts_ns: list[int]
    trade_price_lots: list[int]
    trade_size_base_lots: list[int]
    fills: tuple[TapeFill, ...]
    is_pending: bool
    resting: Grid


@dataclass(frozen=True, slots=True)
class TapeCounters:
    """Order counters of the matching side.

    Attributes:
        orders_submitted: new orders sent (kept orders are not resent).
        post_only_rejects: new orders that would have crossed the tape's book on arrival.
        open_orders: orders resting now.
    """

    orders_submitted: int
    post_only_rejects: int
    open_orders: int


class TapeMarket(Protocol):
    """The tape's book plus our simulated resting orders (queue-position fills)."""

    @property
    def event_count(self) -> int:
        """Return the number of events (rows) of the tape."""
        ...

    def advance(self, watch: ReplayWatch) -> TapeStep | None:
        """Process events up to the next one ``watch`` asks for (or a fill, or the last event).

        Returns None once the last event has been returned.
        """
        ...

    def replace(self, grid: Grid) -> None:
        """Send ``grid`` to replace every resting order (cancel all, then place).

        An order whose side, price and remaining size equal a level of ``grid`` stays and
        keeps its queue position; the others are cancelled; the new levels are placed
        post-only when they arrive (see ``ReplayLatency``).
        """
        ...

    def book(self, depth: int) -> L2Snapshot:
        """Return the top ``depth`` levels per side of the tape's book after the current event."""
        ...

    def trade_time_ns(self, ordinal: int) -> int:
        """Return the time of the tape's ``ordinal``-th trade (0-based)."""
        ...

    def can_watch_pivot(self, window_ns: int) -> bool:
        """Return True when ``ReplayWatch.pivot_range`` works for this window on this tape."""
        ...

    @property
    def counters(self) -> TapeCounters:
        """Return the order counters so far."""
        ...


class TapeSource(Protocol):
    """A loaded tape."""

    @property
    def event_count(self) -> int:
        """Return the number of events (rows)."""
        ...

    def open_market(self, latency: ReplayLatency) -> TapeMarket:
        """Return a fresh market over this tape (indexes its book; no order rests yet)."""
        ...
