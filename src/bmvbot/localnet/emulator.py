"""OpenBook V2 program emulator: one instruction at a time over accounts in LiteSVM.

``OpenBookEmulator.execute`` decodes the instruction with the codec (bad data: Anchor 101/102),
checks signer and writable flags like the program (Anchor 3010 / 2000), checks that the market's
book sides, heap and vaults are the ones passed (2001 / 6019), runs the instruction on
``bmvbot.exchange`` through :class:`~bmvbot.localnet.program_state.ProgramState`, moves SPL
tokens by rewriting token accounts, creates and closes the program's accounts (rent from the
payer, back to the destination) and returns the program's log lines and return data. Any refusal
raises :class:`~bmvbot.exchange.ExchangeError` and writes nothing. Oracle-pegged orders, oracle
markets and the market-closing instructions are not modelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from solders.instruction import AccountMeta
from solders.pubkey import Pubkey

from bmvbot.core.errors import CodecError
from bmvbot.core.types import Side
from bmvbot.exchange import ExchangeError, MarketParams
from bmvbot.exchange import PlaceMultipleOrdersArgs as ModelEntry
from bmvbot.exchange import PlaceOrderArgs as ModelOrder
from bmvbot.exchange import PlaceOrdersArgs as ModelBatch
from bmvbot.exchange import PlaceOrderType as ModelOrderType
from bmvbot.exchange import PlaceTakeOrderArgs as ModelTake
from bmvbot.exchange import SelfTradeBehavior as ModelSelfTrade
from bmvbot.exchange.errors import OpenBookErrorCode, anchor_error, openbook_error
from bmvbot.localnet.account_lifecycle import AccountLifecycle, InstructionCall
from bmvbot.localnet.compute import estimated_units
from bmvbot.localnet.program_state import AccountStore, ProgramState
from bmvbot.openbook import args as ob_args
from bmvbot.openbook import events as ob_events
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.ids import INSTRUCTION_BY_DISCRIMINATOR, OPENBOOK_PROGRAM_ID


@dataclass
class InstructionOutput:
    """What an emulated instruction leaves behind: log lines and return data."""

    logs: list[str] = field(default_factory=list)
    return_data: bytes = b""
    units_consumed: int = 0
    """An estimate of the program's compute units (see ``estimated_units``)."""


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class OpenBookEmulator(AccountLifecycle):
    """Executes OpenBook V2 instructions against an :class:`AccountStore`."""

    def __init__(self, store: AccountStore, program_id: Pubkey = OPENBOOK_PROGRAM_ID) -> None:
        self.store = store
        self.program_id = program_id
        self._handlers: dict[str, Callable[[InstructionCall], object]] = {
            "create_market": self._create_market,
            "create_open_orders_indexer": self._create_indexer,
            "create_open_orders_account": self._create_open_orders,
            "close_open_orders_account": self._close_open_orders,
            "close_open_orders_indexer": self._close_indexer,
            "set_delegate": self._set_delegate,
            "deposit": self._deposit,
            "refill": self._deposit,
            "place_order": self._place_order,
            "edit_order": self._place_order,
            "place_orders": self._batch,
            "cancel_all_and_place_orders": self._batch,
            "place_take_order": self._place_take_order,
            "cancel_order": self._cancel,
            "cancel_order_by_client_order_id": self._cancel,
            "cancel_all_orders": self._cancel,
            "consume_events": self._consume,
            "consume_given_events": self._consume,
            "settle_funds": self._settle_funds,
            "sweep_fees": self._sweep_fees,
            "set_market_expired": self._set_market_expired,
            "prune_orders": self._prune_orders,
            "settle_funds_expired": self._settle_funds,
            "close_market": self._close_market,
        }

    def execute(self, data: bytes, metas: Sequence[AccountMeta], now_s: int) -> InstructionOutput:
        """Run one instruction; return its logs and return data.

        Raises:
            ExchangeError: the program would fail the instruction (nothing was written).
        """
        name = INSTRUCTION_BY_DISCRIMINATOR.get(bytes(data[:8]))
        if name is None:
            raise anchor_error(101, "InstructionFallbackNotFound", "unknown discriminator")
        handler = self._handlers.get(name)
        if handler is None:
            raise anchor_error(101, "InstructionFallbackNotFound", f"{name} is not emulated")
        try:
            decoded = ix.decode_instruction(bytes(data), strict=False)
            violations = ix.account_flag_violations(name, metas, self.program_id)
            named, remaining = ix.named_accounts(name, [m.pubkey for m in metas], self.program_id)
        except CodecError as e:
            if "accounts" in str(e):
                raise anchor_error(3005, "AccountNotEnoughKeys", str(e)) from e
            raise anchor_error(102, "InstructionDidNotDeserialize", str(e)) from e
        for violation in violations:
            if violation.problem == "signer":
                raise anchor_error(3010, "AccountNotSigner", f"{violation.name} must sign")
            raise anchor_error(2000, "ConstraintMut", f"{violation.name} must be writable")
        state = ProgramState(self.store, self.program_id)
        call = InstructionCall(name, decoded.args, named, remaining, state, now_s)
        units = estimated_units(call)
        returned = handler(call)
        state.commit()
        output = self._output(name, state, returned)
        output.units_consumed = units
        return output

    def _output(self, name: str, state: ProgramState, returned: object) -> InstructionOutput:
        output = InstructionOutput([f"Program log: Instruction: {_camel(name)}"])
        for model in state.exchange.markets.values():
            for log in model.drain_logs():
                event = _codec_event(log)
                if isinstance(event, ob_events.MarketMetaDataLog):
                    # emit_cpi!: a self-invocation through the event authority, not a log line
                    program = str(self.program_id)
                    output.logs += [f"Program {program} invoke [2]", f"Program {program} success"]
                elif event is not None:
                    output.logs.append(ob_events.program_data_log(event))
        if name in _RETURNING:
            value = list(returned) if isinstance(returned, tuple) else returned
            output.return_data = ob_events.encode_return_data(name, value)  # type: ignore[arg-type]  # handlers return the instruction's value
        return output

    # -- market ------------------------------------------------------------------------------

    def _market_for(self, call: InstructionCall, *, book: bool = True, heap: bool = True) -> str:
        market_key = call.key("market")
        model = call.state.load_market(market_key)
        accounts = model.accounts
        checks = [("bids", accounts.bids), ("asks", accounts.asks)] if book else []
        if heap:
            checks.append(("event_heap", accounts.event_heap))
        for name, expected in checks:
            if call.optional(name) not in (None, expected) and name in call.named:
                raise anchor_error(2001, "ConstraintHasOne", f"{name} is not the market's")
        for name, expected in (
            ("market_base_vault", accounts.base_vault),
            ("market_quote_vault", accounts.quote_vault),
        ):
            if name in call.named and call.optional(name) != expected:
                raise anchor_error(2001, "ConstraintHasOne", f"{name} is not the market's")
        return str(market_key)

    def _create_market(self, call: InstructionCall) -> object:
        args = call.args
        if not isinstance(args, ob_args.CreateMarketArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", "create_market arguments")
        accounts, mints = self.check_new_market(call.named)
        params = MarketParams(
            name=args.name, base_mint=str(mints[0][0]), quote_mint=str(mints[1][0]),
            base_lot_size=args.base_lot_size, quote_lot_size=args.quote_lot_size,
            base_decimals=mints[0][1], quote_decimals=mints[1][1], maker_fee=args.maker_fee,
            taker_fee=args.taker_fee, time_expiry=args.time_expiry,
            collect_fee_admin=call.text("collect_fee_admin"),
            open_orders_admin=call.optional("open_orders_admin"),
            consume_events_admin=call.optional("consume_events_admin"),
            close_market_admin=call.optional("close_market_admin"),
        )  # fmt: skip
        exchange = call.state.exchange
        for vault, mint in ((accounts.base_vault, params.base_mint),
                            (accounts.quote_vault, params.quote_mint)):  # fmt: skip
            exchange.ledger.open_account(vault, mint, accounts.market_authority)
        exchange.create_market(accounts, params, call.now_s)
        self.write_new_market(call.named, args, mints, call.now_s)
        return None

    # -- funds -------------------------------------------------------------------------------

    def _deposit(self, call: InstructionCall) -> object:
        args = call.args
        if not isinstance(args, ob_args.DepositArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", "deposit arguments")
        state = call.state
        account = state.load_open_orders(call.key("open_orders_account"))
        market_id = self._market_for(call, book=False, heap=False)
        _require_account_market(account.market, market_id)
        base = state.load_token(call.key("user_base_account"))
        quote = state.load_token(call.key("user_quote_account"))
        run = state.exchange.deposit if call.name == "deposit" else state.exchange.refill
        run(call.text("owner"), account.account_id, base, quote, args.base_amount,
            args.quote_amount, call.now_s)  # fmt: skip
        return None

    def _settle_funds(self, call: InstructionCall) -> object:
        state = call.state
        account = state.load_open_orders(call.key("open_orders_account"))
        market_id = self._market_for(call, book=False, heap=False)
        _require_account_market(account.market, market_id)
        base = state.load_token(call.key("user_base_account"))
        quote = state.load_token(call.key("user_quote_account"))
        referrer = call.named.get("referrer_account")
        referrer_id = None if referrer is None else state.load_token(referrer)
        state.exchange.settle_funds(
            call.text("owner"), account.account_id, base, quote, referrer_id
        )
        return None

    def _sweep_fees(self, call: InstructionCall) -> object:
        state = call.state
        market_id = self._market_for(call, book=False, heap=False)
        receiver = state.load_token(call.key("token_receiver_account"))
        state.exchange.sweep_fees(call.text("collect_fee_admin"), market_id, receiver)
        return None

    # -- market lifecycle --------------------------------------------------------------------

    def _set_market_expired(self, call: InstructionCall) -> object:
        market_id = self._market_for(call, book=False, heap=False)
        call.state.exchange.set_market_expired(
            call.text("close_market_admin"), market_id, call.now_s
        )
        return None

    def _prune_orders(self, call: InstructionCall) -> object:
        args = call.args
        if not isinstance(args, ob_args.LimitArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", "prune_orders arguments")
        state = call.state
        account = state.load_open_orders(call.key("open_orders_account"))
        _require_account_market(account.market, self._market_for(call, heap=False))
        state.exchange.prune_orders(
            call.text("close_market_admin"), account.account_id, args.limit, call.now_s
        )
        return None

    def _close_market(self, call: InstructionCall) -> object:
        market_id = self._market_for(call)
        call.state.exchange.close_market(call.text("close_market_admin"), market_id, call.now_s)
        destination = call.key("sol_destination")
        for name in ("market", "bids", "asks", "event_heap"):
            self._close(call.key(name), destination)
        return None

    # -- orders ------------------------------------------------------------------------------

    def _trading(self, call: InstructionCall) -> tuple[str, list[str]]:
        state = call.state
        account = state.load_open_orders(call.key("open_orders_account"))
        market_id = self._market_for(call)
        _require_account_market(account.market, market_id)
        remaining = state.load_remaining_open_orders(call.remaining)
        return account.account_id, remaining

    def _place_order(self, call: InstructionCall) -> object:
        args = call.args
        account_id, remaining = self._trading(call)
        model = call.state.exchange.markets[call.text("market")]
        order_args = args.place_order if isinstance(args, ob_args.EditOrderArgs) else args
        if not isinstance(order_args, ob_args.PlaceOrderArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", f"{call.name} arguments")
        vault = (
            model.accounts.quote_vault
            if order_args.side is Side.BID
            else (model.accounts.base_vault)
        )
        if call.text("market_vault") != vault:
            raise openbook_error(OpenBookErrorCode.INVALID_MARKET_VAULT, "wrong market vault")
        token = call.state.load_token(call.key("user_token_account"))
        order = _model_order(order_args)
        exchange = call.state.exchange
        admin = call.optional("open_orders_admin")
        if isinstance(args, ob_args.EditOrderArgs):
            result = exchange.edit_order(
                call.text("signer"), account_id, args.client_order_id, args.expected_cancel_size,
                order, token, call.now_s, remaining, open_orders_admin=admin,
            )  # fmt: skip
        else:
            result = exchange.place_order(
                call.text("signer"), account_id, order, token, call.now_s, remaining,
                open_orders_admin=admin,
            )  # fmt: skip
        return result.order_id

    def _batch(self, call: InstructionCall) -> object:
        args = call.args
        if not isinstance(args, ob_args.PlaceOrdersArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", f"{call.name} arguments")
        account_id, remaining = self._trading(call)
        state = call.state
        base = state.load_token(call.key("user_base_account"))
        quote = state.load_token(call.key("user_quote_account"))
        batch = ModelBatch(
            ModelOrderType(int(args.orders_type)),
            tuple(ModelEntry(e.price_lots, e.max_quote_lots_including_fees, e.expiry_timestamp)
                  for e in args.bids),
            tuple(ModelEntry(e.price_lots, e.max_quote_lots_including_fees, e.expiry_timestamp)
                  for e in args.asks),
            args.limit,
        )  # fmt: skip
        run = (
            state.exchange.cancel_all_and_place_orders
            if call.name == "cancel_all_and_place_orders"
            else state.exchange.place_orders
        )
        return tuple(
            run(call.text("signer"), account_id, batch, base, quote, call.now_s, remaining,
                open_orders_admin=call.optional("open_orders_admin"))
        )  # fmt: skip

    def _place_take_order(self, call: InstructionCall) -> object:
        args = call.args
        if not isinstance(args, ob_args.PlaceTakeOrderArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", "place_take_order arguments")
        state = call.state
        market_id = self._market_for(call)
        remaining = state.load_remaining_open_orders(call.remaining)
        base = state.load_token(call.key("user_base_account"))
        quote = state.load_token(call.key("user_quote_account"))
        take = ModelTake(
            Side(int(args.side)), args.price_lots, args.max_base_lots,
            args.max_quote_lots_including_fees, ModelOrderType(int(args.order_type)), args.limit,
        )  # fmt: skip
        state.exchange.place_take_order(
            call.text("signer"), market_id, take, base, quote, call.now_s, remaining,
            open_orders_admin=call.optional("open_orders_admin"),
        )  # fmt: skip
        return None

    def _cancel(self, call: InstructionCall) -> object:
        state = call.state
        account = state.load_open_orders(call.key("open_orders_account"))
        market_id = self._market_for(call, heap=False)
        _require_account_market(account.market, market_id)
        exchange = state.exchange
        signer = call.text("signer")
        args = call.args
        if isinstance(args, ob_args.CancelOrderArgs):
            exchange.cancel_order(signer, account.account_id, args.order_id)
            return None
        if isinstance(args, ob_args.CancelOrderByClientOrderIdArgs):
            return exchange.cancel_order_by_client_order_id(
                signer, account.account_id, args.client_order_id
            )
        if isinstance(args, ob_args.CancelAllOrdersArgs):
            side = None if args.side_option is None else Side(int(args.side_option))
            exchange.cancel_all_orders(signer, account.account_id, side, args.limit)
            return None
        raise anchor_error(102, "InstructionDidNotDeserialize", f"{call.name} arguments")

    def _consume(self, call: InstructionCall) -> object:
        state = call.state
        market_id = self._market_for(call, book=False)
        remaining = state.load_remaining_open_orders(call.remaining)
        admin = call.optional("consume_events_admin")
        args = call.args
        if isinstance(args, ob_args.ConsumeEventsArgs):
            state.exchange.consume_events(market_id, args.limit, remaining, signer=admin)
        elif isinstance(args, ob_args.ConsumeGivenEventsArgs):
            state.exchange.consume_given_events(market_id, args.slots, remaining, signer=admin)
        return None


_RETURNING = frozenset(
    ("place_order", "edit_order", "place_orders", "cancel_all_and_place_orders",
     "cancel_order_by_client_order_id")
)  # fmt: skip


def _require_account_market(account_market: str, market_id: str) -> None:
    if account_market != market_id:
        raise anchor_error(2001, "ConstraintHasOne", "open orders account of another market")


def _model_order(args: ob_args.PlaceOrderArgs) -> ModelOrder:
    return ModelOrder(
        side=Side(int(args.side)),
        price_lots=args.price_lots,
        max_base_lots=args.max_base_lots,
        max_quote_lots_including_fees=args.max_quote_lots_including_fees,
        client_order_id=args.client_order_id,
        order_type=ModelOrderType(int(args.order_type)),
        expiry_timestamp=args.expiry_timestamp,
        self_trade_behavior=ModelSelfTrade(int(args.self_trade_behavior)),
        limit=args.limit,
    )


def _codec_event(log: object) -> ob_events.ProgramEvent | None:
    event_type = getattr(ob_events, type(log).__name__, None)
    if event_type is None or not hasattr(log, "_asdict"):
        return None
    values: dict[str, object] = {}
    for name, value in log._asdict().items():
        is_key = isinstance(value, str) and name != "name"
        values[name] = Pubkey.from_string(value) if is_key else value
    event: ob_events.ProgramEvent = event_type(**values)
    return event


__all__ = ["ExchangeError", "InstructionOutput", "OpenBookEmulator"]
