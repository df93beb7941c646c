"""Batch placement: ``place_orders`` and ``cancel_all_and_place_orders`` as v1.7 runs them.

Entries carry only a price, a quote budget and an expiry. Bids come first, then asks; each
entry's client order id is its index in bids ++ asks (an already-expired entry is skipped but
keeps its index and is left out of the returned ids); the self-trade behaviour is CancelProvide;
the size is bounded by ``i64::MAX // base_lot_size`` and, silently, by what the wallet and the
free balance can pay. The cancel variant first cancels every order of the account. Tokens move
once at the end (free balances first, then quote, then base). Any hard error undoes everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bmvbot.core.types import PlaceOrderType, SelfTradeBehavior, Side
from bmvbot.exchange.accounting import cancel_all
from bmvbot.exchange.errors import OpenBookErrorCode, openbook_error
from bmvbot.exchange.ledger import TokenLedger
from bmvbot.exchange.market import Market
from bmvbot.exchange.matching import NewOrder, new_order
from bmvbot.exchange.open_orders import OpenOrdersAccount
from bmvbot.exchange.orders import PlaceMultipleOrdersArgs, tif_from_expiry

_CANCEL_ALL_LIMIT = 255
_new_tuple = tuple.__new__
"""Build a NamedTuple from its fields in order, without its Python-level ``__new__`` (hot path;
mypy checks the class, not the fields: the golden traces catch a field out of order)."""


def prepare_batch(
    orders_type: PlaceOrderType,
    bids: Sequence[PlaceMultipleOrdersArgs],
    asks: Sequence[PlaceMultipleOrdersArgs],
    now_s: int,
) -> list[NewOrder]:
    """Turn batch entries into orders (the instruction's argument handling).

    Raises:
        ExchangeError: 6008 when an entry's price is < 1.
    """
    orders: list[NewOrder] = []
    for index, entry in enumerate([*bids, *asks]):
        if entry.price_lots < 1:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_PRICE_LOTS,
                f"entry {index} price_lots must be >= 1, was {entry.price_lots}",
            )
        tif = tif_from_expiry(entry.expiry_timestamp, now_s)
        if tif is None:
            continue
        orders.append(
            _new_tuple(NewOrder, (
                Side.BID if index < len(bids) else Side.ASK,
                entry.price_lots,
                0,
                entry.max_quote_lots_including_fees,
                index,
                tif,
                SelfTradeBehavior.CANCEL_PROVIDE,
                orders_type,
            ))
        )  # fmt: skip
    return orders


def run_batch(
    ledger: TokenLedger,
    market: Market,
    account: OpenOrdersAccount,
    signer: str,
    orders: Sequence[NewOrder],
    *,
    should_cancel: bool,
    limit: int,
    user_base_account: str,
    user_quote_account: str,
    now_s: int,
    remaining: Mapping[str, OpenOrdersAccount],
) -> list[int | None]:
    """Run a prepared batch for ``account``; the caller checkpoints and rolls back on error.

    Raises:
        ExchangeError: 6030, 6004, matching errors (6036, 6000, 6029 ...), SPL errors.
    """
    market.require_not_expired(now_s)
    heap = market.event_heap
    events_before = heap.count
    if should_cancel:
        cancel_all(market, account, None, _CANCEL_ALL_LIMIT)
    base_amount = 0
    quote_amount = 0
    wallet_base = ledger.balance(user_base_account)
    wallet_quote = ledger.balance(user_quote_account)
    order_ids: list[int | None] = []
    for prepared in orders:
        order = _capped(
            market, account, prepared, wallet_base - base_amount, wallet_quote - quote_amount
        )
        result = new_order(market, order, account, account.account_id, now_s, limit, remaining)
        if order.side is Side.BID:
            quote_amount += (
                result.total_quote_taken_native
                + result.posted_quote_native
                + result.taker_fees_native
                + result.maker_fees_native
            )
        else:
            base_amount += result.total_base_taken_native + result.posted_base_native
        order_ids.append(result.order_id)
    from_free_base = min(base_amount, account.base_free_native)
    from_free_quote = min(quote_amount, account.quote_free_native)
    account.base_free_native -= from_free_base
    account.quote_free_native -= from_free_quote
    market.base_deposit_total += base_amount - from_free_base
    market.quote_deposit_total += quote_amount - from_free_quote
    if heap.count > events_before:
        account.penalty_heap_count += 1
    vaults = market.accounts
    ledger.transfer(user_quote_account, vaults.quote_vault, quote_amount - from_free_quote, signer)
    ledger.transfer(user_base_account, vaults.base_vault, base_amount - from_free_base, signer)
    return order_ids


def _capped(
    market: Market,
    account: OpenOrdersAccount,
    order: NewOrder,
    wallet_base_left: int,
    wallet_quote_left: int,
) -> NewOrder:
    if order.max_quote_lots_including_fees < 0:
        raise openbook_error(
            OpenBookErrorCode.INVALID_INPUT_LOTS,
            f"entry {order.client_order_id} max_quote_lots_including_fees must be >= 0, was "
            f"{order.max_quote_lots_including_fees}",
        )
    max_base = market.max_base_lots
    max_quote = order.max_quote_lots_including_fees
    if order.side is Side.ASK:
        available = wallet_base_left + account.base_free_native
        max_base = min(max_base, available // market.base_lot_size)
    else:
        available = wallet_quote_left + account.quote_free_native
        max_quote = min(max_quote, market.max_quote_lots, available // market.quote_lot_size)
    side, price_lots, _, _, client_order_id, tif, self_trade_behavior, order_type = order
    return _new_tuple(NewOrder, (
        side, price_lots, max_base, max_quote, client_order_id, tif, self_trade_behavior,
        order_type,
    ))  # fmt: skip
