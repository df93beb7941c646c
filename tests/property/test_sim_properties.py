"""Invariants of the simulated venue over random plans and participant activity.

- Base and quote are conserved: each mint's total over every token account and vault never
  changes, and after a full crank each vault holds exactly what the OpenOrders accounts claim
  (free + locked + locked maker fees + fee rebates owed).
- The trades' fees (taker fee plus maker fee or minus rebate) add up to the market's accrued
  fees once every fill is cranked.
- No swarm self-trade, ever: no trade has a swarm wallet as both maker and taker, whatever the
  plans (crossing each other and the book), bundle landings and failures.
- The book is never crossed and no wallet rests more than 24 orders.
- The bundle packer keeps the plan's order, never exceeds 1232 bytes per transaction or five
  transactions per bundle, puts the tip in each bundle's last transaction only, and only
  closes a transaction early when the next instruction would not fit (with a tip).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bmvbot.adapters.sim.bundles import (
    MAX_TRANSACTIONS_PER_BUNDLE,
    TX_SIZE_LIMIT_BYTES,
    BundleParams,
    InstructionShape,
    fits,
    pack_bundles,
)
from bmvbot.adapters.sim.clock import SimClock
from bmvbot.adapters.sim.market import BASE_MINT, QUOTE_MINT
from bmvbot.adapters.sim.scenarios import SCENARIOS
from bmvbot.adapters.sim.venue import SIM_MARKET_SPEC, SimulatedVenue
from bmvbot.core.swarm import ReplacementPlan, ReplacementStep, StepKind
from bmvbot.core.types import BaseLots, Lamports, Level, MarketSpec, PriceLots, Side, WalletId
from bmvbot.ports.venue import MarketTrade

WALLETS = 4
FEE_SPECS = (
    SIM_MARKET_SPEC,
    MarketSpec(base_lot_size=1_000_000, quote_lot_size=10, maker_fee_ppm=-100, taker_fee_ppm=400),
    MarketSpec(base_lot_size=1_000_000, quote_lot_size=10, maker_fee_ppm=200, taker_fee_ppm=500),
)


@dataclass(frozen=True)
class StepDraw:
    wallet: int
    is_cancel: bool
    bid_offsets: tuple[int, ...]
    ask_offsets: tuple[int, ...]
    size_base_lots: int


@dataclass(frozen=True)
class Operation:
    advance_s: int
    steps: tuple[StepDraw, ...]
    is_cancel_all: bool


_offsets = st.lists(st.integers(-400, 400), max_size=6).map(tuple)
_steps = st.builds(
    StepDraw,
    wallet=st.integers(0, WALLETS - 1),
    is_cancel=st.booleans(),
    bid_offsets=_offsets,
    ask_offsets=_offsets,
    size_base_lots=st.integers(1, 50_000),
)
_operations = st.builds(
    Operation,
    advance_s=st.integers(0, 40),
    steps=st.lists(_steps, max_size=6).map(tuple),
    is_cancel_all=st.booleans(),
)


def _plan(wallets: tuple[WalletId, ...], mid: int, operation: Operation) -> ReplacementPlan:
    steps = []
    for draw in operation.steps:
        if draw.is_cancel:
            steps.append(ReplacementStep(wallets[draw.wallet], StepKind.CANCEL))
            continue
        bids = tuple(
            Level(Side.BID, PriceLots(mid + offset), BaseLots(draw.size_base_lots))
            for offset in draw.bid_offsets
        )
        asks = tuple(
            Level(Side.ASK, PriceLots(mid + offset), BaseLots(draw.size_base_lots))
            for offset in draw.ask_offsets
        )
        steps.append(ReplacementStep(wallets[draw.wallet], StepKind.REPLACE, bids, asks))
    return ReplacementPlan(tuple(steps))


def _check_vaults(venue: SimulatedVenue) -> None:
    venue.market.crank()
    exchange = venue.market.exchange
    market = venue.market.market
    spec = venue.market.spec
    accounts = list(exchange.open_orders.values())
    base_claims = sum(a.base_free_native + a.asks_base_lots * spec.base_lot_size for a in accounts)
    quote_claims = sum(
        a.quote_free_native
        + a.bids_quote_lots * spec.quote_lot_size
        + a.locked_maker_fees
        + a.referrer_rebates_available
        for a in accounts
    )
    assert exchange.ledger.balance(market.accounts.base_vault) == base_claims
    assert exchange.ledger.balance(market.accounts.quote_vault) == quote_claims


def _check_book(venue: SimulatedVenue) -> None:
    best_bid, best_ask = venue.market.best_prices(venue.market_time_ns)
    if best_bid is not None and best_ask is not None:
        assert best_bid < best_ask
    per_wallet: dict[WalletId, int] = {}
    for order in venue.own_orders():
        per_wallet[order.wallet] = per_wallet.get(order.wallet, 0) + 1
    assert all(count <= 24 for count in per_wallet.values())


async def _session(
    operations: list[Operation], scenario: str, seed: int, spec: MarketSpec, bundles: BundleParams
) -> list[MarketTrade]:
    clock = SimClock()
    venue = SimulatedVenue.create(spec, WALLETS, clock, scenario, seed=seed, bundles=bundles)
    wallets = await venue.wallets()
    ledger = venue.market.exchange.ledger
    totals = (ledger.total(BASE_MINT), ledger.total(QUOTE_MINT))
    trades: list[MarketTrade] = []
    for operation in operations:
        clock.advance(operation.advance_s * 1_000_000_000)
        snapshot = await venue.snapshot()
        trades.extend(snapshot.trades)
        mid = int(snapshot.book.mid_price_lots or 125_000)
        await venue.execute(_plan(wallets, mid, operation), Lamports(5_000))
        if operation.is_cancel_all:
            await venue.cancel_all(Lamports(5_000))
        ledger = venue.market.exchange.ledger
        assert (ledger.total(BASE_MINT), ledger.total(QUOTE_MINT)) == totals
        _check_book(venue)
    clock.advance(5_000_000_000)
    trades.extend((await venue.snapshot()).trades)
    _check_vaults(venue)
    fees = sum(t.taker_fee_native + t.maker_fee_native for t in trades)
    assert fees == venue.market.market.fees_accrued
    return trades


@settings(max_examples=30, deadline=None)
@given(
    operations=st.lists(_operations, min_size=1, max_size=6),
    scenario=st.sampled_from(sorted(SCENARIOS)),
    seed=st.integers(0, 2**16),
    spec=st.sampled_from(FEE_SPECS),
    landing_probability=st.sampled_from([1.0, 0.7]),
    failure_probability=st.sampled_from([0.0, 0.3]),
)
def test_sim_venue_conserves_funds_and_never_self_trades(
    operations: list[Operation],
    scenario: str,
    seed: int,
    spec: MarketSpec,
    landing_probability: float,
    failure_probability: float,
) -> None:
    bundles = BundleParams(
        landing_probability=landing_probability, failure_probability=failure_probability
    )

    trades = asyncio.run(_session(operations, scenario, seed, spec, bundles))

    assert not [t for t in trades if t.maker_wallet is not None and t.taker_wallet is not None]
    assert len({t.trade_id for t in trades}) == len(trades)


_shapes = st.lists(
    st.builds(
        InstructionShape,
        wallet=st.integers(0, 30).map(lambda i: WalletId(f"w{i}")),
        order_count=st.integers(0, 24),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(shapes=_shapes, has_payer=st.booleans())
def test_sim_pack_bundles_respects_every_limit(
    shapes: list[InstructionShape], has_payer: bool
) -> None:
    payer = WalletId("payer") if has_payer else None

    bundles = pack_bundles(shapes, payer)

    txs = [tx for bundle in bundles for tx in bundle.transactions]
    assert [ins for tx in txs for ins in tx.instructions] == shapes
    for bundle in bundles:
        assert 1 <= len(bundle.transactions) <= MAX_TRANSACTIONS_PER_BUNDLE
        assert [tx.has_tip for tx in bundle.transactions] == [False] * (
            len(bundle.transactions) - 1
        ) + [True]
        assert bundle.tip_payer == (payer or bundle.transactions[-1].fee_payer)
    assert all(tx.size_bytes <= TX_SIZE_LIMIT_BYTES for tx in txs)
    assert all(fits(tx.instructions, has_tip=tx.has_tip, tip_payer=payer) for tx in txs)
    for tx, following in itertools.pairwise(txs):
        grown = [*tx.instructions, following.instructions[0]]
        assert tx.has_tip or not fits(grown, has_tip=True, tip_payer=payer)
