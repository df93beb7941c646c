import math
from fractions import Fraction

import pytest

from bmvbot.core.config import PivotParams
from bmvbot.core.errors import InvariantError
from bmvbot.core.pivot import (
    FILL_ID_EVENT_SEQ,
    PivotEngine,
    Trade,
    TradeBucket,
    TradeHistory,
    TradeId,
)
from bmvbot.core.types import NS_PER_DAY, NS_PER_S

DAY = NS_PER_DAY
HOUR = 3600 * NS_PER_S
T0 = 1_700_000_000 * NS_PER_S


def tid(n: int) -> TradeId:
    return TradeId(f"sig{n}", n)


def engine(**kwargs: object) -> PivotEngine:
    return PivotEngine(PivotParams(**kwargs))  # type: ignore[arg-type]  # test-only passthrough


def test_pivot_no_input_has_no_pivot() -> None:
    state = engine().state(T0)

    assert not state.has_pivot
    assert state.denominator == 0
    with pytest.raises(InvariantError, match="no pivot"):
        _ = state.price_lots
    with pytest.raises(InvariantError, match="no pivot"):
        state.as_fraction()


def test_pivot_single_trade_is_its_price() -> None:
    pivot = engine()
    pivot.add_trade(T0, 1234, 10, tid(1))

    state = pivot.state(T0)

    assert state.has_pivot
    assert state.price_lots == 1234.0
    assert state.organic_volume_base_lots == 10
    assert state.window_entry_count == 1


def test_pivot_two_trades_is_exact_vwap() -> None:
    pivot = engine()
    pivot.add_trade(T0, 100, 1, tid(1))
    pivot.add_trade(T0 + 1, 101, 2, tid(2))

    state = pivot.state(T0 + 2)

    assert state.as_fraction() == Fraction(100 + 202, 3)
    assert state.price_lots == pytest.approx(302 / 3)


def test_pivot_trade_at_window_edge_is_evicted() -> None:
    pivot = engine(lookback_ns=DAY)
    pivot.add_trade(T0, 100, 1, tid(1))
    pivot.add_trade(T0 + 1, 200, 1, tid(2))

    inside = pivot.state(T0 + DAY - 1)
    edge = pivot.state(T0 + DAY)
    gone = pivot.state(T0 + DAY + 1)

    assert inside.price_lots == 150.0
    assert edge.price_lots == 200.0
    assert edge.window_entry_count == 1
    assert not gone.has_pivot


def test_pivot_trade_after_now_counts() -> None:
    pivot = engine()
    pivot.add_trade(T0 + HOUR, 100, 1, tid(1))

    assert pivot.state(T0).price_lots == 100.0


def test_pivot_duplicate_trade_is_dropped() -> None:
    pivot = engine()

    first = pivot.add_trade(T0, 100, 1, tid(1))
    again = pivot.add_trade(T0, 100, 1, tid(1))

    assert first
    assert not again
    assert pivot.state(T0).organic_volume_base_lots == 1


def test_pivot_same_signature_other_event_is_another_trade() -> None:
    pivot = engine()

    pivot.add_trade(T0, 100, 1, TradeId("sig", 0))
    is_counted = pivot.add_trade(T0, 300, 1, TradeId("sig", 1))

    assert is_counted
    assert pivot.state(T0).price_lots == 200.0


def test_pivot_dedup_disabled_counts_every_copy() -> None:
    pivot = engine(dedup_window_ns=0)

    pivot.add_trade(T0, 100, 1, tid(1))
    pivot.add_trade(T0, 100, 1, tid(1))

    assert pivot.state(T0).organic_volume_base_lots == 2


def test_pivot_trade_older_than_dedup_window_is_dropped() -> None:
    pivot = engine(dedup_window_ns=HOUR)
    pivot.state(T0 + 2 * HOUR)

    is_counted = pivot.add_trade(T0, 100, 1, tid(1))
    is_recent_counted = pivot.add_trade(T0 + HOUR + 1, 100, 1, tid(2))

    assert not is_counted
    assert is_recent_counted


