"""Matching of one order against a market, as the program's ``Orderbook::new_order`` does it.

The opposing side is walked best first: expired orders are dropped (Out events, at most five per
order), the walk stops at the limit price, a post-only order that would cross stops and posts
nothing, and each match fills at the maker's price. Matched makers are told through Fill events
pushed on the heap, or at once when the taker passed their OpenOrders account. What is left is
posted (if the type allows and the quote budget after fees buys at least one lot).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from bmvbot.core.types import FEES_SCALE, PlaceOrderType, SelfTradeBehavior, Side
from bmvbot.exchange.accounting import apply_out_event, execute_maker, position_log
from bmvbot.exchange.book import BookSide
from bmvbot.exchange.errors import OpenBookErrorCode, openbook_error, runtime_error
from bmvbot.exchange.events import MAX_NUM_EVENTS, FillEvent, OutEvent
from bmvbot.exchange.fees import (
    maker_fees_ceil,
    subtract_taker_fees,
    taker_fees_ceil,
)
from bmvbot.exchange.logs import TotalOrderFillEvent
from bmvbot.exchange.market import Market
from bmvbot.exchange.open_orders import OpenOrdersAccount, OpenOrderSlot
from bmvbot.exchange.orders import (
    MARKET_ASK_PRICE_LOTS,
    MARKET_BID_PRICE_LOTS,
    OrderResult,
    RestingOrder,
)

_BID = Side.BID
_new_tuple = tuple.__new__
"""Build a NamedTuple from its fields in order, without its Python-level ``__new__`` (hot path;
mypy checks the class, not the fields: the golden traces catch a field out of order)."""
_ASK = Side.ASK
_POST_ONLY_TYPES = frozenset(t for t in PlaceOrderType if t.is_post_only)
_RESTING_TYPES = frozenset(t for t in PlaceOrderType if t.can_rest)
_LIMIT_PRICED_TYPES = frozenset(
    (PlaceOrderType.LIMIT, PlaceOrderType.POST_ONLY, PlaceOrderType.IMMEDIATE_OR_CANCEL)
)

DROP_EXPIRED_ORDER_LIMIT = 5
"""Expired orders one order may drop from the opposing side."""
FILL_EVENT_REMAINING_LIMIT = 15
"""Fills of one order that may be applied inline to makers passed as remaining accounts."""


class NewOrder(NamedTuple):
    """An order ready for matching (the program's ``Order``): validated, tif computed.

    Attributes:
        side: bid or ask.
        price_lots: limit price (ignored for Market orders).
        max_base_lots: size cap.
        max_quote_lots_including_fees: quote budget including fees.
        client_order_id: echoed in fills.
        time_in_force: seconds the order may rest, 0 = forever (<= 65,535).
        self_trade_behavior: what a match with the taker's own order does.
        order_type: the placement type.
    """

    side: Side
    price_lots: int
    max_base_lots: int
    max_quote_lots_including_fees: int
    client_order_id: int
    time_in_force: int
    self_trade_behavior: SelfTradeBehavior
    order_type: PlaceOrderType


def _push(market: Market, event: FillEvent | OutEvent) -> None:
    try:
        market.event_heap.push_back(event)
    except OverflowError:
        raise runtime_error(
            "ProgramFailedToComplete", f"event heap of market {market.market_id} is full"
        ) from None


class _Matcher:
    """State of one ``new_order`` call (the locals of the Rust function)."""

    __slots__ = ("fills", "inline_fills", "market", "owner", "remaining", "taker")

    def __init__(
        self,
        market: Market,
        taker: OpenOrdersAccount | None,
        owner: str,
        remaining: Mapping[str, OpenOrdersAccount],
    ) -> None:
        self.market = market
        self.taker = taker
        self.owner = owner
        self.remaining = remaining
        self.inline_fills = 0
        self.fills: list[FillEvent] = []

    def process_out(self, out: OutEvent) -> None:
        taker = self.taker
        if taker is not None and out.owner == self.owner:
            apply_out_event(self.market, taker, out)
            return
        account = self.remaining.get(out.owner)
        if account is not None:
            apply_out_event(self.market, account, out)
        else:
            _push(self.market, out)

    def drop_expired(self, order: RestingOrder, now_s: int) -> None:
        heap = self.market.event_heap
        out = OutEvent(
            order.side, order.owner_slot, now_s, heap.seq_num, order.owner, order.quantity
        )
        self.process_out(out)

    def process_fill(self, fill: FillEvent) -> None:
        self.fills.append(fill)
        if self.inline_fills < FILL_EVENT_REMAINING_LIMIT:
            maker = self.remaining.get(fill.maker)
            if maker is not None:
                if maker is self.taker:
                    # the taker's account is already borrowed by the instruction
                    raise runtime_error(
                        "AccountBorrowFailed",
                        f"open orders account {fill.maker} is both taker and a remaining account",
                    )
                execute_maker(self.market, maker, fill)
                self.inline_fills += 1
                return
        _push(self.market, fill)

    def fill(self, order: NewOrder, maker: RestingOrder, quantity: int, now_s: int) -> None:
        market = self.market
        heap = market.event_heap
        fill = _new_tuple(FillEvent, (
            order.side, quantity == maker.quantity, maker.owner_slot, now_s, heap.seq_num,
            maker.owner, maker.timestamp, self.owner, order.client_order_id, maker.price_lots, -1,
            quantity, maker.client_order_id,
        ))  # fmt: skip
        if self.remaining:
            self.process_fill(fill)
            return
        self.fills.append(fill)
        if heap.count == MAX_NUM_EVENTS:
            _push(market, fill)  # raises
        heap.push_back(fill)


def _effective_price(market: Market, order: NewOrder, now_s: int) -> int:
    order_type = order.order_type
    if order_type is PlaceOrderType.MARKET:
        return MARKET_BID_PRICE_LOTS if order.side is Side.BID else MARKET_ASK_PRICE_LOTS
    price = order.price_lots
    if order_type is PlaceOrderType.POST_ONLY_SLIDE:
        best_other = market.book_side(order.side.opposite).best_price(now_s)
        if best_other is not None:
            price = (
                min(price, best_other - 1) if order.side is Side.BID else max(price, best_other + 1)
            )
    if price < 1:
        raise openbook_error(
            OpenBookErrorCode.INVALID_PRICE_LOTS, f"effective price must be >= 1, was {price}"
        )
    return price


def new_order(
    market: Market,
    order: NewOrder,
    taker: OpenOrdersAccount | None,
    owner: str,
    now_s: int,
    limit: int,
    remaining: Mapping[str, OpenOrdersAccount],
) -> OrderResult:
    """Match ``order`` and post what is left; return the amounts and every fill.

    ``taker`` is the placing OpenOrders account (None for ``place_take_order``, where ``owner``
    is the signing wallet); ``remaining`` are the maker accounts passed along for inline fills.
    The caller moves the tokens and rolls back on error.

    Raises:
        ExchangeError: 6031 effective price < 1, 6005 sizes above the market maxima, 6029
            self trade under AbortTransaction, 6039, 6000 full side, 6036 no free slot,
            AccountBorrowFailed.
    """
    side, price, max_base, max_quote_incl, _, _, _, order_type = order
    if order_type not in _LIMIT_PRICED_TYPES:
        price = _effective_price(market, order, now_s)
    # (the instruction already refused limit prices below 1)
    is_bid = side is _BID
    max_quote = max_quote_incl
    if is_bid and order_type not in _POST_ONLY_TYPES:
        max_quote = subtract_taker_fees(max_quote, market.taker_fee)
    if max_base > market.max_base_lots or max_quote > market.max_quote_lots:
        raise _lots_size_error(market, max_base, max_quote)
    seq = market.seq_num = market.seq_num + 1
    order_id = (price << 64) | (0xFFFF_FFFF_FFFF_FFFF - seq if is_bid else seq)

    matcher = None
    if max_base and max_quote and can_cross(market, side, price, now_s):
        matcher = _Matcher(market, taker, owner, remaining)
        walk = _walk(market, order, price, max_base, max_quote, matcher, now_s, limit)
        remaining_base, remaining_quote, decremented, rebates, may_post = walk
        total_base_taken = max_base - remaining_base
        total_quote_taken = max_quote - remaining_quote
    else:
        remaining_base = max_base
        total_base_taken = total_quote_taken = 0
        may_post = True
    taker_fees = referrer_amount = 0
    if matcher is not None and (total_base_taken or total_quote_taken):
        taker_fees, referrer_amount = _account_taker(
            market, order, matcher, total_base_taken, total_quote_taken, decremented, rebates
        )
    budget = max_quote_incl - total_quote_taken - taker_fees
    maker_fee = market.maker_fee
    if budget > 0 and maker_fee > 0:
        budget -= maker_fees_ceil(budget, maker_fee)
    # Rust integer division truncates toward zero; the v1.7 budget may go negative
    book_quantity = budget // price if budget >= 0 else -(-budget // price)
    if remaining_base < book_quantity:
        book_quantity = remaining_base
    posted = 0
    maker_fees = 0
    if may_post and book_quantity > 0 and order_type in _RESTING_TYPES:
        maker_fees = _post(
            market, order, matcher or _Matcher(market, taker, owner, remaining), order_id, seq,
            price, book_quantity, now_s,
        )  # fmt: skip
        posted = book_quantity
    base_lot_size = market.base_lot_size
    quote_lot_size = market.quote_lot_size
    # positional: order_id, posted lots, base/quote taken, taker/maker fees, referrer, posted
    return _new_tuple(OrderResult, (
        order_id if posted else None,
        posted,
        total_base_taken * base_lot_size,
        total_quote_taken * quote_lot_size,
        taker_fees,
        maker_fees,
        referrer_amount,
        posted * base_lot_size,
        posted * price * quote_lot_size,
        () if matcher is None else tuple(matcher.fills),
    ))  # fmt: skip


def _lots_size_error(market: Market, max_base: int, max_quote: int) -> Exception:
    return openbook_error(
        OpenBookErrorCode.INVALID_INPUT_LOTS_SIZE,
        f"max_base_lots {max_base} must be <= {market.max_base_lots} and max "
        f"quote lots {max_quote} <= {market.max_quote_lots}",
    )


def can_cross(market: Market, side: Side, price: int, now_s: int) -> bool:
    """Return False when the opposing best order is live and does not cross ``price``.

    Then matching has nothing to do: no drop of expired orders, no fill.
    """
    opposing = market.asks if side is _BID else market.bids
    prices = opposing.prices
    if not prices:
        return False
    best = opposing.levels[prices[0] if side is _BID else prices[-1]][0]
    if best.time_in_force and now_s >= best.timestamp + best.time_in_force:
        return True
    return best.price_lots <= price if side is _BID else best.price_lots >= price


def _walk(
    market: Market,
    order: NewOrder,
    price: int,
    remaining_base: int,
    remaining_quote: int,
    matcher: _Matcher,
    now_s: int,
    limit: int,
) -> tuple[int, int, int, int, bool]:
    is_bid = order.side is _BID
    opposing = market.asks if is_bid else market.bids
    is_post_only = order.order_type in _POST_ONLY_TYPES
    taker = matcher.taker
    owner = matcher.owner
    fill = matcher.fill
    quote_lot_size = market.quote_lot_size
    # maker_rebate_floor(quote native, maker_fee), inline: the rebate rate is -maker_fee or 0
    rebate_rate = -market.maker_fee if market.maker_fee <= 0 else 0
    decremented = 0
    rebates = 0
    dropped = 0
    may_post = True
    changes: list[tuple[RestingOrder, int]] = []
    deletes: list[RestingOrder] = []
    for best in opposing.iter_orders():
        if remaining_base == 0 or remaining_quote == 0:
            break
        if best.time_in_force and now_s >= best.timestamp + best.time_in_force:
            if dropped < DROP_EXPIRED_ORDER_LIMIT:
                dropped += 1
                matcher.drop_expired(best, now_s)
                deletes.append(best)
            continue
        best_price = best.price_lots
        if (best_price > price) if is_bid else (best_price < price):
            break
        # post-only would cross, matching limit reached, or the budget buys no lot: stop, no post
        if is_post_only or limit == 0 or remaining_quote < best_price:
            may_post = False
            break
        quantity = best.quantity
        match_base = min(remaining_base, quantity, remaining_quote // best_price)
        match_quote = match_base * best_price
        if taker is not None and owner == best.owner:
            if _is_provide_cancelled(market, order, taker, best):
                deletes.append(best)
                continue
            decremented += match_quote
        else:
            rebates += match_quote * quote_lot_size * rebate_rate // FEES_SCALE
        remaining_base -= match_base
        remaining_quote -= match_quote
        if quantity != match_base:
            changes.append((best, quantity - match_base))
        else:
            deletes.append(best)
        fill(order, best, match_base, now_s)
        limit -= 1
    _apply_matches(opposing, changes, deletes)
    return remaining_base, remaining_quote, decremented, rebates, may_post


def _apply_matches(
    book: BookSide, changes: list[tuple[RestingOrder, int]], deletes: list[RestingOrder]
) -> None:
    # the program edits the opposing side only after the walk, partial fills first
    for resting, quantity in changes:
        book.set_quantity(resting, quantity)
    for resting in deletes:
        book.remove(resting)


def _is_provide_cancelled(
    market: Market, order: NewOrder, taker: OpenOrdersAccount, resting: RestingOrder
) -> bool:
    # a match with the taker's own order: cancel it, abort, or fill without fees
    behavior = order.self_trade_behavior
    if behavior is SelfTradeBehavior.CANCEL_PROVIDE:
        taker.cancel_order(
            resting.owner_slot,
            resting.quantity,
            market.base_lot_size,
            market.quote_lot_size,
            market.maker_fee,
        )
        return True
    if behavior is SelfTradeBehavior.ABORT_TRANSACTION:
        raise openbook_error(
            OpenBookErrorCode.WOULD_SELF_TRADE,
            f"order would match resting order {resting.order_id} of the same account",
        )
    return False


def _account_taker(
    market: Market,
    order: NewOrder,
    matcher: _Matcher,
    base_taken: int,
    quote_taken: int,
    decremented: int,
    rebates: int,
) -> tuple[int, int]:
    # the taker's side of the trade is booked at once; makers learn of it through events
    taker_fees = 0
    referrer_amount = 0
    base_native = base_taken * market.base_lot_size
    quote_native = quote_taken * market.quote_lot_size
    quote_without_self = (quote_taken - decremented) * market.quote_lot_size
    if quote_without_self > 0:
        taker_fees = taker_fees_ceil(quote_without_self, market.taker_fee)
        referrer_amount = taker_fees - rebates
        market.fees_accrued += referrer_amount
    taker = matcher.taker
    if taker is not None:
        if order.side is _BID:
            taker.base_free_native += base_native
        else:
            taker.quote_free_native += quote_native - taker_fees
        taker.taker_volume += quote_native
        taker.referrer_rebates_available += referrer_amount
        market.referrer_rebates_accrued += referrer_amount
    else:
        market.taker_volume_wo_oo += quote_native
    logs = market.logs
    if logs is not None:
        if taker is not None:
            logs.append(position_log(market, taker))
        if order.side is _BID:
            paid, received = quote_native + taker_fees, base_native
        else:
            paid, received = base_native, quote_native - taker_fees
        logs.append(TotalOrderFillEvent(int(order.side), matcher.owner, paid, received, taker_fees))
    return taker_fees, referrer_amount


def _post(
    market: Market,
    order: NewOrder,
    matcher: _Matcher,
    order_id: int,
    seq: int,
    price: int,
    quantity: int,
    now_s: int,
) -> int:
    if quantity * price > market.max_quote_lots:
        raise openbook_error(
            OpenBookErrorCode.INVALID_POST_AMOUNT,
            f"posted quote {quantity * price} lots exceeds {market.max_quote_lots}",
        )
    taker = matcher.taker
    if taker is None:
        raise openbook_error(OpenBookErrorCode.SOME_ERROR, "a take order cannot post")
    side = order.side
    maker_fees = 0
    if side is _BID:
        book = market.bids
        if market.maker_fee > 0:
            maker_fees = maker_fees_ceil(quantity * price * market.quote_lot_size, market.maker_fee)
            taker.locked_maker_fees += maker_fees
    else:
        book = market.asks
    if book.expiring:
        expired = book.earliest_expired(now_s)
        if expired is not None:
            book.remove(expired)
            matcher.drop_expired(expired, now_s)
    # a side can only be full from 512 orders on (2L-1 of 1,024 nodes)
    if len(book.by_id) >= 511 and book.is_full:
        _evict_worst(book, matcher, price, now_s)
    slots = taker.slots
    slot = slots.index(None) if None in slots else taker.next_order_slot()
    client_order_id = order.client_order_id
    book.insert(
        RestingOrder(
            side, order_id, price, quantity, matcher.owner, slot, now_s, order.time_in_force,
            client_order_id, seq,
        )
    )  # fmt: skip
    # OpenOrdersAccount.add_order, inline
    if side is _BID:
        taker.bids_base_lots += quantity
        taker.bids_quote_lots += quantity * price
    else:
        taker.asks_base_lots += quantity
    slots[slot] = _new_tuple(OpenOrderSlot, (order_id, client_order_id, price, side))
    return maker_fees


def _evict_worst(book: BookSide, matcher: _Matcher, price: int, now_s: int) -> None:
    # the program removes the worst order first and only then refuses a price not better
    worst = book.worst_order()
    if worst is None:
        raise openbook_error(OpenBookErrorCode.SOME_ERROR, "book side is full but empty")
    book.remove(worst)
    is_better = price > worst.price_lots if book.side is _BID else price < worst.price_lots
    if not is_better:
        raise openbook_error(
            OpenBookErrorCode.SOME_ERROR,
            f"book side is full and price {price} is not better than the worst {worst.price_lots}",
        )
    matcher.drop_expired(worst, now_s)
