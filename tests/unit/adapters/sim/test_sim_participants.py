from __future__ import annotations

import statistics
from dataclasses import dataclass, replace

import pytest

from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.participants import InformedTrader, LiquidityProvider, NoiseTaker, Whale
from bmvbot.adapters.sim.scenarios import ParticipantMix, Scenario, scenario
from bmvbot.adapters.sim.venue import SimulatedVenue
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Lamports, Level, MarketSpec, PriceLots, Side
from bmvbot.ports.venue import MarketSnapshot, MarketTrade

NS = 1_000_000_000


@dataclass
class Run:
    venue: SimulatedVenue
    clock: SimClock
    samples: list[tuple[int, MarketSnapshot]]

    @property
    def trades(self) -> list[MarketTrade]:
        return [trade for _, snapshot in self.samples for trade in snapshot.trades]

    def mid_at(self, second: int) -> float:
        for at, snapshot in self.samples:
            if at >= second and snapshot.book.mid_price_lots is not None:
                return snapshot.book.mid_price_lots
        raise AssertionError(f"no two-sided book at or after {second} s")


async def _run(recipe: Scenario | str, seconds: int, step_s: int = 5, seed: int | None = 11) -> Run:
    clock = SimClock()
    venue = SimulatedVenue.create(wallet_count=2, clock=clock, scenario=recipe, seed=seed)
    samples = []
    for second in range(0, seconds + 1, step_s):
        clock.set(clock.now_ns() + (step_s * NS if second else 0))
        samples.append((second, await venue.snapshot()))
    return Run(venue, clock, samples)


@pytest.mark.asyncio
async def test_participants_flash_crash_moves_the_book_down_fast() -> None:
    run = await _run(scenario("flash_crash", duration_s=600.0), 300)

    before = run.mid_at(175)
    bottom = run.mid_at(245)

    assert bottom < 0.85 * before
    crash_trades = [
        t for t in run.trades if 180 * NS <= t.ts_ns - run.samples[0][1].ts_ns <= 245 * NS
    ]
    assert crash_trades
    assert min(t.price_lots for t in crash_trades) < 0.9 * before


@pytest.mark.asyncio
async def test_participants_pump_moves_the_book_up_fast() -> None:
    run = await _run(scenario("pump", duration_s=600.0), 320)

    assert run.mid_at(305) > 1.2 * run.mid_at(175)


@pytest.mark.asyncio
async def test_participants_trend_drifts_the_book_up() -> None:
    run = await _run(scenario("trend", duration_s=600.0, volatility=0.005), 600, step_s=20)

    assert run.mid_at(600) > 1.05 * run.mid_at(0)


@pytest.mark.asyncio
async def test_participants_low_liquidity_book_is_thin_next_to_random_walk() -> None:
    thin = await _run("low_liquidity", 300, step_s=10)
    normal = await _run("random_walk", 300, step_s=10)

    def depth(run: Run) -> float:
        return statistics.mean(
            sum(level.size_base_lots for level in s.book.bids + s.book.asks) for _, s in run.samples
        )

    def levels(run: Run) -> float:
        return statistics.mean(len(s.book.bids) + len(s.book.asks) for _, s in run.samples)

    assert depth(thin) < 0.05 * depth(normal)
    assert levels(thin) <= 4 < levels(normal)
    assert len(thin.trades) < len(normal.trades) / 3


@pytest.mark.asyncio
async def test_participants_whales_post_and_pull_walls() -> None:
    run = await _run("whale_wall", 600, step_s=5)
    wall_lots = 2_000_000  # 2,000 base: well above any provider level, below one wall

    has_wall = [
        any(level.size_base_lots >= wall_lots for level in s.book.bids + s.book.asks)
        for _, s in run.samples
    ]

    assert any(has_wall)
    assert not all(has_wall)


@pytest.mark.asyncio
async def test_participants_noise_sizes_are_heavy_tailed() -> None:
    run = await _run("random_walk", 900, step_s=30)
    noise = run.venue.market.traders["noise"].account_id
    sizes = [t.size_base_lots for t in run.trades]

    assert len(sizes) > 500
    assert max(sizes) > 15 * statistics.median(sizes)
    assert noise.startswith("noise")


