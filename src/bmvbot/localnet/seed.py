"""``--seed-market``: a ready OpenBook market with funded swarm wallets on the local chain.

Mints and token balances are written directly (the localnet plays mint authority); the market,
each wallet's OpenOrders indexer and account are created by real ``create_market`` /
``create_open_orders_*`` transactions, so they go through the same program path as the bot's.
Secret keys are returned to the caller only (to write to a 0600 file), never printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from solders.account import Account
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from bmvbot.core.errors import InvariantError
from bmvbot.localnet.chain import LocalChain
from bmvbot.openbook import instructions as ix
from bmvbot.openbook import pda
from bmvbot.openbook.args import CreateMarketArgs, OracleConfigParams
from bmvbot.openbook.bookside import BOOKSIDE_SIZE
from bmvbot.openbook.event_heap import EVENT_HEAP_SIZE
from bmvbot.openbook.ids import TOKEN_PROGRAM_ID
from bmvbot.openbook.spl import Mint, TokenAccount, encode_mint, encode_token_account

LAMPORTS_PER_SOL = 1_000_000_000


@dataclass(frozen=True, slots=True)
class SeedParams:
    """What to seed: wallet count, balances (native units) and market parameters."""

    wallets: int = 4
    base_per_wallet_native: int = 100 * LAMPORTS_PER_SOL
    quote_per_wallet_native: int = 20_000 * 1_000_000
    sol_per_wallet_lamports: int = 10 * LAMPORTS_PER_SOL
    base_lot_size: int = 1_000_000
    quote_lot_size: int = 1
    maker_fee: int = 0
    taker_fee: int = 0
    has_close_admin: bool = False
    """Make the seeding admin the market's close admin (it can then expire and close it)."""


@dataclass(frozen=True, slots=True)
class SeedWallet:
    """One swarm wallet: its key pair and accounts."""

    keypair: Keypair
    open_orders_indexer: Pubkey
    open_orders_account: Pubkey
    base_account: Pubkey
    quote_account: Pubkey


@dataclass(frozen=True, slots=True)
class SeededMarket:
    """Addresses of a seeded market and its wallets (secrets only inside the key pairs)."""

    keys: ix.MarketKeys
    base_mint: Pubkey
    quote_mint: Pubkey
    wallets: tuple[SeedWallet, ...]
    admin: Keypair
    """Payer of the market, its fee collector and (if asked) its close admin."""


def _send(chain: LocalChain, instructions: list[Instruction], signers: list[Keypair]) -> None:
    message = Message.new_with_blockhash(
        instructions, signers[0].pubkey(), chain.latest_blockhash()[0]
    )
    outcome = chain.execute(VersionedTransaction(message, signers), commit=True)
    if not outcome.is_ok:
        raise InvariantError(f"seeding failed: {outcome.err} {outcome.logs[-2:]}")


def _token(chain: LocalChain, address: Pubkey, mint: Pubkey, owner: Pubkey, amount: int) -> None:
    data = encode_token_account(TokenAccount(mint, owner, amount, None, 1, None, 0, None))
    chain.set(address, Account(chain.rent(len(data)), data, TOKEN_PROGRAM_ID, False, 0))


def seed_market(chain: LocalChain, params: SeedParams) -> SeededMarket:
    """Create mints, a market and ``params.wallets`` funded wallets; return their addresses."""
    admin = Keypair()
    chain.airdrop(admin.pubkey(), 10 * LAMPORTS_PER_SOL)
    mints = (Keypair().pubkey(), Keypair().pubkey())
    supply = (params.base_per_wallet_native, params.quote_per_wallet_native)
    for mint, decimals, per_wallet in zip(mints, (9, 6), supply, strict=True):
        data = encode_mint(Mint(admin.pubkey(), per_wallet * params.wallets, decimals, True, None))
        chain.set(mint, Account(chain.rent(len(data)), data, TOKEN_PROGRAM_ID, False, 0))
    market, bids, asks, heap = (Keypair() for _ in range(4))
    for account, size in ((bids, BOOKSIDE_SIZE), (asks, BOOKSIDE_SIZE), (heap, EVENT_HEAP_SIZE)):
        chain.set(account.pubkey(),
                  Account(chain.rent(size), bytes(size), chain.program_id, False, 0))  # fmt: skip
    args = CreateMarketArgs(
        "SOL/USDC", OracleConfigParams(), params.quote_lot_size, params.base_lot_size,
        params.maker_fee, params.taker_fee, 0,
    )  # fmt: skip
    authority = pda.market_authority(market.pubkey())
    keys = ix.MarketKeys(
        market=market.pubkey(), bids=bids.pubkey(), asks=asks.pubkey(), event_heap=heap.pubkey(),
        market_authority=authority, base_vault=pda.market_vault(market.pubkey(), mints[0]),
        quote_vault=pda.market_vault(market.pubkey(), mints[1]),
        close_market_admin=admin.pubkey() if params.has_close_admin else None,
    )  # fmt: skip
    create = ix.create_market(
        keys, payer=admin.pubkey(), base_mint=mints[0], quote_mint=mints[1],
        collect_fee_admin=admin.pubkey(), args=args,
    )  # fmt: skip
    _send(chain, [create], [admin, market])
    wallets = tuple(_wallet(chain, keys, mints, params) for _ in range(params.wallets))
    return SeededMarket(keys, mints[0], mints[1], wallets, admin)


def _wallet(
    chain: LocalChain, keys: ix.MarketKeys, mints: tuple[Pubkey, Pubkey], params: SeedParams
) -> SeedWallet:
    wallet = Keypair()
    owner = wallet.pubkey()
    chain.airdrop(owner, params.sol_per_wallet_lamports)
    base, quote = (pda.associated_token_address(owner, mint) for mint in mints)
    _token(chain, base, mints[0], owner, params.base_per_wallet_native)
    _token(chain, quote, mints[1], owner, params.quote_per_wallet_native)
    indexer = pda.open_orders_indexer(owner)
    account = pda.open_orders_account(owner, 1)
    _send(
        chain,
        [
            ix.create_open_orders_indexer(payer=owner, owner=owner),
            ix.create_open_orders_account(
                payer=owner,
                owner=owner,
                market=keys.market,
                open_orders_account=account,
                name="swarm",
            ),
        ],
        [wallet],
    )
    return SeedWallet(wallet, indexer, account, base, quote)
