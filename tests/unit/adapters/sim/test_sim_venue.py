from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from bmvbot.adapters.sim.bundles import BundleLayout, BundleParams, InstructionShape, pack_bundles
from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.market import BASE_MINT, QUOTE_MINT, Trader
from bmvbot.adapters.sim.venue import SIM_MARKET_SPEC, SimulatedVenue, SwarmFunding
from bmvbot.adapters.system import SystemClock
from bmvbot.core.errors import ConfigError, FatalVenueError, RejectedError
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Lamports, Level, MarketSpec, PriceLots, Side, WalletId
from bmvbot.exchange import PlaceOrderArgs, PlaceOrderType
from bmvbot.ports.venue import LandingStatus, MarketSnapshot

TIP = Lamports(10_000)
MID = 125_000


@dataclass
class Quiet:
    venue: SimulatedVenue
    clock: SimClock
    outsider: Trader


def _quiet(
    wallets: int = 3,
    bundles: BundleParams | None = None,
    funding: SwarmFunding | None = None,
    spec: MarketSpec = SIM_MARKET_SPEC,
    seed: int = 5,
) -> Quiet:
    clock = SimClock()
    venue = SimulatedVenue.create(
        spec, wallets, clock, "quiet", seed=seed, funding=funding, bundles=bundles
    )
    outsider = venue.market.open_trader("outsider", 10**16, 10**16)
    return Quiet(venue, clock, outsider)


def _bid(offset: int, size: int = 100) -> Level:
    return Level(Side.BID, PriceLots(MID + offset), BaseLots(size))


def _ask(offset: int, size: int = 100) -> Level:
    return Level(Side.ASK, PriceLots(MID + offset), BaseLots(size))


