"""OpenBook on the localnet: v0 + lookup-table batches, bad input, bundles, seeding."""

from __future__ import annotations

import base64
import json
import stat
import struct
from pathlib import Path

import pytest
from solders.address_lookup_table_account import (
    AddressLookupTable,
    AddressLookupTableAccount,
    derive_lookup_table_address,
)
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.rpc.responses import GetProgramAccountsResp
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import PlaceOrderType, Side
from bmvbot.localnet.chain import LocalChain, RpcError
from bmvbot.localnet.jito import TIP_ACCOUNTS, BlockEngine
from bmvbot.localnet.launch import LocalnetOptions, build_chain, describe, write_keypairs
from bmvbot.localnet.rpc import SolanaRpc
from bmvbot.localnet.seed import SeededMarket, SeedParams, SeedWallet, seed_market
from bmvbot.openbook import instructions as ix
from bmvbot.openbook.args import PlaceMultipleOrdersArgs, PlaceOrderArgs, PlaceOrdersArgs
from bmvbot.openbook.bookside import decode_bookside
from bmvbot.openbook.ids import ACCOUNT_DISCRIMINATORS, TOKEN_PROGRAM_ID
from bmvbot.openbook.spl import decode_token_account

ALT_PROGRAM = Pubkey.from_string("AddressLookupTab1e1111111111111111111111111")
SYSTEM = Pubkey.from_string("11111111111111111111111111111111")


def _seeded(wallets: int = 2) -> tuple[LocalChain, SolanaRpc, SeededMarket]:
    chain = LocalChain()
    rpc = SolanaRpc(chain)
    BlockEngine(rpc).fund_tip_accounts()
    return chain, rpc, seed_market(chain, SeedParams(wallets=wallets))


def _grid(wallet: SeedWallet, keys: ix.MarketKeys, offset: int) -> Instruction:
    bid, ask = 990 - offset, 1010 + offset
    args = PlaceOrdersArgs(
        PlaceOrderType.POST_ONLY,
        bids=(PlaceMultipleOrdersArgs(bid, bid * 5),),
        asks=(PlaceMultipleOrdersArgs(ask, ask * 5),),
        limit=10,
    )
    return ix.cancel_all_and_place_orders(
        keys, signer=wallet.keypair.pubkey(), open_orders_account=wallet.open_orders_account,
        user_base_account=wallet.base_account, user_quote_account=wallet.quote_account,
        args=args,
    )  # fmt: skip


def _lookup_table(chain: LocalChain, authority: Keypair, addresses: list[Pubkey]) -> Pubkey:
    chain.advance(1, 1)
    recent = chain.slot - 1
    table, bump = derive_lookup_table_address(authority.pubkey(), recent)
    owner = authority.pubkey()
    metas = [
        AccountMeta(table, False, True),
        AccountMeta(owner, True, False),
        AccountMeta(owner, True, True),
        AccountMeta(SYSTEM, False, False),
    ]
    create = Instruction(ALT_PROGRAM, struct.pack("<IQB", 0, recent, bump), metas)
    extend = Instruction(
        ALT_PROGRAM,
        struct.pack("<IQ", 2, len(addresses)) + b"".join(bytes(a) for a in addresses),
        metas,
    )
    message = MessageV0.try_compile(
        authority.pubkey(), [create, extend], [], chain.latest_blockhash()[0]
    )
    assert chain.execute(VersionedTransaction(message, [authority]), commit=True).is_ok
    chain.advance(1, 1)
    return table


def _b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def _book_prices(chain: LocalChain, side_key: Pubkey) -> list[int]:
    account = chain.get(side_key)
    assert account is not None
    return [o.price_lots for o in decode_bookside(bytes(account.data)).orders()]


def test_localnet_v0_lookup_table_batch_places_every_wallets_orders() -> None:
    chain, rpc, seeded = _seeded(wallets=2)
    keys = seeded.keys
    payer = seeded.wallets[0].keypair
    shared = [keys.market, keys.bids, keys.asks, keys.event_heap, keys.base_vault,
              keys.quote_vault]  # fmt: skip
    per_wallet = [k for w in seeded.wallets
                  for k in (w.open_orders_account, w.base_account, w.quote_account)]  # fmt: skip
    table = _lookup_table(chain, payer, shared + per_wallet)
    table_account = chain.get(table)
    assert table_account is not None
    alt = AddressLookupTableAccount(
        table, list(AddressLookupTable.deserialize(bytes(table_account.data)).addresses)
    )
    instructions = [_grid(w, keys, 100 * n) for n, w in enumerate(seeded.wallets)]
    instructions.append(transfer(TransferParams(
        from_pubkey=payer.pubkey(), to_pubkey=TIP_ACCOUNTS[0], lamports=10_000)))  # fmt: skip
    message = MessageV0.try_compile(
        payer.pubkey(), instructions, [alt], chain.latest_blockhash()[0]
    )
    tx = VersionedTransaction(message, [w.keypair for w in seeded.wallets])

    signature = rpc.call("sendTransaction", [_b64(tx), {"encoding": "base64"}])

    assert rpc.call("getSignatureStatuses", [[signature]])["value"][0]["err"] is None
    assert _book_prices(chain, keys.bids) == [990, 890]
    assert _book_prices(chain, keys.asks) == [1010, 1110]
    vault = chain.get(keys.base_vault)
    assert vault is not None
    assert decode_token_account(bytes(vault.data)).amount == 10 * 1_000_000


