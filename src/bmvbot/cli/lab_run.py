"""``bmvbot lab run``: one Simulation Lab scenario, its metrics, and optionally a chart.

``bmvbot lab run --scenario flash_crash --steps 500 [--seed N] [--base-price P]
[--volatility V] [--plot out.png] [--json]``
runs the real ``TradingService`` on the simulated venue in simulated time (sim mode, composed
by ``bootstrap.simulated_session``): one step is one trading tick of ``--tick-s`` simulated
seconds, so ``--steps 500`` covers 500 ticks. It prints the run's metrics as a table, or one
JSON object with ``--json``; ``--plot`` writes a PNG of the price, the pivot, the grid band,
the inventory and the PnL. The strategy comes from ``--config`` (or ``BMVBOT_CONFIG``, else
the shipped default) with the usual ``BMVBOT_<SECTION>__<KEY>`` overrides unless
``--ignore-env``. The same scenario, seed and config give the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bmvbot import bootstrap
from bmvbot.cli.lab_plot import plot_result
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import NS_PER_S, MarketSpec
from bmvbot.logsetup import configure_logging
from bmvbot.services.simulation import SimulationResult, SimulationSummary, run_simulation
from bmvbot.settings import Settings, config_path, load_settings

MAX_STEPS = 1_000_000
"""Longest run the lab accepts, in ticks."""
PLOT_POINTS = 2_000
"""Samples kept for the chart (the runner halves the resolution beyond it)."""
MAX_TICK_S = 86_400.0
MAX_BASE_PRICE = 1e9
MAX_VOLATILITY = 10.0


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    """What one lab run simulates.

    Attributes:
        scenario: the market scenario's name.
        steps: trading ticks, 1..MAX_STEPS.
        seed: the market's seed.
        tick_s: simulated seconds per tick (> 0).
        base_price: start price, quote per base; None keeps the scenario's.
        volatility: fraction per square root of an hour; None keeps the scenario's.
    """

    scenario: str
    steps: int
    seed: int = 0
    tick_s: float = 1.0
    base_price: float | None = None
    volatility: float | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= MAX_STEPS:
            raise ConfigError(f"steps must be 1..{MAX_STEPS}, was {self.steps}", key="steps")
        if not 0 < self.tick_s <= MAX_TICK_S:
            raise ConfigError(
                f"tick_s must be > 0 and <= {MAX_TICK_S:.0f}, was {self.tick_s}", key="tick_s"
            )
        price = self.base_price
        if price is not None and not 0 < price <= MAX_BASE_PRICE:
            raise ConfigError(
                f"base_price must be > 0 and <= {MAX_BASE_PRICE:.0e} quote per base, was {price}",
                key="base_price",
            )
        if self.volatility is not None and not 0 <= self.volatility < MAX_VOLATILITY:
            raise ConfigError(
                f"volatility must be >= 0 and < {MAX_VOLATILITY:.0f} (fraction per square root "
                f"of an hour), was {self.volatility}",
                key="volatility",
            )

    @classmethod
    def of(cls, args: argparse.Namespace) -> ScenarioRun:
        """Return the run the shared command-line options describe."""
        return cls(
            args.scenario, args.steps, args.seed, args.tick_s, args.base_price, args.volatility
        )


async def run_scenario(
    settings: Settings, run: ScenarioRun, *, max_points: int | None = PLOT_POINTS
) -> SimulationResult:
    """Run ``run`` in simulated time on the running event loop and return the result.

    The scenario's shocks are placed relative to the run's length (``steps * tick_s``).

    Raises:
        ConfigError: an unknown scenario.
        InvariantError, FatalVenueError: as ``TradingService.tick``.
    """
    interval_ns = round(run.tick_s * NS_PER_S)
    session = bootstrap.simulated_session(
        settings.to_params(),
        scenario=run.scenario,
        seed=run.seed,
        duration_s=run.steps * run.tick_s,
        tip_lamports=settings.venue.tip_lamports,
        tick_interval_ns=interval_ns,
        base_price=run.base_price,
        volatility=run.volatility,
    )
    return await run_simulation(
        session.service,
        session.clock,
        session.pacer,
        # the first tick runs at once: steps - 1 intervals give exactly `steps` ticks
        duration_ns=(run.steps - 1) * interval_ns,
        max_points=max_points,
    )


def simulate(
    settings: Settings,
    *,
    scenario: str,
    steps: int,
    seed: int = 0,
    tick_s: float = 1.0,
    base_price: float | None = None,
    volatility: float | None = None,
    max_points: int | None = PLOT_POINTS,
) -> SimulationResult:
    """Run ``steps`` ticks of ``scenario`` on a new event loop and return the result.

    Raises:
        ConfigError: an unknown scenario or a value ``ScenarioRun`` refuses.
        InvariantError, FatalVenueError: as ``TradingService.tick``.
    """
    run = ScenarioRun(scenario, steps, seed, tick_s, base_price, volatility)
    return asyncio.run(run_scenario(settings, run, max_points=max_points))


def metrics(summary: SimulationSummary, market: MarketSpec) -> dict[str, object]:
    """Return a run's metrics as flat JSON-ready values (natives, plus UI amounts and seconds).

    The per-reason counts become ``rebalances_<reason>`` and ``guard_<reason>`` keys; ``pnl_quote``,
    ``max_drawdown_quote``, ``fees_quote`` and ``position_base`` are the UI amounts.
    """
    values = summary.as_dict()
    flat: dict[str, object] = {
        key: value for key, value in values.items() if not isinstance(value, dict)
    }
    for reason, count in sorted(summary.rebalances_by_reason):
        flat[f"rebalances_{reason}"] = count
    for reason, count in sorted(summary.guard_triggers):
        flat[f"guard_{reason}"] = count
    flat["pnl_quote"] = market.quote_to_ui(summary.pnl_quote_native)
    flat["max_drawdown_quote"] = market.quote_to_ui(summary.max_drawdown_quote_native)
    flat["fees_quote"] = market.quote_to_ui(summary.fees_quote_native)
    flat["position_base"] = market.size_to_ui(summary.position_base_lots)
    flat["duration_s"] = summary.duration_ns / NS_PER_S
    flat["one_sided_s"] = summary.one_sided_ns / NS_PER_S
    flat["empty_grid_s"] = summary.empty_grid_ns / NS_PER_S
    return flat


def lab_settings(config: Path | None, *, ignore_env: bool) -> tuple[Settings, Mapping[str, str]]:
    """Return the settings of ``--config`` (and the environment unless ignored), and that env.

    Raises:
        ConfigError: the file cannot be read or a value is invalid.
    """
    environment: Mapping[str, str] = {} if ignore_env else os.environ
    return load_settings(config_path(config, environment), env=environment), environment


def _run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    settings, _environment = lab_settings(args.config, ignore_env=args.ignore_env)
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        raise ConfigError(f"--plot must name a .png file, was {str(args.plot)!r}", key="plot")
    started = time.perf_counter()
    run = ScenarioRun.of(args)
    max_points = PLOT_POINTS if args.plot is not None else 0
    result = asyncio.run(run_scenario(settings, run, max_points=max_points))
    wall_s = time.perf_counter() - started
    market = settings.market.to_spec()
    if args.plot is not None:
        title = f"{args.scenario}, seed {args.seed}, {args.steps} steps ({settings.market.name})"
        plot_result(result, market, args.plot, title=title)
    values = metrics(result.summary, market)
    if args.json:
        head = {"scenario": args.scenario, "seed": args.seed, "steps": args.steps}
        print(json.dumps({**head, "wall_s": round(wall_s, 3), "metrics": values}))
    else:
        _print_table(args, values, wall_s)
    sys.stdout.flush()
    return 0


def _print_table(args: argparse.Namespace, values: Mapping[str, object], wall_s: float) -> None:
    table = Table(title=f"lab run {args.scenario} (seed {args.seed}, {args.steps} steps)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in values.items():
        table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    console = Console(file=sys.stdout, width=100)
    console.print(table)
    if args.plot is not None:
        console.print(f"chart written to {args.plot}")
    console.print(f"wall time {wall_s:.2f} s")


def positive_int(text: str) -> int:
    """Parse a whole number >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, was {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, was {text!r}")
    return value


def add_scenario_arguments(parser: argparse.ArgumentParser, *, default_steps: int) -> None:
    """Add the options ``lab run`` and ``lab sweep`` share (scenario, steps, seed, config)."""
    parser.add_argument(
        "--scenario",
        required=True,
        choices=bootstrap.scenario_names(),
        metavar="NAME",
        help=f"market scenario, one of {', '.join(bootstrap.scenario_names())}",
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=default_steps,
        metavar="N",
        help=f"trading ticks to simulate ({default_steps})",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="market seed (0)")
    parser.add_argument(
        "--tick-s", type=float, default=1.0, metavar="S", help="simulated seconds per tick (1)"
    )
    parser.add_argument(
        "--base-price",
        type=float,
        default=None,
        metavar="PRICE",
        help="start price of the market, quote per base (the scenario's: 1.25)",
    )
    parser.add_argument(
        "--volatility",
        type=float,
        default=None,
        metavar="FRACTION",
        help="volatility per square root of an hour (the scenario's: 0.02)",
    )
    parser.add_argument("--config", type=Path, default=None, metavar="FILE", help="config file")
    parser.add_argument("--ignore-env", action="store_true", help="ignore BMVBOT_* overrides")
    parser.add_argument(
        "--log-level", default="WARNING", metavar="LEVEL", help="log level on stderr (WARNING)"
    )


def add_run(lab: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``lab run`` to the ``lab`` sub-commands."""
    parser = lab.add_parser(
        "run",
        help="run one simulated scenario and print its metrics (optionally a PNG chart)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_arguments(parser, default_steps=500)
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="PNG chart")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=_run)
