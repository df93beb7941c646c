"""The swarm's fills as a position: fills per side, average-cost PnL, fees, self trades.

``Portfolio`` reads the venue's ``MarketTrade``s, keeps the ones where a swarm wallet took
part, and keeps the swarm-wide position in integers: base lots and its cost basis in native
quote. Realized PnL follows the average-cost rule; unrealized PnL marks the open position.
"""

from __future__ import annotations

from collections.abc import Iterable

from bmvbot.core.types import MarketSpec, Side
from bmvbot.ports.venue import MarketTrade
from bmvbot.services.state import PnlState


def _div_toward_zero(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


class Portfolio:
    """Accumulate the swarm's fills (integers only) and report them as a ``PnlState``.

    Average cost: buying into a long (or selling into a short) adds ``size·price·qls`` to the
    cost basis; a trade against the position closes ``c = min(|trade|, |position|)`` lots and
    realizes ``sign(position)·c·price·qls - cost·c/|position|`` (the cost share rounded toward
    zero), and any rest opens a new position at the trade price. Unrealized PnL is
    ``position·mark·qls - cost``. A swarm wallet on both sides of one fill is a self trade:
    it is counted and leaves the position unchanged (nothing changed hands outside the swarm).
    """

    def __init__(self, market: MarketSpec) -> None:
        """Create an empty portfolio for ``market`` (its quote lot size values the fills)."""
        self._quote_lot_size = market.quote_lot_size
        self._position = 0
        self._cost = 0
        self._realized = 0
        self._fees = 0
        self._fills = [0, 0]
        self._volume = [0, 0]
        self._self_trades = 0
        self._mark: int | None = None

    def add_trades(self, trades: Iterable[MarketTrade]) -> list[MarketTrade]:
        """Count the swarm's fills among ``trades``; return those fills, in order."""
        fills = []
        for trade in trades:
            if trade.maker_wallet is None and trade.taker_wallet is None:
                continue
            fills.append(trade)
            if trade.maker_wallet is not None and trade.taker_wallet is not None:
                self._self_trades += 1
                self._fees += trade.maker_fee_native + trade.taker_fee_native
                continue
            is_maker = trade.maker_wallet is not None
            side = trade.taker_side.opposite if is_maker else trade.taker_side
            self._fees += trade.maker_fee_native if is_maker else trade.taker_fee_native
            self._add_fill(side, trade.price_lots, trade.size_base_lots)
        return fills

    def _add_fill(self, side: Side, price_lots: int, size_base_lots: int) -> None:
        self._fills[side] += 1
        self._volume[side] += size_base_lots
        signed = size_base_lots if side is Side.BID else -size_base_lots
        position = self._position
        if position and (position > 0) != (signed > 0):
            closed = min(abs(signed), abs(position))
            cost_share = _div_toward_zero(self._cost * closed, abs(position))
            direction = 1 if position > 0 else -1
            self._realized += direction * closed * price_lots * self._quote_lot_size - cost_share
            self._cost -= cost_share
            self._position -= direction * closed
            signed += direction * closed
        if signed:
            self._position += signed
            self._cost += signed * price_lots * self._quote_lot_size

    def mark(self, price_lots: int) -> None:
        """Set the mark price (ticks) the open position is valued at."""
        self._mark = price_lots

    @property
    def state(self) -> PnlState:
        """Return the fills and PnL so far."""
        unrealized = 0
        if self._mark is not None:
            unrealized = self._position * self._mark * self._quote_lot_size - self._cost
        return PnlState(
            position_base_lots=self._position,
            cost_quote_native=self._cost,
            realized_quote_native=self._realized,
            unrealized_quote_native=unrealized,
            fees_quote_native=self._fees,
            mark_price_lots=self._mark,
            bid_fills=self._fills[Side.BID],
            ask_fills=self._fills[Side.ASK],
            bought_base_lots=self._volume[Side.BID],
            sold_base_lots=self._volume[Side.ASK],
            self_trades=self._self_trades,
        )