def test_localnet_missing_open_orders_account_fails_preflight_and_changes_nothing() -> None:
    chain, rpc, seeded = _seeded(wallets=1)
    wallet = seeded.wallets[0]
    order = PlaceOrderArgs(Side.BID, 100, 1, 100, 1, PlaceOrderType.POST_ONLY)
    place = ix.place_order(
        seeded.keys, signer=wallet.keypair.pubkey(), open_orders_account=Keypair().pubkey(),
        user_token_account=wallet.quote_account, args=order,
    )  # fmt: skip
    message = MessageV0.try_compile(
        wallet.keypair.pubkey(), [place], [], chain.latest_blockhash()[0]
    )
    tx = VersionedTransaction(message, [wallet.keypair])
    before = chain.snapshot(chain.resolve_keys(message))

    with pytest.raises(RpcError) as raised:
        rpc.call("sendTransaction", [_b64(tx), {"encoding": "base64"}])

    assert raised.value.code == -32002
    assert "custom program error: 0xbc4" in raised.value.message
    assert chain.snapshot(before) == before
    assert rpc.call("getSignatureStatuses", [[str(tx.signatures[0])]])["value"] == [None]


def test_localnet_malformed_transaction_is_invalid_params() -> None:
    rpc = SolanaRpc(LocalChain())

    with pytest.raises(RpcError) as raised:
        rpc.call("sendTransaction", [base64.b64encode(b"\x01\x02garbage").decode(),
                                     {"encoding": "base64"}])  # fmt: skip

    assert raised.value.code == -32602


def test_localnet_unfunded_fee_payer_fails_preflight() -> None:
    chain = LocalChain()
    rpc = SolanaRpc(chain)
    payer = Keypair()
    ix_transfer = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(),
                                          lamports=1))  # fmt: skip
    message = MessageV0.try_compile(payer.pubkey(), [ix_transfer], [], chain.latest_blockhash()[0])

    with pytest.raises(RpcError) as raised:
        rpc.call("sendTransaction", [_b64(VersionedTransaction(message, [payer])),
                                     {"encoding": "base64"}])  # fmt: skip

    assert raised.value.code == -32002
    assert raised.value.data is not None


def test_localnet_openbook_bundle_with_a_failing_transaction_places_nothing() -> None:
    chain, rpc, seeded = _seeded(wallets=2)
    engine = BlockEngine(rpc)
    keys = seeded.keys
    first, second = seeded.wallets
    blockhash = chain.latest_blockhash()[0]
    good = VersionedTransaction(
        MessageV0.try_compile(first.keypair.pubkey(), [_grid(first, keys, 0)], [], blockhash),
        [first.keypair],
    )
    too_big = transfer(TransferParams(from_pubkey=second.keypair.pubkey(),
                                      to_pubkey=TIP_ACCOUNTS[2], lamports=10**15))  # fmt: skip
    failing = VersionedTransaction(
        MessageV0.try_compile(second.keypair.pubkey(), [_grid(second, keys, 5), too_big], [],
                              blockhash),
        [second.keypair],
    )  # fmt: skip

    bundle = engine.call("sendBundle", [[_b64(good), _b64(failing)], {"encoding": "base64"}])

    status = engine.call("getInflightBundleStatuses", [[bundle]])["value"][0]
    assert status["status"] == "Failed"
    assert _book_prices(chain, keys.bids) == []
    assert rpc.call("getSignatureStatuses", [[str(good.signatures[0])]])["value"] == [None]


def test_localnet_bundle_without_tip_is_refused() -> None:
    chain, rpc, seeded = _seeded(wallets=1)
    wallet = seeded.wallets[0]
    message = MessageV0.try_compile(
        wallet.keypair.pubkey(), [_grid(wallet, seeded.keys, 0)], [],
        chain.latest_blockhash()[0],
    )  # fmt: skip
    tx = VersionedTransaction(message, [wallet.keypair])

    with pytest.raises(RpcError) as raised:
        BlockEngine(rpc).call("sendBundle", [[_b64(tx)], {"encoding": "base64"}])

    assert "tip account" in raised.value.message
    assert _book_prices(chain, seeded.keys.bids) == []