def test_pivot_dedup_identity_forgotten_only_once_unreachable() -> None:
    pivot = engine(dedup_window_ns=HOUR)
    pivot.add_trade(T0, 100, 1, tid(1))
    pivot.state(T0 + HOUR - 1)

    replay_inside = pivot.add_trade(T0, 100, 1, tid(1))
    pivot.state(T0 + HOUR)
    replay_after = pivot.add_trade(T0, 100, 1, tid(1))

    assert not replay_inside
    assert not replay_after
    assert pivot.state(T0 + HOUR).organic_volume_base_lots == 1


def test_pivot_late_trade_is_evicted_on_time() -> None:
    pivot = engine(lookback_ns=DAY)
    pivot.add_trade(T0 + 10, 100, 1, tid(1))
    pivot.add_trade(T0 + 30, 100, 1, tid(3))
    pivot.add_trade(T0 + 20, 400, 1, tid(2))
    pivot.add_trade(T0, 700, 1, tid(0))

    all_four = pivot.state(T0 + 30)
    after_first = pivot.state(T0 + DAY)
    after_late = pivot.state(T0 + DAY + 20)

    assert all_four.price_lots == 325.0
    assert after_first.price_lots == 200.0
    assert after_late.price_lots == 100.0
    assert after_late.window_entry_count == 1


def test_pivot_earlier_now_does_not_bring_trades_back() -> None:
    pivot = engine(lookback_ns=DAY)
    pivot.add_trade(T0, 100, 1, tid(1))
    pivot.state(T0 + DAY)

    assert not pivot.state(T0).has_pivot
    assert not pivot.add_trade(T0, 100, 1, tid(2))


@pytest.mark.parametrize(
    ("price", "size"),
    [
        (0, 1),
        (-5, 1),
        (100, 0),
        (100, -1),
        (math.nan, 1),
        (100, math.nan),
        (100.5, 1),
        (100, 1.0),
        (math.inf, 1),
    ],
)
def test_pivot_add_trade_bad_numbers_raise(price: float, size: float) -> None:
    pivot = engine()

    with pytest.raises(InvariantError, match="positive integer"):
        pivot.add_trade(T0, price, size, tid(1))  # type: ignore[arg-type]  # bad input on purpose

    assert not pivot.state(T0).has_pivot


def test_pivot_add_validated_trade_counts() -> None:
    pivot = engine()

    is_counted = pivot.add(Trade(T0, 50, 4, tid(1)))

    assert is_counted
    assert pivot.state(T0).price_lots == 50.0


@pytest.mark.parametrize(("price", "size"), [(0, 1), (1, 0), (True, 1), (1.5, 2)])
def test_trade_bad_numbers_raise(price: int, size: int) -> None:
    with pytest.raises(InvariantError, match="positive integer"):
        Trade(T0, price, size, tid(1))


def test_trade_id_from_fill_id_has_no_event_seq() -> None:
    trade_id = TradeId.from_fill_id("fill-7")

    assert trade_id == TradeId("fill-7", FILL_ID_EVENT_SEQ)


def test_trade_id_empty_fill_id_raises() -> None:
    with pytest.raises(InvariantError, match="fill id"):
        TradeId.from_fill_id("")


