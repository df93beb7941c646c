"""Order instructions: place_order, edit_order, place_take_order, the batches and cancels.

Each method runs the program's checks in its order (account constraints, then arguments), then
matching under a :class:`~bmvbot.exchange.state.Checkpoint`, and moves the tokens the order
needs from the user's token account (free balances first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from bmvbot.core.types import PlaceOrderType, SelfTradeBehavior, Side
from bmvbot.exchange.accounting import cancel_all, cancel_resting
from bmvbot.exchange.batch import prepare_batch, run_batch
from bmvbot.exchange.errors import (
    OpenBookErrorCode,
    openbook_error,
)
from bmvbot.exchange.events import MAX_NUM_EVENTS
from bmvbot.exchange.fees import maker_fees_ceil
from bmvbot.exchange.ledger import TokenAccount
from bmvbot.exchange.market import Market
from bmvbot.exchange.matching import DROP_EXPIRED_ORDER_LIMIT, NewOrder, new_order
from bmvbot.exchange.open_orders import (
    OpenOrdersAccount,
)
from bmvbot.exchange.orders import (
    I64,
    U8,
    U64,
    OrderResult,
    PlaceOrderArgs,
    PlaceOrdersArgs,
    PlaceTakeOrderArgs,
    require_wire_range,
    tif_from_expiry,
)
from bmvbot.exchange.state import Checkpoint, ExchangeState

_NO_ACCOUNTS: Mapping[str, OpenOrdersAccount] = MappingProxyType({})
_BID = Side.BID
_new_tuple = tuple.__new__
"""Build a NamedTuple from its fields in order, without its Python-level ``__new__`` (hot path;
mypy checks the class, not the fields: the golden traces catch a field out of order)."""
_U128_MAX = (1 << 128) - 1
_ABORT = SelfTradeBehavior.ABORT_TRANSACTION
_RESTING_TYPES = frozenset(t for t in PlaceOrderType if t.can_rest)
_MOST_OUT_EVENTS = DROP_EXPIRED_ORDER_LIMIT + 2
"""Out events one order may push besides its fills: expired orders dropped while matching,
one expired order removed and one order evicted when posting."""
_ROOMY_SIDE = 500
"""Fewer resting orders than this on a side: it cannot be full (that takes 512)."""


class PlacementInstructions(ExchangeState):
    """Placement and cancellation instructions over an :class:`ExchangeState`.

    Every placement takes ``open_orders_admin``: on a market created with one it must be that
    key (the co-signer), else 6017 InvalidOpenOrdersAdmin; on other markets it must be None.
    """

    # -- orders ------------------------------------------------------------------------------

    def place_order(
        self,
        signer: str,
        account_id: str,
        args: PlaceOrderArgs,
        user_token_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
        *,
        open_orders_admin: str | None = None,
    ) -> OrderResult:
        """Place one order (``place_order``); ``result.order_id`` is the return data.

        ``user_token_account`` pays the shortfall (quote for a bid, base for an ask) beyond
        the account's free balance. ``remaining_accounts`` are maker OpenOrders accounts whose
        fills are applied at once (at most 15).

        Raises:
            ExchangeError: 6034, 6008, 6004, 6030, and every error of matching; SPL errors.
        """
        account = self.open_orders.get(account_id)
        if account is None or (signer != account.owner and signer != account.delegate):
            account, market = self._trading_account(signer, account_id)  # raises
        market = self.markets[account.market]
        side = args.side
        token = self.ledger.accounts.get(user_token_account)
        is_bid = side is _BID
        params = market.params
        if token is None or token.mint != (params.quote_mint if is_bid else params.base_mint):
            token = self._side_tokens(market, side, user_token_account)[0]  # raises
        if params.open_orders_admin != open_orders_admin:
            _require_open_orders_admin(market, open_orders_admin)  # raises
        if args.price_lots < 1:
            raise _price_error(args.price_lots)
        expiry = args.expiry_timestamp
        tif = tif_from_expiry(expiry, now_s) if expiry else 0
        if tif is None:
            return OrderResult.skipped()
        order = _new_tuple(NewOrder, (
            side, args.price_lots, args.max_base_lots, args.max_quote_lots_including_fees,
            args.client_order_id, tif, args.self_trade_behavior, args.order_type,
        ))  # fmt: skip
        limit = args.limit
        if not remaining_accounts and _cannot_fail_once_started(
            market, account, order, token, signer, limit
        ):
            return self._place_order_unchecked(market, account, order, limit, token, now_s, is_bid)
        vaults = market.accounts
        tokens = [token, self.ledger.accounts[vaults.quote_vault if is_bid else vaults.base_vault]]
        remaining = self._remaining(remaining_accounts)
        checkpoint = Checkpoint(market, [account, *remaining.values()], tokens)
        try:
            result = self._place_order(
                market, account, signer, order, limit, user_token_account, now_s, remaining
            )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return result

    def _place_order_unchecked(
        self,
        market: Market,
        account: OpenOrdersAccount,
        order: NewOrder,
        limit: int,
        token: TokenAccount,
        now_s: int,
        is_bid: bool,
    ) -> OrderResult:
        # ``_cannot_fail_once_started`` held: no refusal can come after the first change
        if market.time_expiry != 0:
            market.require_not_expired(now_s)
        heap = market.event_heap
        events_before = heap.count
        result = new_order(market, order, account, account.account_id, now_s, limit, _NO_ACCOUNTS)
        deposit, vault_id = _book_deposit(market, account, result, is_bid)
        if heap.count > events_before:
            account.penalty_heap_count += 1
        if deposit:
            # the transfer's checks (owner, mint, amount) passed before the order started
            token.amount -= deposit
            self.ledger.accounts[vault_id].amount += deposit
        return result

    def _side_tokens(
        self, market: Market, side: Side, user_token_account: str
    ) -> list[TokenAccount]:
        # a bid pays quote into the quote vault, an ask base into the base vault
        params = market.params
        if side is Side.BID:
            vault_id, mint = market.accounts.quote_vault, params.quote_mint
        else:
            vault_id, mint = market.accounts.base_vault, params.base_mint
        return [self._require_token(user_token_account, mint), self.ledger.get(vault_id)]

    def _pair_tokens(
        self, market: Market, user_base_account: str, user_quote_account: str
    ) -> list[TokenAccount]:
        vaults = market.accounts
        return [
            self._require_token(user_base_account, market.params.base_mint),
            self._require_token(user_quote_account, market.params.quote_mint),
            self.ledger.get(vaults.base_vault),
            self.ledger.get(vaults.quote_vault),
        ]

    def _place_order(
        self,
        market: Market,
        account: OpenOrdersAccount,
        signer: str,
        order: NewOrder,
        limit: int,
        user_token_account: str,
        now_s: int,
        remaining: Mapping[str, OpenOrdersAccount],
    ) -> OrderResult:
        if order.max_base_lots < 0 or order.max_quote_lots_including_fees < 0:
            raise _lots_error(order.max_base_lots, order.max_quote_lots_including_fees)
        market.require_not_expired(now_s)
        heap = market.event_heap
        events_before = heap.count
        result = new_order(market, order, account, account.account_id, now_s, limit, remaining)
        deposit, vault = _book_deposit(market, account, result, order.side is Side.BID)
        if heap.count > events_before:
            account.penalty_heap_count += 1
        self.ledger.transfer(user_token_account, vault, deposit, signer)
        return result

    def edit_order(
        self,
        signer: str,
        account_id: str,
        client_order_id: int,
        expected_cancel_size: int,
        args: PlaceOrderArgs,
        user_token_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
        *,
        open_orders_admin: str | None = None,
    ) -> OrderResult:
        """Cancel the first order with ``client_order_id`` and re-place what was filled meanwhile.

        v1.7: the new order is placed only when ``expected_cancel_size`` exceeds the quantity
        cancelled (something was filled), with ``max_base_lots`` reduced by that difference.

        Raises:
            ExchangeError: 6008, 6007 (negative expected size), 6038 (no such client id), and
                the errors of ``place_order``.
        """
        require_wire_range("client_order_id", client_order_id, U64)
        require_wire_range("expected_cancel_size", expected_cancel_size, I64)
        account, market = self._trading_account(signer, account_id)
        tokens = self._side_tokens(market, args.side, user_token_account)
        _require_open_orders_admin(market, open_orders_admin)
        if args.price_lots < 1:
            raise _price_error(args.price_lots)
        tif = tif_from_expiry(args.expiry_timestamp, now_s)
        if tif is None:
            return OrderResult.skipped()
        if expected_cancel_size < 0:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_CANCEL_SIZE,
                f"expected_cancel_size must be >= 0, was {expected_cancel_size}",
            )
        remaining = self._remaining(remaining_accounts)
        checkpoint = Checkpoint(market, [account, *remaining.values()], tokens)
        try:
            cancelled = self._cancel_by_client_order_id(market, account, client_order_id)
            filled = expected_cancel_size - cancelled
            result = OrderResult.skipped()
            if filled > 0 and args.max_base_lots > filled:
                order = _new_order(args, tif, max_base_lots=args.max_base_lots - filled)
                result = self._place_order(
                    market,
                    account,
                    signer,
                    order,
                    args.limit,
                    user_token_account,
                    now_s,
                    remaining,
                )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return result

    def place_take_order(
        self,
        signer: str,
        market_id: str,
        args: PlaceTakeOrderArgs,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
        *,
        open_orders_admin: str | None = None,
    ) -> OrderResult:
        """Take liquidity without an OpenOrders account, settling in the same instruction.

        Raises:
            ExchangeError: 6008, 6010 (not Market or IOC), 6004, 6030, matching errors, SPL
                errors.
        """
        market = self.market(market_id)
        tokens = self._pair_tokens(market, user_base_account, user_quote_account)
        _require_open_orders_admin(market, open_orders_admin)
        if args.price_lots < 1:
            raise _price_error(args.price_lots)
        if args.order_type not in (PlaceOrderType.MARKET, PlaceOrderType.IMMEDIATE_OR_CANCEL):
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_ORDER_TYPE,
                f"place_take_order needs Market or ImmediateOrCancel, was {args.order_type.name}",
            )
        if args.max_base_lots < 0 or args.max_quote_lots_including_fees < 0:
            raise _lots_error(args.max_base_lots, args.max_quote_lots_including_fees)
        market.require_not_expired(now_s)
        remaining = self._remaining(remaining_accounts)
        checkpoint = Checkpoint(market, list(remaining.values()), tokens)
        order = NewOrder(
            args.side,
            args.price_lots,
            args.max_base_lots,
            args.max_quote_lots_including_fees,
            0,
            0,
            SelfTradeBehavior.DECREMENT_TAKE,
            args.order_type,
        )
        try:
            result = new_order(market, order, None, signer, now_s, args.limit, remaining)
            self._settle_take(
                market, args.side, result, signer, user_base_account, user_quote_account
            )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return result

    def _settle_take(
        self,
        market: Market,
        side: Side,
        result: OrderResult,
        signer: str,
        user_base_account: str,
        user_quote_account: str,
    ) -> None:
        # v1.7 charges a take order only the makers' rebates, not the referrer share
        makers_rebates = result.taker_fees_native - result.referrer_amount_native
        base = result.total_base_taken_native
        vaults = market.accounts
        authority = vaults.market_authority
        if side is Side.BID:
            paid = result.total_quote_taken_native + makers_rebates
            market.base_deposit_total -= base
            market.quote_deposit_total += paid
            self.ledger.transfer(user_quote_account, vaults.quote_vault, paid, signer)
            self.ledger.transfer(vaults.base_vault, user_base_account, base, authority)
        else:
            received = result.total_quote_taken_native - makers_rebates
            market.base_deposit_total += base
            market.quote_deposit_total -= received
            self.ledger.transfer(user_base_account, vaults.base_vault, base, signer)
            self.ledger.transfer(vaults.quote_vault, user_quote_account, received, authority)

    def place_orders(
        self,
        signer: str,
        account_id: str,
        args: PlaceOrdersArgs,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
        *,
        open_orders_admin: str | None = None,
    ) -> list[int | None]:
        """Place a batch without cancelling first (``place_orders``); return the ids.

        Raises:
            ExchangeError: see ``cancel_all_and_place_orders``.
        """
        return self._batch(
            signer, account_id, args, (user_base_account, user_quote_account), now_s,
            remaining_accounts, should_cancel=False,
            open_orders_admin=open_orders_admin,
        )  # fmt: skip

    def cancel_all_and_place_orders(
        self,
        signer: str,
        account_id: str,
        args: PlaceOrdersArgs,
        user_base_account: str,
        user_quote_account: str,
        now_s: int,
        remaining_accounts: Sequence[str] = (),
        *,
        open_orders_admin: str | None = None,
    ) -> list[int | None]:
        """Cancel every order of the account, then place bids, then asks; return the ids.

        One id (or None when nothing rests) per entry that had not expired. ``args.limit`` is
        the matching limit of each entry. Short funds shrink or drop entries silently.

        Raises:
            ExchangeError: 6034, 6008, 6030, 6004, matching errors (6036 OpenOrdersFull, 6000,
                ...), SPL errors; the whole instruction is undone.
        """
        return self._batch(
            signer, account_id, args, (user_base_account, user_quote_account), now_s,
            remaining_accounts, should_cancel=True,
            open_orders_admin=open_orders_admin,
        )  # fmt: skip

    def _batch(
        self,
        signer: str,
        account_id: str,
        args: PlaceOrdersArgs,
        user_tokens: tuple[str, str],
        now_s: int,
        remaining_accounts: Sequence[str],
        *,
        should_cancel: bool,
        open_orders_admin: str | None,
    ) -> list[int | None]:
        account, market = self._trading_account(signer, account_id)
        user_base_account, user_quote_account = user_tokens
        tokens = self._pair_tokens(market, user_base_account, user_quote_account)
        _require_open_orders_admin(market, open_orders_admin)
        orders = prepare_batch(args.orders_type, args.bids, args.asks, now_s)
        remaining = self._remaining(remaining_accounts)
        checkpoint = Checkpoint(market, [account, *remaining.values()], tokens)
        try:
            order_ids = run_batch(
                self.ledger,
                market,
                account,
                signer,
                orders,
                should_cancel=should_cancel,
                limit=args.limit,
                user_base_account=user_base_account,
                user_quote_account=user_quote_account,
                now_s=now_s,
                remaining=remaining,
            )
        except BaseException:
            checkpoint.rollback()
            raise
        checkpoint.commit()
        return order_ids

    # -- cancels -----------------------------------------------------------------------------

    def cancel_order(self, signer: str, account_id: str, order_id: int) -> int:
        """Cancel the order ``order_id``; return the base lots released.

        Raises:
            ExchangeError: 6034, 6011 (id 0), 6038 (not in the account), 6025 (not on the book).
        """
        if not 0 <= order_id <= _U128_MAX:
            require_wire_range("order_id", order_id, (0, _U128_MAX))  # raises
        account = self.open_orders.get(account_id)
        if account is None or (signer != account.owner and signer != account.delegate):
            account, market = self._trading_account(signer, account_id)  # raises
        market = self.markets[account.market]
        if order_id <= 0:
            raise openbook_error(
                OpenBookErrorCode.INVALID_INPUT_ORDER_ID, f"order_id must be > 0, was {order_id}"
            )
        # an order on the book names its slot: no search of the 24 slots then (ids are unique)
        order = market.bids.by_id.get(order_id) or market.asks.by_id.get(order_id)
        if order is not None and order.owner == account_id:
            entry = account.slots[order.owner_slot]
            if entry is not None and entry.order_id == order_id and entry.side is order.side:
                return cancel_resting(market, account, order)
        slot = account.find_slot_by_order_id(order_id)
        if slot is None:
            raise openbook_error(
                OpenBookErrorCode.OPEN_ORDERS_ORDER_NOT_FOUND,
                f"order {order_id} is not in account {account_id}",
            )
        return self._cancel_slot(market, account, slot)

    def cancel_order_by_client_order_id(
        self, signer: str, account_id: str, client_order_id: int
    ) -> int:
        """Cancel the first order with ``client_order_id``; return its base lots (v1.7).

        Raises:
            ExchangeError: 6034, 6038 (no order with that client id), 6025.
        """
        require_wire_range("client_order_id", client_order_id, U64)
        account, market = self._trading_account(signer, account_id)
        return self._cancel_by_client_order_id(market, account, client_order_id)

    def _cancel_by_client_order_id(
        self, market: Market, account: OpenOrdersAccount, client_order_id: int
    ) -> int:
        slot = account.find_slot_by_client_order_id(client_order_id)
        if slot is None:
            raise openbook_error(
                OpenBookErrorCode.OPEN_ORDERS_ORDER_NOT_FOUND,
                f"client order id {client_order_id} is not in account {account.account_id}",
            )
        return self._cancel_slot(market, account, slot)

    def _cancel_slot(self, market: Market, account: OpenOrdersAccount, slot: int) -> int:
        entry = account.slots[slot]
        if entry is None:
            raise KeyError(slot)
        order = market.book_side(entry.side).by_id.get(entry.order_id)
        if order is None:
            raise openbook_error(
                OpenBookErrorCode.ORDER_ID_NOT_FOUND,
                f"order {entry.order_id} is no longer on the book (filled or expired)",
            )
        return cancel_resting(market, account, order)

    def cancel_all_orders(
        self, signer: str, account_id: str, side: Side | None = None, limit: int = 255
    ) -> int:
        """Cancel the account's orders (of one side, if given), walking slots 0..23.

        At most ``limit`` slots are processed; a slot whose order already left the book is
        skipped but still counts. Returns the base lots released.

        Raises:
            ExchangeError: 6034.
        """
        require_wire_range("limit", limit, U8)
        account, market = self._trading_account(signer, account_id)
        return cancel_all(market, account, side, limit)


def _require_open_orders_admin(market: Market, open_orders_admin: str | None) -> None:
    # a market with an open orders admin needs it to co-sign every placement (and only then)
    if market.params.open_orders_admin != open_orders_admin:
        raise openbook_error(
            OpenBookErrorCode.INVALID_OPEN_ORDERS_ADMIN,
            f"market {market.market_id} needs open_orders_admin "
            f"{market.params.open_orders_admin}, was {open_orders_admin}",
        )


def _book_deposit(
    market: Market, account: OpenOrdersAccount, result: OrderResult, is_bid: bool
) -> tuple[int, str]:
    """Take what the order needs from the free balance; return the deposit and its vault.

    A bid needs the quote taken and posted plus its taker and maker fees, an ask the base taken
    and posted. The rest (the deposit) comes from the user's token account into the vault.
    """
    if is_bid:
        needed = (
            result.total_quote_taken_native
            + result.posted_quote_native
            + result.taker_fees_native
            + result.maker_fees_native
        )
        free = account.quote_free_native
        from_free = needed if needed < free else free
        account.quote_free_native -= from_free
        deposit = needed - from_free
        market.quote_deposit_total += deposit
        return deposit, market.accounts.quote_vault
    needed = result.total_base_taken_native + result.posted_base_native
    free = account.base_free_native
    from_free = needed if needed < free else free
    account.base_free_native -= from_free
    deposit = needed - from_free
    market.base_deposit_total += deposit
    return deposit, market.accounts.base_vault


def _cannot_fail_once_started(
    market: Market,
    account: OpenOrdersAccount,
    order: NewOrder,
    token: TokenAccount,
    signer: str,
    limit: int,
) -> bool:
    """Return True when ``order`` cannot be refused once it has changed anything.

    Then no checkpoint is needed. Refusals that come before the first change (6004, 6030,
    6031, 6005) may still happen. What is ruled out: an abort on a self trade (its behaviour is
    not AbortTransaction), a full event heap (room for ``limit`` fills, the five expired orders
    it may drop and two more Out events), a full side or account when the order may rest (fewer
    than 500 orders on its side, a free slot), a posted amount over the market maximum (the
    budget is within it), and a failed token transfer: the signer owns the token account, and
    it plus the free balance cover the most the order can take or lock (bids: the quote
    budget in native units plus a positive maker fee on it, which bounds quote taken + taker
    fee + quote posted + maker fee; asks: ``max_base_lots`` in native units).
    """
    max_base = order.max_base_lots
    max_quote = order.max_quote_lots_including_fees
    if max_base < 0 or max_quote < 0:
        return False
    if max_base > market.max_base_lots or max_quote > market.max_quote_lots:
        return False
    if token.owner != signer or order.self_trade_behavior is _ABORT:
        return False
    if market.event_heap.count + limit + _MOST_OUT_EVENTS > MAX_NUM_EVENTS:
        return False
    if order.order_type in _RESTING_TYPES:
        book = market.bids if order.side is _BID else market.asks
        if len(book.by_id) >= _ROOMY_SIDE or None not in account.slots:
            return False
    if order.side is _BID:
        most_native = max_quote * market.quote_lot_size
        if market.maker_fee > 0:
            most_native += maker_fees_ceil(most_native, market.maker_fee)
        return token.amount + account.quote_free_native >= most_native
    return token.amount + account.base_free_native >= max_base * market.base_lot_size


def _new_order(args: PlaceOrderArgs, tif: int, max_base_lots: int | None = None) -> NewOrder:
    return NewOrder(
        args.side,
        args.price_lots,
        args.max_base_lots if max_base_lots is None else max_base_lots,
        args.max_quote_lots_including_fees,
        args.client_order_id,
        tif,
        args.self_trade_behavior,
        args.order_type,
    )


def _price_error(price_lots: int) -> Exception:
    return openbook_error(
        OpenBookErrorCode.INVALID_INPUT_PRICE_LOTS, f"price_lots must be >= 1, was {price_lots}"
    )


def _lots_error(max_base_lots: int, max_quote_lots: int) -> Exception:
    return openbook_error(
        OpenBookErrorCode.INVALID_INPUT_LOTS,
        f"max_base_lots ({max_base_lots}) and max_quote_lots_including_fees ({max_quote_lots}) "
        "must be >= 0",
    )
