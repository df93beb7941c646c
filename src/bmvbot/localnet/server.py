"""HTTP and WebSocket endpoints of the localnet, and the slot clock.

``rpc_app`` answers Solana JSON-RPC over HTTP POST (single requests and batches), ``ws_app``
serves accountSubscribe, signatureSubscribe and logsSubscribe (plus the unsubscribe calls), and
``jito_app`` the block engine at ``/api/v1/bundles``, ``/api/v1/transactions`` and the
per-method paths. ``serve`` runs all three with uvicorn on 127.0.0.1 and advances one slot
every ``slot_interval_s`` seconds (one second of clock time per ``slots_per_second`` slots).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import count

import uvicorn
from solders.pubkey import Pubkey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bmvbot.localnet.jito import BlockEngine
from bmvbot.localnet.rpc import Json, SolanaRpc, account_json
from bmvbot.localnet.transaction import RpcError, TransactionOutcome

LOOPBACK = "127.0.0.1"
Dispatch = Callable[[str, Json], Json]
_UNSUBSCRIBE = {
    "accountUnsubscribe": "account",
    "signatureUnsubscribe": "signature",
    "logsUnsubscribe": "logs",
}


def _envelope(request_id: Json, call: Dispatch, method: str, params: Json) -> Json:
    try:
        result = call(method, params)
    except RpcError as e:
        error: Json = {"code": e.code, "message": e.message}
        if e.data is not None:
            error["data"] = e.data
        return {"jsonrpc": "2.0", "error": error, "id": request_id}
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


async def _json_rpc(request: Request, call: Dispatch) -> JSONResponse:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return JSONResponse(
            {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
        )
    requests = body if isinstance(body, list) else [body]
    answers = []
    for item in requests:
        if not isinstance(item, dict) or not isinstance(item.get("method"), str):
            answers.append({"jsonrpc": "2.0", "id": None,
                            "error": {"code": -32600, "message": "Invalid request"}})  # fmt: skip
            continue
        answers.append(_envelope(item.get("id"), call, item["method"], item.get("params")))
    return JSONResponse(answers if isinstance(body, list) else answers[0])


def rpc_app(rpc: SolanaRpc) -> Starlette:
    """Return the Solana JSON-RPC HTTP application."""

    async def endpoint(request: Request) -> JSONResponse:
        return await _json_rpc(request, rpc.call)

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


RATE_LIMITED = {
    "jsonrpc": "2.0",
    "error": {"code": -32097, "message": "Network congested. Endpoint is globally rate limited.",
              "data": None},
    "id": None,
}  # fmt: skip
"""The block engine's answer (HTTP 429) to a client over its request rate."""


class _RateLimiter:
    """At most ``max_requests_per_s`` requests per second per client address (None: no limit)."""

    def __init__(self, max_requests_per_s: float | None) -> None:
        self.min_gap_s = 1 / max_requests_per_s if max_requests_per_s else 0.0
        self.last_request: dict[str, float] = {}

    def is_limited(self, request: Request) -> bool:
        if not self.min_gap_s:
            return False
        client = request.client.host if request.client else ""
        now = asyncio.get_running_loop().time()
        previous = self.last_request.get(client)
        if previous is not None and now - previous < self.min_gap_s:
            return True
        self.last_request[client] = now
        return False


async def _bundle_only(request: Request, engine: BlockEngine) -> JSONResponse:
    # sendTransaction?bundleOnly=true: the signature in the body, the bundle id in a header
    try:
        body = json.loads(await request.body())
        signature, bundle = engine.send_bundle_only(body.get("params"))
    except RpcError as e:
        error = {"code": e.code, "message": e.message}
        return JSONResponse({"jsonrpc": "2.0", "error": error, "id": None})
    except (ValueError, AttributeError):
        error = {"code": -32700, "message": "Parse error"}
        return JSONResponse({"jsonrpc": "2.0", "error": error, "id": None})
    answer = {"jsonrpc": "2.0", "result": signature, "id": body.get("id")}
    return JSONResponse(answer, headers={"x-bundle-id": bundle})


