"""Swarm rotation and allocation (spec 3.3) and the safe replacement order (spec 4.2).

This module decides which wallet rests which grid level, and in which order the wallets
replace their orders so that the swarm never crosses itself.

A *segment* is a level's index along its side, innermost first (bid segment 0 is the best bid,
ask segment 0 the best ask). Bid and ask segments are counted separately, so in the mixed mode
(no side split) bid segment s and ask segment s start in the same wallet.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bmvbot.core.config import SwarmParams
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.types import FEES_SCALE, BaseLots, Grid, Level, QuoteLots, Side, WalletId


def rotation_epoch(now_ns: int, tick_interval_ns: int) -> int:
    """Return ``floor(now / TickInterval)``, the rotation counter of spec 3.3.

    Raises:
        ConfigError: ``tick_interval_ns`` is not positive.
    """
    if tick_interval_ns <= 0:
        raise ConfigError(
            f"swarm.tick_interval_s must be > 0, was {tick_interval_ns} ns",
            key="swarm.tick_interval_s",
        )
    return now_ns // tick_interval_ns


def wallet_index(segment_index: int, now_ns: int, wallet_count: int, tick_interval_ns: int) -> int:
    """Return ``(SegmentIdx + floor(Now / TickInterval)) mod WalletCount`` (spec 3.3).

    With one wallet the answer is always 0. Over ``wallet_count`` consecutive rotation epochs a
    segment visits every wallet exactly once.

    Raises:
        ConfigError: ``wallet_count`` or ``tick_interval_ns`` is not positive.
    """
    if wallet_count <= 0:
        raise ConfigError(
            f"swarm.wallet_count must be >= 1, was {wallet_count}", key="swarm.wallet_count"
        )
    return (segment_index + rotation_epoch(now_ns, tick_interval_ns)) % wallet_count


def bid_quote_lots_needed(price_lots: int, size_base_lots: int, maker_fee_ppm: int = 0) -> int:
    """Return the quote lots a post-only bid of ``size_base_lots`` at ``price_lots`` locks.

    ``B * P`` quote lots; with a positive maker fee the smallest ``Q`` with
    ``Q - ceil(Q * fee / 1e6) >= B * P``, because the program takes the fee out of the budget
    (openbook-v2.md section 6.4). A rebate or zero fee needs no margin.

    Raises:
        ConfigError: ``maker_fee_ppm`` is 100 % or more (no budget could rest the order).
    """
    notional = price_lots * size_base_lots
    if maker_fee_ppm <= 0:
        return notional
    if maker_fee_ppm >= FEES_SCALE:
        raise ConfigError(
            f"market.maker_fee_ppm must be below {FEES_SCALE}, was {maker_fee_ppm}",
            key="market.maker_fee_ppm",
        )
    needed = -(-notional * FEES_SCALE // (FEES_SCALE - maker_fee_ppm))
    # the ceil of the fee can leave the first guess one lot short
    while needed - -(-needed * maker_fee_ppm // FEES_SCALE) < notional:
        needed += 1
    return needed


@dataclass(frozen=True, slots=True)
class WalletFunds:
    """What one swarm wallet can commit to the new grid.

    Attributes:
        wallet: the wallet's id.
        base_lots: base available for asks (token account + OpenOrders free), in base lots.
        quote_lots: quote available for bids (token account + OpenOrders free), in quote lots.
        blocked_slots: OpenOrders slots still held after a cancel-all (filled orders whose
            events are not processed yet); default 0.
    """

    wallet: WalletId
    base_lots: BaseLots
    quote_lots: QuoteLots
    blocked_slots: int = 0

    def __post_init__(self) -> None:
        if self.base_lots < 0 or self.quote_lots < 0 or self.blocked_slots < 0:
            raise InvariantError(
                f"wallet funds must not be negative, was wallet={self.wallet} "
                f"base_lots={self.base_lots} quote_lots={self.quote_lots} "
                f"blocked_slots={self.blocked_slots}"
            )


@dataclass(frozen=True, slots=True)
class WalletOrders:
    """The orders one wallet rests in an allocation: bids and asks, best first."""

    wallet: WalletId
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()

    @property
    def levels(self) -> tuple[Level, ...]:
        """Return every order of the wallet, bids first."""
        return self.bids + self.asks


@dataclass(frozen=True, slots=True)
class Allocation:
    """The grid spread over the swarm: one entry per wallet, in swarm order, plus what is left.

    Attributes:
        wallets: every wallet of the swarm, empty ones included (they must cancel what rests).
        unplaced: levels no wallet could take (no free slot or not enough funds), grid order.
    """

    wallets: tuple[WalletOrders, ...]
    unplaced: tuple[Level, ...] = ()

    def orders_of(self, wallet: WalletId) -> WalletOrders:
        """Return the orders of ``wallet``.

        Raises:
            KeyError: the wallet is not part of the allocation.
        """
        for orders in self.wallets:
            if orders.wallet == wallet:
                return orders
        raise KeyError(wallet)


def check_uncrossed(grid: Grid) -> None:
    """Check that bids fall strictly and asks rise strictly, and every bid is below every ask.

    Raises:
        InvariantError: two levels of a side are out of order or on one tick, a level sits on
            the wrong side's tuple, or a bid is at or above an ask.
    """
    previous = None
    for level in grid.bids:
        if level.side is not Side.BID or (previous is not None and level.price_lots >= previous):
            raise InvariantError(
                f"grid bids must be bids with strictly falling prices, was {grid.bids}"
            )
        previous = level.price_lots
    previous = None
    for level in grid.asks:
        if level.side is not Side.ASK or (previous is not None and level.price_lots <= previous):
            raise InvariantError(
                f"grid asks must be asks with strictly rising prices, was {grid.asks}"
            )
        previous = level.price_lots
    if grid.bids and grid.asks and grid.bids[0].price_lots >= grid.asks[0].price_lots:
        raise InvariantError(
            f"crossed grid: best bid {grid.bids[0].price_lots} is at or above best ask "
            f"{grid.asks[0].price_lots} ticks"
        )


def side_groups(wallet_count: int, is_side_split: bool) -> tuple[range, range]:
    """Return the wallet positions that rest bids and the ones that rest asks.

    Side split: bids rotate over the first ``ceil(W / 2)`` wallets and asks over the remaining
    ``floor(W / 2)``, so with an odd count the bid half gets the extra wallet. Without the
    split both sides rotate over the whole swarm.

    Raises:
        ConfigError: the split needs at least two wallets.
    """
    if not is_side_split:
        return range(wallet_count), range(wallet_count)
    if wallet_count < 2:
        raise ConfigError(
            f"swarm.side_split needs wallet_count >= 2, was {wallet_count}",
            key="swarm.side_split",
        )
    half = (wallet_count + 1) // 2
    return range(half), range(half, wallet_count)


def _check_wallets(wallets: Sequence[WalletFunds], params: SwarmParams) -> None:
    if len(wallets) != params.wallet_count:
        raise ConfigError(
            f"swarm.wallet_count is {params.wallet_count} but {len(wallets)} wallets were given",
            key="swarm.wallet_count",
        )
    if len({funds.wallet for funds in wallets}) != len(wallets):
        raise ConfigError(
            f"swarm wallets must be distinct, was {[funds.wallet for funds in wallets]}",
            key="swarm.wallets",
        )


def allocate(
    grid: Grid,
    wallets: Sequence[WalletFunds],
    params: SwarmParams,
    now_ns: int,
    *,
    maker_fee_ppm: int = 0,
) -> Allocation:
    """Return the allocation of ``grid`` over the swarm at ``now_ns`` (spec 3.3).

    Each level goes to wallet ``(segment + floor(now / tick_interval)) mod G`` of its side's
    group of G wallets (see ``side_groups``). When that wallet has no free OpenOrders slot
    (``max_orders_per_account - blocked_slots``) or too little quote (bids, see
    ``bid_quote_lots_needed``) or base (asks), the next wallet of the group in rotation order
    is tried; a level no wallet of the group can take is reported in ``unplaced``. Levels are
    served innermost first, so inner levels win funds over outer ones. One wallet (no split)
    takes everything it can fund; an empty grid gives every wallet an empty entry.

    Raises:
        InvariantError: the grid is crossed or out of order (see ``check_uncrossed``).
        ConfigError: the wallet list does not match ``params`` or repeats a wallet.
    """
    check_uncrossed(grid)
    _check_wallets(wallets, params)
    epoch = rotation_epoch(now_ns, params.tick_interval_ns)
    bid_group, ask_group = side_groups(len(wallets), params.is_side_split)
    slots = [params.max_orders_per_account - funds.blocked_slots for funds in wallets]
    bid_costs = [
        bid_quote_lots_needed(level.price_lots, level.size_base_lots, maker_fee_ppm)
        for level in grid.bids
    ]
    ask_costs = [int(level.size_base_lots) for level in grid.asks]
    bids, bid_unplaced = _spread(
        grid.bids, bid_costs, [int(funds.quote_lots) for funds in wallets], slots, bid_group, epoch
    )
    asks, ask_unplaced = _spread(
        grid.asks, ask_costs, [int(funds.base_lots) for funds in wallets], slots, ask_group, epoch
    )
    return Allocation(
        wallets=tuple(
            WalletOrders(funds.wallet, tuple(bids[i]), tuple(asks[i]))
            for i, funds in enumerate(wallets)
        ),
        unplaced=tuple(bid_unplaced + ask_unplaced),
    )


def _spread(
    levels: tuple[Level, ...],
    costs: Sequence[int],
    funds: list[int],
    slots: list[int],
    group: range,
    epoch: int,
) -> tuple[list[list[Level]], list[Level]]:
    # funds and slots are consumed in place: the bid pass leaves fewer slots for the asks
    placed: list[list[Level]] = [[] for _ in funds]
    unplaced: list[Level] = []
    size = len(group)
    first = group.start
    for segment, level in enumerate(levels):
        cost = costs[segment]
        start = segment + epoch
        for offset in range(size):
            position = first + (start + offset) % size
            if slots[position] > 0 and funds[position] >= cost:
                slots[position] -= 1
                funds[position] -= cost
                placed[position].append(level)
                break
        else:
            unplaced.append(level)
    return placed, unplaced


class StepKind(enum.Enum):
    """What one replacement step sends for one wallet."""

    CANCEL = "cancel"
    """Cancel every order of the wallet and place nothing."""
    REPLACE = "replace"
    """Cancel every order of the wallet and place its new orders (cancel_all_and_place_orders)."""


@dataclass(frozen=True, slots=True)
class ReplacementStep:
    """One wallet's step: its kind and the orders it places (none for CANCEL)."""

    wallet: WalletId
    kind: StepKind
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplacementPlan:
    """The order in which wallets replace their orders.

    Attributes:
        steps: the steps, to be executed strictly in this order.
    """

    steps: tuple[ReplacementStep, ...]

    @property
    def is_single_pass(self) -> bool:
        """Return True when every wallet appears at most once (no cancel-first detour).

        False is the flag that no safe one-step-per-wallet sequence exists: some wallets must
        cancel first and place later, leaving their levels empty in between.
        """
        return len({step.wallet for step in self.steps}) == len(self.steps)