def _grid(wallets: tuple[WalletId, ...], per_wallet: int = 2) -> ReplacementPlan:
    steps = []
    for index, wallet in enumerate(wallets):
        bids = tuple(_bid(-10 - 10 * (index * per_wallet + k)) for k in range(per_wallet // 2))
        asks = tuple(_ask(10 + 10 * (index * per_wallet + k)) for k in range(per_wallet // 2))
        steps.append(ReplacementStep(wallet, StepKind.REPLACE, bids, asks))
    return ReplacementPlan(tuple(steps))


def _state(quiet: Quiet, snapshot: MarketSnapshot) -> tuple[object, ...]:
    venue = quiet.venue
    ledger = venue.market.exchange.ledger
    return (
        snapshot.orders,
        snapshot.balances,
        snapshot.book,
        ledger.total(BASE_MINT),
        ledger.total(QUOTE_MINT),
        tuple(venue.lamports(w) for w in venue._wallet_ids),
    )


@pytest.mark.asyncio
async def test_venue_failed_bundle_rolls_back_every_step() -> None:
    quiet = _quiet()
    venue = quiet.venue
    wallets = await venue.wallets()
    venue.bundle_params = BundleParams()
    await venue.execute(_grid(wallets), TIP)
    venue.bundle_params = BundleParams(failure_probability=1.0, min_delay_slots=0)
    before = _state(quiet, await venue.snapshot())
    moved = ReplacementPlan(
        tuple(
            ReplacementStep(w, StepKind.REPLACE, (_bid(-500 - i),), (_ask(500 + i),))
            for i, w in enumerate(wallets)
        )
    )

    report = await venue.execute(moved, TIP)
    after = _state(quiet, await venue.snapshot())

    assert report.status is LandingStatus.FAILED
    assert report.failed_wallets == wallets
    assert report.landed_wallets == ()
    assert (report.tips_lamports, report.fees_lamports) == (0, 0)
    assert report.transactions == 1
    assert after == before


@pytest.mark.asyncio
async def test_venue_unlanded_bundle_changes_nothing_and_pays_nothing() -> None:
    quiet = _quiet(bundles=BundleParams(landing_probability=0.0))
    venue = quiet.venue
    before = _state(quiet, await venue.snapshot())

    report = await venue.execute(_grid(await venue.wallets()), TIP)
    after = _state(quiet, await venue.snapshot())

    assert report.status is LandingStatus.FAILED
    assert len(report.bundle_ids) == 1
    assert report.tips_lamports == 0
    assert after == before


@pytest.mark.asyncio
async def test_venue_plan_over_two_bundles_is_not_atomic_and_can_land_partly() -> None:
    for seed in range(60):
        quiet = _quiet(wallets=30, bundles=BundleParams(landing_probability=0.5), seed=seed)
        venue = quiet.venue
        wallets = await venue.wallets()
        report = await venue.execute(_grid(wallets), TIP)
        if report.status is LandingStatus.PARTIAL:
            break
    else:
        pytest.fail("no seed in 0..59 gave a partial landing at probability 0.5")
    snapshot = await venue.snapshot()

    holders = {order.wallet for order in snapshot.orders}
    assert not report.is_atomic
    assert len(report.bundle_ids) == 2
    assert report.landed_wallets + report.failed_wallets == wallets
    assert holders == set(report.landed_wallets)
    assert report.tips_lamports == TIP


@pytest.mark.asyncio
async def test_venue_landing_delay_moves_market_time_by_the_slots() -> None:
    quiet = _quiet(bundles=BundleParams(min_delay_slots=3, max_delay_slots=3, slot_ms=400))
    venue = quiet.venue
    start = quiet.clock.now_ns()

    await venue.execute(_grid(await venue.wallets()), TIP)
    snapshot = await venue.snapshot()

    assert venue.market_time_ns == start + 3 * 400_000_000
    assert snapshot.ts_ns == venue.market_time_ns
    resting = venue.market.market.bids.iter_orders()
    assert {order.timestamp for order in resting} == {(start + 1_200_000_000) // 10**9}


@pytest.mark.asyncio
async def test_venue_landed_bundle_debits_tip_and_fees_from_payers() -> None:
    quiet = _quiet(funding=SwarmFunding(lamports=10**9))
    venue = quiet.venue
    wallets = await venue.wallets()

    report = await venue.execute(_grid(wallets), TIP)

    assert report.status is LandingStatus.LANDED
    assert report.is_atomic
    assert report.fees_lamports == 3 * 5_000
    assert report.tips_lamports == TIP
    assert venue.lamports(wallets[0]) == 10**9 - 3 * 5_000 - TIP
    assert venue.lamports(wallets[1]) == venue.lamports(wallets[2]) == 10**9
    balances = (await venue.snapshot()).balances
    assert balances[0].lamports == 10**9 - 3 * 5_000 - TIP


@pytest.mark.asyncio
async def test_venue_unknown_wallet_raises_fatal_venue_error() -> None:
    venue = _quiet().venue
    plan = ReplacementPlan((ReplacementStep(WalletId("stranger"), StepKind.CANCEL),))

    with pytest.raises(FatalVenueError, match="stranger"):
        await venue.execute(plan, TIP)


@pytest.mark.asyncio
async def test_venue_tip_below_jito_minimum_raises_rejected_error() -> None:
    venue = _quiet().venue

    with pytest.raises(RejectedError, match="tip_lamports must be >= 1000"):
        await venue.execute(_grid(await venue.wallets()), Lamports(999))


@pytest.mark.asyncio
async def test_venue_lamports_short_of_fees_and_rent_raise_fatal_before_sending() -> None:
    quiet = _quiet(funding=SwarmFunding(lamports=900_000))
    venue = quiet.venue
    before = _state(quiet, await venue.snapshot())

    with pytest.raises(FatalVenueError, match="top it up"):
        await venue.execute(_grid(await venue.wallets()), TIP)

    assert _state(quiet, await venue.snapshot()) == before


@pytest.mark.asyncio
async def test_venue_filled_order_blocks_its_slot_until_cranked() -> None:
    quiet = _quiet()
    venue = quiet.venue
    w0 = (await venue.wallets())[0]
    await venue.execute(
        ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), (_ask(0),)),)), TIP
    )
    venue.market.take(quiet.outsider, Side.BID, MID, 100, venue.market_time_ns)

    blocked = (await venue.snapshot()).balances[0]
    full = tuple(_ask(10 + k, 1) for k in range(24))
    report = await venue.execute(
        ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), full),)), TIP
    )
    after = await venue.snapshot()

    assert blocked.blocked_slots == 1
    assert report.status is LandingStatus.LANDED
    assert len(after.orders) == 24
    assert after.balances[0].blocked_slots == 0


