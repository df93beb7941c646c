"""Error shape and redaction: malformed bodies are 4xx ``{error, detail}``, no secret leaks."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.api.api_harness import (
    JWT_SECRET,
    PASSWORD,
    USER,
    Harness,
    client_of,
    make_context,
)

from bmvbot.api.context import ApiContext

POST_ROUTES = ("/login", "/api/control", "/api/simulation")


@pytest.mark.asyncio
@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2", b"null"])
async def test_api_post_malformed_body_returns_4xx_shape(
    harness: Harness, path: str, body: bytes
) -> None:
    headers = {**harness.headers(), "Content-Type": "application/json"}

    response = await harness.client.post(path, content=body, headers=headers)

    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.asyncio
async def test_api_login_invalid_body_names_fields_without_echoing_values(
    harness: Harness,
) -> None:
    response = await harness.client.post(
        "/login", json={"username": "", "password": "x" * 2000, "extra": PASSWORD}
    )

    body = response.json()
    assert response.status_code == 422
    assert body["error"] == "invalid_request"
    assert "body.username" in body["detail"]
    assert "body.password" in body["detail"]
    assert "x" * 50 not in response.text
    assert PASSWORD not in response.text


@pytest.mark.asyncio
async def test_api_unknown_route_and_method_use_error_shape(harness: Harness) -> None:
    missing = await harness.client.get("/api/nothing-here", headers=harness.headers())
    wrong_method = await harness.client.delete("/api/stats", headers=harness.headers())

    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "method_not_allowed")


@pytest.mark.asyncio
async def test_api_unexpected_error_returns_500_without_detail(
    password_hash: str, caplog: pytest.LogCaptureFixture
) -> None:
    context = await make_context(password_hash)
    assert context.bot is not None
    context.bot.tap.latency_ms["snapshot"] = None  # type: ignore[assignment]  # corrupt on purpose
    async with client_of(context) as client:  # nothing escapes the app
        response = await client.get(
            "/api/stats", headers={"Authorization": f"Bearer {context.tokens.issue(USER)}"}
        )

    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "detail": "internal error; the server log has the details",
    }
    assert "Traceback" not in response.text
    assert "Traceback" not in caplog.text
    assert "error_type" not in response.text
    assert any(record.getMessage() == "unexpected error" for record in caplog.records)


@pytest.mark.asyncio
async def test_api_no_secret_in_responses_or_logs(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = harness.client
    texts: list[str] = []

    ok = await client.post("/login", json={"username": USER, "password": PASSWORD})
    token = ok.json()["access_token"]
    bad = await client.post("/login", json={"username": USER, "password": PASSWORD + "!"})
    texts += [bad.text]
    headers = harness.headers(token)
    for path in ("/api/stats", "/api/config", "/api/wallets", "/metrics", "/health"):
        texts.append((await client.get(path, headers=headers)).text)
    texts.append((await client.get("/api/stats", headers=harness.headers(token + "x"))).text)

    secrets = [PASSWORD, JWT_SECRET, harness.context.auth.password_hash.get_secret_value()]  # type: ignore[union-attr]
    for secret in secrets:
        assert all(secret not in text for text in texts)
        assert secret not in caplog.text
    assert token not in caplog.text
    assert all(token not in text for text in texts)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
FIELDS = ("username", "password", "action", "scenario", "base_price", "steps", "volatility",
          "seed", "overrides")  # fmt: skip
BODIES = JSON | st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=len(FIELDS))


@pytest.fixture(scope="module")
def fuzz_context(password_hash: str) -> ApiContext:
    context = asyncio.run(make_context(password_hash, max_attempts_per_window=1_000_000))
    context.sync_simulation_budget_s = 0.0  # any valid run becomes a job: never run inline
    return context


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(POST_ROUTES), body=BODIES)
def test_api_post_random_json_never_5xx(fuzz_context: ApiContext, path: str, body: Any) -> None:
    async def post() -> httpx.Response:
        async with client_of(fuzz_context, raise_errors=False) as client:
            headers = {"Authorization": f"Bearer {fuzz_context.tokens.issue(USER)}"}
            return await client.post(
                path, content=json.dumps(body, allow_nan=True), headers=headers
            )

    response = asyncio.run(post())

    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}


TRADE_PARAMS = ("start_ns", "end_ns", "limit", "cursor", "order")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=st.dictionaries(
        st.sampled_from(TRADE_PARAMS),
        st.text(max_size=30)
        | st.integers(-(2**70), 2**70).map(str)
        | st.tuples(st.integers(0, 2**70), st.integers(0, 2**70)).map(lambda p: f"{p[0]}.{p[1]}"),
    )
)
def test_api_trades_random_query_never_5xx(
    fuzz_context: ApiContext, params: dict[str, str]
) -> None:
    async def get() -> httpx.Response:
        async with client_of(fuzz_context, raise_errors=False) as client:
            headers = {"Authorization": f"Bearer {fuzz_context.tokens.issue(USER)}"}
            return await client.get("/api/trades", params=params, headers=headers)

    response = asyncio.run(get())

    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "detail"}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "cursor", ["².1", "\u0661.2", "1.99999999999999999999", "1.", ".1", "1.2.3"]
)
async def test_api_trades_non_ascii_or_huge_cursor_returns_422(
    harness: Harness, cursor: str
) -> None:
    response = await harness.client.get(
        "/api/trades", params={"cursor": cursor}, headers=harness.headers()
    )

    assert response.status_code == 422
    assert response.json()["error"] == "config_error"
