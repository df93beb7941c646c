"""Tape replay service: the jump schedule equals evaluating at every event; outputs and units."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.tape_generator import generate_tape

from bmvbot.adapters.tape.book import TapeBook
from bmvbot.adapters.tape.loader import read_tape
from bmvbot.adapters.tape.source import CsvTapeSource
from bmvbot.cli.lab import tape_params
from bmvbot.core.config import GridParams, GuardParams, PivotParams, StrategyParams
from bmvbot.core.errors import ConfigError
from bmvbot.core.grid import GridBuilder
from bmvbot.core.guards import GuardObservation, check_deviation, check_proximity
from bmvbot.core.pivot import PivotEngine, TradeId
from bmvbot.core.types import (
    NS_PER_S,
    BaseLots,
    BookLevel,
    Grid,
    L2Snapshot,
    Level,
    PriceLots,
    Side,
)
from bmvbot.ports.tape import DecimalStep, ReplayLatency
from bmvbot.services.market_view import skip_crossing_levels
from bmvbot.services.replay import (
    SUMMARY_FIELDS,
    ReplayOptions,
    ReplayResult,
    TapeReplayService,
    guard_band,
    tape_market_spec,
)
from bmvbot.settings import load_settings

ZERO_LATENCY = ReplayLatency()
TICK = DecimalStep.parse("0.0001", "tick")
LOT = DecimalStep.parse("0.01", "lot")
TIGHT = """
[market]
maker_fee_ppm = -100
taker_fee_ppm = 400
[grid]
levels_per_side = 4
step_ticks = 3
gamma = 1.0
size_multiplier = 1.0
bid_depth = 40.0
ask_depth = 40.0
[guards]
deviation_pct = 0.2
proximity_pct = 0.01
cooldown_s = 1.0
entropy_interval_s = 120.0
"""
# deviation fires on small moves while the slow pivot keeps the same grid: held grids
HELD = TIGHT.replace("deviation_pct = 0.2", "deviation_pct = 0.03").replace(
    "entropy_interval_s = 120.0", "entropy_interval_s = 20.0"
)
CONFIGS = {
    "default": "",
    "tight": TIGHT,
    "no_cooldown": TIGHT.replace("cooldown_s = 1.0", "cooldown_s = 0.0"),
    "deviation_only": TIGHT + "proximity_enabled = false\nentropy_enabled = false\n",
    "walls": TIGHT.replace("[grid]", "[grid]\nlarge_order_threshold = 5.0"),
    "target_control": TIGHT + "[target]\ntotal_emission = 100.0\n",
    "short_lookback": TIGHT.replace("[guards]", "[pivot]\nlookback_days = 0.001\n[guards]"),
    "short_entropy": TIGHT.replace("entropy_interval_s = 120.0", "entropy_interval_s = 3.0"),
    "held": HELD,
    "held_short_entropy": HELD.replace("entropy_interval_s = 20.0", "entropy_interval_s = 4.0"),
    "held_walls": HELD.replace("[grid]", "[grid]\nlarge_order_threshold = 0.5"),
    "held_seed": HELD
    + "[pivot]\nseed_price = 1.0\nseed_daily_volume = 10000000.0\n"
    + "seed_start = 2026-01-01T00:00:00Z\nlookback_days = 0.01\n",
    "seed": TIGHT
    + "[pivot]\nseed_price = 1.0\nseed_daily_volume = 10000000.0\n"
    + "seed_start = 2026-01-01T00:00:00Z\nlookback_days = 0.01\n",
    "small_walls": TIGHT.replace("[grid]", "[grid]\nlarge_order_threshold = 0.5"),
}


def _params(tmp_path: Path, text: str) -> StrategyParams:
    path = tmp_path / "bmvbot.toml"
    path.write_text(text)
    return tape_params(load_settings(path, env={}), TICK, LOT)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> CsvTapeSource:
    path = generate_tape(tmp_path_factory.mktemp("tape") / "t.csv", 7_000, seed=11, depth=15)
    return CsvTapeSource.load(path, TICK, LOT)


def _run(
    source: CsvTapeSource,
    params: StrategyParams,
    options: ReplayOptions,
    latency: ReplayLatency = ZERO_LATENCY,
) -> ReplayResult:
    return TapeReplayService(source.open_market(latency), params, options).run()


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_replay_service_jump_schedule_equals_every_event(
    tmp_path: Path, source: CsvTapeSource, config: str
) -> None:
    params = _params(tmp_path, CONFIGS[config])

    jumped = _run(source, params, ReplayOptions())
    reference = _run(source, params, ReplayOptions(is_every_event=True))

    assert jumped == reference
    assert jumped.rebalances > 0


@pytest.mark.parametrize(
    ("latency", "options"),
    [
        (ReplayLatency(events=5), ReplayOptions()),
        (ReplayLatency(ns=300_000_000), ReplayOptions()),
        (ReplayLatency(), ReplayOptions(is_unlimited_balances=False)),
        (
            ReplayLatency(events=1),
            ReplayOptions(
                is_unlimited_balances=False, base_balance_lots=500, quote_balance_native=10**6
            ),
        ),
    ],
)
def test_replay_service_latency_and_balances_schedule_equals_every_event(
    tmp_path: Path, source: CsvTapeSource, latency: ReplayLatency, options: ReplayOptions
) -> None:
    params = _params(tmp_path, TIGHT)
    reference = ReplayOptions(
        is_unlimited_balances=options.is_unlimited_balances,
        base_balance_lots=options.base_balance_lots,
        quote_balance_native=options.quote_balance_native,
        is_every_event=True,
    )

    jumped = _run(source, params, options, latency)

    assert jumped == _run(source, params, reference, latency)
    assert jumped.fills > 0


def test_replay_service_tight_grid_fills_and_accounts_exactly(
    tmp_path: Path, source: CsvTapeSource
) -> None:
    params = _params(tmp_path, TIGHT)

    result = _run(source, params, ReplayOptions())
    again = _run(source, params, ReplayOptions())

    assert result == again
    assert result.buy_base_lots > 0
    assert result.sell_base_lots > 0
    assert result.orders_submitted >= result.open_orders_end
    # maker rebate of 100 ppm: fees are negative, exactly -1e-4 of the traded value
    assert result.fees_scaled < 0
    assert result.fees_scaled % 100 == 0


@pytest.mark.parametrize(("base_lots", "quote_native"), [(10_000, 0), (0, 30_000_000)])
def test_replay_service_limited_balances_never_overdrawn(
    tmp_path: Path, source: CsvTapeSource, base_lots: int, quote_native: int
) -> None:
    params = _params(tmp_path, TIGHT)
    options = ReplayOptions(
        is_unlimited_balances=False, base_balance_lots=base_lots, quote_balance_native=quote_native
    )

    result = _run(source, params, options)

    assert result.fills > 0
    assert base_lots + result.inventory_base_lots >= 0
    assert quote_native + result.cash_quote_native >= 0


def test_replay_service_no_balances_no_orders(tmp_path: Path, source: CsvTapeSource) -> None:
    options = ReplayOptions(
        is_unlimited_balances=False, base_balance_lots=0, quote_balance_native=0
    )

    result = _run(source, _params(tmp_path, TIGHT), options)

    assert (result.rebalances, result.orders_submitted, result.fills) == (0, 0, 0)


def test_replay_service_no_trades_no_pivot_no_orders(tmp_path: Path) -> None:
    path = tmp_path / "quiet.csv"
    path.write_text("ts_ns,kind,side,price,qty\n1,book,bid,0.9999,1\n2,book,ask,1.0001,1\n")
    source = CsvTapeSource.load(path, TICK, LOT)

    result = _run(source, _params(tmp_path, ""), ReplayOptions())

    assert (result.events, result.rebalances, result.orders_submitted) == (2, 0, 0)
    assert result.final_mark_lots == Fraction(10000)


def test_replay_result_summary_fields_and_units() -> None:
    market = tape_market_spec(TICK, LOT, maker_fee_ppm=-100, taker_fee_ppm=400)
    result = ReplayResult(
        events=10,
        fills=3,
        buy_base_lots=12_345,
        sell_base_lots=2_345,
        cash_quote_native=-100_000_000,
        fees_scaled=-5_000_000,
        final_mark_lots=Fraction(20001, 2),
        rebalances=2,
        orders_submitted=8,
        post_only_rejects=1,
        open_orders_end=4,
    )

    summary = result.summary(market, wall_s=0.5, peak_rss_mb=100.04)

    assert tuple(summary) == SUMMARY_FIELDS
    assert summary["filled_qty"] == 146.9
    assert summary["inventory"] == 100.0
    assert summary["cash"] == -100.0
    assert summary["fees"] == -0.000005
    # 100 base at 1.00005 = 100.005 quote; cash -100; fees -0.000005
    assert summary["pnl"] == 0.005005
    assert summary["events_per_s"] == 20.0
    assert summary["peak_rss_mb"] == 100.0


@pytest.mark.parametrize(
    ("tick", "lot"), [("0.0001", "0.01"), ("0.5", "5"), ("0.00025", "0.001"), ("1", "1")]
)
def test_replay_tape_market_spec_tick_and_lot_exact(tick: str, lot: str) -> None:
    spec = tape_market_spec(DecimalStep.parse(tick, "tick"), DecimalStep.parse(lot, "lot"))

    assert spec.ui_per_price_lot == float(tick)
    assert spec.ui_per_base_lot == float(lot)


def test_replay_tape_market_spec_too_many_decimals_config_error() -> None:
    with pytest.raises(ConfigError, match="18"):
        tape_market_spec(DecimalStep.parse("1e-10", "tick"), DecimalStep.parse("1e-9", "lot"))


def test_replay_tape_params_min_size_raised_to_one_lot(tmp_path: Path) -> None:
    params = _params(tmp_path, "[grid]\nmin_size = 0.001\n")

    assert params.grid.min_size_base_lots == 1
    assert params.grid.bid_depth_base_lots == 100_000


_prices = st.integers(min_value=100, max_value=100_000)


@given(
    market=st.floats(min_value=50, max_value=200_000),
    pivot=st.none() | st.floats(min_value=100, max_value=100_000),
    bid=st.none() | _prices,
    ask=st.none() | _prices,
    deviation=st.floats(min_value=0.0001, max_value=0.5),
    proximity=st.floats(min_value=0.0001, max_value=0.5),
)
def test_replay_guard_band_contains_every_firing_market_price(
    market: float,
    pivot: float | None,
    bid: int | None,
    ask: int | None,
    deviation: float,
    proximity: float,
) -> None:
    guards = GuardParams(deviation_fraction=deviation, proximity_fraction=proximity)
    resting = Grid(
        bids=() if bid is None else (Level(Side.BID, PriceLots(bid), BaseLots(1)),),
        asks=() if ask is None else (Level(Side.ASK, PriceLots(ask), BaseLots(1)),),
    )
    observation = GuardObservation(0, market, pivot, 0, resting, resting)

    low, high = guard_band(guards, pivot, resting)

    fires = check_deviation(observation, guards) or check_proximity(observation, guards)
    outside = (low is not None and market <= low) or (high is not None and market >= high)
    assert outside or not fires


@given(
    pivot=st.floats(min_value=50, max_value=50_000),
    step=st.floats(min_value=0.0, max_value=3.0),
    others=st.tuples(st.floats(min_value=0.0, max_value=3.0), st.floats(0.0, 3.0)),
    fraction=st.none() | st.floats(min_value=0.0005, max_value=0.05),
)
def test_replay_grid_same_at_both_ends_same_inside(
    pivot: float, step: float, others: tuple[float, float], fraction: float | None
) -> None:
    # the pivot range of the replay relies on it: level prices never fall as the pivot rises
    params = GridParams(
        levels_per_side=6,
        step_fraction=fraction or 0.005,
        step_price_lots=None if fraction is not None else 3,
        gamma=1.3,
        bid_depth_base_lots=600,
        ask_depth_base_lots=600,
    )
    builder = GridBuilder(params, tape_market_spec(TICK, LOT))
    low, middle, high = sorted((pivot, pivot + step, pivot + step + sum(others)))

    grids = [builder.build(p) for p in (low, middle, high)]

    assert grids[0] != grids[2] or grids[1] == grids[0]


@given(
    touches=st.lists(
        st.tuples(st.integers(9_900, 10_100), st.integers(1, 30)), min_size=3, max_size=3
    ),
    band=st.floats(min_value=0.0, max_value=0.01),
)
def test_replay_crossing_filter_same_at_box_corners_same_inside(
    touches: list[tuple[int, int]], band: float
) -> None:
    # the touch box of the replay relies on it: the filter's limits never fall as a touch rises
    builder = GridBuilder(
        GridParams(levels_per_side=6, step_price_lots=4, gamma=1.0), tape_market_spec(TICK, LOT)
    )
    full = builder.build(10_000.5)
    (b0, s0), (b1, s1), (b2, s2) = sorted(touches)
    corners = [(b0, b0 + s0), (b1, b1 + max(s0, s1)), (b2, b2 + max(s0, s1, s2))]

    def kept(bid: int, ask: int) -> Grid:
        book = L2Snapshot(
            bids=(BookLevel(PriceLots(bid), BaseLots(1)),),
            asks=(BookLevel(PriceLots(ask), BaseLots(1)),),
        )
        return skip_crossing_levels(full, book, book.mid_price_lots, band)[0]

    grids = [kept(b, a) for b, a in corners]

    assert grids[0] != grids[2] or grids[1] == grids[0]


def test_replay_tape_vwap_matches_pivot_engine(tmp_path: Path) -> None:
    path = generate_tape(tmp_path / "vwap.csv", 6_000, seed=21, depth=10, trade_share=0.3)
    columns = read_tape(path, TICK, LOT)
    window_ns = 20 * NS_PER_S
    vwap = TapeBook(columns).window_vwap(window_ns)
    engine = PivotEngine(PivotParams(lookback_ns=window_ns, dedup_window_ns=0))
    rows = zip(
        columns.ts_ns.tolist(),
        columns.is_trade.tolist(),
        columns.price_lots.tolist(),
        columns.size_base_lots.tolist(),
        strict=True,
    )

    assert vwap is not None
    for index, (ts_ns, is_trade, price, size) in enumerate(rows):
        if is_trade:
            engine.add_trade(ts_ns, price, size, TradeId("t", index))
        state = engine.state(ts_ns)
        if state.has_pivot:
            assert vwap[index] == pytest.approx(state.price_lots, rel=1e-13)
        else:
            assert math.isnan(vwap[index])


def test_replay_tape_params_depth_below_one_lot_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"grid\.bid_depth .*one base lot"):
        _params(tmp_path, "[grid]\nbid_depth = 0.005\n")


def test_replay_tape_params_geometry_from_tick_and_lot_fees_from_config(tmp_path: Path) -> None:
    params = _params(tmp_path, TIGHT)

    assert params.market == tape_market_spec(TICK, LOT, maker_fee_ppm=-100, taker_fee_ppm=400)
    assert params.grid.step_price_lots == 3