@pytest.mark.asyncio
async def test_venue_short_funds_shrink_orders_without_counting_drops() -> None:
    quiet = _quiet(funding=SwarmFunding(base_native=10**9, quote_native=10**9))
    venue = quiet.venue
    w0 = (await venue.wallets())[0]
    plan = ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), (_ask(0, 5_000),)),))

    report = await venue.execute(plan, TIP)
    orders = (await venue.snapshot()).orders

    assert report.dropped_orders == 0
    assert [order.size_base_lots for order in orders] == [1_000]


@pytest.mark.asyncio
async def test_venue_same_wallet_cancel_first_then_replace_in_one_plan() -> None:
    venue = _quiet().venue
    w0, w1, _ = await venue.wallets()
    await venue.execute(
        ReplacementPlan(
            (
                ReplacementStep(w0, StepKind.REPLACE, (_bid(-10),), ()),
                ReplacementStep(w1, StepKind.REPLACE, (), (_ask(10),)),
            )
        ),
        TIP,
    )
    swap = ReplacementPlan(
        (
            ReplacementStep(w0, StepKind.CANCEL),
            ReplacementStep(w1, StepKind.REPLACE, (_bid(-5),), ()),
            ReplacementStep(w0, StepKind.REPLACE, (), (_ask(5),)),
        )
    )

    report = await venue.execute(swap, TIP)
    orders = {(o.wallet, o.side, o.price_lots) for o in (await venue.snapshot()).orders}

    assert report.status is LandingStatus.LANDED
    assert report.dropped_orders == 0
    assert orders == {(w1, Side.BID, MID - 5), (w0, Side.ASK, MID + 5)}


@pytest.mark.asyncio
async def test_venue_cancel_all_without_orders_sends_nothing() -> None:
    venue = _quiet().venue

    report = await venue.cancel_all(TIP)

    assert report.status is LandingStatus.LANDED
    assert report.bundle_ids == ()
    assert report.transactions == 0


