from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from bmvbot.core.config import PivotParams
from bmvbot.core.pivot import PivotEngine, Trade, TradeBucket, TradeHistory, TradeId
from bmvbot.core.types import NS_PER_DAY

LOOKBACK = 7 * NS_PER_DAY
NOW = 100 * NS_PER_DAY

prices = st.integers(min_value=1, max_value=10**9)
sizes = st.integers(min_value=1, max_value=10**9)
trade_times = st.integers(min_value=NOW - 2 * LOOKBACK, max_value=NOW)


@st.composite
def trade_lists(draw: st.DrawFn, min_size: int = 0) -> list[Trade]:
    rows = draw(st.lists(st.tuples(trade_times, prices, sizes), min_size=min_size, max_size=40))
    return [
        Trade(ts, price, size, TradeId(f"sig{i}", i)) for i, (ts, price, size) in enumerate(rows)
    ]


def vwap_in_window(trades: list[Trade], now_ns: int) -> Fraction | None:
    window = [t for t in trades if t.ts_ns > now_ns - LOOKBACK]
    volume = sum(t.size_base_lots for t in window)
    if not volume:
        return None
    return Fraction(sum(t.price_lots * t.size_base_lots for t in window), volume)


def feed(engine: PivotEngine, trades: list[Trade]) -> None:
    for trade in trades:
        engine.add_trade(trade.ts_ns, trade.price_lots, trade.size_base_lots, trade.trade_id)


@given(
    trades=trade_lists(),
    seed=st.none() | st.tuples(prices, st.integers(1, 10**9), st.integers(0, 2 * LOOKBACK)),
    external=st.none()
    | st.tuples(
        st.floats(1e-3, 1e9, allow_nan=False),
        st.floats(1e-3, 1e12, allow_nan=False),
        st.floats(0.0, 1000.0),
    ),
)
def test_pivot_stays_within_input_price_range(
    trades: list[Trade],
    seed: tuple[int, int, int] | None,
    external: tuple[float, float, float] | None,
) -> None:
    params = PivotParams(
        lookback_ns=LOOKBACK,
        seed_price_lots=seed[0] if seed else None,
        seed_daily_volume_base_lots=seed[1] if seed else 0,
        seed_start_ns=NOW - seed[2] if seed else 0,
        external_weight=external[2] if external else 1.0,
    )
    engine = PivotEngine(params)
    feed(engine, trades)
    inputs: list[Fraction] = [Fraction(t.price_lots) for t in trades]
    if seed:
        inputs.append(Fraction(seed[0]))
    if external:
        engine.set_external(NOW, external[0], external[1])
        inputs.append(Fraction(external[0]))

    state = engine.state(NOW)

    if state.has_pivot:
        assert min(inputs) <= state.as_fraction() <= max(inputs)
        assert float(min(inputs)) <= state.price_lots <= float(max(inputs))
    else:
        assert vwap_in_window(trades, NOW) is None


@given(trades=trade_lists(), now_steps=st.lists(st.integers(0, LOOKBACK), max_size=4))
def test_pivot_equals_vwap_of_trades_in_window(trades: list[Trade], now_steps: list[int]) -> None:
    engine = PivotEngine(PivotParams(lookback_ns=LOOKBACK, dedup_window_ns=0))
    feed(engine, trades)
    now = NOW

    for step in [0, *now_steps]:
        now += step
        state = engine.state(now)
        expected = vwap_in_window(trades, now)

        assert state.has_pivot == (expected is not None)
        if expected is not None:
            assert state.as_fraction() == expected


@given(
    lookback_ns=st.integers(1, 30 * NS_PER_DAY),
    start_ns=st.integers(-(10**18), 10**18),
    daily_volume=st.integers(1, 10**12),
    before_ns=st.integers(1, 30 * NS_PER_DAY),
)
def test_pivot_seed_weight_reaches_zero_exactly_at_lookback(
    lookback_ns: int, start_ns: int, daily_volume: int, before_ns: int
) -> None:
    params = PivotParams(
        lookback_ns=lookback_ns,
        seed_price_lots=1_000,
        seed_daily_volume_base_lots=daily_volume,
        seed_start_ns=start_ns,
    )
    engine = PivotEngine(params)
    end = start_ns + lookback_ns
    earlier = end - min(before_ns, lookback_ns)

    weight_before = engine.state(earlier).seed_volume_base_lots
    weight_at_end = engine.state(end).seed_volume_base_lots
    weight_after = engine.state(end + before_ns).seed_volume_base_lots

    assert weight_before > 0.0
    assert weight_before <= lookback_ns * daily_volume / NS_PER_DAY
    assert weight_at_end == 0.0
    assert weight_after == 0.0


