"""Speed of the pivot update path and of one grid build with its L2 scan.

Run with ``.venv/bin/pytest tests/benchmarks/test_bench_pivot_grid.py --benchmark-enable``.
Targets: >= 1,000,000 pivot updates/s; grid build + L2 scan for 32 levels well under 60 us.
"""

from pytest_benchmark.fixture import BenchmarkFixture

from bmvbot.core.config import GridParams, PivotParams
from bmvbot.core.grid import AvailableFunds, GridBuilder
from bmvbot.core.pivot import PivotEngine, TradeId
from bmvbot.core.types import NS_PER_S, BaseLots, BookLevel, L2Snapshot, MarketSpec, PriceLots

TRADES = 20_000
TICK_EVERY = 1_000
SPACING_NS = 1_000_000
T0 = 1_700_000_000 * NS_PER_S
ROWS = [
    (T0 + i * SPACING_NS, 10_000 + (i * 7919) % 500, 1 + i % 13, TradeId(f"sig{i}", i % 4))
    for i in range(TRADES)
]


def run_trades(engine: PivotEngine) -> int:
    add_trade = engine.add_trade
    counted = 0
    for start in range(0, TRADES, TICK_EVERY):
        for ts_ns, price_lots, size_base_lots, trade_id in ROWS[start : start + TICK_EVERY]:
            counted += add_trade(ts_ns, price_lots, size_base_lots, trade_id)
        engine.evict(ROWS[start + TICK_EVERY - 1][0])
    return counted


def test_bench_pivot_add_trade_throughput(benchmark: BenchmarkFixture) -> None:
    # the window holds 5,000 trades and the dedup window 1,000, so eviction runs steadily
    params = PivotParams(
        lookback_ns=5_000 * SPACING_NS,
        dedup_window_ns=1_000 * SPACING_NS,
        seed_price_lots=10_000,
        seed_daily_volume_base_lots=1_000,
        seed_start_ns=T0,
    )

    counted = benchmark(lambda: run_trades(PivotEngine(params)))

    assert counted == TRADES
    if benchmark.stats is not None:
        benchmark.extra_info["updates_per_s"] = round(TRADES / benchmark.stats.stats.median)


def test_bench_pivot_state_query(benchmark: BenchmarkFixture) -> None:
    engine = PivotEngine(
        PivotParams(seed_price_lots=10_000, seed_daily_volume_base_lots=1_000, seed_start_ns=T0)
    )
    run_trades(engine)
    now = ROWS[-1][0]
    engine.set_external(now, 10_123.25, 55_555.5)

    state = benchmark(engine.state, now)

    assert state.has_pivot
    assert 10_000 <= state.price_lots < 10_500


def book_around(center: int) -> L2Snapshot:
    # 25 levels per side, 5 ticks apart, with a wall every 7th bid and every 5th ask
    return L2Snapshot(
        bids=tuple(
            BookLevel(PriceLots(center - 40 - 5 * i), BaseLots(400 if i % 7 != 3 else 400_000))
            for i in range(25)
        ),
        asks=tuple(
            BookLevel(PriceLots(center + 40 + 5 * i), BaseLots(400 if i % 5 != 2 else 400_000))
            for i in range(25)
        ),
    )


def test_bench_grid_build_with_l2_scan_32_levels(benchmark: BenchmarkFixture) -> None:
    params = GridParams(
        levels_per_side=16,
        step_fraction=0.001,
        wall_threshold_quote_lots=1_000_000_000,
        front_run_ticks=1,
        max_front_run_ticks=5,
    )
    builder = GridBuilder(params, MarketSpec())
    pivot = 12_345.6
    own = builder.build(pivot)
    book = book_around(12_345)
    funds = AvailableFunds(quote_lots=10**13, base_lots=10**7)

    grid = benchmark(builder.build, pivot, book, own, funds)

    assert len(grid.bids) == len(grid.asks) == 16
    assert grid.bids[0].price_lots < grid.asks[0].price_lots
    assert [level.price_lots for level in grid.levels] != [p.price_lots for p in own.levels]


def test_bench_grid_build_without_book_32_levels(benchmark: BenchmarkFixture) -> None:
    builder = GridBuilder(GridParams(levels_per_side=16), MarketSpec())

    grid = benchmark(builder.build, 12_345.6)

    assert len(grid.bids) == len(grid.asks) == 16