@pytest.mark.asyncio
async def test_venue_maker_rebate_is_reported_as_negative_maker_fee() -> None:
    spec = MarketSpec(
        base_lot_size=1_000_000, quote_lot_size=10, maker_fee_ppm=-100, taker_fee_ppm=400
    )
    quiet = _quiet(spec=spec)
    venue = quiet.venue
    w0 = (await venue.wallets())[0]
    await venue.execute(
        ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), (_ask(0),)),)), TIP
    )

    venue.market.take(quiet.outsider, Side.BID, MID, 100, venue.market_time_ns)
    trade = (await venue.snapshot()).trades[0]

    notional = MID * 100 * 10
    assert trade.maker_fee_native == -(notional * 100 // 1_000_000)
    assert trade.taker_fee_native == -(-notional * 400 // 1_000_000)


def test_venue_create_rejects_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="wallet_count"):
        SimulatedVenue.create(wallet_count=0, clock=SimClock())
    with pytest.raises(ConfigError, match="clock"):
        SimulatedVenue.create(wallet_count=1)
    with pytest.raises(ConfigError, match="random_walk"):
        SimulatedVenue.create(wallet_count=1, clock=SimClock(), scenario="nope")


@pytest.mark.asyncio
async def test_venue_on_system_clock_catches_up_to_wall_time() -> None:
    clock = SystemClock()
    venue = SimulatedVenue.create(wallet_count=2, clock=clock, scenario="random_walk", seed=3)

    snapshot = await venue.snapshot()

    assert snapshot.ts_ns >= venue.market_time_ns - 1
    assert snapshot.ts_ns <= clock.now_ns()
    assert snapshot.book.bids
    assert snapshot.book.asks
    assert [b.wallet for b in snapshot.balances] == list(await venue.wallets())


async def _session(seed: int) -> tuple[list[object], list[object]]:
    clock = SimClock()
    venue = SimulatedVenue.create(
        wallet_count=4,
        clock=clock,
        scenario="flash_crash",
        seed=seed,
        bundles=BundleParams(landing_probability=0.8, failure_probability=0.1),
    )
    wallets = await venue.wallets()
    reports: list[object] = []
    trades: list[object] = []
    for _ in range(30):
        clock.advance(10 * 10**9)
        snapshot = await venue.snapshot()
        trades.extend(snapshot.trades)
        mid = int(snapshot.book.mid_price_lots or MID)
        steps = tuple(
            ReplacementStep(
                w,
                StepKind.REPLACE,
                (Level(Side.BID, PriceLots(mid - 150 * (i + 1)), BaseLots(500)),),
                (Level(Side.ASK, PriceLots(mid + 150 * (i + 1)), BaseLots(500)),),
            )
            for i, w in enumerate(wallets)
        )
        reports.append(await venue.execute(ReplacementPlan(steps), TIP))
    return reports, trades


@pytest.mark.asyncio
async def test_venue_same_seed_gives_identical_reports_and_trades() -> None:
    first = await _session(seed=8)
    second = await _session(seed=8)
    other = await _session(seed=9)

    assert first == second
    assert any(getattr(t, "maker_wallet", None) for t in first[1])
    assert first[1] != other[1]


def _fill_bid_side(quiet: Quiet, orders: int) -> None:
    # outside bids well above the swarm's until the bid side holds its 512-order maximum
    market = quiet.venue.market
    traders = [market.open_trader(f"filler-{i}", 0, 10**16) for i in range(orders // 24 + 1)]
    for index in range(orders):
        trader = traders[index // 24]
        args = PlaceOrderArgs(
            Side.BID, MID - 100 + index % 50, 1, 10**12, order_type=PlaceOrderType.POST_ONLY
        )
        market.exchange.place_order(trader.owner, trader.account_id, args, trader.quote_token, 0)


@pytest.mark.parametrize("has_earlier_step", [True, False])
@pytest.mark.asyncio
async def test_venue_exchange_error_in_a_step_undoes_the_whole_bundle(
    has_earlier_step: bool,
) -> None:
    quiet = _quiet()
    venue = quiet.venue
    w0, w1, _ = await venue.wallets()
    before = _state(quiet, await venue.snapshot())
    earlier = (ReplacementStep(w0, StepKind.REPLACE, (), (_ask(100),)),) if has_earlier_step else ()
    plan = ReplacementPlan((*earlier, ReplacementStep(w1, StepKind.REPLACE, (_bid(-900),), ())))
    _fill_bid_side(quiet, 512)
    filled = _state(quiet, await venue.snapshot())

    report = await venue.execute(plan, TIP)
    after = _state(quiet, await venue.snapshot())

    assert len(venue.market.market.bids) == 512
    assert before != filled
    assert report.status is LandingStatus.FAILED
    assert report.failed_wallets == tuple(step.wallet for step in plan.steps)
    assert after == filled


@pytest.mark.asyncio
async def test_venue_dedicated_tip_payer_pays_every_tip() -> None:
    clock = SimClock()
    payer = WalletId("sim-wallet-02")
    venue = SimulatedVenue.create(wallet_count=3, clock=clock, scenario="quiet", tip_payer=payer)
    w0, w1, _ = await venue.wallets()
    plan = ReplacementPlan(
        (
            ReplacementStep(w0, StepKind.REPLACE, (_bid(-10),), ()),
            ReplacementStep(w1, StepKind.REPLACE, (), (_ask(10),)),
        )
    )

    report = await venue.execute(plan, TIP)

    funded = SwarmFunding().lamports
    assert report.fees_lamports == 3 * 5_000  # the payer signs the transaction too
    assert venue.lamports(payer) == funded - TIP
    assert venue.lamports(w0) == funded - 3 * 5_000
    assert venue.lamports(w1) == funded


@pytest.mark.asyncio
async def test_venue_per_wallet_funding_and_a_custom_packer() -> None:
    def one_bundle_per_step(
        shapes: Sequence[InstructionShape], tip_payer: WalletId | None
    ) -> tuple[BundleLayout, ...]:
        return tuple(b for shape in shapes for b in pack_bundles([shape], tip_payer))

    funding = [SwarmFunding(base_native=0), SwarmFunding(quote_native=0)]
    venue = SimulatedVenue.create(
        wallet_count=2,
        clock=SimClock(),
        scenario="quiet",
        funding=funding,
        packer=one_bundle_per_step,
    )
    w0, w1 = await venue.wallets()
    plan = ReplacementPlan(
        (
            ReplacementStep(w0, StepKind.REPLACE, (_bid(-10),), (_ask(10),)),
            ReplacementStep(w1, StepKind.REPLACE, (_bid(-20),), (_ask(20),)),
        )
    )

    report = await venue.execute(plan, TIP)
    orders = {(o.wallet, o.side) for o in (await venue.snapshot()).orders}

    assert len(report.bundle_ids) == 2
    assert not report.is_atomic
    assert report.tips_lamports == 2 * TIP
    assert orders == {(w0, Side.BID), (w1, Side.ASK)}


def test_venue_create_rejects_mismatched_funding_and_foreign_tip_payer() -> None:
    with pytest.raises(ConfigError, match="one SwarmFunding per wallet"):
        SimulatedVenue.create(wallet_count=3, clock=SimClock(), funding=[SwarmFunding()])
    with pytest.raises(ConfigError, match="tip_payer must be a swarm wallet") as caught:
        SimulatedVenue.create(wallet_count=1, clock=SimClock(), tip_payer=WalletId("treasury"))
    assert caught.value.key == "venue.tip_payer"


@pytest.mark.parametrize("field", ["base_native", "quote_native", "lamports"])
def test_swarm_funding_negative_amount_raises_config_error(field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        SwarmFunding(**{field: -1})

    assert caught.value.key == f"funding.{field}"


@pytest.mark.asyncio
async def test_venue_step_over_24_orders_is_rejected_before_anything_happens() -> None:
    quiet = _quiet()
    venue = quiet.venue
    w0 = (await venue.wallets())[0]
    await venue.execute(
        ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), (_ask(0),)),)), TIP
    )
    venue.market.take(quiet.outsider, Side.BID, MID, 100, venue.market_time_ns)
    before = _state(quiet, await venue.snapshot())
    too_many = tuple(_ask(10 + k, 1) for k in range(25))

    with pytest.raises(RejectedError, match=r"0\.\.24 orders"):
        await venue.execute(
            ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), too_many),)), TIP
        )

    snapshot = await venue.snapshot()
    assert _state(quiet, snapshot) == before
    assert snapshot.balances[0].blocked_slots == 1


