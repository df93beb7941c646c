"""Creating and closing OpenBook accounts in the emulator: markets, indexers, OpenOrders.

What the program does with the System and Associated Token programs by CPI (``init``,
``realloc``, ``close``) is done here directly on the account store: new accounts get the
rent-exempt minimum from the payer, closed ones return their lamports to the destination.
Addresses are checked against their PDAs (Anchor 2006 ConstraintSeeds) and existing accounts are
refused like the System program does (custom error 0, AccountAlreadyInUse).
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.account import Account
from solders.pubkey import Pubkey

from bmvbot.core.types import Side
from bmvbot.exchange import MarketAccounts
from bmvbot.exchange.errors import (
    OpenBookErrorCode,
    anchor_error,
    openbook_error,
    system_error,
)
from bmvbot.exchange.logs import SetDelegateLog
from bmvbot.localnet.program_state import AccountStore, ProgramState, with_data
from bmvbot.openbook import args as ob_args
from bmvbot.openbook import bookside, event_heap, market, open_orders, pda, spl
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID
from bmvbot.openbook.order_tree import empty_bookside

Named = dict[str, Pubkey | None]
MintInfo = tuple[Pubkey, int]
_MAX_INDEXED_ACCOUNTS = 256


@dataclass
class InstructionCall:
    """One instruction being emulated: its name, arguments, accounts and working state."""

    name: str
    args: ob_args.InstructionArgs | None
    named: Named
    remaining: tuple[Pubkey, ...]
    state: ProgramState
    now_s: int

    def key(self, name: str) -> Pubkey:
        """Return account ``name``; an absent optional one is a missing account (3012)."""
        value = self.named.get(name)
        if value is None:
            raise anchor_error(3012, "AccountNotInitialized", f"{self.name} needs {name}")
        return value

    def text(self, name: str) -> str:
        """Return account ``name`` as base58."""
        return str(self.key(name))

    def optional(self, name: str) -> str | None:
        """Return optional account ``name`` as base58, None when absent."""
        value = self.named.get(name)
        return None if value is None else str(value)


class AccountLifecycle:
    """Account creation and closing instructions; the emulator's base class."""

    store: AccountStore
    program_id: Pubkey

    # -- helpers -----------------------------------------------------------------------------

    def _exists(self, address: Pubkey) -> bool:
        account = self.store.get(address)
        return account is not None and account.lamports > 0

    def _require_pda(self, address: Pubkey, expected: Pubkey, what: str) -> None:
        if address != expected:
            raise anchor_error(2006, "ConstraintSeeds", f"{what} {address} is not {expected}")

    def _create(self, payer: Pubkey, address: Pubkey, data: bytes, owner: Pubkey) -> None:
        if self._exists(address):
            raise system_error(0, "AccountAlreadyInUse", f"account {address} exists")
        rent = self.store.rent(len(data))
        self._debit(payer, rent)
        self.store.set(address, Account(rent, data, owner, False, 0))

    def _debit(self, payer: Pubkey, lamports: int) -> None:
        account = self.store.get(payer)
        balance = 0 if account is None else account.lamports
        if account is None or balance < lamports:
            raise system_error(1, "ResultWithNegativeLamports", f"{payer} holds {balance}")
        self.store.set(
            payer,
            Account(balance - lamports, account.data, account.owner, account.executable,
                    account.rent_epoch),
        )  # fmt: skip

    def _credit(self, destination: Pubkey, lamports: int) -> None:
        account = self.store.get(destination)
        if account is None:
            account = Account(0, b"", SYSTEM_PROGRAM_ID, False, 0)
        self.store.set(
            destination,
            Account(account.lamports + lamports, account.data, account.owner, account.executable,
                    account.rent_epoch),
        )  # fmt: skip

    def _close(self, address: Pubkey, destination: Pubkey) -> None:
        account = self.store.get(address)
        lamports = 0 if account is None else account.lamports
        self.store.set(address, Account(0, b"", SYSTEM_PROGRAM_ID, False, 0))
        self._credit(destination, lamports)

    def _resize(self, payer: Pubkey, address: Pubkey, data: bytes, refund_to: Pubkey) -> None:
        account = self.store.get(address)
        if account is None:
            raise anchor_error(3012, "AccountNotInitialized", f"{address} is missing")
        rent = self.store.rent(len(data))
        if account.lamports < rent:
            self._debit(payer, rent - account.lamports)
            lamports = rent
        else:
            self._credit(refund_to, account.lamports - rent)
            lamports = rent
        self.store.set(address, Account(lamports, data, account.owner, False, account.rent_epoch))

    def _indexer(self, address: Pubkey) -> open_orders.OpenOrdersIndexer:
        account = self.store.get(address)
        if account is None or account.lamports == 0:
            raise anchor_error(3012, "AccountNotInitialized", f"indexer {address} is missing")
        if account.owner != self.program_id:
            raise anchor_error(3007, "AccountOwnedByWrongProgram", f"{address}")
        return open_orders.decode_open_orders_indexer(bytes(account.data))

    # -- create_market -----------------------------------------------------------------------

    def _mint(self, address: Pubkey | None) -> MintInfo:
        account = None if address is None else self.store.get(address)
        if address is None or account is None or account.owner != TOKEN_PROGRAM_ID:
            raise anchor_error(3007, "AccountOwnedByWrongProgram", f"mint {address}")
        return address, spl.decode_mint(bytes(account.data)).decimals

    def _require_zeroed(self, address: Pubkey | None, size: int, what: str) -> None:
        account = None if address is None else self.store.get(address)
        if account is None or account.owner != self.program_id:
            raise anchor_error(3007, "AccountOwnedByWrongProgram", f"{what} {address}")
        if len(account.data) != size:
            raise anchor_error(3004, "AccountDidNotSerialize", f"{what} must be {size} bytes")
        if any(account.data[:8]):
            raise anchor_error(3000, "AccountDiscriminatorAlreadySet", f"{what} {address}")

    def check_new_market(self, named: Named) -> tuple[MarketAccounts, tuple[MintInfo, MintInfo]]:
        """Check a ``create_market`` account list; return the model's ids and the mints.

        Raises:
            ExchangeError: system 0 (market exists), 2006 (authority / event authority not the
                PDA), 3007 / 3004 / 3000 (book sides or heap not pre-created and zeroed),
                2009 (vaults not the authority's ATAs).
        """
        market_key = _need(named, "market")
        if self._exists(market_key):
            raise system_error(0, "AccountAlreadyInUse", f"market {market_key} exists")
        authority = pda.market_authority(market_key, self.program_id)
        self._require_pda(_need(named, "market_authority"), authority, "market_authority")
        for name in ("bids", "asks"):
            self._require_zeroed(named.get(name), bookside.BOOKSIDE_SIZE, name)
        self._require_zeroed(named.get("event_heap"), event_heap.EVENT_HEAP_SIZE, "event_heap")
        self._require_pda(
            _need(named, "event_authority"), pda.event_authority(self.program_id), "event_authority"
        )
        mints = (self._mint(named.get("base_mint")), self._mint(named.get("quote_mint")))
        for vault_name, (mint, _) in zip(
            ("market_base_vault", "market_quote_vault"), mints, strict=True
        ):
            if _need(named, vault_name) != pda.associated_token_address(authority, mint):
                raise anchor_error(2009, "ConstraintAssociated", f"{vault_name} is not the ATA")
        accounts = MarketAccounts(
            market=str(market_key), bids=str(named["bids"]), asks=str(named["asks"]),
            event_heap=str(named["event_heap"]), market_authority=str(authority),
            base_vault=str(named["market_base_vault"]),
            quote_vault=str(named["market_quote_vault"]),
        )  # fmt: skip
        return accounts, mints

    def write_new_market(
        self,
        named: Named,
        args: ob_args.CreateMarketArgs,
        mints: tuple[MintInfo, MintInfo],
        now_s: int,
    ) -> None:
        """Create the Market and vault accounts and initialize the book sides and heap."""
        payer = _need(named, "payer")
        market_key = _need(named, "market")
        authority = pda.market_authority(market_key, self.program_id)
        vaults = (_need(named, "market_base_vault"), _need(named, "market_quote_vault"))
        account = market.new_market(
            market=market_key, bids=_need(named, "bids"), asks=_need(named, "asks"),
            event_heap=_need(named, "event_heap"), base_mint=mints[0][0],
            quote_mint=mints[1][0], base_decimals=mints[0][1], quote_decimals=mints[1][1],
            base_vault=vaults[0], quote_vault=vaults[1],
            collect_fee_admin=_need(named, "collect_fee_admin"), args=args,
            registration_time=now_s, open_orders_admin=named.get("open_orders_admin"),
            consume_events_admin=named.get("consume_events_admin"),
            close_market_admin=named.get("close_market_admin"), program_id=self.program_id,
        )  # fmt: skip
        self._create(payer, market_key, market.encode_market(account), self.program_id)
        for vault, (mint, _) in zip(vaults, mints, strict=True):
            token = spl.TokenAccount(mint, authority, 0, None, 1, None, 0, None)
            self._create(payer, vault, spl.encode_token_account(token), TOKEN_PROGRAM_ID)
        for name, side in (("bids", Side.BID), ("asks", Side.ASK)):
            self._initialize(_need(named, name), bookside.encode_bookside(empty_bookside(side)))
        heap = event_heap.encode_event_heap(event_heap.empty_event_heap())
        self._initialize(_need(named, "event_heap"), heap)

    def _initialize(self, address: Pubkey, data: bytes) -> None:
        account = self.store.get(address)
        if account is not None:
            self.store.set(address, with_data(account, data))

    # -- OpenOrders plumbing -----------------------------------------------------------------

    def _create_indexer(self, call: InstructionCall) -> object:
        owner = call.key("owner")
        address, bump = pda.open_orders_indexer_with_bump(owner, self.program_id)
        self._require_pda(call.key("open_orders_indexer"), address, "open_orders_indexer")
        indexer = open_orders.OpenOrdersIndexer(bump, 0, ())
        data = open_orders.encode_open_orders_indexer(indexer)
        self._create(call.key("payer"), address, data, self.program_id)
        return _NONE

    def _create_open_orders(self, call: InstructionCall) -> object:
        args = call.args
        if not isinstance(args, ob_args.NameArgs):
            raise anchor_error(102, "InstructionDidNotDeserialize", "name argument")
        owner = call.key("owner")
        indexer_key = call.key("open_orders_indexer")
        indexer = self._indexer(indexer_key)
        self._require_pda(indexer_key, pda.open_orders_indexer(owner, self.program_id), "indexer")
        call.state.load_market(call.key("market"))
        if len(indexer.addresses) >= _MAX_INDEXED_ACCOUNTS:
            raise anchor_error(2003, "ConstraintRaw", "the indexer lists 256 accounts")
        number = indexer.created_counter + 1
        address = pda.open_orders_account(owner, number, self.program_id)
        self._require_pda(call.key("open_orders_account"), address, "open_orders_account")
        if self._exists(address):
            raise system_error(0, "AccountAlreadyInUse", f"account {address} exists")
        if len(args.name.encode()) > ob_args.OPEN_ORDERS_NAME_MAX_BYTES:
            raise openbook_error(OpenBookErrorCode.INVALID_INPUT_NAME_LENGTH, "name too long")
        payer = call.key("payer")
        grown = open_orders.OpenOrdersIndexer(indexer.bump, number, (*indexer.addresses, address))
        self._resize(payer, indexer_key, open_orders.encode_open_orders_indexer(grown), payer)
        account = open_orders.new_open_orders_account(
            owner=owner, market=call.key("market"), name=args.name, account_num=number,
            delegate=call.named.get("delegate_account"), program_id=self.program_id,
        )  # fmt: skip
        data = open_orders.encode_open_orders_account(account)
        self._create(payer, address, data, self.program_id)
        return _NONE

    def _owned_open_orders(
        self, call: InstructionCall, *, error: int = 2006
    ) -> open_orders.OpenOrdersAccount:
        address = call.key("open_orders_account")
        data = bytes(call.state.program_account(address, "OpenOrdersAccount").data)
        account = open_orders.decode_open_orders_account(data)
        if account.owner != call.key("owner"):
            name = "ConstraintSeeds" if error == 2006 else "ConstraintHasOne"
            raise anchor_error(error, name, f"{call.key('owner')} does not own {address}")
        return account

    def _close_open_orders(self, call: InstructionCall) -> object:
        owner = call.key("owner")
        indexer_key = call.key("open_orders_indexer")
        self._require_pda(indexer_key, pda.open_orders_indexer(owner, self.program_id), "indexer")
        account = self._owned_open_orders(call)
        position = account.position
        if any(getattr(position, f) for f in _POSITION_FIELDS):
            raise openbook_error(
                OpenBookErrorCode.NON_EMPTY_OPEN_ORDERS_POSITION, "the account is not empty"
            )
        address = call.key("open_orders_account")
        indexer = self._indexer(indexer_key)
        if address not in indexer.addresses:
            raise anchor_error(6000, "SomeError", "the account is not in the owner's indexer")
        destination = call.key("sol_destination")
        shrunk = open_orders.OpenOrdersIndexer(
            indexer.bump, indexer.created_counter,
            tuple(a for a in indexer.addresses if a != address),
        )  # fmt: skip
        self._close(address, destination)
        self._resize(
            owner, indexer_key, open_orders.encode_open_orders_indexer(shrunk), destination
        )
        return _NONE

    def _close_indexer(self, call: InstructionCall) -> object:
        owner = call.key("owner")
        indexer_key = call.key("open_orders_indexer")
        self._require_pda(indexer_key, pda.open_orders_indexer(owner, self.program_id), "indexer")
        indexer = self._indexer(indexer_key)
        if indexer.addresses:
            raise openbook_error(OpenBookErrorCode.INDEXER_ACTIVE_OO, "the indexer lists accounts")
        self._close(indexer_key, call.key("sol_destination"))
        return _NONE

    def _set_delegate(self, call: InstructionCall) -> object:
        account = self._owned_open_orders(call, error=2001)
        delegate = call.named.get("delegate_account")
        address = call.key("open_orders_account")
        updated = open_orders.OpenOrdersAccount(
            account.owner, account.market, account.name, delegate, account.account_num,
            account.bump, account.version, account.position, account.open_orders,
        )  # fmt: skip
        stored = call.state.program_account(address, "OpenOrdersAccount")
        self.store.set(address, with_data(stored, open_orders.encode_open_orders_account(updated)))
        model = call.state.load_market(account.market)
        if model.logs is not None:
            model.logs.append(
                SetDelegateLog(str(address), None if delegate is None else str(delegate))
            )
        return _NONE


_NONE = None
_POSITION_FIELDS = (
    "bids_base_lots", "asks_base_lots", "base_free_native", "quote_free_native",
    "locked_maker_fees", "referrer_rebates_available", "penalty_heap_count", "bids_quote_lots",
)  # fmt: skip
_OOA_DISCRIMINATOR = ACCOUNT_DISCRIMINATORS["OpenOrdersAccount"]


def _need(named: Named, name: str) -> Pubkey:
    value = named.get(name)
    if value is None:
        raise anchor_error(3012, "AccountNotInitialized", f"{name} is missing")
    return value
