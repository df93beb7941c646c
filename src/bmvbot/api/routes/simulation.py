"""``POST /api/simulation`` and ``GET /api/simulation/{id}``: the Simulation Lab.

A run is the real ``TradingService`` on the simulated venue in simulated time. Runs estimated
to take at most the context's budget (2 s) answer 200 with the result; longer ones answer 202
with ``Location: /api/simulation/{id}``, to poll until ``status`` is ``done`` or ``failed``.
Either way the run happens in a worker thread, never on the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bmvbot.api.deps import Context, Controller, CurrentUser
from bmvbot.api.jobs import prepare
from bmvbot.api.schemas import (
    ErrorResponse,
    SimulationJobResponse,
    SimulationRequest,
    SimulationResultResponse,
)

router = APIRouter(prefix="/api", tags=["simulation"])


@router.post(
    "/simulation",
    response_model=SimulationResultResponse,
    responses={
        202: {"model": SimulationJobResponse, "description": "Started as a job."},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse},
    },
)
async def simulate(
    body: SimulationRequest, user: Controller, context: Context
) -> SimulationResultResponse | JSONResponse:
    """Run a scenario on the real trading loop in simulated time; return series and metrics.

    Series: price, pivot, grid bounds, inventory, PnL. Metrics: PnL, max drawdown, fills,
    rebalances by reason, tips, fees, one-sided time and order counters.

    Body: ``scenario`` (flash_crash, pump, random_walk, mean_reversion, low_liquidity,
    whale_wall, ...), ``base_price`` (quote per base), ``steps`` (ticks of 1 simulated s),
    ``volatility`` (fraction per square root of an hour), optional ``seed`` and
    ``overrides`` (``{"grid": {"levels_per_side": 8}}``, validated like ``bmvbot.toml``).
    """
    run = prepare(context.settings, body)
    if context.jobs.estimate_s(body.steps) <= context.sync_simulation_budget_s:
        return await context.jobs.run_now(run)
    job = context.jobs.submit(run)
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/simulation/{job.id}"},
    )


@router.get(
    "/simulation/{job_id}",
    response_model=SimulationJobResponse,
    responses={404: {"model": ErrorResponse}},
)
async def simulation_job(
    job_id: Annotated[str, Path(min_length=1, max_length=64)], user: CurrentUser, context: Context
) -> SimulationJobResponse:
    """Return a simulation job and, once finished, its result or error.

    ``status``: ``queued``, ``running``, ``done`` (with ``result``) or ``failed`` (with
    ``error``). Finished jobs are kept until the bounded table needs room.
    """
    job = context.jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no simulation job {job_id!r} (unknown or dropped)")
    return job