@pytest.mark.parametrize("maker_fee_ppm", [-100, 0, 200, 2_500])
@pytest.mark.asyncio
async def test_venue_orders_rest_with_exactly_the_asked_size_whatever_the_maker_fee(
    maker_fee_ppm: int,
) -> None:
    spec = MarketSpec(
        base_lot_size=1_000_000, quote_lot_size=10, maker_fee_ppm=maker_fee_ppm, taker_fee_ppm=4_000
    )
    venue = _quiet(spec=spec).venue
    w0 = (await venue.wallets())[0]
    plan = ReplacementPlan(
        (ReplacementStep(w0, StepKind.REPLACE, (_bid(-7, 1_234), _bid(-9, 1)), (_ask(3, 777),)),)
    )

    await venue.execute(plan, TIP)
    sizes = {(o.side, o.price_lots): o.size_base_lots for o in (await venue.snapshot()).orders}

    assert sizes == {
        (Side.BID, MID - 7): 1_234,
        (Side.BID, MID - 9): 1,
        (Side.ASK, MID + 3): 777,
    }


@pytest.mark.asyncio
async def test_venue_trades_of_one_take_carry_exactly_the_taker_fee_paid() -> None:
    spec = MarketSpec(base_lot_size=1_000_000, quote_lot_size=10, taker_fee_ppm=333)
    quiet = _quiet(spec=spec)
    venue = quiet.venue
    w0, w1, w2 = await venue.wallets()
    asks = [(w0, _ask(1, 7)), (w1, _ask(2, 11)), (w2, _ask(3, 13))]
    plan = ReplacementPlan(tuple(ReplacementStep(w, StepKind.REPLACE, (), (a,)) for w, a in asks))
    await venue.execute(plan, TIP)
    ledger = venue.market.exchange.ledger
    paid_before = ledger.balance(quiet.outsider.quote_token)

    venue.market.take(quiet.outsider, Side.BID, MID + 3, 31, venue.market_time_ns)
    trades = (await venue.snapshot()).trades

    paid = paid_before - ledger.balance(quiet.outsider.quote_token)
    notional = sum(spec.quote_native(t.price_lots, t.size_base_lots) for t in trades)
    assert [t.maker_wallet for t in trades] == [w0, w1, w2]
    assert sum(t.taker_fee_native for t in trades) == paid - notional
    assert all(t.taker_fee_native >= 0 for t in trades)
    assert len({t.trade_id for t in trades}) == 3


