"""JSON-RPC over real HTTP, WebSocket subscriptions and Jito bundles on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.rpc.responses import (
    GetAccountInfoResp,
    GetLatestBlockhashResp,
    SimulateTransactionResp,
)
from solders.signature import Signature
from solders.system_program import TransferParams, transfer
from solders.transaction import VersionedTransaction
from tests.integration.localnet.localnet_golden_replay import (
    LocalnetReplay,
    Submit,
    load_trace,
    trace_files,
)

from bmvbot.localnet.chain import LocalChain, TransactionOutcome
from bmvbot.localnet.jito import TIP_ACCOUNTS, BlockEngine, bundle_id
from bmvbot.localnet.rpc import SolanaRpc
from bmvbot.localnet.server import ServerPorts, jito_app, serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Net:
    def __init__(self, chain: LocalChain, ports: ServerPorts) -> None:
        self.chain = chain
        self.ports = ports
        self.http = httpx.AsyncClient(timeout=10)

    async def rpc(self, method: str, params: list[Any]) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.ports.rpc}"
        body = {"jsonrpc": "2.0", "id": 0, "method": method, "params": params}
        answer: dict[str, Any] = (await self.http.post(url, json=body)).json()
        return answer

    async def jito(self, method: str, params: list[Any]) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.ports.jito}/api/v1/bundles"
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        answer: dict[str, Any] = (await self.http.post(url, json=body)).json()
        return answer


@pytest_asyncio.fixture
async def net() -> AsyncIterator[Net]:
    chain = LocalChain()
    ports = ServerPorts(_free_port(), _free_port(), _free_port())
    started, stop = asyncio.Event(), asyncio.Event()
    # no slot timer: golden replays set the recorded clock before every step
    task = asyncio.create_task(
        serve(SolanaRpc(chain), ports, started=started, stop=stop, slot_interval_s=None)
    )
    await asyncio.wait_for(started.wait(), 10)
    client = Net(chain, ports)
    yield client
    await client.http.aclose()
    stop.set()
    await task


def _transfer(chain: LocalChain, payer: Keypair, to: Pubkey, lamports: int) -> str:
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=to, lamports=lamports))
    message = MessageV0.try_compile(payer.pubkey(), [ix], [], chain.latest_blockhash()[0])
    return base64.b64encode(bytes(VersionedTransaction(message, [payer]))).decode()


@pytest.mark.asyncio
async def test_localnet_http_reads_parse_with_solders(net: Net) -> None:
    wallet = Keypair()
    net.chain.airdrop(wallet.pubkey(), 5_000_000_000)

    blockhash = await net.rpc("getLatestBlockhash", [{"commitment": "confirmed"}])
    info = await net.rpc("getAccountInfo", [str(wallet.pubkey()), {"encoding": "base64"}])

    parsed_hash = GetLatestBlockhashResp.from_json(json.dumps(blockhash))
    parsed = GetAccountInfoResp.from_json(json.dumps(info))
    assert isinstance(parsed_hash, GetLatestBlockhashResp)
    assert isinstance(parsed, GetAccountInfoResp)
    assert parsed.value is not None
    assert parsed.value.lamports == 5_000_000_000


@pytest.mark.asyncio
async def test_localnet_send_transaction_notifies_account_subscribers(net: Net) -> None:
    payer, receiver = Keypair(), Keypair()
    net.chain.airdrop(payer.pubkey(), 5_000_000_000)
    uri = f"ws://127.0.0.1:{net.ports.ws}"
    async with websockets.connect(uri) as ws:
        await ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 9,
                    "method": "accountSubscribe",
                    "params": [str(receiver.pubkey()), {"encoding": "base64"}],
                }
            )
        )
        subscribed = json.loads(await ws.recv())

        sent = await net.rpc(
            "sendTransaction",
            [_transfer(net.chain, payer, receiver.pubkey(), 1_000_000_000), {"encoding": "base64"}],
        )
        notification = json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert isinstance(subscribed["result"], int)
    assert "result" in sent
    assert notification["method"] == "accountNotification"
    assert notification["params"]["result"]["value"]["lamports"] == 1_000_000_000


@pytest.mark.asyncio
async def test_localnet_oversized_transaction_is_refused_and_changes_nothing(net: Net) -> None:
    payer = Keypair()
    net.chain.airdrop(payer.pubkey(), 5_000_000_000)
    before = net.chain.get(payer.pubkey())

    answer = await net.rpc(
        "sendTransaction", [base64.b64encode(bytes(1300)).decode(), {"encoding": "base64"}]
    )

    assert answer["error"]["code"] == -32602
    assert "too large" in answer["error"]["message"]
    assert net.chain.get(payer.pubkey()) == before


@pytest.mark.asyncio
async def test_localnet_wrong_signer_gets_signature_failure(net: Net) -> None:
    payer, other = Keypair(), Keypair()
    net.chain.airdrop(payer.pubkey(), 5_000_000_000)
    good = VersionedTransaction.from_bytes(
        base64.b64decode(_transfer(net.chain, payer, other.pubkey(), 1_000_000_000))
    )
    forged = VersionedTransaction.populate(good.message, [other.sign_message(b"x")])

    answer = await net.rpc(
        "sendTransaction", [base64.b64encode(bytes(forged)).decode(), {"encoding": "base64"}]
    )

    assert answer["error"]["code"] == -32003
    assert net.chain.get(other.pubkey()) is None


@pytest.mark.asyncio
async def test_localnet_bundle_is_all_or_nothing(net: Net) -> None:
    payer, receiver = Keypair(), Keypair()
    net.chain.airdrop(payer.pubkey(), 3_000_000_000)
    first = _transfer(net.chain, payer, receiver.pubkey(), 1_000_000_000)
    too_much = _transfer(net.chain, payer, TIP_ACCOUNTS[0], 9_000_000_000)
    before = net.chain.get(payer.pubkey())

    sent = await net.jito("sendBundle", [[first, too_much], {"encoding": "base64"}])
    inflight = await net.jito("getInflightBundleStatuses", [[sent["result"]]])

    assert inflight["result"]["value"][0]["status"] == "Failed"
    assert net.chain.get(receiver.pubkey()) is None
    assert net.chain.get(payer.pubkey()) == before


@pytest.mark.asyncio
async def test_localnet_bundle_lands_in_order(net: Net) -> None:
    payer, receiver = Keypair(), Keypair()
    net.chain.airdrop(payer.pubkey(), 3_000_000_000)
    first = _transfer(net.chain, payer, receiver.pubkey(), 1_000_000_000)
    tip = _transfer(net.chain, payer, TIP_ACCOUNTS[1], 10_000)

    sent = await net.jito("sendBundle", [[first, tip], {"encoding": "base64"}])
    statuses = await net.jito("getBundleStatuses", [[sent["result"]]])

    assert statuses["result"]["value"][0]["confirmation_status"] == "finalized"
    receiver_account = net.chain.get(receiver.pubkey())
    assert receiver_account is not None
    assert receiver_account.lamports == 1_000_000_000


def _http_submit(ports: ServerPorts) -> tuple[httpx.Client, Submit]:
    client = httpx.Client(timeout=10)
    url = f"http://127.0.0.1:{ports.rpc}"

    def submit(tx: VersionedTransaction) -> TransactionOutcome:
        # skipPreflight: a failing step must land (fee charged) as it did when recorded
        encoded = base64.b64encode(bytes(tx)).decode()
        sent = client.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 0,
                "method": "sendTransaction",
                "params": [encoded, {"encoding": "base64", "skipPreflight": True}],
            },
        ).json()
        statuses = client.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 0,
                "method": "getSignatureStatuses",
                "params": [[sent["result"]]],
            },
        ).json()
        status = statuses["result"]["value"][0]
        return TransactionOutcome(tx.signatures[0], status["err"])

    return client, submit


@pytest.mark.asyncio
@pytest.mark.parametrize("index", [7, 16], ids=["08_limit_cross_fifo", "17_close_accounts"])
async def test_localnet_golden_trace_over_http_replays_recorded_state(net: Net, index: int) -> None:
    replay = LocalnetReplay(load_trace(trace_files()[index]), net.chain)
    client, submit = _http_submit(net.ports)

    mismatches = await asyncio.to_thread(replay.run, submit)

    client.close()
    assert mismatches == []
    assert replay.byte_identical == replay.compared


@pytest.mark.asyncio
async def test_localnet_simulate_unsigned_with_replaced_blockhash_parses(net: Net) -> None:
    payer = Keypair()
    net.chain.airdrop(payer.pubkey(), 5_000_000_000)
    ix = transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(),
                                 lamports=1_000_000_000))  # fmt: skip
    message = MessageV0.try_compile(payer.pubkey(), [ix], [], Hash.default())
    unsigned = VersionedTransaction.populate(message, [Signature.default()])
    before = net.chain.get(payer.pubkey())

    answer = await net.rpc("simulateTransaction", [
        base64.b64encode(bytes(unsigned)).decode(),
        {"encoding": "base64", "sigVerify": False, "replaceRecentBlockhash": True},
    ])  # fmt: skip

    parsed = SimulateTransactionResp.from_json(json.dumps(answer))
    assert isinstance(parsed, SimulateTransactionResp)
    assert parsed.value.err is None
    assert parsed.value.units_consumed == 150
    assert answer["result"]["value"]["replacementBlockhash"] is not None
    assert net.chain.get(payer.pubkey()) == before


@pytest.mark.asyncio
async def test_localnet_signature_and_logs_subscriptions_notify(net: Net) -> None:
    payer, receiver = Keypair(), Keypair()
    net.chain.airdrop(payer.pubkey(), 5_000_000_000)
    tx = _transfer(net.chain, payer, receiver.pubkey(), 1_000_000_000)
    signature = str(VersionedTransaction.from_bytes(base64.b64decode(tx)).signatures[0])
    async with websockets.connect(f"ws://127.0.0.1:{net.ports.ws}") as ws:
        await ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "signatureSubscribe",
                    "params": [signature, {"commitment": "confirmed"}],
                }
            )
        )
        await ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 2,
                    "method": "logsSubscribe",
                    "params": [{"mentions": [str(receiver.pubkey())]}],
                }
            )
        )
        answers = [json.loads(await ws.recv()) for _ in range(2)]

        await net.rpc("sendTransaction", [tx, {"encoding": "base64"}])
        notifications = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    assert sorted(a["id"] for a in answers) == [1, 2]
    methods = {n["method"]: n["params"]["result"] for n in notifications}
    assert methods["signatureNotification"]["value"] == {"err": None}
    assert methods["logsNotification"]["value"]["signature"] == signature
    assert methods["logsNotification"]["value"]["logs"]


@pytest.mark.asyncio
async def test_localnet_bundle_only_transaction_returns_bundle_id_header(net: Net) -> None:
    payer = Keypair()
    net.chain.airdrop(payer.pubkey(), 3_000_000_000)
    tip = _transfer(net.chain, payer, TIP_ACCOUNTS[3], 10_000)
    url = f"http://127.0.0.1:{net.ports.jito}/api/v1/transactions?bundleOnly=true"
    body = {"jsonrpc": "2.0", "id": 3, "method": "sendTransaction",
            "params": [tip, {"encoding": "base64"}]}  # fmt: skip

    response = await net.http.post(url, json=body)

    signature = VersionedTransaction.from_bytes(base64.b64decode(tip)).signatures[0]
    assert response.json()["result"] == str(signature)
    assert response.headers["x-bundle-id"] == bundle_id(
        [VersionedTransaction.from_bytes(base64.b64decode(tip))]
    )
    statuses = await net.jito("getBundleStatuses", [[response.headers["x-bundle-id"]]])
    assert statuses["result"]["value"][0]["transactions"] == [str(signature)]


@pytest.mark.asyncio
async def test_localnet_jito_rate_limit_answers_429() -> None:
    chain = LocalChain()
    app = jito_app(BlockEngine(SolanaRpc(chain)), max_requests_per_s=0.01)
    transport = httpx.ASGITransport(app=app)
    body = {"jsonrpc": "2.0", "id": 1, "method": "getTipAccounts", "params": []}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        first = await client.post("/api/v1/bundles", json=body)
        second = await client.post("/api/v1/bundles", json=body)

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"]["code"] == -32097


@pytest.mark.asyncio
async def test_localnet_dont_front_transaction_after_another_is_refused(net: Net) -> None:
    payer = Keypair()
    net.chain.airdrop(payer.pubkey(), 3_000_000_000)
    plain = transfer(
        TransferParams(from_pubkey=payer.pubkey(), to_pubkey=Keypair().pubkey(), lamports=10**9)
    )
    marker = Pubkey.from_string("jitodontfront111111111111111111111111111111")
    protected_ix = Instruction(
        plain.program_id, plain.data, [*plain.accounts, AccountMeta(marker, False, False)]
    )
    message = MessageV0.try_compile(
        payer.pubkey(), [protected_ix], [], net.chain.latest_blockhash()[0]
    )
    protected = base64.b64encode(bytes(VersionedTransaction(message, [payer]))).decode()
    tip = _transfer(net.chain, payer, TIP_ACCOUNTS[4], 10_000)

    refused = await net.jito("sendBundle", [[tip, protected], {"encoding": "base64"}])
    accepted = await net.jito("sendBundle", [[protected, tip], {"encoding": "base64"}])

    assert "jitodontfront" in refused["error"]["message"]
    assert isinstance(accepted["result"], str)