def test_localnet_seed_keypair_file_is_private_and_report_has_no_secret(tmp_path: Path) -> None:
    _, _, seeded = _seeded(wallets=2)

    path = write_keypairs(seeded, tmp_path / "keys")
    lines = describe(seeded, path, (8899, 8900, 8901), SeedParams(wallets=2))

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secrets = json.loads(path.read_text())
    assert [Keypair.from_bytes(bytes(s)).pubkey() for s in secrets] == [
        w.keypair.pubkey() for w in seeded.wallets
    ]
    text = "\n".join(lines)
    for wallet in seeded.wallets:
        assert str(wallet.keypair) not in text
        assert str(wallet.keypair.pubkey()) in text
    assert f'address = "{seeded.keys.market}"' in text


def test_localnet_options_non_loopback_host_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        LocalnetOptions("0.0.0.0", (1, 2, 3), None, 0, tmp_path)  # noqa: S104 (the refused value)


def test_localnet_missing_program_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="readable"):
        build_chain(tmp_path / "openbook_v2.so")


def test_localnet_program_file_that_is_no_elf_is_config_error(tmp_path: Path) -> None:
    path = tmp_path / "openbook_v2.so"
    path.write_bytes(b"not a program")

    with pytest.raises(ConfigError, match="ELF"):
        build_chain(path)


def test_localnet_program_accounts_filter_finds_the_market() -> None:
    chain, rpc, seeded = _seeded(wallets=1)
    memcmp = {"offset": 0, "bytes": base64.b64encode(ACCOUNT_DISCRIMINATORS["Market"]).decode(),
              "encoding": "base64"}  # fmt: skip

    found = rpc.call("getProgramAccounts", [
        str(chain.program_id),
        {"encoding": "base64", "filters": [{"dataSize": 848}, {"memcmp": memcmp}]},
    ])  # fmt: skip

    parsed = GetProgramAccountsResp.from_json(
        json.dumps({"jsonrpc": "2.0", "id": 0, "result": found})
    )
    assert isinstance(parsed, GetProgramAccountsResp)
    assert [keyed.pubkey for keyed in parsed.value] == [seeded.keys.market]


def test_localnet_token_accounts_by_owner_filters_by_mint() -> None:
    _, rpc, seeded = _seeded(wallets=2)
    wallet = seeded.wallets[0]

    found = rpc.call("getTokenAccountsByOwner", [
        str(wallet.keypair.pubkey()), {"mint": str(seeded.base_mint)}, {"encoding": "base64"},
    ])  # fmt: skip
    everything = rpc.call("getTokenAccountsByOwner", [
        str(wallet.keypair.pubkey()), {"programId": str(TOKEN_PROGRAM_ID)},
        {"encoding": "base64"},
    ])  # fmt: skip

    assert [entry["pubkey"] for entry in found["value"]] == [str(wallet.base_account)]
    assert {entry["pubkey"] for entry in everything["value"]} == {
        str(wallet.base_account),
        str(wallet.quote_account),
    }
    balance = rpc.call("getTokenAccountBalance", [str(wallet.base_account)])
    assert balance["value"]["amount"] == str(SeedParams().base_per_wallet_native)
    assert balance["value"]["decimals"] == 9


def test_localnet_native_elf_is_no_program_config_error(tmp_path: Path) -> None:
    path = tmp_path / "native.so"
    path.write_bytes(b"\x7fELF" + bytes(14) + (62).to_bytes(2, "little") + bytes(40))  # x86-64

    with pytest.raises(ConfigError, match="SBF"):
        build_chain(path)


def test_localnet_program_binary_runs_in_litesvm_instead_of_the_emulator(tmp_path: Path) -> None:
    # stand-in binary: the SPL Memo program LiteSVM ships, loaded at the OpenBook program id
    memo = LocalChain().get(Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"))
    assert memo is not None
    path = tmp_path / "program.so"
    path.write_bytes(bytes(memo.data))
    chain = build_chain(path)
    signer = Keypair()
    chain.airdrop(signer.pubkey(), 10**9)
    call = Instruction(chain.program_id, b"hello from the binary",
                       [AccountMeta(signer.pubkey(), True, False)])  # fmt: skip
    message = MessageV0.try_compile(signer.pubkey(), [call], [], chain.latest_blockhash()[0])

    outcome = chain.execute(VersionedTransaction(message, [signer]), commit=True)

    assert chain.emulator is None
    assert outcome.is_ok, outcome.err
    assert any("hello from the binary" in line for line in outcome.logs)
    assert outcome.units_consumed > 0


def test_localnet_simulation_reports_estimated_openbook_compute_units() -> None:
    chain, rpc, seeded = _seeded(wallets=1)
    wallet = seeded.wallets[0]
    message = MessageV0.try_compile(
        wallet.keypair.pubkey(), [_grid(wallet, seeded.keys, 0)], [], chain.latest_blockhash()[0]
    )
    tx = VersionedTransaction(message, [wallet.keypair])

    simulated = rpc.call("simulateTransaction", [_b64(tx), {"encoding": "base64"}])

    assert simulated["value"]["err"] is None
    assert simulated["value"]["unitsConsumed"] == 21_800 + 2 * 7_750
    assert _book_prices(chain, seeded.keys.bids) == []