@pytest.mark.asyncio
async def test_venue_order_beyond_i64_is_rejected_as_malformed() -> None:
    venue = _quiet().venue
    w0 = (await venue.wallets())[0]
    huge = Level(Side.ASK, PriceLots(2**62), BaseLots(4))

    with pytest.raises(RejectedError, match="quote budget"):
        await venue.execute(
            ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), (huge,)),)), TIP
        )

    assert (await venue.snapshot()).orders == ()


@pytest.mark.asyncio
async def test_venue_order_crossing_an_outside_order_is_dropped_but_not_a_swarm_cross() -> None:
    quiet = _quiet()
    venue = quiet.venue
    w0, w1, _ = await venue.wallets()
    outside = PlaceOrderArgs(Side.ASK, MID, 10, 10**12, order_type=PlaceOrderType.POST_ONLY)
    venue.market.exchange.place_order(
        quiet.outsider.owner, quiet.outsider.account_id, outside, quiet.outsider.base_token, 0
    )
    await venue.execute(
        ReplacementPlan((ReplacementStep(w0, StepKind.REPLACE, (), (_ask(20),)),)), TIP
    )
    plan = ReplacementPlan(
        (ReplacementStep(w1, StepKind.REPLACE, (_bid(5), _bid(25), _bid(-5)), ()),)
    )

    report = await venue.execute(plan, TIP)
    orders = {(o.wallet, o.price_lots) for o in (await venue.snapshot()).orders}

    assert report.dropped_orders == 2
    assert report.swarm_crossed_orders == 1  # the bid at +25 crosses w0's ask at +20 too
    assert orders == {(w0, MID + 20), (w1, MID - 5)}


@pytest.mark.asyncio
async def test_venue_cancel_all_cranks_fills_and_frees_every_slot() -> None:
    quiet = _quiet()
    venue = quiet.venue
    w0, w1, _ = await venue.wallets()
    await venue.execute(
        ReplacementPlan(
            (
                ReplacementStep(w0, StepKind.REPLACE, (_bid(-10),), (_ask(0), _ask(10))),
                ReplacementStep(w1, StepKind.REPLACE, (_bid(-20),), ()),
            )
        ),
        TIP,
    )
    venue.market.take(quiet.outsider, Side.BID, MID, 100, venue.market_time_ns)
    assert (await venue.snapshot()).balances[0].blocked_slots == 1

    report = await venue.cancel_all(TIP)
    snapshot = await venue.snapshot()

    assert report.landed_wallets == (w0, w1)
    assert snapshot.orders == ()
    assert all(b.blocked_slots == 0 for b in snapshot.balances)
    assert all(b.base_locked_native == 0 for b in snapshot.balances)
    assert all(b.quote_locked_native == 0 for b in snapshot.balances)


@pytest.mark.asyncio
async def test_venue_paper_trading_on_the_wall_clock_executes_and_reports() -> None:
    clock = SystemClock()
    venue = SimulatedVenue.create(wallet_count=2, clock=clock, scenario="random_walk", seed=4)
    w0, _ = await venue.wallets()
    first = await venue.snapshot()
    mid = int(first.book.mid_price_lots or MID)
    far = ReplacementPlan(
        (
            ReplacementStep(
                w0, StepKind.REPLACE, (_bid(mid - MID - 2_000),), (_ask(mid - MID + 2_000),)
            ),
        )
    )

    report = await venue.execute(far, TIP)
    second = await venue.snapshot()

    assert report.status is LandingStatus.LANDED
    assert second.ts_ns >= first.ts_ns
    assert second.ts_ns == venue.market_time_ns
    assert {o.wallet for o in second.orders} == {w0}
