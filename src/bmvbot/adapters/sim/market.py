"""``SimMarket``: one OpenBook V2 market on the exchange model, with its traders and its tape.

It owns the :class:`~bmvbot.exchange.Exchange`, creates the market from a ``MarketSpec`` and
opens traders (a wallet with an indexer, one OpenOrders account and base / quote token
accounts, funded by minting). Participants and the venue act through it: post-only batches,
immediate-or-cancel takes, cancels, the crank. Every fill of a take becomes a ``MarketTrade``
(with swarm attribution) on the tape that ``drain_trades`` empties. ``save`` / ``restore``
snapshot the whole exchange so that a multi-instruction bundle can be undone all at once.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bmvbot.core.pivot import TradeId
from bmvbot.core.swarm import bid_quote_lots_needed
from bmvbot.core.types import NS_PER_S, BaseLots, MarketSpec, PriceLots, Side, WalletId
from bmvbot.exchange import (
    Exchange,
    FillEvent,
    MarketAccounts,
    MarketParams,
    PlaceMultipleOrdersArgs,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceOrderType,
    SelfTradeBehavior,
)
from bmvbot.exchange.events import MAX_NUM_EVENTS
from bmvbot.exchange.fees import maker_fees_floor, maker_rebate_floor
from bmvbot.exchange.market import Market
from bmvbot.ports.venue import MarketTrade

MARKET_ID = "sim-market"
BASE_MINT = "sim-base-mint"
QUOTE_MINT = "So11111111111111111111111111111111111111112"
"""Wrapped SOL: the simulated market is SOL-quoted."""
FEE_ADMIN = "sim-fee-admin"
CRANK_EVENTS_PER_INSTRUCTION = 8
TAKE_MATCH_LIMIT = 32
"""Resting orders one participant take may match."""


@dataclass(frozen=True, slots=True)
class Trader:
    """One wallet on the market: its OpenOrders account and its two token accounts."""

    owner: str
    account_id: str
    base_token: str
    quote_token: str


def market_params(spec: MarketSpec) -> MarketParams:
    """Return the ``create_market`` arguments of the simulated market for ``spec``."""
    return MarketParams(
        name="SIM/SOL",
        base_mint=BASE_MINT,
        quote_mint=QUOTE_MINT,
        base_lot_size=spec.base_lot_size,
        quote_lot_size=spec.quote_lot_size,
        base_decimals=spec.base_decimals,
        quote_decimals=spec.quote_decimals,
        maker_fee=spec.maker_fee_ppm,
        taker_fee=spec.taker_fee_ppm,
        collect_fee_admin=FEE_ADMIN,
    )


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """Return ``total`` split in proportion to ``weights`` (floors; the last takes the rest).

    The program charges a take's taker fee once, rounded up, on the order's whole notional;
    splitting that exact amount over the fills makes the trades' fees add up to what was paid.
    """
    weight = sum(weights)
    if weight == 0:
        return [0] * (len(weights) - 1) + [total]
    shares = [total * w // weight for w in weights[:-1]]
    return [*shares, total - sum(shares)]


class SimMarket:
    """The exchange model with one market, its traders, a crank and a tape of trades."""

    def __init__(self, spec: MarketSpec, now_ns: int, trade_id_prefix: str = "sim") -> None:
        self.spec = spec
        self.exchange = Exchange()
        self.accounts = MarketAccounts.derived(MARKET_ID)
        self.market: Market = self.exchange.create_market(
            self.accounts, market_params(spec), now_ns // NS_PER_S
        )
        self.traders: dict[str, Trader] = {}
        self.swarm_accounts: dict[str, WalletId] = {}
        self.trade_id_prefix = trade_id_prefix
        self._take_count = 0
        self._tape: list[MarketTrade] = []

    # -- setup -------------------------------------------------------------------------------

    def open_trader(self, owner: str, base_native: int, quote_native: int) -> Trader:
        """Create ``owner``'s indexer, OpenOrders account and funded token accounts."""
        exchange = self.exchange
        exchange.create_open_orders_indexer(owner)
        account_id = exchange.create_open_orders_account(owner, MARKET_ID, name=owner[:32])
        trader = Trader(owner, account_id, f"{owner}.base", f"{owner}.quote")
        ledger = exchange.ledger
        ledger.open_account(trader.base_token, BASE_MINT, owner, base_native)
        ledger.open_account(trader.quote_token, QUOTE_MINT, owner, quote_native)
        self.traders[owner] = trader
        return trader

    def open_swarm_wallet(self, wallet: WalletId, base_native: int, quote_native: int) -> Trader:
        """Open a trader for a swarm wallet; its fills are attributed to ``wallet``."""
        trader = self.open_trader(wallet, base_native, quote_native)
        self.swarm_accounts[trader.account_id] = wallet
        return trader

    # -- save / restore (bundle atomicity) ---------------------------------------------------

    def save(self) -> bytes:
        """Return the whole exchange state, pickled (faster than a deep copy), for ``restore``."""
        return pickle.dumps(self.exchange, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, saved: bytes) -> None:
        """Put back the exchange captured by ``save`` (the tape is not touched)."""
        # our own bytes from ``save`` in this process, never outside input
        exchange: Exchange = pickle.loads(saved)  # noqa: S301
        self.exchange = exchange
        self.market = exchange.markets[MARKET_ID]

    # -- instructions ------------------------------------------------------------------------

    def place_post_only(
        self,
        trader: Trader,
        bids: Sequence[tuple[int, int]],
        asks: Sequence[tuple[int, int]],
        now_ns: int,
    ) -> list[int | None]:
        """Cancel ``trader``'s orders and post (price_lots, base_lots) bids then asks.

        Runs ``cancel_all_and_place_orders`` with PostOnly entries (CancelProvide); returns
        one order id per entry, None for an entry that did not rest.

        Raises:
            ExchangeError: the instruction failed; nothing changed.
        """
        # a positive maker fee comes out of the budget on both sides (bid_quote_lots_needed)
        fee = self.spec.maker_fee_ppm
        args = PlaceOrdersArgs(
            PlaceOrderType.POST_ONLY,
            tuple(PlaceMultipleOrdersArgs(p, bid_quote_lots_needed(p, n, fee)) for p, n in bids),
            tuple(PlaceMultipleOrdersArgs(p, bid_quote_lots_needed(p, n, fee)) for p, n in asks),
            0,
        )
        return self.exchange.cancel_all_and_place_orders(
            trader.owner,
            trader.account_id,
            args,
            trader.base_token,
            trader.quote_token,
            now_ns // NS_PER_S,
        )

    def cancel_all(self, trader: Trader) -> None:
        """Cancel every order of ``trader``."""
        self.exchange.cancel_all_orders(trader.owner, trader.account_id, None, 255)

    def take(
        self, trader: Trader, side: Side, limit_price_lots: int, size_base_lots: int, now_ns: int
    ) -> int:
        """Take up to ``size_base_lots`` at ``limit_price_lots`` or better (IOC); return lots.

        Raises:
            ExchangeError: the instruction failed; nothing changed.
        """
        if size_base_lots <= 0 or limit_price_lots <= 0:
            return 0
        market = self.market
        quote_budget = self.market.max_quote_lots // 2
        args = PlaceOrderArgs(
            side,
            limit_price_lots,
            size_base_lots,
            quote_budget,
            order_type=PlaceOrderType.IMMEDIATE_OR_CANCEL,
            self_trade_behavior=SelfTradeBehavior.DECREMENT_TAKE,
            limit=TAKE_MATCH_LIMIT,
        )
        token = trader.quote_token if side is Side.BID else trader.base_token
        result = self.exchange.place_order(
            trader.owner, trader.account_id, args, token, now_ns // NS_PER_S
        )
        self._take_count += 1
        self._record(result.fills, result.taker_fees_native, now_ns)
        return result.total_base_taken_native // market.base_lot_size

    def _record(self, fills: Sequence[FillEvent], taker_fees_native: int, now_ns: int) -> None:
        if not fills:
            return
        signature = f"{self.trade_id_prefix}-{self._take_count}"
        qls = self.spec.quote_lot_size
        maker_fee = self.spec.maker_fee_ppm
        swarm = self.swarm_accounts
        notionals = [fill.quantity * fill.price * qls for fill in fills]
        taker_fees = _split(taker_fees_native, notionals)
        for index, (fill, quote_native) in enumerate(zip(fills, notionals, strict=True)):
            self._tape.append(
                MarketTrade(
                    trade_id=TradeId(signature, index),
                    ts_ns=now_ns,
                    price_lots=PriceLots(fill.price),
                    size_base_lots=BaseLots(fill.quantity),
                    taker_side=fill.taker_side,
                    maker_wallet=swarm.get(fill.maker),
                    taker_wallet=swarm.get(fill.taker),
                    maker_fee_native=maker_fees_floor(quote_native, maker_fee)
                    - maker_rebate_floor(quote_native, maker_fee),
                    taker_fee_native=taker_fees[index],
                )
            )

    def drain_trades(self) -> tuple[MarketTrade, ...]:
        """Return the trades since the previous call, oldest first, and forget them."""
        trades = tuple(self._tape)
        self._tape.clear()
        return trades

    # -- crank -------------------------------------------------------------------------------

    def crank(self, account_ids: Iterable[str] | None = None) -> int:
        """Consume the events of ``account_ids`` (None: every event); return how many.

        Runs ``consume_given_events`` (or ``consume_events``) 8 events at a time, as a keeper
        passing those accounts would.
        """
        exchange = self.exchange
        heap = self.market.event_heap
        if account_ids is None:
            accounts = list(exchange.open_orders)
            done = 0
            while len(heap):
                consumed = len(exchange.consume_events(MARKET_ID, 8, accounts).events)
                if consumed == 0:  # an event of an account that no longer exists stays
                    break
                done += consumed
            return done
        wanted = set(account_ids)
        slots = [slot for slot, event in heap if event.owner in wanted]
        accounts = sorted(wanted)
        for start in range(0, len(slots), CRANK_EVENTS_PER_INSTRUCTION):
            chunk = slots[start : start + CRANK_EVENTS_PER_INSTRUCTION]
            exchange.consume_given_events(MARKET_ID, chunk, accounts)
        return len(slots)

    @property
    def heap_fill_ratio(self) -> float:
        """Return the share of the 600 event heap slots in use."""
        return len(self.market.event_heap) / MAX_NUM_EVENTS

    # -- inspection --------------------------------------------------------------------------

    def best_prices(self, now_ns: int) -> tuple[int | None, int | None]:
        """Return the best bid and best ask in ticks (None for an empty side)."""
        now_s = now_ns // NS_PER_S
        return self.market.bids.best_price(now_s), self.market.asks.best_price(now_s)

    def blocked_slots(self, account_id: str) -> int:
        """Return the account's slots whose order left the book but whose event is pending."""
        account = self.exchange.open_orders[account_id]
        return account.open_orders_in_use - self.resting_count(account_id)

    def swarm_extremes(self) -> tuple[int | None, int | None]:
        """Return the highest resting swarm bid and the lowest resting swarm ask (ticks)."""
        market = self.market
        open_orders = self.exchange.open_orders
        max_bid: int | None = None
        min_ask: int | None = None
        for account_id in self.swarm_accounts:
            for slot in open_orders[account_id].slots:
                if slot is None:
                    continue
                if slot.side is Side.BID:
                    if slot.order_id in market.bids.by_id and (
                        max_bid is None or slot.locked_price > max_bid
                    ):
                        max_bid = slot.locked_price
                elif slot.order_id in market.asks.by_id and (
                    min_ask is None or slot.locked_price < min_ask
                ):
                    min_ask = slot.locked_price
        return max_bid, min_ask

    def resting_count(self, account_id: str) -> int:
        """Return how many of the account's orders rest on the book."""
        market = self.market
        count = 0
        for slot in self.exchange.open_orders[account_id].slots:
            if slot is not None:
                book = market.bids if slot.side is Side.BID else market.asks
                count += slot.order_id in book.by_id
        return count
