"""``POST /api/simulation``: inline runs, the job path, validation of scenario and overrides."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.integration.api.api_harness import Harness

from bmvbot import bootstrap
from bmvbot.api import jobs
from bmvbot.api.schemas import SimulationResultResponse
from bmvbot.core.errors import InvariantError
from bmvbot.services.simulation import run_simulation
from bmvbot.settings import load_settings

SCENARIOS = ("flash_crash", "pump", "random_walk", "mean_reversion", "low_liquidity", "whale_wall")

METRICS = ("pnl_quote_native", "max_drawdown_quote_native", "rebalances_by_reason",
           "tips_lamports", "fees_lamports", "one_sided_ns", "fills")  # fmt: skip


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "scenario": "flash_crash", "base_price": 1.25, "steps": 30, "volatility": 0.02, "seed": 4,
    }  # fmt: skip
    body.update(changes)
    return body


def test_api_simulation_scenarios_exist() -> None:
    assert set(SCENARIOS) <= set(bootstrap.scenario_names())


@pytest.mark.asyncio
@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_api_simulation_short_run_returns_series_and_metrics(
    harness: Harness, scenario: str
) -> None:
    response = await harness.client.post(
        "/api/simulation", json=_body(scenario=scenario, steps=20), headers=harness.headers()
    )

    body = response.json()
    assert response.status_code == 200
    assert len(body["series"]) == 20
    assert body["metrics"]["ticks"] == 20
    assert body["metrics"]["self_trades"] == 0
    assert set(METRICS) <= set(body["metrics"])
    first = body["series"][0]
    assert first["market_price_lots"] == pytest.approx(1.25 / body["market"]["ui_per_price_lot"])


@pytest.mark.asyncio
async def test_api_simulation_equals_the_trading_loop_run_directly(harness: Harness) -> None:
    settings = load_settings(None, env={})
    session = bootstrap.simulated_session(
        settings.to_params(), scenario="pump", seed=9, duration_s=40.0,
        tip_lamports=settings.venue.tip_lamports, base_price=1.25, volatility=0.05,
    )  # fmt: skip
    direct = await run_simulation(
        session.service, session.clock, session.pacer, duration_ns=39 * 10**9
    )

    body = (
        await harness.client.post(
            "/api/simulation",
            json=_body(scenario="pump", seed=9, steps=40, volatility=0.05),
            headers=harness.headers(),
        )
    ).json()

    assert body["metrics"] == direct.summary.as_dict()
    assert [p["pnl_quote_native"] for p in body["series"]] == [
        p.pnl_quote_native for p in direct.points
    ]


@pytest.mark.asyncio
async def test_api_simulation_same_seed_same_result(harness: Harness) -> None:
    runs = [
        (
            await harness.client.post("/api/simulation", json=_body(), headers=harness.headers())
        ).json()
        for _ in range(2)
    ]

    assert runs[0]["series"] == runs[1]["series"]
    assert runs[0]["metrics"] == runs[1]["metrics"]


@pytest.mark.asyncio
async def test_api_simulation_overrides_apply(harness: Harness) -> None:
    body = (
        await harness.client.post(
            "/api/simulation",
            json=_body(scenario="random_walk", overrides={"grid": {"levels_per_side": 4}}),
            headers=harness.headers(),
        )
    ).json()

    assert 0 < body["metrics"]["orders_resting"] <= 8


@pytest.mark.asyncio
async def test_api_simulation_long_run_becomes_a_job(harness: Harness) -> None:
    harness.context.sync_simulation_budget_s = 0.0
    headers = harness.headers()

    started = await harness.client.post("/api/simulation", json=_body(steps=25), headers=headers)
    job_id = started.json()["id"]
    await harness.context.jobs.wait(job_id)
    done = await harness.client.get(started.headers["location"], headers=headers)

    assert started.status_code == 202
    assert started.json()["status"] in ("queued", "running")
    assert started.headers["location"] == f"/api/simulation/{job_id}"
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert len(done.json()["result"]["series"]) == 25


@pytest.mark.asyncio
async def test_api_simulation_unknown_job_returns_404(harness: Harness) -> None:
    response = await harness.client.get("/api/simulation/0123abc", headers=harness.headers())

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"scenario": "moon"}, "scenario must be one of"),
        ({"overrides": {"grid": {"levels_per_side": 0}}}, "grid.levels_per_side"),
        ({"overrides": {"grid": {"no_such_key": 1}}}, "no_such_key"),
        ({"overrides": {"api": {"port": 1}}}, "overrides may set"),
        ({"overrides": {"venue": {"rpc_url": "http://x"}}}, "overrides may set"),
        ({"steps": 0}, "body.steps"),
        ({"steps": 10**9}, "body.steps"),
        ({"base_price": -1}, "body.base_price"),
        ({"volatility": "high"}, "body.volatility"),
        ({"seed": -5}, "body.seed"),
    ],
)
async def test_api_simulation_invalid_request_returns_422(
    harness: Harness, changes: dict[str, Any], key: str
) -> None:
    response = await harness.client.post(
        "/api/simulation", json=_body(**changes), headers=harness.headers()
    )

    assert response.status_code == 422
    assert key in response.json()["detail"]


@pytest.mark.asyncio
async def test_api_simulation_read_only_token_returns_403(harness: Harness) -> None:
    token = harness.context.tokens.issue("operator", scopes=("read",))

    response = await harness.client.post(
        "/api/simulation", json=_body(), headers=harness.headers(token)
    )

    assert response.status_code == 403


@pytest.mark.asyncio
async def test_api_simulation_job_with_invariant_failure_is_failed_not_stuck(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fault injection: no real scenario corrupts the trading state on demand
    def broken(run: jobs.PreparedRun, cancel: object = None) -> SimulationResultResponse:
        raise InvariantError("crossed grid")

    monkeypatch.setattr(jobs, "simulate", broken)
    harness.context.sync_simulation_budget_s = 0.0
    headers = harness.headers()

    started = await harness.client.post("/api/simulation", json=_body(), headers=headers)
    await harness.context.jobs.wait(started.json()["id"])
    job = (await harness.client.get(started.headers["location"], headers=headers)).json()

    assert job["status"] == "failed"
    assert job["error"] == {"error": "simulation_failed", "detail": "crossed grid"}


@pytest.mark.asyncio
async def test_api_simulation_jobs_close_cancels_a_running_job(harness: Harness) -> None:
    harness.context.sync_simulation_budget_s = 0.0
    headers = harness.headers()
    started = await harness.client.post(
        "/api/simulation", json=_body(steps=100_000), headers=headers
    )
    job_id = started.json()["id"]

    harness.context.jobs.close()
    await harness.context.jobs.wait(job_id)
    job = (await harness.client.get(f"/api/simulation/{job_id}", headers=headers)).json()

    assert job["status"] == "failed"
    assert "cancelled" in job["error"]["detail"]


@pytest.mark.asyncio
async def test_api_simulation_inline_run_leaves_the_event_loop_free(harness: Harness) -> None:
    harness.context.sync_simulation_budget_s = 1e9  # inline, however long
    headers = harness.headers()

    # a run far longer than the two requests (minutes of work), stopped once they answered
    simulation = asyncio.create_task(
        harness.client.post("/api/simulation", json=_body(steps=100_000), headers=headers)
    )
    await asyncio.sleep(0.05)
    health = await harness.client.get("/health")
    stats = await harness.client.get("/api/stats", headers=headers)
    was_running = not simulation.done()
    harness.context.jobs.close()
    finished = await simulation

    assert health.status_code == 200
    assert stats.status_code == 200
    assert was_running  # both answered while the inline run was still going
    assert finished.status_code == 503
    assert "cancelled" in finished.json()["detail"]
