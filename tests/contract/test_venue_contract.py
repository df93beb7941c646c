"""Contract suite of the Venue port, run over every implementation.

Each implementation provides a ``VenueHarness``: the venue on a market nobody else trades, an
outside taker that can hit the book, and ``settle`` (let time pass so a keeper cranks the fills
into the makers' accounts). Only ``SimulatedVenue`` exists so far; ``OpenBookVenue`` on LiteSVM
joins the ``venue`` fixture when it lands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.market import Trader
from bmvbot.adapters.sim.venue import SIM_MARKET_SPEC, SimulatedVenue
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Lamports, Level, MarketSpec, PriceLots, Side, WalletId
from bmvbot.ports.venue import LandingStatus, MarketSnapshot, Venue

TIP = Lamports(10_000)
MID = 125_000
"""1.25 quote per base in ticks of SIM_MARKET_SPEC."""


@dataclass
class VenueHarness:
    """A venue under test and the outside world around it."""

    venue: Venue
    take: Callable[[Side, int, int], int]
    settle: Callable[[], None]


def _simulated() -> VenueHarness:
    clock = SimClock()
    venue = SimulatedVenue.create(SIM_MARKET_SPEC, 3, clock, "quiet", seed=7)
    spec = SIM_MARKET_SPEC
    outsider: Trader = venue.market.open_trader(
        "contract-taker", 10**6 * 10**spec.base_decimals, 10**6 * 10**spec.quote_decimals
    )

    def take(side: Side, price_lots: int, size_base_lots: int) -> int:
        return venue.market.take(outsider, side, price_lots, size_base_lots, venue.market_time_ns)

    def settle() -> None:
        clock.set(max(clock.now_ns(), venue.market_time_ns) + 5_000_000_000)

    return VenueHarness(venue, take, settle)


HARNESSES = {"simulated": _simulated}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> VenueHarness:
    return HARNESSES[request.param]()


def _level(side: Side, offset_ticks: int, size: int) -> Level:
    return Level(side, PriceLots(MID + offset_ticks), BaseLots(size))


def _step(wallet: WalletId, bids: tuple[Level, ...], asks: tuple[Level, ...]) -> ReplacementStep:
    return ReplacementStep(wallet, StepKind.REPLACE, bids, asks)


async def _grid_plan(venue: Venue) -> ReplacementPlan:
    w0, w1, w2 = await venue.wallets()
    return ReplacementPlan(
        (
            _step(w0, (_level(Side.BID, -10, 100), _level(Side.BID, -30, 200)), ()),
            _step(w1, (), (_level(Side.ASK, 10, 100), _level(Side.ASK, 30, 200))),
            _step(w2, (_level(Side.BID, -50, 300),), (_level(Side.ASK, 50, 300),)),
        )
    )


def _identity(snapshot: MarketSnapshot) -> set[tuple[str, Side, int, int]]:
    return {(o.wallet, o.side, o.price_lots, o.size_base_lots) for o in snapshot.orders}


def _swarm_totals(snapshot: MarketSnapshot) -> tuple[int, int]:
    base = sum(b.base_free_native + b.base_locked_native for b in snapshot.balances)
    quote = sum(b.quote_free_native + b.quote_locked_native for b in snapshot.balances)
    return base, quote


@pytest.mark.asyncio
async def test_venue_wallets_are_stable_and_in_swarm_order(harness: VenueHarness) -> None:
    first = await harness.venue.wallets()

    second = await harness.venue.wallets()

    assert first == second
    assert len(first) == len(set(first)) == 3
    assert isinstance(await harness.venue.market_spec(), MarketSpec)


@pytest.mark.asyncio
async def test_venue_execute_plan_snapshot_shows_exactly_placed_orders(
    harness: VenueHarness,
) -> None:
    venue = harness.venue
    plan = await _grid_plan(venue)

    report = await venue.execute(plan, TIP)
    snapshot = await venue.snapshot()

    expected = {
        (step.wallet, level.side, level.price_lots, level.size_base_lots)
        for step in plan.steps
        for level in step.bids + step.asks
    }
    assert report.status is LandingStatus.LANDED
    assert set(report.landed_wallets) == {step.wallet for step in plan.steps}
    assert report.failed_wallets == ()
    assert report.dropped_orders == 0
    assert report.swarm_crossed_orders == 0
    assert report.tips_lamports == TIP
    assert _identity(snapshot) == expected
    assert snapshot.book.best_bid == MID - 10
    assert snapshot.book.best_ask == MID + 10
    assert sum(level.size_base_lots for level in snapshot.book.bids) == 600


@pytest.mark.asyncio
async def test_venue_execute_replaces_previous_orders_of_a_wallet(harness: VenueHarness) -> None:
    venue = harness.venue
    await venue.execute(await _grid_plan(venue), TIP)
    w0 = (await venue.wallets())[0]

    await venue.execute(ReplacementPlan((_step(w0, (_level(Side.BID, -20, 50),), ()),)), TIP)
    snapshot = await venue.snapshot()

    assert {o for o in _identity(snapshot) if o[0] == w0} == {(w0, Side.BID, MID - 20, 50)}


@pytest.mark.asyncio
async def test_venue_cancel_all_empties_the_swarm_orders(harness: VenueHarness) -> None:
    venue = harness.venue
    await venue.execute(await _grid_plan(venue), TIP)

    report = await venue.cancel_all(TIP)
    snapshot = await venue.snapshot()

    assert report.status is LandingStatus.LANDED
    assert snapshot.orders == ()
    assert snapshot.book.bids == ()
    assert snapshot.book.asks == ()
    assert all(b.base_locked_native == 0 == b.quote_locked_native for b in snapshot.balances)


@pytest.mark.asyncio
async def test_venue_crossing_post_only_order_is_dropped_not_matched(
    harness: VenueHarness,
) -> None:
    venue = harness.venue
    w0, w1, _ = await venue.wallets()
    await venue.execute(ReplacementPlan((_step(w0, (), (_level(Side.ASK, 0, 100),)),)), TIP)
    await venue.snapshot()

    crossing = ReplacementPlan((_step(w1, (_level(Side.BID, 5, 100),), ()),))
    report = await venue.execute(crossing, TIP)
    snapshot = await venue.snapshot()

    assert report.dropped_orders == 1
    assert report.swarm_crossed_orders == 1
    assert snapshot.trades == ()
    assert _identity(snapshot) == {(w0, Side.ASK, MID, 100)}


@pytest.mark.asyncio
async def test_venue_trade_is_reported_once_with_the_maker_wallet(harness: VenueHarness) -> None:
    venue = harness.venue
    w0 = (await venue.wallets())[0]
    await venue.execute(ReplacementPlan((_step(w0, (), (_level(Side.ASK, 0, 100),)),)), TIP)
    await venue.snapshot()

    taken = harness.take(Side.BID, MID, 40)
    first = await venue.snapshot()
    second = await venue.snapshot()

    assert taken == 40
    assert len(first.trades) == 1
    trade = first.trades[0]
    assert (trade.maker_wallet, trade.taker_wallet) == (w0, None)
    assert (trade.price_lots, trade.size_base_lots, trade.taker_side) == (MID, 40, Side.BID)
    assert second.trades == ()
    assert _identity(second) == {(w0, Side.ASK, MID, 60)}


@pytest.mark.asyncio
async def test_venue_balances_are_conserved_across_orders_and_fills(
    harness: VenueHarness,
) -> None:
    venue = harness.venue
    spec = await venue.market_spec()
    before = _swarm_totals(await venue.snapshot())
    await venue.execute(await _grid_plan(venue), TIP)
    placed = _swarm_totals(await venue.snapshot())

    harness.take(Side.BID, MID + 10, 70)
    harness.settle()
    filled = await venue.snapshot()

    assert placed == before
    notional = spec.quote_native(MID + 10, 70)
    trade = filled.trades[0]
    assert _swarm_totals(filled) == (
        before[0] - 70 * spec.base_lot_size,
        before[1] + notional - trade.maker_fee_native,
    )
    assert all(b.blocked_slots == 0 for b in filled.balances)
