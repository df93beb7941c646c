"""Simulation Lab runs for ``POST /api/simulation``: checked, run in a worker thread, or as jobs.

``prepare`` validates a request (scenario name, config overrides validated like the config
file) without running anything; ``simulate`` runs the real ``TradingService`` on the simulated
venue in simulated time (``bootstrap.simulated_session`` + ``run_simulation``) on its own event
loop, so callers run it with ``asyncio.to_thread``. ``SimulationJobs`` is the bounded job table
of long runs, and learns the seconds per step from finished runs to estimate new ones.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bmvbot import bootstrap
from bmvbot.api.schemas import (
    ErrorResponse,
    MarketInfo,
    SimulationJobResponse,
    SimulationPointResponse,
    SimulationRequest,
    SimulationResultResponse,
)
from bmvbot.core.errors import BotError, ConfigError, RateLimitedError, RetryableVenueError
from bmvbot.core.types import MarketSpec
from bmvbot.services.simulation import run_simulation
from bmvbot.services.state import TradingState
from bmvbot.settings import Settings, validate_settings
from bmvbot.settings.loader import SECTIONS

_log = logging.getLogger("bmvbot.api.jobs")

MAX_POINTS = 1000
"""Samples of a returned series at most (the resolution halves beyond)."""
OVERRIDABLE_SECTIONS = ("market", "pivot", "grid", "guards", "swarm", "target", "treasury")
DEFAULT_SECONDS_PER_STEP = 0.005
MAX_JOBS = 32
MAX_RUNNING = 2


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A checked request: the settings to run with and the request."""

    settings: Settings
    request: SimulationRequest


def prepare(base: Settings, request: SimulationRequest) -> PreparedRun:
    """Return the run of ``request`` over ``base`` with its overrides applied and validated.

    Raises:
        ConfigError: an unknown scenario, a section that may not be overridden, or invalid
            values (``InvalidConfigError`` lists each, named by key).
    """
    names = bootstrap.scenario_names()
    if request.scenario not in names:
        raise ConfigError(
            f"scenario must be one of {', '.join(names)}, was {request.scenario!r}",
            key="scenario",
        )
    raw: dict[str, Any] = {name: getattr(base, name).model_dump() for name in SECTIONS}
    for section, values in request.overrides.items():
        if section not in OVERRIDABLE_SECTIONS:
            raise ConfigError(
                f"overrides may set {', '.join(OVERRIDABLE_SECTIONS)}, was {section!r}",
                key=f"overrides.{section}",
            )
        table = {key: value for key, value in raw[section].items() if value is not None}
        for group in SECTIONS[section].same_value_keys:
            if any(key in values for key in group):
                for key in group:
                    table.pop(key, None)  # the override's spelling replaces the base value
        table.update(values)
        raw[section] = table
    for section, table in raw.items():
        raw[section] = {key: value for key, value in table.items() if value is not None}
    settings = validate_settings(raw, source="simulation overrides")
    return PreparedRun(settings, request)


def market_info(spec: MarketSpec, market_key: str) -> MarketInfo:
    """Return the market geometry of the API's responses."""
    return MarketInfo(
        market_key=market_key,
        base_decimals=spec.base_decimals,
        quote_decimals=spec.quote_decimals,
        base_lot_size=spec.base_lot_size,
        quote_lot_size=spec.quote_lot_size,
        ui_per_price_lot=spec.ui_per_price_lot,
        ui_per_base_lot=spec.ui_per_base_lot,
    )


async def _run(run: PreparedRun, cancel: threading.Event | None) -> SimulationResultResponse:
    request = run.request
    params = run.settings.to_params()
    session = bootstrap.simulated_session(
        params,
        scenario=request.scenario,
        seed=request.seed,
        duration_s=float(request.steps),
        tip_lamports=run.settings.venue.tip_lamports,
        base_price=request.base_price,
        volatility=request.volatility,
    )
    start = time.perf_counter()
    # `steps` ticks: the first at t0, then one per interval until t0 + (steps - 1) intervals
    duration_ns = (request.steps - 1) * session.pacer.interval_ns
    result = await run_simulation(
        session.service, session.clock, session.pacer, duration_ns=duration_ns,
        max_points=MAX_POINTS, on_tick=None if cancel is None else _stop_when(cancel),
    )  # fmt: skip
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    return SimulationResultResponse(
        scenario=request.scenario,
        steps=request.steps,
        seed=request.seed,
        elapsed_ms=round(elapsed_ms, 3),
        series=[
            SimulationPointResponse.model_validate(point, from_attributes=True)
            for point in result.points
        ],
        metrics=result.summary.as_dict(),
        market=market_info(params.market, f"sim:{run.settings.market.name}"),
    )