@pytest.mark.asyncio
async def test_participants_informed_trader_picks_off_a_mispriced_swarm_order() -> None:
    only_informed = ParticipantMix(
        noise_rate_per_s=0.0, lp_count=0, whale_count=0, informed_rate_per_s=2.0
    )
    recipe = Scenario("informed_only", volatility=0.0, mix=only_informed)
    clock = SimClock()
    venue = SimulatedVenue.create(wallet_count=2, clock=clock, scenario=recipe, seed=3)
    w0, w1 = await venue.wallets()
    cheap = Level(Side.ASK, PriceLots(122_500), BaseLots(1_000))  # 2 % under the latent 1.25
    fair = Level(Side.ASK, PriceLots(125_500), BaseLots(1_000))  # above it: not mispriced
    plan = ReplacementPlan(
        (
            ReplacementStep(w0, StepKind.REPLACE, (), (cheap,)),
            ReplacementStep(w1, StepKind.REPLACE, (), (fair,)),
        )
    )
    await venue.execute(plan, Lamports(10_000))

    clock.advance(30 * NS)
    snapshot = await venue.snapshot()

    assert [(t.maker_wallet, t.price_lots, t.taker_side) for t in snapshot.trades] == [
        (w0, 122_500, Side.BID)
    ]
    assert [o.wallet for o in snapshot.orders] == [w1]


@pytest.mark.asyncio
async def test_participants_are_outside_traders_never_swarm_wallets() -> None:
    run = await _run("whale_wall", 120, step_s=10)
    swarm = set(await run.venue.wallets())
    kinds = {type(p) for p in run.venue.pool.participants}

    owners = {p.trader.owner for p in run.venue.pool.participants}

    assert kinds == {LiquidityProvider, Whale, NoiseTaker, InformedTrader}
    assert not owners & swarm
    assert all(t.taker_wallet is None for t in run.trades)
    assert run.venue.pool.rejected_actions == 0


@pytest.mark.asyncio
async def test_participants_same_seed_give_identical_runs() -> None:
    first = await _run(replace(scenario("whale_wall"), seed=21), 240, step_s=7, seed=None)
    second = await _run(replace(scenario("whale_wall"), seed=21), 240, step_s=7, seed=None)
    other = await _run(replace(scenario("whale_wall"), seed=22), 240, step_s=7, seed=None)

    assert first.trades == second.trades
    assert [s.book for _, s in first.samples] == [s.book for _, s in second.samples]
    assert first.trades != other.trades


@pytest.mark.asyncio
async def test_participants_run_does_not_depend_on_how_often_it_is_observed() -> None:
    often = await _run("flash_crash", 300, step_s=1)
    rarely = await _run("flash_crash", 300, step_s=60)

    assert often.trades == rarely.trades
    assert often.samples[-1][1].book == rarely.samples[-1][1].book


@pytest.mark.asyncio
async def test_participants_failed_instruction_is_counted_and_the_run_goes_on() -> None:
    clock = SimClock()
    venue = SimulatedVenue.create(wallet_count=1, clock=clock, scenario="random_walk", seed=4)
    noise = venue.market.traders["noise"]
    ledger = venue.market.exchange.ledger
    ledger.get(noise.base_token).amount = 0
    ledger.get(noise.quote_token).amount = 0

    clock.advance(120 * NS)
    snapshot = await venue.snapshot()

    assert venue.pool.rejected_actions > 0
    assert snapshot.trades
    assert venue.latent_price == venue.pool.latent.price > 0


def test_participants_take_of_nothing_does_nothing() -> None:
    venue = SimulatedVenue.create(wallet_count=1, clock=SimClock(), scenario="quiet")
    trader = venue.market.open_trader("idle", 10**12, 10**12)

    taken = venue.market.take(trader, Side.BID, 125_000, 0, venue.market_time_ns)

    assert taken == 0
    assert venue.market.drain_trades() == ()


@pytest.mark.parametrize(("base_decimals", "quote_decimals"), [(0, 9), (6, 9), (9, 6), (12, 12)])
@pytest.mark.asyncio
async def test_participants_trade_on_markets_of_any_decimals(
    base_decimals: int, quote_decimals: int
) -> None:
    # one tick stays 1e-5 quote per base and one lot 1 base unit for every decimals pair
    spec = MarketSpec(
        base_decimals=base_decimals,
        quote_decimals=quote_decimals,
        base_lot_size=10**base_decimals,
        quote_lot_size=max(1, 10**quote_decimals // 100_000),
    )
    clock = SimClock()
    venue = SimulatedVenue.create(spec, 1, clock, "random_walk", seed=2)

    clock.advance(60 * NS)
    snapshot = await venue.snapshot()

    assert snapshot.trades
    assert venue.pool.rejected_actions == 0
    mid = snapshot.book.mid_price_lots
    assert mid is not None
    assert spec.price_to_ui(mid) == pytest.approx(1.25, rel=0.05)
