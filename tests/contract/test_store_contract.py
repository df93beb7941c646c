"""One contract suite for every store implementation: in-memory and PostgreSQL.

The ``stores`` fixture yields the in-memory stores, PostgreSQL on the embedded server and, when
``DATABASE_URL`` is set, PostgreSQL on that server; every test runs against each of them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
import pytest_asyncio

from bmvbot.adapters.memory.store import memory_stores
from bmvbot.adapters.postgres.store import PostgresDatabase
from bmvbot.core.config import PivotParams
from bmvbot.core.errors import FatalStoreError, InvariantError
from bmvbot.core.pivot import PivotEngine, TradeId
from bmvbot.core.types import BaseLots, Grid, Level, PriceLots, Side, WalletId
from bmvbot.ports.store import (
    MINUTE_NS,
    ConfigVersionRecord,
    EncryptedSecret,
    KdfParams,
    LatencySample,
    RebalanceRecord,
    Stores,
    TradeCursor,
    TradeKey,
    TradePage,
    TradeRecord,
    WalletRecord,
    WalletRole,
)

T0_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z, a whole minute
MARKET = "MarketAAAA1111"
OTHER_MARKET = "MarketBBBB2222"


def trade(
    seq: int,
    ts_ns: int,
    price_lots: int = 100,
    size_base_lots: int = 10,
    *,
    signature: str | None = None,
    market: str = MARKET,
    wallet: str | None = None,
) -> TradeRecord:
    return TradeRecord(
        market=market,
        tx_signature=signature or f"sig{seq:06d}",
        event_seq=seq,
        ts_ns=ts_ns,
        side=Side.BID if seq % 2 else Side.ASK,
        price_lots=price_lots,
        size_base_lots=size_base_lots,
        base_native=size_base_lots * 1_000,
        quote_native=price_lots * size_base_lots * 10,
        fee_quote_native=-3 if wallet else 7,
        is_maker=wallet is not None,
        wallet=None if wallet is None else WalletId(wallet),
    )


def wallet_record(n: int, created_ns: int = T0_NS) -> WalletRecord:
    return WalletRecord(
        pubkey=WalletId(f"Pubkey{n:04d}"),
        label=f"swarm-{n:04d}",
        role=WalletRole.SWARM,
        created_ns=created_ns,
        secret=EncryptedSecret(
            bytes([n]) * 80, bytes([n]) * 12, b"kekid008", KdfParams("scrypt", b"s" * 16, 14, 8, 1)
        ),
    )


def grid() -> Grid:
    return Grid(
        bids=(
            Level(Side.BID, PriceLots(99), BaseLots(5)),
            Level(Side.BID, PriceLots(98), BaseLots(7)),
        ),
        asks=(Level(Side.ASK, PriceLots(101), BaseLots(6)),),
    )


@pytest_asyncio.fixture(params=["memory", "embedded", "database_url"])
async def stores(
    request: pytest.FixtureRequest,
    pg_open_database: Callable[[str], Awaitable[PostgresDatabase]],
) -> Stores:
    if request.param == "memory":
        return memory_stores()
    database = await pg_open_database(request.param)
    return database.stores


@pytest.mark.asyncio
async def test_add_trades_same_trade_from_two_sources_stored_once(stores: Stores) -> None:
    websocket = [trade(i, T0_NS + i * 1_000_000_000) for i in range(5)]
    rpc_poll = [trade(i, T0_NS + i * 1_000_000_000) for i in range(3, 8)]

    first = await stores.trades.add_trades(websocket)
    second = await stores.trades.add_trades(rpc_poll)
    third = await stores.trades.add_trades(websocket + rpc_poll)

    stored = await stores.trades.trades(MARKET, T0_NS, T0_NS + MINUTE_NS)
    assert (first, second, third) == (5, 3, 0)
    assert [t.event_seq for t in stored] == list(range(8))


@pytest.mark.asyncio
async def test_add_trades_duplicate_inside_one_batch_first_one_kept(stores: Stores) -> None:
    original = trade(1, T0_NS, price_lots=100)
    replay = trade(1, T0_NS, price_lots=555)

    added = await stores.trades.add_trades([original, replay])

    assert added == 1
    assert await stores.trades.trades(MARKET, T0_NS, T0_NS + 1_000) == [original]


@pytest.mark.asyncio
async def test_add_trades_same_seq_other_signature_or_market_distinct(stores: Stores) -> None:
    trades = [
        trade(1, T0_NS, signature="sigA"),
        trade(1, T0_NS, signature="sigB"),
        trade(1, T0_NS, signature="sigA", market=OTHER_MARKET),
    ]

    added = await stores.trades.add_trades(trades)

    assert added == 3
    assert len(await stores.trades.trades(MARKET, T0_NS, T0_NS + 1)) == 2


@pytest.mark.asyncio
async def test_trades_round_trip_keeps_every_field_to_the_microsecond(stores: Stores) -> None:
    ours = trade(1, T0_NS + 1_234_567, wallet="Wallet1111")
    external = trade(2, T0_NS + 2_000_999, price_lots=2**30, size_base_lots=2**20)

    await stores.trades.add_trades([external, ours])

    stored = await stores.trades.trades(MARKET, T0_NS, T0_NS + 3_000_000)
    assert stored[0] == replace(ours, ts_ns=T0_NS + 1_234_000)
    assert stored[1] == replace(external, ts_ns=T0_NS + 2_000_000)
    assert stored[0].wallet == "Wallet1111"
    assert stored[1].wallet is None


@pytest.mark.asyncio
async def test_trades_window_is_half_open_and_per_market(stores: Stores) -> None:
    await stores.trades.add_trades(
        [trade(i, T0_NS + i * 1_000) for i in range(4)] + [trade(9, T0_NS, market=OTHER_MARKET)]
    )

    window = await stores.trades.trades(MARKET, T0_NS + 1_000, T0_NS + 3_000)

    assert [t.event_seq for t in window] == [1, 2]


@pytest.mark.asyncio
@pytest.mark.parametrize("is_newest_first", [False, True])
async def test_trades_page_walks_the_window_in_storage_order(
    stores: Stores, is_newest_first: bool
) -> None:
    stored = [trade(i, T0_NS + (i // 3) * 1_000, signature=f"z{25 - i:02d}") for i in range(25)]
    await stores.trades.add_trades(stored[:12])
    await stores.trades.add_trades(stored[12:])
    pages: list[TradePage] = []
    cursor: TradeCursor | None = None

    while not pages or cursor is not None:
        page = await stores.trades.trades_page(
            MARKET, T0_NS, T0_NS + 8_000, limit=10, after=cursor, is_newest_first=is_newest_first
        )
        pages.append(page)
        cursor = page.next_cursor
        if len(pages) == 1:  # a later write must not shift pages already handed out
            await stores.trades.add_trades([trade(99, T0_NS + 3_000), trade(98, T0_NS + 50_000)])

    expected = [t.event_seq for t in stored[:24]]  # ts < T0 + 8 us: the 25th is out
    walked = [t.event_seq for page in pages for t in page.trades]
    assert [len(page.trades) for page in pages] == [10, 10, 5]
    assert [s for s in walked if s != 99] == (expected[::-1] if is_newest_first else expected)
    assert walked.count(99) == 1  # stored in the part not yet read: it shows up once


@pytest.mark.asyncio
async def test_candles_built_incrementally_match_ohlcv_and_vwap(stores: Stores) -> None:
    minute = T0_NS + 5 * MINUTE_NS
    late_open = trade(1, minute + 1_000_000, price_lots=105, size_base_lots=2)
    middle = trade(2, minute + 20_000_000_000, price_lots=110, size_base_lots=3)
    earliest = trade(3, minute, price_lots=90, size_base_lots=5)
    latest = trade(4, minute + 59_000_000_000, price_lots=95, size_base_lots=1)
    next_minute = trade(5, minute + MINUTE_NS, price_lots=120, size_base_lots=4)

    await stores.trades.add_trades([late_open, middle])
    await stores.trades.add_trades([latest, earliest, next_minute])
    await stores.trades.add_trades([middle])

    candles = await stores.prices.candles(MARKET, minute, minute + 2 * MINUTE_NS)
    first, second = candles
    assert (first.minute_start_ns, first.open_price_lots, first.high_price_lots) == (
        minute,
        90,
        110,
    )
    assert (first.low_price_lots, first.close_price_lots, first.trade_count) == (90, 95, 4)
    assert first.volume_base_lots == 11
    assert first.quote_volume_lots == 105 * 2 + 110 * 3 + 90 * 5 + 95 * 1
    assert first.vwap_price_lots == pytest.approx(first.quote_volume_lots / 11)
    assert (second.open_price_lots, second.close_price_lots, second.trade_count) == (120, 120, 1)


@pytest.mark.asyncio
async def test_candles_equal_timestamps_first_stored_opens_last_stored_closes(
    stores: Stores,
) -> None:
    same_ns = T0_NS + 7 * MINUTE_NS + 30_000_000_000

    await stores.trades.add_trades([trade(1, same_ns, price_lots=100)])
    await stores.trades.add_trades([trade(2, same_ns, price_lots=200), trade(3, same_ns, 300)])

    (candle,) = await stores.prices.candles(MARKET, T0_NS, T0_NS + 10 * MINUTE_NS)
    assert (candle.open_price_lots, candle.close_price_lots) == (100, 300)


@pytest.mark.asyncio
async def test_pivot_inputs_split_buckets_and_recent_trades_at_the_dedup_boundary(
    stores: Stores,
) -> None:
    now_ns = T0_NS + 60 * MINUTE_NS
    lookback_ns, dedup_ns = 30 * MINUTE_NS, 5 * MINUTE_NS
    trades = [
        trade(0, now_ns - lookback_ns, price_lots=999),  # exactly at the start: excluded
        trade(1, now_ns - lookback_ns + 1_000, price_lots=100, size_base_lots=2),
        trade(2, now_ns - lookback_ns + 2_000, price_lots=102, size_base_lots=4),
        trade(3, now_ns - 20 * MINUTE_NS, price_lots=105, size_base_lots=1),
        trade(4, now_ns - dedup_ns, price_lots=106, size_base_lots=3),  # last aggregated
        trade(5, now_ns - dedup_ns + 1_000, price_lots=107, size_base_lots=2),
        trade(6, now_ns, price_lots=108, size_base_lots=1),  # exactly now: included
        trade(7, now_ns + 1_000, price_lots=999),  # after now: excluded
    ]
    await stores.trades.add_trades(trades)

    inputs = await stores.trades.pivot_inputs(MARKET, now_ns, lookback_ns, dedup_ns)

    assert inputs.aggregated_through_ns == now_ns - dedup_ns
    assert [b.trade_count for b in inputs.buckets] == [2, 1, 1]
    assert inputs.buckets[0].quote_volume_lots == 100 * 2 + 102 * 4
    assert inputs.buckets[0].last_ts_ns == now_ns - lookback_ns + 2_000
    assert [t.key.event_seq for t in inputs.recent_trades] == [5, 6]
    assert inputs.recent_keys == {
        TradeKey(MARKET, "sig000005", 5),
        TradeKey(MARKET, "sig000006", 6),
    }
    assert inputs.volume_base_lots == 2 + 4 + 1 + 3 + 2 + 1


@pytest.mark.asyncio
async def test_pivot_inputs_warm_started_engine_equals_live_engine(stores: Stores) -> None:
    params = PivotParams(lookback_ns=120 * MINUTE_NS, dedup_window_ns=10 * MINUTE_NS)
    live = PivotEngine(params)
    trades = [
        trade(i, T0_NS + i * 7_000_000_000, price_lots=100 + i % 13, size_base_lots=1 + i % 5)
        for i in range(400)
    ]
    for t in trades:
        live.add_trade(
            t.ts_ns, t.price_lots, t.size_base_lots, TradeId(t.tx_signature, t.event_seq)
        )
    await stores.trades.add_trades(trades)
    now_ns = trades[-1].ts_ns + 1_000

    restarted = PivotEngine(params)
    inputs = await stores.trades.pivot_inputs(
        MARKET, now_ns, params.lookback_ns, params.dedup_window_ns
    )
    restarted.warm_start(now_ns, inputs.trade_history())
    replayed_live_event = trades[-1]
    is_counted_again = restarted.add_trade(
        replayed_live_event.ts_ns,
        200,
        1,
        TradeId(replayed_live_event.tx_signature, replayed_live_event.event_seq),
    )

    assert not is_counted_again
    before, after = live.state(now_ns), restarted.state(now_ns)
    assert (after.numerator, after.denominator) == (before.numerator, before.denominator)
    assert after.organic_volume_base_lots == before.organic_volume_base_lots
    assert after.price_lots == before.price_lots


@pytest.mark.asyncio
async def test_pivot_inputs_empty_store_gives_empty_inputs(stores: Stores) -> None:
    inputs = await stores.trades.pivot_inputs(MARKET, T0_NS, MINUTE_NS, 0)

    assert inputs.buckets == ()
    assert inputs.recent_trades == ()
    assert inputs.volume_base_lots == 0


@pytest.mark.asyncio
async def test_latency_samples_round_trip_by_component(stores: Stores) -> None:
    samples = [
        LatencySample(T0_NS + 2_000, "rpc", "get_slot", 12.5),
        LatencySample(T0_NS + 1_000, "rpc", "send_transaction", 80.25, is_ok=False),
        LatencySample(T0_NS, "jito", "send_bundle", 3.0),
    ]

    await stores.latency.add_latency_samples(samples)

    rpc = await stores.latency.latency_samples("rpc", T0_NS, T0_NS + 10_000)
    assert rpc == [samples[1], samples[0]]


@pytest.mark.asyncio
async def test_wallets_listed_oldest_first_and_disabled_on_request(stores: Stores) -> None:
    wallets = [wallet_record(2, T0_NS + 5_000), wallet_record(1, T0_NS), wallet_record(3, T0_NS)]
    await stores.wallets.add_wallets(wallets)

    await stores.wallets.disable_wallet(WalletId("Pubkey0003"), T0_NS + 9_000)

    listed = await stores.wallets.wallets()
    active = await stores.wallets.wallets(include_disabled=False)
    assert [w.label for w in listed] == ["swarm-0001", "swarm-0003", "swarm-0002"]
    assert [w.label for w in active] == ["swarm-0001", "swarm-0002"]
    assert listed[1].disabled_ns == T0_NS + 9_000
    assert await stores.wallets.wallet(WalletId("Pubkey0001")) == wallets[1]


@pytest.mark.asyncio
async def test_wallets_duplicate_key_or_label_rejected_whole_batch(stores: Stores) -> None:
    await stores.wallets.add_wallets([wallet_record(1)])
    relabelled_duplicate = replace(wallet_record(1), label="other")

    with pytest.raises(FatalStoreError, match="already"):
        await stores.wallets.add_wallets([wallet_record(2), relabelled_duplicate])
    with pytest.raises(FatalStoreError, match=r"already|label"):
        await stores.wallets.add_wallets([replace(wallet_record(3), label="swarm-0001")])

    assert [w.label for w in await stores.wallets.wallets()] == ["swarm-0001"]


@pytest.mark.asyncio
async def test_wallets_unknown_pubkey_fatal(stores: Stores) -> None:
    with pytest.raises(FatalStoreError, match="Nobody"):
        await stores.wallets.wallet(WalletId("Nobody"))
    with pytest.raises(FatalStoreError, match="Nobody"):
        await stores.wallets.disable_wallet(WalletId("Nobody"), T0_NS)


@pytest.mark.asyncio
async def test_rebalances_range_and_last_with_ties(stores: Stores) -> None:
    records = [
        RebalanceRecord(
            MARKET, T0_NS + 10, "startup", 100.5, grid(), ("b1",), "landed", 1000, 5000
        ),
        RebalanceRecord(
            MARKET, T0_NS + 20_000, "deviation", 101.25, grid(), ("b2", "b3"), "landed"
        ),
        RebalanceRecord(MARKET, T0_NS + 20_000, "proximity", 99.0, Grid(), (), "expired", 7, 9),
        RebalanceRecord(OTHER_MARKET, T0_NS + 90_000, "startup", 5.0, Grid(), (), "landed"),
    ]
    for record in records:
        await stores.rebalances.add_rebalance(record)

    window = await stores.rebalances.rebalances(MARKET, T0_NS, T0_NS + 20_000)
    last = await stores.rebalances.last_rebalance(MARKET)

    assert window == [replace(records[0], ts_ns=T0_NS)]
    assert last == records[2]
    assert await stores.rebalances.last_rebalance("NoSuchMarket") is None


@pytest.mark.asyncio
async def test_config_versions_newest_first_limited(stores: Stores) -> None:
    versions = [
        ConfigVersionRecord(T0_NS + i * 1_000, f"hash{i}", f"+grid.levels: {i}", i != 1, "")
        for i in range(4)
    ]
    for version in versions:
        await stores.config_versions.add_config_version(version)

    latest = await stores.config_versions.config_versions(3)

    assert [v.config_hash for v in latest] == ["hash3", "hash2", "hash1"]
    assert latest[2].is_accepted is False


@pytest.mark.asyncio
@pytest.mark.parametrize("limit", [-1, 1_000_001])
async def test_config_versions_limit_out_of_range_invariant_error(
    stores: Stores, limit: int
) -> None:
    with pytest.raises(InvariantError, match=f"limit must be 0..1000000, was {limit}"):
        await stores.config_versions.config_versions(limit)


@pytest.mark.asyncio
async def test_state_grid_and_documents_survive_overwrite(stores: Stores) -> None:
    await stores.state.save_grid(MARKET, Grid(), T0_NS)
    await stores.state.save_grid(MARKET, grid(), T0_NS + 1)
    await stores.state.put_state("cursor", json.dumps({"slot": 5, "sig": "abc"}), T0_NS)

    assert await stores.state.load_grid(MARKET) == grid()
    assert await stores.state.load_grid(OTHER_MARKET) is None
    assert json.loads(await stores.state.get_state("cursor") or "null") == {"slot": 5, "sig": "abc"}
    assert await stores.state.get_state("missing") is None


@pytest.mark.asyncio
async def test_state_malformed_json_fatal(stores: Stores) -> None:
    with pytest.raises(FatalStoreError, match="key=cursor"):
        await stores.state.put_state("cursor", "{not json", T0_NS)


def reference_buckets(
    trades: list[TradeRecord], start_ns: int, through_ns: int
) -> list[tuple[int, int, int, int, int]]:
    sums: dict[int, list[int]] = {}
    for t in trades:
        ts_ns = t.ts_ns - t.ts_ns % 1_000
        if start_ns < ts_ns <= through_ns:
            entry = sums.setdefault(ts_ns - ts_ns % MINUTE_NS, [0, 0, 0, 0])
            entry[0] += t.size_base_lots
            entry[1] += t.price_lots * t.size_base_lots
            entry[2] += 1
            entry[3] = max(entry[3], ts_ns)
    return [(minute, *values) for minute, values in sorted(sums.items())]  # type: ignore[misc]


@pytest.mark.asyncio
async def test_pivot_inputs_random_windows_match_trade_by_trade_sums(stores: Stores) -> None:
    rng = random.Random(20260101)
    span_ns = 6 * 60 * MINUTE_NS
    trades = [
        trade(
            i,
            T0_NS + rng.randrange(span_ns),
            price_lots=rng.randint(1, 10_000),
            size_base_lots=rng.randint(1, 1_000),
        )
        for i in range(2_000)
    ]
    for start in range(0, len(trades), 700):
        await stores.trades.add_trades(trades[start : start + 700])

    for _ in range(30):
        now_ns = T0_NS + rng.randrange(span_ns + MINUTE_NS)
        lookback_ns = rng.randrange(1, span_ns)
        dedup_ns = rng.choice([0, rng.randrange(1, 90 * MINUTE_NS)])
        inputs = await stores.trades.pivot_inputs(MARKET, now_ns, lookback_ns, dedup_ns)

        got = [
            (
                b.minute_start_ns,
                b.volume_base_lots,
                b.quote_volume_lots,
                b.trade_count,
                b.last_ts_ns,
            )
            for b in inputs.buckets
        ]
        expected = reference_buckets(trades, inputs.start_ns, inputs.aggregated_through_ns)
        recent = sorted(
            (t.ts_ns - t.ts_ns % 1_000, t.key)
            for t in trades
            if inputs.aggregated_through_ns < t.ts_ns - t.ts_ns % 1_000 <= now_ns
        )
        assert got == expected
        assert [t.key for t in inputs.recent_trades] == [key for _, key in recent]


@pytest.mark.asyncio
async def test_candles_random_batches_with_replays_match_trade_by_trade_ohlcv(
    stores: Stores,
) -> None:
    rng = random.Random(7)
    originals = [
        trade(
            i,
            T0_NS + rng.randrange(30 * MINUTE_NS) // 1_000_000 * 1_000_000,  # many equal times
            price_lots=rng.randint(1, 50),
            size_base_lots=rng.randint(1, 9),
        )
        for i in range(1_500)
    ]
    deliveries = originals + rng.sample(originals, 500)  # a second source replays some
    rng.shuffle(deliveries)
    first_stored: dict[TradeKey, int] = {}
    for order, t in enumerate(deliveries):
        first_stored.setdefault(t.key, order)
    cut = sorted(rng.sample(range(1, len(deliveries)), 8))

    for start, end in zip([0, *cut], [*cut, len(deliveries)], strict=True):
        await stores.trades.add_trades(deliveries[start:end])

    candles = await stores.prices.candles(MARKET, T0_NS, T0_NS + 30 * MINUTE_NS)
    by_minute: dict[int, list[TradeRecord]] = {}
    for t in originals:
        by_minute.setdefault(t.ts_ns - t.ts_ns % MINUTE_NS, []).append(t)
    expected = []
    for minute, group in sorted(by_minute.items()):
        ordered = sorted(group, key=lambda t: (t.ts_ns, first_stored[t.key]))
        expected.append(
            (
                minute,
                ordered[0].price_lots,
                max(t.price_lots for t in group),
                min(t.price_lots for t in group),
                ordered[-1].price_lots,
                sum(t.size_base_lots for t in group),
                sum(t.price_lots * t.size_base_lots for t in group),
                len(group),
            )
        )
    got = [
        (
            c.minute_start_ns,
            c.open_price_lots,
            c.high_price_lots,
            c.low_price_lots,
            c.close_price_lots,
            c.volume_base_lots,
            c.quote_volume_lots,
            c.trade_count,
        )
        for c in candles
    ]
    assert got == expected
