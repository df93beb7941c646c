"""A funded market for exchange unit tests: wallets alice, bob, carol with one account each."""

from __future__ import annotations

from dataclasses import dataclass

from bmvbot.core.types import Side
from bmvbot.exchange import (
    Exchange,
    Market,
    MarketAccounts,
    MarketParams,
    OpenOrdersAccount,
    OrderResult,
    PlaceOrderArgs,
    PlaceOrderType,
    SelfTradeBehavior,
)

START_S = 1_700_000_000
FUNDS_NATIVE = 10**12
WALLETS = ("alice", "bob", "carol")


@dataclass
class Venue:
    """An exchange with one market ``m`` and funded wallets; helpers keep tests short."""

    exchange: Exchange
    now_s: int = START_S

    @property
    def market(self) -> Market:
        return self.exchange.markets["m"]

    def account(self, owner: str) -> OpenOrdersAccount:
        return self.exchange.open_orders[f"{owner}.oo1"]

    def place(
        self,
        owner: str,
        side: Side,
        price_lots: int,
        base_lots: int,
        *,
        order_type: PlaceOrderType = PlaceOrderType.LIMIT,
        quote_lots: int | None = None,
        client_order_id: int = 0,
        behavior: SelfTradeBehavior = SelfTradeBehavior.DECREMENT_TAKE,
        expiry_timestamp: int = 0,
        limit: int = 10,
        remaining: tuple[str, ...] = (),
    ) -> OrderResult:
        quote = base_lots * price_lots * 2 if quote_lots is None else quote_lots
        args = PlaceOrderArgs(
            side, price_lots, base_lots, quote, client_order_id, order_type, expiry_timestamp,
            behavior, limit,
        )  # fmt: skip
        token = f"{owner}.quote" if side is Side.BID else f"{owner}.base"
        return self.exchange.place_order(owner, f"{owner}.oo1", args, token, self.now_s, remaining)

    def crank(self) -> None:
        ids = [f"{w}.oo1" for w in WALLETS]
        while len(self.market.event_heap):
            self.exchange.consume_events("m", 8, ids)

    def settle(self, owner: str) -> tuple[int, int]:
        return self.exchange.settle_funds(owner, f"{owner}.oo1", f"{owner}.base", f"{owner}.quote")

    def book(self, side: Side) -> list[tuple[int, int, str]]:
        book = self.market.book_side(side)
        return [(o.price_lots, o.quantity, o.owner) for o in book.iter_orders()]


def make_venue(
    *, maker_fee: int = 0, taker_fee: int = 0, base_lot_size: int = 1_000_000,
    quote_lot_size: int = 1, record_logs: bool = False,
) -> Venue:  # fmt: skip
    """Return a venue with market ``m`` (9/6 decimals) and funded wallets."""
    exchange = Exchange(record_logs=record_logs)
    params = MarketParams(
        name="m", base_mint="base", quote_mint="quote", base_lot_size=base_lot_size,
        quote_lot_size=quote_lot_size, maker_fee=maker_fee, taker_fee=taker_fee,
        collect_fee_admin="admin",
    )  # fmt: skip
    exchange.create_market(MarketAccounts.derived("m"), params, START_S)
    exchange.ledger.open_account("admin.quote", "quote", "admin")
    for owner in WALLETS:
        exchange.ledger.open_account(f"{owner}.base", "base", owner, FUNDS_NATIVE)
        exchange.ledger.open_account(f"{owner}.quote", "quote", owner, FUNDS_NATIVE)
        exchange.create_open_orders_indexer(owner)
        exchange.create_open_orders_account(owner, "m", owner)
    return Venue(exchange)
