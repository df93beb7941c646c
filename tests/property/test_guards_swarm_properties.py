import dataclasses
import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from bmvbot.core.config import GuardParams, SwarmParams
from bmvbot.core.guards import (
    GuardObservation,
    HoldReason,
    RebalanceReason,
    decide_rebalance,
    is_material_change,
)
from bmvbot.core.swarm import (
    Allocation,
    StepKind,
    WalletFunds,
    allocate,
    bid_quote_lots_needed,
    plan_replacement,
    side_groups,
    wallet_index,
)
from bmvbot.core.types import (
    NS_PER_S,
    BaseLots,
    Grid,
    Level,
    PriceLots,
    QuoteLots,
    Side,
    WalletId,
)

TICK_NS = 60 * NS_PER_S


@st.composite
def grids(draw: st.DrawFn, center: int | None = None, max_levels: int = 16) -> Grid:
    """An uncrossed grid around ``center``: bids strictly falling, asks strictly rising."""
    mid = center if center is not None else draw(st.integers(50, 100_000))
    spread = draw(st.integers(1, max(1, mid // 50)))
    gaps = st.lists(st.integers(1, max(1, mid // 100)), max_size=max_levels)
    sizes = st.integers(1, 1_000)
    bid_prices: list[int] = []
    price = mid
    for gap in draw(gaps):
        price -= gap
        if price <= 0:
            break
        bid_prices.append(price)
    ask_prices: list[int] = []
    price = mid + spread - 1
    for gap in draw(gaps):
        price += gap
        ask_prices.append(price)
    return Grid(
        tuple(Level(Side.BID, PriceLots(p), BaseLots(draw(sizes))) for p in bid_prices),
        tuple(Level(Side.ASK, PriceLots(p), BaseLots(draw(sizes))) for p in ask_prices),
    )


def wallet(n: int) -> WalletId:
    return WalletId(f"w{n:02d}")


def rich_swarm(count: int) -> list[WalletFunds]:
    return [WalletFunds(wallet(i), BaseLots(10**12), QuoteLots(10**15)) for i in range(count)]


@st.composite
def swarm_params(draw: st.DrawFn, max_orders: int = 24) -> SwarmParams:
    is_side_split = draw(st.booleans())
    count = draw(st.integers(2 if is_side_split else 1, 20))
    return SwarmParams(
        wallet_count=count,
        tick_interval_ns=TICK_NS,
        max_orders_per_account=draw(st.integers(1, max_orders)),
        is_side_split=is_side_split,
    )


@given(
    count=st.integers(1, 64),
    segments=st.integers(1, 64),
    epoch=st.integers(-(10**9), 10**9),
    offset_ns=st.integers(0, TICK_NS - 1),
)
def test_wallet_index_full_cycle_visits_every_wallet_once(
    count: int, segments: int, epoch: int, offset_ns: int
) -> None:
    for segment in range(segments):
        visited = [
            wallet_index(segment, (epoch + k) * TICK_NS + offset_ns, count, TICK_NS)
            for k in range(count)
        ]

        assert sorted(visited) == list(range(count))


@given(params=swarm_params(), grid=grids(max_levels=12), epoch=st.integers(0, 10**6))
def test_allocate_full_cycle_gives_each_segment_one_wallet_and_visits_group(
    params: SwarmParams, grid: Grid, epoch: int
) -> None:
    params = dataclasses.replace(params, max_orders_per_account=24)
    bid_group, ask_group = side_groups(params.wallet_count, params.is_side_split)
    seen: dict[tuple[Side, int], set[int]] = {}
    for k in range(max(len(bid_group), len(ask_group))):
        allocation = allocate(grid, rich_swarm(params.wallet_count), params, (epoch + k) * TICK_NS)

        assert allocation.unplaced == ()
        for position, orders in enumerate(allocation.wallets):
            for level in orders.levels:
                side_levels, group = (
                    (grid.bids, bid_group) if level.side is Side.BID else (grid.asks, ask_group)
                )
                segment = side_levels.index(level)
                # nobody is full or short, so the formula's wallet takes the level
                assert position == group.start + wallet_index(
                    segment, (epoch + k) * TICK_NS, len(group), TICK_NS
                )
                seen.setdefault((level.side, segment), set()).add(position)
        placed = Counter(level for orders in allocation.wallets for level in orders.levels)
        assert placed == Counter(grid.levels)
    for (side, _segment), positions in seen.items():
        assert positions == set(bid_group if side is Side.BID else ask_group)


@st.composite
def funded_swarms(draw: st.DrawFn, params: SwarmParams) -> list[WalletFunds]:
    return [
        WalletFunds(
            wallet(i),
            BaseLots(draw(st.integers(0, 5_000))),
            QuoteLots(draw(st.integers(0, 5 * 10**7))),
            blocked_slots=draw(st.integers(0, params.max_orders_per_account)),
        )
        for i in range(params.wallet_count)
    ]


@given(data=st.data(), params=swarm_params(max_orders=4), grid=grids())
def test_allocate_never_crosses_and_respects_slots_and_funds(
    data: st.DataObject, params: SwarmParams, grid: Grid
) -> None:
    wallets = data.draw(funded_swarms(params))
    now_ns = data.draw(st.integers(0, 10**15))
    fee_ppm = data.draw(st.integers(-100, 2_000))

    allocation = allocate(grid, wallets, params, now_ns, maker_fee_ppm=fee_ppm)

    all_bids = [b.price_lots for o in allocation.wallets for b in o.bids]
    all_asks = [a.price_lots for o in allocation.wallets for a in o.asks]
    assert not all_bids or not all_asks or max(all_bids) < min(all_asks)
    placed = [level for o in allocation.wallets for level in o.levels]
    assert Counter(placed) + Counter(allocation.unplaced) == Counter(grid.levels)
    for funds, orders in zip(wallets, allocation.wallets, strict=True):
        assert len(orders.levels) <= params.max_orders_per_account - funds.blocked_slots
        assert (
            sum(bid_quote_lots_needed(b.price_lots, b.size_base_lots, fee_ppm) for b in orders.bids)
            <= funds.quote_lots
        )
        assert sum(a.size_base_lots for a in orders.asks) <= funds.base_lots


def crosses(a: Level, b: Level) -> bool:
    if a.side is b.side:
        return False
    bid, ask = (a, b) if a.side is Side.BID else (b, a)
    return bid.price_lots >= ask.price_lots


@st.composite
def moves(draw: st.DrawFn) -> tuple[SwarmParams, dict[WalletId, tuple[Level, ...]], Allocation]:
    """Stale orders (some filled away) of an old grid and the allocation after a price move."""
    params = draw(swarm_params())
    old_mid = draw(st.integers(100, 100_000))
    move = draw(st.floats(-0.25, 0.25))
    new_mid = max(50, round(old_mid * (1 + move)))
    old = allocate(
        draw(grids(old_mid)), rich_swarm(params.wallet_count), params, draw(st.integers(0, 50))
    )
    new = allocate(
        draw(grids(new_mid)), rich_swarm(params.wallet_count), params, draw(st.integers(0, 50))
    )
    resting = {
        orders.wallet: tuple(level for level in orders.levels if draw(st.integers(0, 9)) > 0)
        for orders in old.wallets
    }
    return params, resting, new


@settings(max_examples=300)
@given(case=moves())
def test_plan_replacement_no_prefix_crosses_and_ends_on_new_allocation(
    case: tuple[SwarmParams, dict[WalletId, tuple[Level, ...]], Allocation],
) -> None:
    params, resting, new = case

    plan = plan_replacement(resting, new)

    book = {w: list(levels) for w, levels in resting.items()}
    for step in plan.steps:
        book[step.wallet] = []
        if step.kind is StepKind.REPLACE:
            others = [level for w, levels in book.items() if w != step.wallet for level in levels]
            placing = step.bids + step.asks
            assert not any(crosses(n, o) for n in placing for o in others)
            book[step.wallet] = list(placing)
    for orders in new.wallets:
        assert Counter(book[orders.wallet]) == Counter(orders.levels)
    if params.is_side_split:
        assert plan.is_single_pass
        assert len(plan.stages) <= 2


@settings(max_examples=300)
@given(case=moves())
def test_plan_replacement_steps_of_one_stage_may_run_together(
    case: tuple[SwarmParams, dict[WalletId, tuple[Level, ...]], Allocation],
) -> None:
    _, resting, new = case

    plan = plan_replacement(resting, new)

    # worst case inside a stage: every stale order of the stage's wallets still rests while
    # every new order of the stage lands
    book = {w: list(levels) for w, levels in resting.items()}
    seen: set[WalletId] = set()
    for stage, steps in enumerate(plan.stages):
        assert steps
        assert all(step.stage == stage for step in steps)
        for step in steps:
            others = [level for w, levels in book.items() if w != step.wallet for level in levels]
            assert not any(crosses(n, o) for n in step.bids + step.asks for o in others)
            # a wallet's cancel-first and its replacement never share a stage
            assert step.wallet not in seen or step.kind is StepKind.REPLACE
        for step in steps:
            book[step.wallet] = list(step.bids + step.asks)
        seen |= {step.wallet for step in steps}
        assert len({step.wallet for step in steps}) == len(steps)


guard_params = st.builds(
    GuardParams,
    deviation_fraction=st.floats(0.001, 0.5),
    is_deviation_enabled=st.booleans(),
    proximity_fraction=st.floats(0.001, 0.5),
    is_proximity_enabled=st.booleans(),
    entropy_interval_ns=st.integers(1, 7200 * NS_PER_S),
    is_entropy_enabled=st.booleans(),
    cooldown_ns=st.integers(0, 60 * NS_PER_S),
    tolerance_price_lots=st.integers(0, 5),
    tolerance_size_fraction=st.floats(0.0, 0.5),
)
prices = st.none() | st.floats(1.0, 200_000.0)
observations = st.builds(
    GuardObservation,
    now_ns=st.integers(0, 10**13),
    market_price_lots=prices,
    last_pivot_lots=prices,
    last_rebalance_ns=st.none() | st.integers(0, 10**13),
    resting=grids(),
    target=grids(),
)


@given(observation=observations, other=observations, params=guard_params)
def test_decide_rebalance_is_a_pure_function_of_its_inputs(
    observation: GuardObservation, other: GuardObservation, params: GuardParams
) -> None:
    first = decide_rebalance(observation, params)
    decide_rebalance(other, params)
    again = decide_rebalance(dataclasses.replace(observation), dataclasses.replace(params))

    assert again == first
    assert first.should_rebalance == (
        first.reason is not RebalanceReason.NONE and first.held_by is None
    )
    assert (first.reason is RebalanceReason.INITIAL) == observation.resting.is_empty
    if first.held_by is HoldReason.COOLDOWN:
        assert observation.last_rebalance_ns is not None
        assert observation.now_ns - observation.last_rebalance_ns < params.cooldown_ns


@given(resting=grids(), target=grids(), params=guard_params, seed=st.randoms())
def test_is_material_change_ignores_level_order_and_is_exact_without_tolerance(
    resting: Grid, target: Grid, params: GuardParams, seed: random.Random
) -> None:
    shuffled = Grid(
        tuple(seed.sample(resting.bids, len(resting.bids))),
        tuple(seed.sample(resting.asks, len(resting.asks))),
    )
    exact = dataclasses.replace(params, tolerance_price_lots=0, tolerance_size_fraction=0.0)

    assert is_material_change(shuffled, target, params) == is_material_change(
        resting, target, params
    )
    assert is_material_change(resting, target, exact) == (resting != target)
    assert not is_material_change(shuffled, resting, params)