def _stop_when(cancel: threading.Event) -> Callable[[TradingState], None]:
    def on_tick(state: TradingState) -> None:
        if cancel.is_set():
            raise RetryableVenueError("simulation cancelled: the server is stopping")

    return on_tick


def simulate(run: PreparedRun, cancel: threading.Event | None = None) -> SimulationResultResponse:
    """Run ``run`` to the end on a fresh event loop (call it in a worker thread).

    Setting ``cancel`` stops the run at its next tick.

    Raises:
        ConfigError, InvariantError, VenueError: as the trading loop raises them;
            ``RetryableVenueError`` when cancelled.
    """
    return asyncio.run(_run(run, cancel))


@dataclass(slots=True)
class _Job:
    id: str
    steps: int
    status: str = "queued"
    result: SimulationResultResponse | None = None
    error: ErrorResponse | None = None
    task: asyncio.Task[None] | None = None

    def response(self) -> SimulationJobResponse:
        return SimulationJobResponse.model_validate(
            {"id": self.id, "status": self.status, "steps": self.steps,
             "result": self.result, "error": self.error}
        )  # fmt: skip


class SimulationJobs:
    """The bounded table of simulation jobs (``MAX_JOBS`` kept, ``MAX_RUNNING`` at once)."""

    def __init__(self) -> None:
        """Create an empty table."""
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._seconds_per_step = DEFAULT_SECONDS_PER_STEP
        self._running = asyncio.Semaphore(MAX_RUNNING)
        self._cancel = threading.Event()

    def close(self) -> None:
        """Stop every running simulation at its next tick (the server is stopping)."""
        self._cancel.set()

    def estimate_s(self, steps: int) -> float:
        """Return the expected run time of ``steps`` steps, from the runs seen so far."""
        return steps * self._seconds_per_step

    def learn(self, result: SimulationResultResponse) -> None:
        """Fold a finished run's seconds per step into the estimate (moving average)."""
        per_step = result.elapsed_ms / 1000.0 / max(1, result.steps)
        self._seconds_per_step = 0.7 * self._seconds_per_step + 0.3 * per_step

    async def run_now(self, run: PreparedRun) -> SimulationResultResponse:
        """Run in a worker thread and return the result (the event loop stays free)."""
        async with self._running:
            result = await asyncio.to_thread(simulate, run, self._cancel)
        self.learn(result)
        return result

    def submit(self, run: PreparedRun) -> SimulationJobResponse:
        """Start ``run`` as a job and return it (queued).

        Raises:
            RateLimitedError: the table is full of unfinished jobs.
        """
        if len(self._jobs) >= MAX_JOBS:
            finished = [key for key, job in self._jobs.items() if job.status in ("done", "failed")]
            if not finished:
                raise RateLimitedError(
                    f"{MAX_JOBS} simulation jobs are unfinished; try again later",
                    retry_after_s=10,
                )
            del self._jobs[finished[0]]
        job = _Job(uuid.uuid4().hex, run.request.steps)
        self._jobs[job.id] = job
        job.task = asyncio.create_task(self._execute(job, run))
        return job.response()

    async def _execute(self, job: _Job, run: PreparedRun) -> None:
        try:
            async with self._running:
                job.status = "running"
                job.result = await asyncio.to_thread(simulate, run, self._cancel)
            self.learn(job.result)
            job.status = "done"
        except BotError as error:
            job.error = ErrorResponse(error=_code(error), detail=str(error))
            job.status = "failed"
        except Exception as error:  # noqa: BLE001 -- the job's supervisor: record, never re-raise
            # an unexpected failure must still end the job, without its text (it may be anything)
            _log.error("simulation job failed", extra={"error_type": type(error).__name__})
            job.error = ErrorResponse(error="internal_error", detail="the simulation failed")
            job.status = "failed"

    def get(self, job_id: str) -> SimulationJobResponse | None:
        """Return the job ``job_id``, or None when it is unknown (or was dropped)."""
        job = self._jobs.get(job_id)
        return None if job is None else job.response()

    async def wait(self, job_id: str) -> None:
        """Return when job ``job_id`` has finished (tests and shutdown)."""
        job = self._jobs.get(job_id)
        if job is not None and job.task is not None:
            await asyncio.shield(job.task)


def _code(error: BotError) -> str:
    return "config_error" if isinstance(error, ConfigError) else "simulation_failed"