def jito_app(engine: BlockEngine, max_requests_per_s: float | None = None) -> Starlette:
    """Return the block-engine HTTP application (bundle and transaction paths).

    ``max_requests_per_s`` (e.g. 1, the block engine's default) answers HTTP 429 with the
    block engine's -32097 body to a client that asks faster; None applies no limit.
    """
    limiter = _RateLimiter(max_requests_per_s)

    async def endpoint(request: Request) -> JSONResponse:
        if limiter.is_limited(request):
            return JSONResponse(RATE_LIMITED, status_code=429)
        if request.query_params.get("bundleOnly") == "true":
            return await _bundle_only(request, engine)
        return await _json_rpc(request, engine.call)

    paths = ("/api/v1/bundles", "/api/v1/transactions", "/api/v1/getBundleStatuses",
             "/api/v1/getInflightBundleStatuses", "/api/v1/getTipAccounts")  # fmt: skip
    return Starlette(routes=[Route(path, endpoint, methods=["POST"]) for path in paths])


@dataclass
class _Subscription:
    kind: str
    target: str | None
    queue: asyncio.Queue[Json]
    identifier: int


@dataclass
class Subscriptions:
    """Live WebSocket subscriptions; fed by committed transactions."""

    rpc: SolanaRpc
    active: dict[int, _Subscription] = field(default_factory=dict)
    ids: count[int] = field(default_factory=lambda: count(1))

    def __post_init__(self) -> None:
        self.rpc.listeners.append(self.on_transaction)

    def on_transaction(self, outcome: TransactionOutcome) -> None:
        """Queue the notifications a committed transaction triggers."""
        written = {str(key) for key in outcome.written}
        context = {"slot": outcome.slot}
        for sub in list(self.active.values()):
            if sub.kind == "account" and sub.target in written:
                account = self.rpc.chain.svm.get_account(_key(sub.target))
                value = account_json(account) or _empty_account()
                self._push(sub, "accountNotification", {"context": context, "value": value})
            elif sub.kind == "signature" and sub.target == str(outcome.signature):
                self._push(sub, "signatureNotification",
                           {"context": context, "value": {"err": outcome.err}})  # fmt: skip
                del self.active[sub.identifier]
            elif sub.kind == "logs" and (sub.target is None or sub.target in written):
                value = {"signature": str(outcome.signature), "err": outcome.err,
                         "logs": outcome.logs}  # fmt: skip
                self._push(sub, "logsNotification", {"context": context, "value": value})

    def _push(self, sub: _Subscription, method: str, result: Json) -> None:
        params = {"result": result, "subscription": sub.identifier}
        sub.queue.put_nowait({"jsonrpc": "2.0", "method": method, "params": params})

    def subscribe(self, method: str, params: Json, queue: asyncio.Queue[Json]) -> int:
        """Register a subscription and return its id.

        Raises:
            RpcError: -32601 unknown method, -32602 bad parameters.
        """
        params = params if isinstance(params, list) else []
        target: str | None
        if method == "accountSubscribe":
            kind, target = "account", str(_key(params[0] if params else ""))
        elif method == "signatureSubscribe":
            kind, target = "signature", str(params[0]) if params else ""
        elif method == "logsSubscribe":
            kind, target = "logs", _logs_target(params[0] if params else "all")
        else:
            raise RpcError(-32601, "Method not found")
        identifier = next(self.ids)
        self.active[identifier] = _Subscription(kind, target, queue, identifier)
        return identifier

    def unsubscribe(self, method: str, params: Json) -> bool:
        """Drop a subscription; return whether it existed."""
        kind = _UNSUBSCRIBE[method]
        identifier = params[0] if isinstance(params, list) and params else None
        sub = self.active.get(identifier) if isinstance(identifier, int) else None
        if sub is None or sub.kind != kind:
            return False
        del self.active[sub.identifier]
        return True


def _key(text: object) -> Pubkey:
    try:
        return Pubkey.from_string(str(text))
    except ValueError:
        raise RpcError(-32602, f"Invalid param: not a pubkey: {text!r}") from None


def _logs_target(spec: Json) -> str | None:
    if spec in ("all", "allWithVotes"):
        return None
    mentions = spec.get("mentions") if isinstance(spec, dict) else None
    if not isinstance(mentions, list) or len(mentions) != 1:
        raise RpcError(-32602, "Invalid params: logsSubscribe takes all or one mentioned key")
    return str(_key(mentions[0]))