@given(
    trades=trade_lists(min_size=1),
    picks=st.lists(st.integers(0, 39), min_size=1, max_size=20),
    replay_at=st.integers(0, LOOKBACK),
)
def test_pivot_duplicate_trade_never_changes_pivot(
    trades: list[Trade], picks: list[int], replay_at: int
) -> None:
    engine = PivotEngine(PivotParams(lookback_ns=LOOKBACK, dedup_window_ns=LOOKBACK))
    feed(engine, trades)
    now = NOW + replay_at
    before = engine.state(now)

    duplicates = [trades[i % len(trades)] for i in picks]
    counted = [engine.add(trade) for trade in duplicates]
    after = engine.state(now)

    assert not any(counted)
    assert after == before


@given(
    trades=trade_lists(),
    split_back_ns=st.integers(0, LOOKBACK),
    bucket_ns=st.sampled_from([1, 60 * 10**9]),
    replayed=st.lists(st.integers(0, 39), max_size=20),
)
def test_pivot_warm_start_counts_each_trade_once(
    trades: list[Trade], split_back_ns: int, bucket_ns: int, replayed: list[int]
) -> None:
    through = NOW - split_back_ns
    older = [t for t in trades if t.ts_ns <= through]
    newer = tuple(t for t in trades if t.ts_ns > through)
    buckets: dict[int, list[Trade]] = {}
    for trade in older:
        buckets.setdefault(trade.ts_ns // bucket_ns, []).append(trade)
    history = TradeHistory(
        aggregated_through_ns=through,
        buckets=tuple(
            TradeBucket(
                max(t.ts_ns for t in group),
                sum(t.price_lots * t.size_base_lots for t in group),
                sum(t.size_base_lots for t in group),
            )
            for group in buckets.values()
        ),
        trades=newer,
    )
    engine = PivotEngine(PivotParams(lookback_ns=LOOKBACK, dedup_window_ns=LOOKBACK))
    live = [trades[i] for i in replayed if i < len(trades)]
    feed(engine, live)

    engine.warm_start(NOW, history)
    feed(engine, live)
    state = engine.state(NOW)

    # a bucket ages as one unit at its newest trade; single trades age on their own
    kept_buckets = {
        k for k, group in buckets.items() if max(t.ts_ns for t in group) > NOW - LOOKBACK
    }
    counted = [t for t in newer if t.ts_ns > NOW - LOOKBACK] + [
        t for k in kept_buckets for t in buckets[k]
    ]
    volume = sum(t.size_base_lots for t in counted)

    assert state.organic_volume_base_lots == volume
    if volume:
        assert state.as_fraction() == Fraction(
            sum(t.price_lots * t.size_base_lots for t in counted), volume
        )
    else:
        assert not state.has_pivot


POOL_SPAN = 3 * LOOKBACK
DEDUP = LOOKBACK // 3


class PivotMachine(RuleBasedStateMachine):
    """Interleave adds (with replays), clock steps and queries against a plain model."""

    def __init__(self) -> None:
        super().__init__()
        self.engine = PivotEngine(PivotParams(lookback_ns=LOOKBACK, dedup_window_ns=DEDUP))
        self.now = NOW
        self.horizon = -(2**63)
        self.accepted: dict[TradeId, Trade] = {}

    @rule(
        ts=st.integers(NOW - LOOKBACK, NOW + POOL_SPAN),
        key=st.integers(0, 30),
        price=prices,
        size=st.integers(1, 1_000),
    )
    def add(self, ts: int, key: int, price: int, size: int) -> None:
        trade_id = TradeId(f"sig{key}", key)
        # a replayed identity is the same trade: reuse what was first seen for it
        trade = self.accepted.get(trade_id) or Trade(ts, price, size, trade_id)

        counted = self.engine.add(trade)

        assert counted == (trade_id not in self.accepted and trade.ts_ns > self.horizon)
        if counted:
            self.accepted[trade_id] = trade

    @rule(step=st.integers(0, LOOKBACK // 2))
    def query(self, step: int) -> None:
        self.now += step
        self.horizon = max(self.horizon, self.now - LOOKBACK, self.now - DEDUP)

        state = self.engine.state(self.now)

        expected = vwap_in_window(list(self.accepted.values()), self.now)
        assert state.has_pivot == (expected is not None)
        if expected is not None:
            assert state.as_fraction() == expected


TestPivotMachine = PivotMachine.TestCase
