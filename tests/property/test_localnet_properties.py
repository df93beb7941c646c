"""Invariants of emulator-written OpenBook accounts under random order flow on the localnet.

Random sequences of orders (PostOnly, Limit, ImmediateOrCancel on both sides), cancels and cranks
from two wallets, each a signed transaction, keep: book trees consistent with their headers
(leaf counts, node arithmetic ``bump_index - free_list_len = 2L - 1``, a free list of exactly
``free_list_len`` free nodes), priority order, the OpenOrders positions equal to what rests on
the book once the heap is cranked, and every token conserved between wallets and vaults. A
failed transaction changes nothing at all.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from solders.instruction import Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from bmvbot.core.types import PlaceOrderType, Side
from bmvbot.localnet.chain import LocalChain, RpcError, legacy_or_v0
from bmvbot.localnet.seed import SeededMarket, SeedParams, SeedWallet, seed_market
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceOrderArgs
from bmvbot.openbook.bookside import BookSide, FreeNode, decode_bookside
from bmvbot.openbook.open_orders import decode_open_orders_account
from bmvbot.openbook.spl import decode_token_account

ORDER_TYPES = (PlaceOrderType.POST_ONLY, PlaceOrderType.LIMIT, PlaceOrderType.IMMEDIATE_OR_CANCEL)
order_step = st.tuples(
    st.just("order"), st.integers(0, 1), st.sampled_from([Side.BID, Side.ASK]),
    st.integers(95, 105), st.integers(1, 5), st.sampled_from(ORDER_TYPES),
)  # fmt: skip
other_step = st.tuples(st.sampled_from(["cancel", "crank"]), st.integers(0, 1))
steps = st.lists(st.one_of(order_step, other_step), min_size=1, max_size=12)


def _data(chain: LocalChain, address: Pubkey) -> bytes:
    account = chain.get(address)
    assert account is not None
    return bytes(account.data)


def _wallet(seeded: SeededMarket, step: tuple[object, ...]) -> SeedWallet:
    index = step[1]
    assert isinstance(index, int)
    return seeded.wallets[index]


def _instruction(seeded: SeededMarket, step: tuple[object, ...], number: int) -> Instruction:
    wallet = _wallet(seeded, step)
    keys = seeded.keys
    owner = wallet.keypair.pubkey()
    if step[0] == "cancel":
        return ix.cancel_all_orders(
            keys, signer=owner, open_orders_account=wallet.open_orders_account
        )
    if step[0] == "crank":
        accounts = [w.open_orders_account for w in seeded.wallets]
        return ix.consume_events(keys, limit=8, open_orders_accounts=accounts)
    _, _, side, price, size, order_type = step
    assert isinstance(side, Side)
    assert isinstance(price, int)
    assert isinstance(size, int)
    assert isinstance(order_type, PlaceOrderType)
    args = PlaceOrderArgs(side, price, size, price * size * 2, number, order_type)
    token = wallet.quote_account if side is Side.BID else wallet.base_account
    return ix.place_order(
        keys, signer=owner, open_orders_account=wallet.open_orders_account,
        user_token_account=token, args=args,
    )  # fmt: skip


def _check_tree(book: BookSide) -> None:
    orders = book.orders()
    leaves = len(orders)
    assert book.roots[0].leaf_count == leaves
    assert book.bump_index - book.free_list_len == (2 * leaves - 1 if leaves else 0)
    free, handle = 0, book.free_list_head
    while free < book.free_list_len:
        node = book.nodes[handle]
        assert isinstance(node, FreeNode)
        free, handle = free + 1, node.next
    sign = -1 if book.side is Side.BID else 1
    keys = [(sign * o.price_lots, o.seq_num) for o in orders]
    assert keys == sorted(keys)


def _token_total(chain: LocalChain, addresses: list[Pubkey]) -> int:
    return sum(decode_token_account(_data(chain, a)).amount for a in addresses)


@settings(max_examples=25, deadline=None)
@given(steps)
def test_localnet_random_order_flow_keeps_book_positions_and_tokens_consistent(
    flow: list[tuple[object, ...]],
) -> None:
    chain = LocalChain()
    seeded = seed_market(chain, SeedParams(wallets=2, base_per_wallet_native=20 * 10**6,
                                           quote_per_wallet_native=10**7))  # fmt: skip
    keys = seeded.keys
    bases = [keys.base_vault] + [w.base_account for w in seeded.wallets]
    quotes = [keys.quote_vault] + [w.quote_account for w in seeded.wallets]
    totals = (_token_total(chain, bases), _token_total(chain, quotes))
    for number, step in enumerate([*flow, ("crank", 0), ("crank", 0)]):
        wallet = _wallet(seeded, step)
        message = MessageV0.try_compile(
            wallet.keypair.pubkey(), [_instruction(seeded, step, number)], [],
            chain.latest_blockhash()[0],
        )  # fmt: skip
        before = chain.snapshot(chain.resolve_keys(message))
        outcome = chain.execute(VersionedTransaction(message, [wallet.keypair]), commit=True)
        chain.advance(1, 1)
        if not outcome.is_ok:
            after = chain.snapshot(before)
            payer = wallet.keypair.pubkey()
            assert {k: v for k, v in after.items() if k != payer} == {
                k: v for k, v in before.items() if k != payer
            }
        for side_key in (keys.bids, keys.asks):
            _check_tree(decode_bookside(_data(chain, side_key)))
        assert (_token_total(chain, bases), _token_total(chain, quotes)) == totals
    resting = {w.open_orders_account: [0, 0] for w in seeded.wallets}
    for index, side_key in enumerate((keys.bids, keys.asks)):
        for order in decode_bookside(_data(chain, side_key)).orders():
            resting[order.owner][index] += order.base_lots
    for wallet in seeded.wallets:
        position = decode_open_orders_account(_data(chain, wallet.open_orders_account)).position
        assert [position.bids_base_lots, position.asks_base_lots] == resting[
            wallet.open_orders_account
        ]


_FUZZ_CHAIN = LocalChain()
_FUZZ_MARKET = seed_market(_FUZZ_CHAIN, SeedParams(wallets=2))


def _fuzz_transactions() -> list[bytes]:
    keys = _FUZZ_MARKET.keys
    maker, taker = _FUZZ_MARKET.wallets
    instructions = [
        _instruction(_FUZZ_MARKET, ("order", 0, Side.ASK, 100, 2, PlaceOrderType.POST_ONLY), 1),
        ix.place_order(
            keys,
            signer=taker.keypair.pubkey(),
            open_orders_account=taker.open_orders_account,
            user_token_account=taker.quote_account,
            args=PlaceOrderArgs(Side.BID, 100, 3, 300, 2, PlaceOrderType.LIMIT),
            remaining_accounts=[maker.open_orders_account],
        ),
        _instruction(_FUZZ_MARKET, ("crank", 0), 3),
    ]
    out = []
    for instruction, wallet in zip(instructions, (maker, taker, maker), strict=True):
        message = MessageV0.try_compile(
            wallet.keypair.pubkey(), [instruction], [], _FUZZ_CHAIN.latest_blockhash()[0]
        )
        out.append(bytes(VersionedTransaction(message, [wallet.keypair])))
    return out


_FUZZ_TRANSACTIONS = _fuzz_transactions()


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(range(len(_FUZZ_TRANSACTIONS))),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_localnet_mutated_openbook_transaction_is_refused_or_runs_all_or_nothing(
    which: int, edits: list[tuple[int, int]]
) -> None:
    raw = bytearray(_FUZZ_TRANSACTIONS[which])
    for position, value in edits:
        raw[65 + position % (len(raw) - 65)] = value  # keep the signature area intact
    refused_code: int | None = None
    try:
        tx = _FUZZ_CHAIN.parse(bytes(raw), verify_signatures=False)
    except RpcError as e:
        refused_code = e.code
    if refused_code is not None:
        assert refused_code in (-32602, -32015)
        return
    unique = VersionedTransaction.populate(
        tx.message, [Signature.new_unique() for _ in tx.signatures]
    )
    try:
        keys = _FUZZ_CHAIN.resolve_keys(legacy_or_v0(unique))
    except RpcError:
        keys = list(unique.message.account_keys)
    before = _FUZZ_CHAIN.snapshot(keys)

    outcome = _FUZZ_CHAIN.execute(unique, commit=False)

    assert _FUZZ_CHAIN.snapshot(before) == before
    assert outcome.is_ok or outcome.err is not None
