"""Swarm rotation and allocation (spec 3.3) and the safe replacement order (spec 4.2).

This module decides which wallet rests which grid level, and in which order the wallets
replace their orders so that the swarm never crosses itself.

A *segment* is a level's index along its side, innermost first (bid segment 0 is the best bid,
ask segment 0 the best ask). Bid and ask segments are counted separately, so in the mixed mode
(no side split) bid segment s and ask segment s start in the same wallet. With the side split
the bids rotate over the first ``ceil(W / 2)`` wallets and the asks over the other
``floor(W / 2)`` (an odd swarm gives the bid half the extra wallet), each side applying the
rotation formula modulo the size of its half; a wallet then never holds both sides, which is
what makes a safe one-wallet-at-a-time replacement order always exist.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, gt, lt, mul

from bmvbot.core.config import SwarmParams
from bmvbot.core.errors import ConfigError, InvariantError
from bmvbot.core.types import FEES_SCALE, BaseLots, Grid, Level, QuoteLots, Side, WalletId

_BID = Side.BID
_ASK = Side.ASK
_PRICE = attrgetter("price_lots")
_SIZE = attrgetter("size_base_lots")
_WALLET = attrgetter("wallet")
_QUOTE_FUNDS = attrgetter("quote_lots")
_BASE_FUNDS = attrgetter("base_lots")
_IDENTITY = attrgetter("side", "price_lots", "size_base_lots")
_STAGE = attrgetter("stage")


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

    ``N = B * P`` quote lots; with a positive maker fee the smallest ``Q`` with
    ``Q - ceil(Q * fee / 1e6) >= N``, because the program takes the fee out of the budget
    (openbook-v2.md section 6.4), which is ``ceil(N * 1e6 / (1e6 - fee))``. A rebate or zero
    fee needs no margin.

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
    # Q = ceil(N * S / (S - f)) gives Q * (S - f) >= N * S, i.e. the integer Q - N is at
    # least Q * f / S and so at least its ceil; Q - 1 falls short by the same argument
    return -(-notional * FEES_SCALE // (FEES_SCALE - maker_fee_ppm))


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

    The per-wallet orders are kept as parallel tuples (``bids[i]`` and ``asks[i]`` belong to
    ``wallet_ids[i]``), which keeps the per-tick allocation cheap; ``wallets`` and
    ``orders_of`` give them as ``WalletOrders``.

    Attributes:
        wallet_ids: every wallet of the swarm, empty ones included (they must cancel what
            rests).
        bids: per wallet, its bids best first.
        asks: per wallet, its asks best first.
        unplaced: levels no wallet could take (no free slot or not enough funds), grid order.

    Raises:
        InvariantError: the three per-wallet tuples differ in length.
    """

    wallet_ids: tuple[WalletId, ...]
    bids: tuple[tuple[Level, ...], ...]
    asks: tuple[tuple[Level, ...], ...]
    unplaced: tuple[Level, ...] = ()

    def __post_init__(self) -> None:
        if not len(self.wallet_ids) == len(self.bids) == len(self.asks):
            raise InvariantError(
                f"allocation needs bids and asks for each of {len(self.wallet_ids)} wallets, "
                f"was {len(self.bids)} bid and {len(self.asks)} ask entries"
            )

    @classmethod
    def of(cls, wallets: Sequence[WalletOrders], unplaced: tuple[Level, ...] = ()) -> Allocation:
        """Return the allocation that gives each wallet the orders listed for it."""
        return cls(
            tuple(orders.wallet for orders in wallets),
            tuple(orders.bids for orders in wallets),
            tuple(orders.asks for orders in wallets),
            unplaced,
        )

    @property
    def wallets(self) -> tuple[WalletOrders, ...]:
        """Return every wallet's orders, in swarm order."""
        return tuple(map(WalletOrders, self.wallet_ids, self.bids, self.asks))

    def orders_of(self, wallet: WalletId) -> WalletOrders:
        """Return the orders of ``wallet``.

        Raises:
            KeyError: the wallet is not part of the allocation.
        """
        try:
            index = self.wallet_ids.index(wallet)
        except ValueError:
            raise KeyError(wallet) from None
        return WalletOrders(wallet, self.bids[index], self.asks[index])