def test_pivot_seed_alone_is_seed_price_until_lookback() -> None:
    params = {
        "lookback_ns": 7 * DAY,
        "seed_price_lots": 500,
        "seed_daily_volume_base_lots": 1000,
        "seed_start_ns": T0,
    }
    pivot = engine(**params)

    before_start = pivot.state(T0 - DAY)
    at_start = pivot.state(T0)
    half = pivot.state(T0 + 3 * DAY + DAY // 2)
    end = pivot.state(T0 + 7 * DAY)

    assert before_start.seed_volume_base_lots == 7000.0
    assert at_start.seed_volume_base_lots == 7000.0
    assert at_start.price_lots == 500.0
    assert half.seed_volume_base_lots == 3500.0
    assert end.seed_volume_base_lots == 0.0
    assert not end.has_pivot


def test_pivot_seed_blends_with_trades_by_volume() -> None:
    pivot = engine(
        lookback_ns=2 * DAY, seed_price_lots=100, seed_daily_volume_base_lots=10, seed_start_ns=T0
    )
    pivot.add_trade(T0 + DAY, 400, 10, tid(1))

    state = pivot.state(T0 + DAY)

    # Vseed = (2 - 1) days x 10 = 10 lots at 100, and 10 lots traded at 400
    assert state.as_fraction() == 250


def test_pivot_seed_fractional_elapsed_days_is_exact() -> None:
    pivot = engine(
        lookback_ns=DAY, seed_price_lots=100, seed_daily_volume_base_lots=3, seed_start_ns=T0
    )
    pivot.add_trade(T0, 200, 1, tid(1))

    state = pivot.state(T0 + DAY // 3)

    # Vseed = 2/3 day x 3 = 2 lots: (200 + 2x100) / 3
    assert state.seed_volume_base_lots == pytest.approx(2.0)
    assert state.as_fraction() == Fraction(400, 3)


@pytest.mark.parametrize(
    "params",
    [
        {"seed_price_lots": None, "seed_daily_volume_base_lots": 10},
        {"seed_price_lots": 100, "seed_daily_volume_base_lots": 0},
    ],
)
def test_pivot_seed_incomplete_has_no_weight(params: dict[str, int | None]) -> None:
    state = engine(**params).state(T0)

    assert state.seed_volume_base_lots == 0.0
    assert not state.has_pivot


def test_pivot_external_fresh_quote_weighs_its_volume() -> None:
    pivot = engine(external_weight=0.5, external_max_age_ns=300 * NS_PER_S)
    pivot.add_trade(T0, 100, 10, tid(1))
    pivot.set_external(T0, 250.5, 20)

    state = pivot.state(T0 + 300 * NS_PER_S)

    assert state.external_volume_base_lots == 10.0
    assert state.as_fraction() == (Fraction(1000) + Fraction(2505)) / 20


def test_pivot_external_stale_quote_has_no_weight() -> None:
    pivot = engine(external_max_age_ns=300 * NS_PER_S)
    pivot.add_trade(T0, 100, 10, tid(1))
    pivot.set_external(T0, 250, 20)

    state = pivot.state(T0 + 300 * NS_PER_S + 1)

    assert state.external_volume_base_lots == 0.0
    assert state.price_lots == 100.0


def test_pivot_external_weight_zero_ignores_quote() -> None:
    pivot = engine(external_weight=0.0)
    pivot.set_external(T0, 250, 20)

    assert not pivot.state(T0).has_pivot


def test_pivot_external_alone_is_its_price_until_cleared() -> None:
    pivot = engine()
    pivot.set_external(T0, 0.25, 0.5)

    fresh = pivot.state(T0)
    pivot.clear_external()
    cleared = pivot.state(T0)

    assert fresh.as_fraction() == Fraction(1, 4)
    assert not cleared.has_pivot


@pytest.mark.parametrize(
    ("price", "volume", "match"),
    [
        (math.nan, 1.0, "finite"),
        (math.inf, 1.0, "finite"),
        (0.0, 1.0, "finite"),
        (-1.0, 1.0, "finite"),
        (1.0, 0, "finite"),
        (1.0, -2.0, "finite"),
        (1.0, math.nan, "finite"),
        ("1", 1.0, "must be a number"),
        (True, 1.0, "must be a number"),
    ],
)
def test_pivot_set_external_bad_numbers_raise(price: object, volume: object, match: str) -> None:
    pivot = engine()

    with pytest.raises(InvariantError, match=match):
        pivot.set_external(T0, price, volume)  # type: ignore[arg-type]  # bad input on purpose


def test_pivot_all_three_terms_combine() -> None:
    pivot = engine(
        lookback_ns=DAY,
        seed_price_lots=100,
        seed_daily_volume_base_lots=4,
        seed_start_ns=T0,
        external_weight=2.0,
    )
    pivot.add_trade(T0, 300, 2, tid(1))
    pivot.set_external(T0, 200, 1)

    state = pivot.state(T0 + DAY // 2)

    # (300x2 + 100x2 + 200x2) / (2 + 2 + 2)
    assert state.as_fraction() == 200
    assert state.numerator / state.denominator == 200.0


def test_trade_bucket_bad_sums_raise() -> None:
    with pytest.raises(InvariantError, match="positive integer volume_base_lots"):
        TradeBucket(T0, 100, 0)
    with pytest.raises(InvariantError, match="positive integer price_volume_sum"):
        TradeBucket(T0, 1.5, 1)  # type: ignore[arg-type]  # bad input on purpose
    with pytest.raises(InvariantError, match="at least one tick"):
        TradeBucket(T0, 5, 10)


def test_trade_history_out_of_order_split_raises() -> None:
    with pytest.raises(InvariantError, match="aggregated_through_ns"):
        TradeHistory(T0, buckets=(TradeBucket(T0 + 1, 100, 1),))
    with pytest.raises(InvariantError, match="aggregated_through_ns"):
        TradeHistory(T0, trades=(Trade(T0, 100, 1, tid(1)),))


def test_pivot_warm_start_rebuilds_from_buckets_and_trades() -> None:
    pivot = engine(lookback_ns=DAY, dedup_window_ns=HOUR)
    now = T0 + DAY
    history = TradeHistory(
        aggregated_through_ns=now - HOUR,
        buckets=(TradeBucket(now - 2 * HOUR, 1000, 10), TradeBucket(now - DAY, 9999, 1)),
        trades=(Trade(now - 10, 200, 10, tid(1)),),
    )

    pivot.warm_start(now, history)
    state = pivot.state(now)

    # the bucket stamped now - DAY is already out of the window
    assert state.as_fraction() == Fraction(1000 + 2000, 20)
    assert state.window_entry_count == 2


def test_pivot_warm_start_dedups_live_trades_against_stored() -> None:
    pivot = engine(lookback_ns=DAY, dedup_window_ns=HOUR)
    now = T0 + DAY
    pivot.add_trade(now - 3 * HOUR, 5000, 1, tid(90))
    pivot.add_trade(now - 20, 200, 10, tid(1))
    pivot.add_trade(now - 5, 300, 10, tid(2))
    history = TradeHistory(
        aggregated_through_ns=now - HOUR,
        buckets=(TradeBucket(now - 3 * HOUR, 5000, 1),),
        trades=(Trade(now - 20, 200, 10, tid(1)), Trade(now - 15, 100, 10, tid(3))),
    )

    pivot.warm_start(now, history)
    live_stored_again = pivot.add_trade(now - 15, 100, 10, tid(3))
    live_before_split = pivot.add_trade(now - 2 * HOUR, 100, 10, tid(4))
    live_new = pivot.add_trade(now - 1, 600, 10, tid(5))
    state = pivot.state(now)

    assert not live_stored_again
    assert not live_before_split
    assert live_new
    assert state.organic_volume_base_lots == 41
    assert state.as_fraction() == Fraction(5000 + 2000 + 3000 + 1000 + 6000, 41)


def test_pivot_warm_start_empty_history_keeps_later_trades() -> None:
    pivot = engine()
    pivot.add_trade(T0, 100, 1, tid(1))

    pivot.warm_start(T0, TradeHistory(aggregated_through_ns=T0 - 1))

    assert pivot.state(T0).price_lots == 100.0


def test_pivot_warm_start_empty_engine_and_history_has_no_pivot() -> None:
    pivot = engine()

    pivot.warm_start(T0, TradeHistory(aggregated_through_ns=T0))

    assert not pivot.state(T0).has_pivot
    assert not pivot.add_trade(T0, 100, 1, tid(1))


def test_pivot_params_are_exposed() -> None:
    params = PivotParams(lookback_ns=DAY)

    assert PivotEngine(params).params is params
