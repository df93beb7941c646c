from __future__ import annotations

import pytest

from bmvbot.core.types import Side
from bmvbot.exchange import (
    Exchange,
    ExchangeError,
    MarketAccounts,
    MarketParams,
    PlaceOrderArgs,
    PlaceOrderType,
)

NOW_S = 1_000
FUNDS = 10**12


def _exchange(*, close_admin: str | None = "closer", orders_admin: str | None = None) -> Exchange:
    exchange = Exchange()
    params = MarketParams(
        name="x", base_mint="base", quote_mint="quote", base_lot_size=1, quote_lot_size=1,
        collect_fee_admin="admin", close_market_admin=close_admin, open_orders_admin=orders_admin,
    )  # fmt: skip
    exchange.create_market(MarketAccounts.derived("x"), params, NOW_S)
    for owner in ("alice", "bob"):
        exchange.ledger.open_account(f"{owner}.base", "base", owner, FUNDS)
        exchange.ledger.open_account(f"{owner}.quote", "quote", owner, FUNDS)
        exchange.create_open_orders_indexer(owner)
        exchange.create_open_orders_account(owner, "x")
    return exchange


def _bid(exchange: Exchange, *, admin: str | None = None) -> int | None:
    args = PlaceOrderArgs(Side.BID, 10, 5, 50, order_type=PlaceOrderType.POST_ONLY)
    result = exchange.place_order(
        "alice", "alice.oo1", args, "alice.quote", NOW_S, open_orders_admin=admin
    )
    return result.order_id


def _code(exchange_call: pytest.ExceptionInfo[ExchangeError]) -> int | None:
    return exchange_call.value.code


def test_lifecycle_expire_prune_settle_close_empties_the_market() -> None:
    exchange = _exchange()
    _bid(exchange)

    exchange.set_market_expired("closer", "x", NOW_S)
    with pytest.raises(ExchangeError) as refused_order:
        _bid(exchange)
    with pytest.raises(ExchangeError) as not_empty:
        exchange.close_market("closer", "x", NOW_S + 1)
    pruned = exchange.prune_orders("closer", "alice.oo1", 24, NOW_S + 1)
    exchange.settle_funds_expired("closer", "alice.oo1", "alice.base", "alice.quote", NOW_S + 1)
    exchange.close_market("closer", "x", NOW_S + 1)

    assert (_code(refused_order), _code(not_empty), pruned) == (6030, 6041, 5)
    assert "x" not in exchange.markets
    assert exchange.ledger.balance("alice.quote") == FUNDS
    assert exchange.ledger.balance("x.quote_vault") == 0


@pytest.mark.parametrize(("close_admin", "signer", "code"), [(None, "closer", 6015),
                                                              ("closer", "bob", 6016)])  # fmt: skip
def test_lifecycle_only_the_close_admin_expires(
    close_admin: str | None, signer: str, code: int
) -> None:
    exchange = _exchange(close_admin=close_admin)

    with pytest.raises(ExchangeError) as caught:
        exchange.set_market_expired(signer, "x", NOW_S)

    assert _code(caught) == code
    assert exchange.markets["x"].time_expiry == 0


def test_lifecycle_prune_needs_an_expired_market() -> None:
    exchange = _exchange()
    _bid(exchange)

    with pytest.raises(ExchangeError) as caught:
        exchange.prune_orders("closer", "alice.oo1", 24, NOW_S)

    assert _code(caught) == 6033
    assert len(exchange.markets["x"].bids) == 1


def test_lifecycle_settle_expired_pays_only_the_owner() -> None:
    exchange = _exchange()
    exchange.set_market_expired("closer", "x", NOW_S)

    with pytest.raises(ExchangeError) as caught:
        exchange.settle_funds_expired("closer", "alice.oo1", "bob.base", "bob.quote", NOW_S + 1)

    assert (caught.value.name, caught.value.code) == ("ConstraintRaw", 2003)


def test_lifecycle_open_orders_admin_must_co_sign() -> None:
    exchange = _exchange(orders_admin="gate")

    with pytest.raises(ExchangeError) as missing:
        _bid(exchange)
    placed = _bid(exchange, admin="gate")

    assert _code(missing) == 6017
    assert placed is not None