def check_uncrossed(grid: Grid) -> None:
    """Check that bids fall strictly and asks rise strictly, and every bid is below every ask.

    Raises:
        InvariantError: two levels of a side are out of order or on one tick, a level sits on
            the wrong side's tuple, or a bid is at or above an ask.
    """
    bid_prices = [level.price_lots for level in grid.bids if level.side is _BID]
    if len(bid_prices) != len(grid.bids) or not all(map(gt, bid_prices, bid_prices[1:])):
        raise InvariantError(
            f"grid bids must be bids with strictly falling prices, was {grid.bids}"
        )
    ask_prices = [level.price_lots for level in grid.asks if level.side is _ASK]
    if len(ask_prices) != len(grid.asks) or not all(map(lt, ask_prices, ask_prices[1:])):
        raise InvariantError(f"grid asks must be asks with strictly rising prices, was {grid.asks}")
    if bid_prices and ask_prices and bid_prices[0] >= ask_prices[0]:
        raise InvariantError(
            f"crossed grid: best bid {bid_prices[0]} is at or above best ask {ask_prices[0]} ticks"
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


def _wallet_ids(wallets: Sequence[WalletFunds], params: SwarmParams) -> tuple[WalletId, ...]:
    if len(wallets) != params.wallet_count:
        raise ConfigError(
            f"swarm.wallet_count is {params.wallet_count} but {len(wallets)} wallets were given",
            key="swarm.wallet_count",
        )
    wallet_ids = tuple(map(_WALLET, wallets))
    if len(set(wallet_ids)) != len(wallet_ids):
        raise ConfigError(
            f"swarm wallets must be distinct, was {list(wallet_ids)}", key="swarm.wallets"
        )
    return wallet_ids


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
    wallet_ids = _wallet_ids(wallets, params)
    epoch = rotation_epoch(now_ns, params.tick_interval_ns)
    bid_group, ask_group = side_groups(len(wallets), params.is_side_split)
    slots = [params.max_orders_per_account - funds.blocked_slots for funds in wallets]
    if maker_fee_ppm > 0:
        bid_costs = [
            bid_quote_lots_needed(level.price_lots, level.size_base_lots, maker_fee_ppm)
            for level in grid.bids
        ]
    else:
        bid_costs = list(map(mul, map(_PRICE, grid.bids), map(_SIZE, grid.bids)))
    quote_lots: list[int] = list(map(_QUOTE_FUNDS, wallets))
    base_lots: list[int] = list(map(_BASE_FUNDS, wallets))
    ask_costs: list[int] = list(map(_SIZE, grid.asks))
    bids, bid_unplaced = _spread(grid.bids, bid_costs, quote_lots, slots, bid_group, epoch)
    asks, ask_unplaced = _spread(grid.asks, ask_costs, base_lots, slots, ask_group, epoch)
    return Allocation(
        wallet_ids,
        tuple(map(tuple, bids)),
        tuple(map(tuple, asks)),
        tuple(bid_unplaced + ask_unplaced),
    )


def _spread(
    levels: tuple[Level, ...],
    costs: list[int],
    funds: list[int],
    slots: list[int],
    group: range,
    epoch: int,
) -> tuple[list[list[Level]], list[Level]]:
    # funds and slots are consumed in place: the bid pass leaves fewer slots for the asks
    placed: list[list[Level]] = [[] for _ in funds]
    unplaced: list[Level] = []
    first, end = group.start, group.stop
    # the rotation's wallet for segment 0; each next segment is the next wallet of the group
    position = first + epoch % len(group)
    for level, cost in zip(levels, costs, strict=True):
        target = position
        while slots[target] <= 0 or funds[target] < cost:
            target = target + 1 if target + 1 < end else first
            if target == position:
                unplaced.append(level)
                break
        else:
            slots[target] -= 1
            funds[target] -= cost
            placed[target].append(level)
        position = position + 1 if position + 1 < end else first
    return placed, unplaced


class StepKind(enum.Enum):
    """What one replacement step sends for one wallet."""

    CANCEL = "cancel"
    """Cancel every order of the wallet and place nothing."""
    REPLACE = "replace"
    """Cancel every order of the wallet and place its new orders (cancel_all_and_place_orders)."""


@dataclass(frozen=True, slots=True)
class ReplacementStep:
    """One wallet's step.

    Attributes:
        wallet: the wallet.
        kind: what the step sends.
        bids: the bids it places, best first (none for CANCEL).
        asks: the asks it places, best first (none for CANCEL).
        stage: the steps of one stage may run in any order or at once, once every step of
            the earlier stages has landed; default 0.
    """

    wallet: WalletId
    kind: StepKind
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    stage: int = 0


@dataclass(frozen=True, slots=True)
class ReplacementPlan:
    """The order in which wallets replace their orders.

    Attributes:
        steps: the steps, sorted by stage; executing them one by one in this order is safe,
            and so is executing each stage's steps together after the previous stage landed.
    """

    steps: tuple[ReplacementStep, ...]

    @property
    def stages(self) -> tuple[tuple[ReplacementStep, ...], ...]:
        """Return the steps grouped by stage, first stage first (empty plan: no stage)."""
        count = max((step.stage for step in self.steps), default=-1) + 1
        return tuple(
            tuple(step for step in self.steps if step.stage == stage) for stage in range(count)
        )

    @property
    def is_single_pass(self) -> bool:
        """Return True when every wallet appears at most once (no cancel-first detour).

        False is the flag that no safe one-step-per-wallet sequence exists: some wallets must
        cancel first and place later, leaving their levels empty in between.
        """
        return len({step.wallet for step in self.steps}) == len(self.steps)


_NO_ASK = 2**63
# above every price an order can carry (prices are i64 on chain); 0 is below every bid


def _bounds(levels: Sequence[Level]) -> tuple[int, int]:
    # the crossing-relevant extremes of a set of orders: highest bid, lowest ask
    max_bid, min_ask = 0, _NO_ASK
    for level in levels:
        if level.side is _BID:
            max_bid = max(max_bid, level.price_lots)
        else:
            min_ask = min(min_ask, level.price_lots)
    return max_bid, min_ask


def _blockers(
    wallet: WalletId, stale: dict[WalletId, tuple[int, int]], placed: tuple[int, int]
) -> set[WalletId]:
    # a post-only order crossing a stale one would not rest (and across wallets it would be a
    # self trade of the swarm), so every wallet whose stale orders it crosses must go first
    max_bid, min_ask = placed
    return {
        other
        for other, (stale_bid, stale_ask) in stale.items()
        if other != wallet and (max_bid >= stale_ask or min_ask <= stale_bid)
    }


def plan_replacement(
    resting: Mapping[WalletId, Sequence[Level]], allocation: Allocation
) -> ReplacementPlan:
    """Return a safe order of per-wallet replacement steps (spec 4.2).

    A wallet's step cancels all its resting orders and places its new ones. Wallet ``w`` may
    go only when none of its new orders crosses (bid >= ask) a stale order still resting in
    another wallet, so for every prefix of the plan the placed new orders cross neither the
    remaining stale orders nor each other. Wallets whose orders do not change send nothing;
    wallets with no new orders (or absent from the allocation) get a CANCEL step.

    Each step gets a stage: one past the latest stage that removed stale orders it waits for
    (0 when it waits for none). Steps of one stage never cross each other's stale orders, so
    they may run in any order or at once, once the earlier stages landed; ``steps`` lists
    them by stage, swarm order within a stage.

    With the side split and uncrossed old and new grids a single pass always exists, in at
    most two stages: a cycle, or an edge each way, would need a stale bid above a stale ask
    (after a rise the ask wallets go first, after a fall the bid wallets). Otherwise,
    when every remaining wallet is blocked, the wallet blocking the most others cancels
    first (stage 0) and places later; the plan then has ``is_single_pass`` False.

    Raises:
        InvariantError: the allocation is crossed.
    """
    check_uncrossed(
        Grid(
            tuple(sorted((b for bids in allocation.bids for b in bids), key=_PRICE, reverse=True)),
            tuple(sorted((a for asks in allocation.asks for a in asks), key=_PRICE)),
        )
    )
    new_orders = {orders.wallet: orders for orders in allocation.wallets}
    empty = WalletOrders(WalletId(""))
    pending = [
        wallet
        for wallet in [*new_orders, *sorted(set(resting) - set(new_orders))]
        if sorted(map(_IDENTITY, resting.get(wallet, ())))
        != sorted(map(_IDENTITY, new_orders.get(wallet, empty).levels))
    ]
    stale = {wallet: _bounds(resting.get(wallet, ())) for wallet in pending}
    # blockers[w]: the wallets whose stale orders w's new orders would cross
    blockers = {
        wallet: _blockers(wallet, stale, _bounds(new_orders.get(wallet, empty).levels))
        for wallet in pending
    }
    steps = _sequence(pending, blockers, new_orders)
    return ReplacementPlan(tuple(sorted(steps, key=_STAGE)))


def _sequence(
    pending: list[WalletId],
    blockers: dict[WalletId, set[WalletId]],
    new_orders: dict[WalletId, WalletOrders],
) -> list[ReplacementStep]:
    # Kahn's order over "must go after" with cancel-first to break cycles; a step's stage is
    # one past the stage that removed the last stale orders it waited for
    waits_for = {wallet: set(others) for wallet, others in blockers.items()}
    removed_at: dict[WalletId, int] = {}
    steps: list[ReplacementStep] = []
    while pending:
        wallet = next((w for w in pending if not blockers[w]), None)
        if wallet is None:
            # everyone waits on someone: the wallet most others wait on cancels first; a
            # cancel places nothing, so it can go in the first stage
            wallet = max(pending, key=lambda v: sum(v in blockers[w] for w in pending))
            steps.append(ReplacementStep(wallet, StepKind.CANCEL))
            removed_at[wallet] = 0
        else:
            # after the steps that removed what it waited for; a wallet that cancelled first
            # waited for someone, so its replacement lands after its stage-0 cancel too
            stage = max((removed_at[other] + 1 for other in waits_for[wallet]), default=0)
            orders = new_orders.get(wallet, WalletOrders(wallet))
            kind = StepKind.REPLACE if orders.levels else StepKind.CANCEL
            steps.append(ReplacementStep(wallet, kind, orders.bids, orders.asks, stage))
            removed_at.setdefault(wallet, stage)
            pending.remove(wallet)
        for waiting in blockers.values():
            waiting.discard(wallet)
    return steps