@dataclass(slots=True)
class _Bounds:
    # the crossing-relevant extremes of a set of orders: highest bid, lowest ask
    max_bid: int | None = None
    min_ask: int | None = None

    @classmethod
    def of(cls, levels: Sequence[Level]) -> _Bounds:
        bids = [level.price_lots for level in levels if level.side is Side.BID]
        asks = [level.price_lots for level in levels if level.side is Side.ASK]
        return cls(max(bids, default=None), min(asks, default=None))

    def is_crossed_by(self, placed: _Bounds) -> bool:
        # a post-only order crossing one of these would not rest (and across wallets it is a
        # self trade of the swarm)
        bid_crosses = (
            placed.max_bid is not None
            and self.min_ask is not None
            and placed.max_bid >= self.min_ask
        )
        ask_crosses = (
            placed.min_ask is not None
            and self.max_bid is not None
            and placed.min_ask <= self.max_bid
        )
        return bid_crosses or ask_crosses


def _sort_key(level: Level) -> tuple[int, int, int]:
    return (level.side, level.price_lots, level.size_base_lots)


def plan_replacement(
    resting: Mapping[WalletId, Sequence[Level]], allocation: Allocation
) -> ReplacementPlan:
    """Return a safe order of per-wallet replacement steps (spec 4.2).

    A wallet's step cancels all its resting orders and places its new ones. Wallet ``w`` may
    go only when none of its new orders crosses (bid >= ask) a stale order still resting in
    another wallet, so for every prefix of the plan the placed new orders cross neither the
    remaining stale orders nor each other. Wallets whose orders do not change send nothing;
    wallets with no new orders (or absent from the allocation) get a CANCEL step. Among the
    wallets free to go, the first in swarm order goes first.

    With the side split and uncrossed old and new grids a single pass always exists (a cycle
    would need a stale bid above a stale ask). Otherwise, when every remaining wallet is
    blocked, the wallet blocking the most others cancels first and places later; the plan
    then has ``is_single_pass`` False.

    Raises:
        InvariantError: the allocation is crossed.
    """
    new_orders = {orders.wallet: orders for orders in allocation.wallets}
    check_uncrossed(
        Grid(
            tuple(sorted((b for o in allocation.wallets for b in o.bids), key=_sort_key)[::-1]),
            tuple(sorted((a for o in allocation.wallets for a in o.asks), key=_sort_key)),
        )
    )
    order = list(new_orders) + sorted(set(resting) - set(new_orders))
    empty = WalletOrders(WalletId(""))
    pending = [
        wallet
        for wallet in order
        if sorted(resting.get(wallet, ()), key=_sort_key)
        != sorted(new_orders.get(wallet, empty).levels, key=_sort_key)
    ]
    stale = {wallet: _Bounds.of(resting.get(wallet, ())) for wallet in pending}
    placed = {wallet: _Bounds.of(new_orders.get(wallet, empty).levels) for wallet in pending}
    steps: list[ReplacementStep] = []
    while pending:
        wallet = next(
            (
                w
                for w in pending
                if not any(stale[v].is_crossed_by(placed[w]) for v in stale if v != w)
            ),
            None,
        )
        if wallet is None:
            wallet = max(
                stale,
                key=lambda v: sum(stale[v].is_crossed_by(placed[w]) for w in pending if w != v),
            )
            steps.append(ReplacementStep(wallet, StepKind.CANCEL))
            del stale[wallet]
            continue
        orders = new_orders.get(wallet, empty)
        kind = StepKind.REPLACE if orders.levels else StepKind.CANCEL
        steps.append(ReplacementStep(wallet, kind, orders.bids, orders.asks))
        pending.remove(wallet)
        stale.pop(wallet, None)
    return ReplacementPlan(tuple(steps))
