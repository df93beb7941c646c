"""The VWAP pivot (spec 2.1, 2.2): organic trade window, deduplication, seed decay, 24h anchor.

``PivotEngine`` owns the lookback window of organic trades (integer accumulators, O(1) amortized
per trade), the decaying seed, the external 24h term and the deduplication of trades that reach
it twice (live stream and storage). It never reads a clock: time comes in as ``now_ns``.

Public API:
    ``TradeId``: a trade's identity (transaction signature + event sequence, or a fill id).
    ``Trade``, ``TradeBucket``, ``TradeHistory``: validated inputs for the slow paths and for a
        warm start from storage.
    ``PivotEngine``: ``add_trade`` (hot path, plain ints), ``add``, ``set_external``,
        ``clear_external``, ``warm_start``, ``evict``, ``state``.
    ``PivotState``: the pivot as an exact rational, with ``has_pivot`` and ``price_lots``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from bmvbot.core.config import PivotParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.types import NS_PER_DAY

FILL_ID_EVENT_SEQ = -1
"""``TradeId.event_seq`` of an identity made from a venue fill id (no event sequence)."""

_NEVER_NS = -(2**63)


class TradeId(NamedTuple):
    """Identity of one trade, the same whichever source reports it.

    A tuple rather than a dataclass so that building and hashing one stays cheap on the hot path.

    Attributes:
        signature: the transaction signature (base58), or the venue's fill id.
        event_seq: the fill event's sequence number; ``FILL_ID_EVENT_SEQ`` for a fill id.
    """

    signature: str
    event_seq: int

    @classmethod
    def from_fill_id(cls, fill_id: str) -> TradeId:
        """Return the identity of a trade known by the venue's fill id.

        Raises:
            InvariantError: ``fill_id`` is empty.
        """
        if not fill_id:
            raise InvariantError("a fill id must not be empty, was ''")
        return cls(fill_id, FILL_ID_EVENT_SEQ)


def _check_trade_numbers(price_lots: object, size_base_lots: object) -> None:
    # bool is an int subclass but never a price or a size
    for name, value in (("price_lots", price_lots), ("size_base_lots", size_base_lots)):
        if type(value) is not int or value <= 0:
            raise InvariantError(f"a trade needs a positive integer {name}, was {value!r}")


@dataclass(frozen=True, slots=True)
class Trade:
    """One organic trade, validated (for the slow paths; the hot path takes plain ints).

    Raises:
        InvariantError: the price or size is not a positive integer.
    """

    ts_ns: int
    price_lots: int
    size_base_lots: int
    trade_id: TradeId

    def __post_init__(self) -> None:
        _check_trade_numbers(self.price_lots, self.size_base_lots)


@dataclass(frozen=True, slots=True)
class TradeBucket:
    """Stored trades pre-aggregated over a short span (e.g. one minute) for a warm start.

    A bucket enters and leaves the lookback window as one unit, at ``ts_ns``; a store should
    stamp it with the time of its newest trade (``max(ts)``) so no trade leaves the window early.

    Attributes:
        ts_ns: the time the bucket ages by, UTC ns.
        price_volume_sum: ``Σ price_lots·size_base_lots`` over its trades (quote lots).
        volume_base_lots: ``Σ size_base_lots`` over its trades.

    Raises:
        InvariantError: a sum is not a positive integer, or the average price is below one tick.
    """

    ts_ns: int
    price_volume_sum: int
    volume_base_lots: int

    def __post_init__(self) -> None:
        for name in ("price_volume_sum", "volume_base_lots"):
            value = getattr(self, name)
            if type(value) is not int or value <= 0:
                raise InvariantError(
                    f"a trade bucket needs a positive integer {name}, was {value!r}"
                )
        if self.price_volume_sum < self.volume_base_lots:
            raise InvariantError(
                "a trade bucket's average price must be at least one tick, was "
                f"price_volume_sum={self.price_volume_sum} volume_base_lots={self.volume_base_lots}"
            )


@dataclass(frozen=True, slots=True)
class TradeHistory:
    """What a store hands the engine to rebuild it: buckets up to a point, single trades after.

    One aggregate query gives the buckets (``GROUP BY minute`` of ``max(ts), Σ P·V, Σ V`` for
    ``ts <= aggregated_through_ns``), one plain query the recent trades with their ids. Live
    trades at or before ``aggregated_through_ns`` are then known to be counted; later ones are
    deduplicated by id, so ``aggregated_through_ns`` should be at most ``now - dedup_window``
    and the store must hold every trade up to it.

    Raises:
        InvariantError: a bucket is later than ``aggregated_through_ns`` or a trade is not.
    """

    aggregated_through_ns: int
    buckets: tuple[TradeBucket, ...] = ()
    trades: tuple[Trade, ...] = ()

    def __post_init__(self) -> None:
        late = [b.ts_ns for b in self.buckets if b.ts_ns > self.aggregated_through_ns]
        early = [t.ts_ns for t in self.trades if t.ts_ns <= self.aggregated_through_ns]
        if late or early:
            raise InvariantError(
                "buckets must end and trades start at aggregated_through_ns="
                f"{self.aggregated_through_ns}, was bucket ts_ns={late[:3]} trade ts_ns={early[:3]}"
            )


@dataclass(frozen=True, slots=True)
class PivotState:
    """The pivot at one instant, as an exact rational ``numerator / denominator`` ticks.

    Both terms are scaled by the same positive factor (so only their ratio means anything);
    ``denominator == 0`` is the explicit "no pivot" state: no trade in the window, no seed
    weight left and no fresh external quote.

    Attributes:
        numerator: ``Σ price·volume`` of all three terms, scaled.
        denominator: ``Σ volume`` of all three terms, with the same scale; 0 for no pivot.
        organic_volume_base_lots: ``Σ Vi`` of the trades in the window.
        seed_volume_base_lots: ``Vseed`` (may be fractional), 0.0 once the seed has decayed.
        external_volume_base_lots: ``V24h·external_weight``, 0.0 when unset or stale.
        window_entry_count: trades and buckets in the window.
    """

    numerator: int
    denominator: int
    organic_volume_base_lots: int
    seed_volume_base_lots: float
    external_volume_base_lots: float
    window_entry_count: int

    @property
    def has_pivot(self) -> bool:
        """Return True when any term carries weight."""
        return self.denominator > 0

    @property
    def price_lots(self) -> float:
        """Return the pivot in (fractional) ticks.

        Raises:
            InvariantError: there is no pivot (check ``has_pivot`` first).
        """
        if self.denominator <= 0:
            raise InvariantError(
                "there is no pivot yet (no trade in the window, no seed, no fresh external "
                "quote); check has_pivot before reading price_lots"
            )
        return self.numerator / self.denominator

    def as_fraction(self) -> Fraction:
        """Return the exact pivot in ticks (same rule as ``price_lots``)."""
        if self.denominator <= 0:
            raise InvariantError("there is no pivot yet; check has_pivot before as_fraction")
        return Fraction(self.numerator, self.denominator)


def _positive_ratio(name: str, value: object) -> tuple[int, int]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvariantError(f"external {name} must be a number, was {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InvariantError(f"external {name} must be finite and > 0, was {value!r}")
    return value.as_integer_ratio()


class PivotEngine:
    """Maintain the pivot (spec 2.1, 2.2) over a sliding window of organic trades.

    ``Pivot = (Σ Pi·Vi + Pseed·Vseed + P24h·V24h) / (Σ Vi + Vseed + V24h)`` where

    - ``Σ`` runs over the trades with ``now - lookback < ts <= now`` (later ones count too), kept
      in a deque with integer accumulators; entries are evicted as they age out, by ``evict`` and
      ``state``, so a call costs O(1) amortized per trade;
    - ``Vseed = max(0, LookbackDays - ElapsedDays)·NominalDailyVolume`` with fractional
      ``ElapsedDays = max(0, now - seed_start) / 1 day``: exactly 0 from ``seed_start +
      lookback`` on, and ``LookbackDays·NominalDailyVolume`` before the start;
    - ``V24h`` is the external volume times ``external_weight``, and 0 when no quote is set or
      the quote is older than ``external_max_age_ns`` (an age of exactly the maximum counts).

    A trade older than the newest one (late delivery) is inserted in timestamp order, at a
    cost that grows with the number of newer trades it passes; in-order trades cost O(1).

    Deduplication: a trade's ``TradeId`` is remembered while its timestamp is within
    ``dedup_window_ns`` of ``now``; a trade that arrives later than that, or older than the
    window, is dropped (it cannot be told apart from a duplicate), and so is any trade at or
    before a warm start's ``aggregated_through_ns``. ``dedup_window_ns == 0`` turns
    deduplication off: every trade in the window counts. Call ``evict`` (``state`` does) at
    least once per tick: memory is bounded by the trades between two calls plus the window.
    Querying an earlier ``now`` than a previous call does not bring evicted trades back.
    """

    __slots__ = (
        "_accept_after_ns",
        "_dedup_window_ns",
        "_external",
        "_is_dedup",
        "_newest_ns",
        "_params",
        "_seen",
        "_seen_order",
        "_sum_pv",
        "_sum_v",
        "_trades",
        "_weight_ratio",
    )

    def __init__(self, params: PivotParams) -> None:
        """Create an engine with no trade, no external quote and the seed of ``params``."""
        self._params = params
        self._dedup_window_ns = params.dedup_window_ns
        self._is_dedup = params.dedup_window_ns > 0
        self._weight_ratio = params.external_weight.as_integer_ratio()
        self._trades: deque[tuple[int, int, int]] = deque()
        self._seen: set[TradeId] = set()
        self._seen_order: deque[tuple[int, TradeId]] = deque()
        self._sum_pv = 0
        self._sum_v = 0
        self._newest_ns = _NEVER_NS
        self._accept_after_ns = _NEVER_NS
        self._external: tuple[int, tuple[int, int], tuple[int, int]] | None = None

    @property
    def params(self) -> PivotParams:
        """Return the parameters the engine runs with."""
        return self._params

    def add_trade(
        self, ts_ns: int, price_lots: int, size_base_lots: int, trade_id: TradeId
    ) -> bool:
        """Count one organic trade; return False when it was dropped (duplicate or too old).

        The hot path: plain ints, no allocation beyond the window entry.

        Raises:
            InvariantError: the price or size is not a positive integer (NaN, float, <= 0).
        """
        price_volume = price_lots * size_base_lots
        # one type check covers both factors: an int product means two ints (or a bool)
        if price_volume.__class__ is not int or price_lots <= 0 or size_base_lots <= 0:
            _check_trade_numbers(price_lots, size_base_lots)
        if ts_ns <= self._accept_after_ns:
            return False
        if self._is_dedup:
            seen = self._seen
            if trade_id in seen:
                return False
            seen.add(trade_id)
            self._seen_order.append((ts_ns, trade_id))
        if ts_ns >= self._newest_ns:
            self._trades.append((ts_ns, price_volume, size_base_lots))
            self._newest_ns = ts_ns
        else:
            self._insert_late((ts_ns, price_volume, size_base_lots))
        self._sum_pv += price_volume
        self._sum_v += size_base_lots
        return True

    def add(self, trade: Trade) -> bool:
        """Count one validated ``Trade``; same rules as ``add_trade``."""
        return self.add_trade(trade.ts_ns, trade.price_lots, trade.size_base_lots, trade.trade_id)

    def _insert_late(self, entry: tuple[int, int, int]) -> None:
        # a late trade usually lands near the end: walk back from the right to keep ts order
        trades = self._trades
        index = len(trades)
        while index > 0 and trades[index - 1][0] > entry[0]:
            index -= 1
        trades.insert(index, entry)

    def set_external(
        self, observed_ns: int, price_lots: float, volume_24h_base_lots: float
    ) -> None:
        """Set the external 24h anchor ``P24h``/``V24h`` observed at ``observed_ns``.

        Replaces the previous quote. Fractional ticks and lots are kept exactly.

        Raises:
            InvariantError: the price or volume is not a finite number > 0.
        """
        price = _positive_ratio("price_lots", price_lots)
        volume = _positive_ratio("volume_24h_base_lots", volume_24h_base_lots)
        self._external = (observed_ns, price, volume)

    def clear_external(self) -> None:
        """Forget the external quote (its weight becomes 0)."""
        self._external = None

    def evict(self, now_ns: int) -> None:
        """Drop trades at or before ``now - lookback`` and identities past the dedup window."""
        horizon = now_ns - self._params.lookback_ns
        if self._is_dedup:
            horizon = max(horizon, now_ns - self._dedup_window_ns)
        if horizon > self._accept_after_ns:
            self._accept_after_ns = horizon
        self._evict_entries(now_ns - self._params.lookback_ns)
        order = self._seen_order
        seen = self._seen
        accept_after = self._accept_after_ns
        while order and order[0][0] <= accept_after:
            seen.discard(order.popleft()[1])

    def _evict_entries(self, cutoff_ns: int) -> None:
        trades = self._trades
        while trades and trades[0][0] <= cutoff_ns:
            _, price_volume, volume = trades.popleft()
            self._sum_pv -= price_volume
            self._sum_v -= volume

    def warm_start(self, now_ns: int, history: TradeHistory) -> None:
        """Rebuild the window from storage, keeping live trades the store does not cover.

        Window entries at or before ``history.aggregated_through_ns`` are replaced by the
        buckets; later live trades stay, and the stored trades are added with the usual
        deduplication, so a trade seen live and stored counts once. Afterwards a trade at or
        before ``aggregated_through_ns`` is dropped.
        """
        through_ns = history.aggregated_through_ns
        kept = [entry for entry in self._trades if entry[0] > through_ns]
        buckets = sorted((b.ts_ns, b.price_volume_sum, b.volume_base_lots) for b in history.buckets)
        self._trades = deque(buckets + kept)
        self._sum_pv = sum(entry[1] for entry in self._trades)
        self._sum_v = sum(entry[2] for entry in self._trades)
        self._newest_ns = self._trades[-1][0] if self._trades else _NEVER_NS
        self._accept_after_ns = max(self._accept_after_ns, through_ns)
        for trade in history.trades:
            self.add(trade)
        self.evict(now_ns)

    def state(self, now_ns: int) -> PivotState:
        """Evict aged entries and return the pivot at ``now_ns`` (see the class docstring).

        The result is exact: all terms are brought to one integer scale (1 day in ns times the
        denominators of the external price, volume and weight), so nothing is rounded.
        """
        self.evict(now_ns)
        seed_price, seed_scaled = self._seed_terms(now_ns)
        ext_price, ext_volume = self._external_terms(now_ns)
        (pn, pd), (vn, vd) = ext_price, ext_volume
        # everything over the common scale NS_PER_DAY·pd·vd: seed is volume·NS_PER_DAY
        scale = NS_PER_DAY * pd * vd
        numerator = self._sum_pv * scale + seed_price * seed_scaled * pd * vd + pn * vn * NS_PER_DAY
        denominator = self._sum_v * scale + seed_scaled * pd * vd + vn * NS_PER_DAY * pd
        common = math.gcd(numerator, denominator)
        if common > 1:
            numerator //= common
            denominator //= common
        return PivotState(
            numerator=numerator,
            denominator=denominator,
            organic_volume_base_lots=self._sum_v,
            seed_volume_base_lots=seed_scaled / NS_PER_DAY,
            external_volume_base_lots=vn / vd,
            window_entry_count=len(self._trades),
        )

    def _seed_terms(self, now_ns: int) -> tuple[int, int]:
        # returns (Pseed, Vseed·NS_PER_DAY) so fractional ElapsedDays stays an exact integer
        params = self._params
        if params.seed_price_lots is None or params.seed_daily_volume_base_lots == 0:
            return 0, 0
        elapsed_ns = max(0, now_ns - params.seed_start_ns)
        remaining_ns = max(0, params.lookback_ns - elapsed_ns)
        return params.seed_price_lots, remaining_ns * params.seed_daily_volume_base_lots

    def _external_terms(self, now_ns: int) -> tuple[tuple[int, int], tuple[int, int]]:
        # returns (P24h, V24h·weight) as (numerator, denominator) pairs; weight 0 -> (0, 1)
        external = self._external
        wn, wd = self._weight_ratio
        if external is None or wn == 0:
            return (0, 1), (0, 1)
        observed_ns, price, (vn, vd) = external
        if now_ns - observed_ns > self._params.external_max_age_ns:
            return (0, 1), (0, 1)
        return price, (vn * wn, vd * wd)
