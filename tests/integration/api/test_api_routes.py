"""Every route: shapes, values against the running bot, 401 without a token."""

from __future__ import annotations

import json

import pytest
from tests.integration.api.api_harness import (
    JWT_SECRET,
    MARKET_KEY,
    Harness,
    client_of,
    make_context,
)

from bmvbot.api.app import create_app
from bmvbot.api.context import api_context
from bmvbot.core.stats import imbalance_index
from bmvbot.settings import load_settings

PROTECTED = [
    ("GET", "/api/stats"),
    ("GET", "/api/grid"),
    ("GET", "/api/trades"),
    ("GET", "/api/price_history"),
    ("GET", "/api/latency"),
    ("GET", "/api/wallets"),
    ("GET", "/api/swarm/addresses"),
    ("GET", "/api/config"),
    ("POST", "/api/control"),
    ("GET", "/api/stream"),
    ("POST", "/api/simulation"),
    ("GET", "/api/simulation/abc"),
    ("GET", "/metrics"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_api_protected_route_without_token_returns_401(
    harness: Harness, method: str, path: str
) -> None:
    response = await harness.client.request(method, path, json={})

    assert response.status_code == 401
    assert set(response.json()) == {"error", "detail"}


def test_api_every_route_is_listed_and_documented(password_hash: str) -> None:
    import asyncio

    schema = create_app(asyncio.run(make_context(password_hash))).openapi()
    operations = {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }

    for method, path in PROTECTED:
        template = "/api/simulation/{job_id}" if path == "/api/simulation/abc" else path
        assert (method, template) in operations
    assert ("GET", "/health") in operations
    assert ("POST", "/login") in operations
    assert all(op.get("description", "").strip() for op in operations.values())


@pytest.mark.asyncio
async def test_api_health_public_reports_components(harness: Harness) -> None:
    response = await harness.client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["is_live"] is True
    assert body["components"]["venue"]["status"] == "ok"
    assert body["components"]["database"]["status"] == "ok"
    assert body["status"] == "ok"


@pytest.mark.asyncio
async def test_api_stats_matches_trading_state(harness: Harness) -> None:
    bot = harness.context.bot
    assert bot is not None
    assert bot.tap.book is not None
    state = bot.service.state

    body = (await harness.client.get("/api/stats", headers=harness.headers())).json()

    assert body["ts_ns"] == state.ts_ns
    assert body["trading_state"] == "running"
    assert body["pivot_price_lots"] == state.pivot_price_lots
    assert body["spread_price_lots"] == state.spread_lots
    assert body["imbalance_index"] == imbalance_index(bot.tap.book)
    assert -1.0 <= body["imbalance_index"] <= 1.0
    assert body["safe_haven_index"] is None
    assert body["fills"] == state.pnl.fills
    assert body["rebalances"] == state.execution.rebalances >= 1
    assert body["rebalances_by_trigger"] == dict(state.execution.rebalances_by_reason)
    assert body["bundles_sent"] == state.execution.bundles_sent
    assert body["tips_lamports"] == state.execution.tips_lamports
    assert body["resting_orders"] == len(state.orders) > 0
    inventory = body["inventory"]
    assert inventory["base_headroom_native"] == (
        inventory["base_native"] - inventory["base_locked_native"]
    )
    assert {entry["operation"] for entry in body["latency"]} >= {"snapshot", "execute"}
    assert body["market"]["market_key"] == MARKET_KEY


@pytest.mark.asyncio
async def test_api_grid_lists_resting_orders_with_wallets(harness: Harness) -> None:
    assert harness.context.bot is not None
    orders = harness.context.bot.service.state.orders

    body = (await harness.client.get("/api/grid", headers=harness.headers())).json()

    assert [(level["wallet"], level["price_lots"]) for level in body["levels"]] == [
        (order.wallet, order.price_lots) for order in orders
    ]
    assert {level["side"] for level in body["levels"]} == {"bid", "ask"}


@pytest.mark.asyncio
async def test_api_trades_pages_cover_the_range_once(harness: Harness) -> None:
    seen: list[tuple[int, str, int]] = []
    cursor = None
    for _ in range(100):
        params = {"limit": "7", "order": "oldest", **({"cursor": cursor} if cursor else {})}
        body = (
            await harness.client.get("/api/trades", params=params, headers=harness.headers())
        ).json()
        seen.extend((t["ts_ns"], t["tx_signature"], t["event_seq"]) for t in body["trades"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert harness.context.stores is not None
    stored = await harness.context.stores.trades.trades(MARKET_KEY, 0, 2**62)

    assert len(seen) == len(stored) > 7
    assert seen == sorted(seen, key=lambda item: item[0])
    assert len(set(seen)) == len(seen)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "params",
    [{"cursor": "nonsense"}, {"start_ns": "10", "end_ns": "5"}, {"limit": "0"}, {"limit": "x"}],
)
async def test_api_trades_bad_query_returns_422(harness: Harness, params: dict[str, str]) -> None:
    response = await harness.client.get("/api/trades", params=params, headers=harness.headers())

    assert response.status_code == 422
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.asyncio
async def test_api_price_history_returns_candles(harness: Harness) -> None:
    body = (await harness.client.get("/api/price_history", headers=harness.headers())).json()

    assert body["market_key"] == MARKET_KEY
    assert sum(candle["trade_count"] for candle in body["candles"]) > 0
    assert all(c["low_price_lots"] <= c["high_price_lots"] for c in body["candles"])


@pytest.mark.asyncio
async def test_api_latency_reports_live_venue_percentiles(harness: Harness) -> None:
    body = (await harness.client.get("/api/latency", headers=harness.headers())).json()

    snapshot = next(entry for entry in body["live"] if entry["operation"] == "snapshot")
    assert snapshot["samples"] > 0
    assert 0 < snapshot["p50_ms"] <= snapshot["p99_ms"]
    assert body["stored"] == []


@pytest.mark.asyncio
async def test_api_wallets_public_data_and_addresses_match_the_swarm(harness: Harness) -> None:
    assert harness.context.bot is not None
    swarm = await harness.context.bot.service.wallets()

    wallets = (await harness.client.get("/api/wallets", headers=harness.headers())).json()
    addresses = (await harness.client.get("/api/swarm/addresses", headers=harness.headers())).json()

    assert [wallet["wallet"] for wallet in wallets] == list(swarm)
    assert addresses == {"count": len(swarm), "addresses": list(swarm)}
    assert not any("secret" in key for wallet in wallets for key in wallet)


@pytest.mark.asyncio
async def test_api_config_redacts_secrets(harness: Harness) -> None:
    body = (await harness.client.get("/api/config", headers=harness.headers())).json()

    assert body["venue"]["rpc_url"] == "**********"
    assert body["grid"]["levels_per_side"] == harness.context.settings.grid.levels_per_side


@pytest.mark.asyncio
async def test_api_control_pause_resume_cancel_all(harness: Harness) -> None:
    bot = harness.context.bot
    assert bot is not None
    headers = harness.headers()

    paused = await harness.client.post("/api/control", json={"action": "pause"}, headers=headers)
    stats = (await harness.client.get("/api/stats", headers=headers)).json()
    cancelled = await harness.client.post(
        "/api/control", json={"action": "cancel_all"}, headers=headers
    )
    resumed = await harness.client.post("/api/control", json={"action": "resume"}, headers=headers)

    assert paused.json()["is_paused"] is True
    assert stats["trading_state"] == "paused"
    assert cancelled.status_code == 200
    assert bot.service.state.orders == ()
    assert resumed.json()["is_paused"] is False


@pytest.mark.asyncio
async def test_api_stream_sends_stats_fills_and_rebalances_then_ends(harness: Harness) -> None:
    bot = harness.context.bot
    assert bot is not None
    # the first poll sends every kept fill and rebalance and one stats event
    harness.context.sse_max_events = len(bot.tap.fills) + len(bot.tap.rebalances) + 1

    response = await harness.client.get("/api/stream", headers=harness.headers())

    events = [block for block in response.text.split("\n\n") if block.startswith("event:")]
    kinds = {block.split("\n")[0].removeprefix("event: ") for block in events}
    assert response.headers["content-type"].startswith("text/event-stream")
    assert {"stats", "rebalance"} <= kinds
    stats = next(block for block in events if block.startswith("event: stats"))
    assert json.loads(stats.split("data: ", 1)[1])["trading_state"] == "running"


@pytest.mark.asyncio
async def test_api_stream_resumes_after_last_event_id(harness: Harness) -> None:
    bot = harness.context.bot
    assert bot is not None
    last = max([event.seq for event in bot.tap.fills] + [e.seq for e in bot.tap.rebalances])
    harness.context.sse_max_events = 20

    response = await harness.client.get(
        "/api/stream", headers={**harness.headers(), "Last-Event-ID": str(last)}
    )

    assert "event: fill" not in response.text
    assert "event: rebalance" not in response.text
    assert ": ping" in response.text  # an idle stream sends heartbeats, and ends


@pytest.mark.asyncio
async def test_api_metrics_prometheus_text(harness: Harness) -> None:
    response = await harness.client.get("/metrics", headers=harness.headers())

    lines = response.text.splitlines()
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "bmvbot_up 1" in lines
    assert any(line.startswith("bmvbot_rebalances_total{reason=") for line in lines)
    samples = [line for line in lines if line and not line.startswith("#")]
    assert all(len(line.rsplit(" ", 1)) == 2 for line in samples)
    for line in samples:
        float(line.rsplit(" ", 1)[1])


@pytest.mark.asyncio
async def test_api_metrics_public_when_configured(harness: Harness) -> None:
    harness.context.is_metrics_public = True

    response = await harness.client.get("/metrics")

    assert response.status_code == 200


@pytest.mark.asyncio
async def test_api_without_bot_returns_503_and_health_disabled(password_hash: str) -> None:
    context = await make_context(password_hash)
    context.bot = None
    context.stores = None
    async with client_of(context) as client:
        headers = {"Authorization": f"Bearer {context.tokens.issue('operator')}"}
        stats = await client.get("/api/stats", headers=headers)
        trades = await client.get("/api/trades", params={"end_ns": "10"}, headers=headers)
        health = (await client.get("/health")).json()

    assert stats.status_code == 503
    assert trades.status_code == 503
    assert health["components"]["venue"]["status"] == "disabled"
    assert health["components"]["database"]["status"] == "disabled"


@pytest.mark.asyncio
async def test_api_cors_closed_by_default(harness: Harness) -> None:
    response = await harness.client.options(
        "/api/stats",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )

    assert "access-control-allow-origin" not in response.headers


@pytest.mark.asyncio
async def test_api_cors_configured_origin_allowed(password_hash: str) -> None:
    context = await make_context(password_hash)
    api = context.settings.api.model_copy(update={"cors_origins": ["https://ops.example.com"]})
    context.settings = context.settings.model_copy(update={"api": api})
    async with client_of(context) as client:
        allowed = await client.options(
            "/api/stats",
            headers={
                "Origin": "https://ops.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        other = await client.get("/health", headers={"Origin": "https://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "https://ops.example.com"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.asyncio
async def test_api_openapi_public_and_cdn_docs_off(harness: Harness) -> None:
    schema = await harness.client.get("/openapi.json")
    docs = await harness.client.get("/docs")

    assert schema.status_code == 200
    assert "/api/stats" in schema.json()["paths"]
    assert docs.status_code == 404


@pytest.mark.parametrize(("value", "is_public"), [("", False), ("true", True), ("0", False)])
def test_api_context_metrics_public_from_env(value: str, *, is_public: bool) -> None:
    settings = load_settings(None, env={})
    env = {"BMVBOT_JWT_SECRET": JWT_SECRET, "BMVBOT_METRICS_PUBLIC": value}

    context = api_context(settings, env)

    assert context.is_metrics_public is is_public
    assert context.bot is None


@pytest.mark.asyncio
async def test_api_stats_follows_every_tick_and_pause(harness: Harness) -> None:
    bot = harness.context.bot
    assert bot is not None
    headers = harness.headers()

    before = (await harness.client.get("/api/stats", headers=headers)).json()
    again = (await harness.client.get("/api/stats", headers=headers)).json()
    await bot.service.tick()
    after_tick = (await harness.client.get("/api/stats", headers=headers)).json()
    bot.service.pause()
    after_pause = (await harness.client.get("/api/stats", headers=headers)).json()

    assert again == before
    assert after_tick["ts_ns"] == bot.service.state.ts_ns
    assert after_tick["latency"] != before["latency"]
    assert after_pause["trading_state"] == "paused"


@pytest.mark.asyncio
@pytest.mark.parametrize("last_id", ["²", "-1", "abc", "9" * 40])
async def test_api_stream_odd_last_event_id_starts_from_the_beginning(
    harness: Harness, last_id: str
) -> None:
    harness.context.sse_max_events = 3

    headers = {key.encode(): value.encode() for key, value in harness.headers().items()}
    headers[b"Last-Event-ID"] = last_id.encode("latin-1")  # header bytes may be any latin-1

    response = await harness.client.get("/api/stream", headers=headers)

    assert response.status_code == 200
    assert "id: 1\n" in response.text
