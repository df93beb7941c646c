"""``bmvbot run``: paper trading on the simulated market, with a live terminal view.

With no arguments it trades the shipped default configuration on a simulated market in real
time. ``--speed N`` runs simulated time N times faster than the wall clock, ``--duration S``
stops after S simulated seconds, ``--scenario`` and ``--seed`` choose the market. Ctrl-C (or
SIGTERM) stops cleanly: the resting orders are cancelled and a summary is printed
(``--summary-json`` adds one JSON line). Fills and rebalances are recorded in PostgreSQL
(the embedded server unless ``DATABASE_URL`` is set) off the trading path; ``--no-db`` skips
the database, and a database that cannot start is reported and skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from rich.console import Console

from bmvbot import bootstrap
from bmvbot.api import server as api_server
from bmvbot.cli.terminal import LiveView, LogLineView
from bmvbot.core.errors import ConfigError, StoreError
from bmvbot.core.types import NS_PER_S, MarketSpec
from bmvbot.logsetup import configure_logging
from bmvbot.services.journal import TradingJournal
from bmvbot.services.simulation import SimulationResult, run_simulation, with_final_state
from bmvbot.services.state import TradingState
from bmvbot.settings import Settings, config_path, load_settings

_log = logging.getLogger("bmvbot.run")

JOURNAL_FLUSH_TIMEOUT_S = 30.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bmvbot run``."""
    parser = subparsers.add_parser(
        "run",
        help="paper trading on the simulated market (live terminal view)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="bmvbot.toml (default: the shipped config)")
    parser.add_argument(
        "--scenario",
        default=bootstrap.DEFAULT_SCENARIO,
        help=f"market scenario, one of {', '.join(bootstrap.scenario_names())}",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the market (1)")
    parser.add_argument(
        "--speed", type=float, help="run simulated time N times faster than the wall clock"
    )
    parser.add_argument("--duration", type=float, help="stop after this many simulated seconds")
    parser.add_argument(
        "--tick-s", type=float, default=1.0, help="seconds between two trading ticks (1)"
    )
    parser.add_argument("--no-db", action="store_true", help="do not record to PostgreSQL")
    parser.add_argument(
        "--api",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="serve the HTTP API on [api] host:port while trading (see bmvbot api)",
    )
    parser.add_argument(
        "--summary-json", action="store_true", help="end with one JSON line of the summary"
    )
    parser.add_argument(
        "--view",
        choices=("auto", "live", "lines", "none"),
        default="auto",
        help="live terminal view, key=value lines, or nothing (auto: live on a terminal)",
    )
    parser.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Run paper trading until the duration ends or a signal arrives; return the exit code."""
    view_kind = args.view
    if view_kind == "auto":
        view_kind = "live" if sys.stdout.isatty() else "lines"
    configure_logging("WARNING" if view_kind == "live" else "INFO")
    settings = load_settings(config_path(args.config))
    if args.duration is not None and args.duration < 0:
        raise ConfigError(f"--duration must be >= 0, was {args.duration}", key="duration")
    result, final = asyncio.run(_run(args, settings, view_kind))
    _print_summary(result, final, as_json=args.summary_json)
    return 0


def _install_stop(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)


async def _run(
    args: argparse.Namespace, settings: Settings, view_kind: str
) -> tuple[SimulationResult, TradingState]:
    stop = asyncio.Event()
    _install_stop(stop)
    async with bootstrap.open_run_stores(is_enabled=not args.no_db) as stores:
        session = bootstrap.paper_session(
            settings,
            scenario=args.scenario,
            seed=args.seed,
            speed=args.speed,
            tick_interval_ns=round(args.tick_s * NS_PER_S),
            duration_s=args.duration,
            stores=stores,
        )
        session, api = await api_server.start(session, settings, stores, is_enabled=args.api)
        view = _view(view_kind, session.market)
        journal_task = None
        if session.journal is not None:
            journal_task = asyncio.create_task(session.journal.run())
        view.start()
        try:
            result = await run_simulation(
                session.service,
                session.clock,
                session.pacer,
                duration_ns=None if args.duration is None else round(args.duration * NS_PER_S),
                max_points=0,
                on_tick=view.on_tick,
                stop=stop,
            )
        finally:
            view.stop()
            await session.service.shutdown()
            await api.stop()
            if journal_task is not None and session.journal is not None:
                await _finish(session.journal, journal_task)
        return result, session.service.state


async def _finish(journal: TradingJournal, task: asyncio.Task[None]) -> None:
    # let the writer drain what is queued; give up (and say so) when the store stays down
    journal.close()
    try:
        await asyncio.wait_for(task, JOURNAL_FLUSH_TIMEOUT_S)
    except (TimeoutError, StoreError) as error:
        _log.warning(
            "records not written", extra={"pending": journal.pending, "error": repr(error)}
        )


def _view(kind: str, market: MarketSpec) -> LiveView | LogLineView | _NoView:
    if kind == "live":
        return LiveView(market, Console())
    if kind == "lines":
        return LogLineView(market, sys.stdout)
    return _NoView()


class _NoView:
    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def on_tick(self, state: TradingState) -> None:
        pass


def _print_summary(result: SimulationResult, final: TradingState, *, as_json: bool) -> None:
    summary = with_final_state(result.summary, final)
    print(
        f"summary: simulated {summary.duration_ns / NS_PER_S:.0f} s, "
        f"fills bid={summary.bid_fills} ask={summary.ask_fills}, "
        f"PnL {summary.pnl_quote_native} quote native "
        f"(max drawdown {summary.max_drawdown_quote_native}), "
        f"rebalances {summary.rebalances} {dict(summary.rebalances_by_reason)}, "
        f"bundles sent={summary.bundles_sent} landed={summary.bundles_landed}, "
        f"tips {summary.tips_lamports} lamports, dropped {summary.dropped_orders}, "
        f"orders placed={summary.orders_placed} cancelled={summary.orders_cancelled} "
        f"filled={summary.orders_filled} resting={summary.orders_resting}"
    )
    if as_json:
        print(json.dumps({"summary": summary.as_dict()}, sort_keys=True))