def _empty_account() -> Json:
    return {"data": ["", "base64"], "executable": False, "lamports": 0,
            "owner": "11111111111111111111111111111111", "rentEpoch": 0, "space": 0}  # fmt: skip


def ws_app(subscriptions: Subscriptions) -> Starlette:
    """Return the WebSocket application (subscriptions on ``/``)."""

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        queue: asyncio.Queue[Json] = asyncio.Queue()
        mine: list[int] = []
        sender = asyncio.create_task(_forward(websocket, queue))
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                await websocket.send_json(_ws_answer(subscriptions, message, queue, mine))
        except (WebSocketDisconnect, ValueError):
            pass
        finally:
            sender.cancel()
            for identifier in mine:
                subscriptions.active.pop(identifier, None)

    return Starlette(routes=[WebSocketRoute("/", endpoint)])


def _ws_answer(
    subscriptions: Subscriptions, message: Json, queue: asyncio.Queue[Json], mine: list[int]
) -> Json:
    request_id = message.get("id") if isinstance(message, dict) else None
    method = message.get("method") if isinstance(message, dict) else None
    params = message.get("params") if isinstance(message, dict) else None
    try:
        if method in _UNSUBSCRIBE:
            result: Json = subscriptions.unsubscribe(str(method), params)
        else:
            result = subscriptions.subscribe(str(method), params, queue)
            mine.append(result)
    except RpcError as e:
        return {"jsonrpc": "2.0", "error": {"code": e.code, "message": e.message},
                "id": request_id}  # fmt: skip
    except IndexError:
        return {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params"},
                "id": request_id}  # fmt: skip
    return {"jsonrpc": "2.0", "result": result, "id": request_id}


async def _forward(websocket: WebSocket, queue: asyncio.Queue[Json]) -> None:
    while True:
        await websocket.send_json(await queue.get())


async def _until_started(servers: Sequence[uvicorn.Server]) -> None:
    for server in servers:
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)


@dataclass(frozen=True, slots=True)
class ServerPorts:
    """Loopback ports of the three endpoints."""

    rpc: int = 8899
    ws: int = 8900
    jito: int = 8901


async def advance_slots(rpc: SolanaRpc, slot_interval_s: float, slots_per_second: int) -> None:
    """Advance the chain one slot every ``slot_interval_s`` seconds, forever."""
    ticks = 0
    while True:
        await asyncio.sleep(slot_interval_s)
        ticks += 1
        seconds = 1 if ticks % max(slots_per_second, 1) == 0 else 0
        rpc.chain.advance(1, seconds)


class _Server(uvicorn.Server):
    # three servers share one loop: uvicorn's own SIGINT capture, nested three times and
    # undone out of order, would leave a stopped server's handler installed in the process
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _stop_on_signals() -> asyncio.Event:
    # SIGINT and SIGTERM end the serving loop; the loop restores the handlers when it closes
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    return stop


async def serve(
    rpc: SolanaRpc,
    ports: ServerPorts,
    *,
    host: str = LOOPBACK,
    slot_interval_s: float | None = 0.4,
    started: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    jito_requests_per_s: float | None = None,
) -> None:
    """Run the RPC, WebSocket and block-engine servers until ``stop`` is set or cancelled.

    ``slot_interval_s=None`` leaves the clock to the caller (tests that replay recorded clocks).
    """
    engine = BlockEngine(rpc)
    engine.fund_tip_accounts()
    subscriptions = Subscriptions(rpc)
    if stop is None:
        stop = _stop_on_signals()
    servers = [
        _Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                               lifespan="off", ws="websockets-sansio"))
        for app, port in ((rpc_app(rpc), ports.rpc), (ws_app(subscriptions), ports.ws),
                          (jito_app(engine, jito_requests_per_s), ports.jito))
    ]  # fmt: skip
    ticker = asyncio.create_task(
        advance_slots(rpc, slot_interval_s, round(1 / slot_interval_s))
        if slot_interval_s
        else asyncio.Event().wait()
    )
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    try:
        await _until_started(servers)
        if started is not None:
            started.set()
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
    finally:
        ticker.cancel()
        for server in servers:
            server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(ticker, return_exceptions=True)


__all__ = ["ServerPorts", "base64", "jito_app", "rpc_app", "serve", "ws_app"]
