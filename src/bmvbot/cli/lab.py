"""``bmvbot lab``: the Simulation Lab. ``lab replay`` replays a tape v1 file.

``lab run`` (one simulated scenario) and ``lab sweep`` (a parameter grid) live in
``cli/lab_run.py`` and ``cli/lab_sweep.py``.

``bmvbot lab replay --tape FILE --tick 0.0001 --lot 0.01 [--config F]`` runs the strategy
core (pivot, guards, grid) against the tape's book with the queue-position fill model of tape
v1 and prints one JSON line: events, wall_s, events_per_s, fills, filled_qty, buy_qty,
sell_qty, inventory, cash, fees, pnl, rebalances, orders_submitted, post_only_rejects,
open_orders_end, peak_rss_mb. Quantities are in base units, amounts in quote units (the tape's).

The instrument: the config's ``[market]`` geometry is replaced by one whose tick and lot are
exactly ``--tick`` and ``--lot`` (see ``services.replay.tape_market_spec``); its fees stay.
Every UI value of the config is then converted with it (``[grid]`` depths become lots of
``--lot``); a ``grid.min_size`` below one lot is raised to one lot, the smallest order the
instrument allows. ``wall_s`` times the replay (book indexing included), not the CSV load.

Other sub-commands register themselves with ``add_<name>(lab_subparsers)``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from bmvbot.bootstrap import load_tape
from bmvbot.cli.lab_run import add_run
from bmvbot.cli.lab_sweep import add_sweep
from bmvbot.core.config import StrategyParams
from bmvbot.core.errors import ConfigError
from bmvbot.core.types import MarketSpec, Rounding
from bmvbot.ports.tape import DecimalStep, ReplayLatency
from bmvbot.services.replay import ReplayOptions, TapeReplayService, tape_market_spec
from bmvbot.settings import Settings, config_path, load_settings

REPLAY_DESCRIPTION = """\
Replay a tape v1 CSV (ts_ns,kind,side,price,qty) through the strategy core -- the pivot fed by
the tape's trades, the guards on the tape's market price, the grid from the config -- with the
queue-position fill model of tape v1, and print one JSON line: events, wall_s, events_per_s,
fills, filled_qty, buy_qty, sell_qty, inventory, cash, fees, pnl, rebalances,
orders_submitted, post_only_rejects, open_orders_end, peak_rss_mb.

Instrument: the config's [market] lot sizes and decimals are replaced by a market whose tick
and lot are exactly --tick and --lot (its fees stay); the config's UI values ([grid] depths,
sizes) are converted with it; a grid.min_size below one lot becomes one lot.

Orders: a rebalance cancels every resting order and places the new grid post-only, except
that an order whose side, price and remaining size equal a new level stays where it is and
keeps its queue position. Orders reach the book after the latency (default 0: before the next
event); one that would cross the tape's book then is rejected and counted. Fills are at the
order's price, as maker (fee = maker fee x price x qty; negative is a rebate).

Balances: unlimited by default (the position may go negative); --no-unlimited-balances funds
the grid with --base-balance (default [grid] ask_depth) and --quote-balance (default the bid
depth valued at the first pivot) plus the fills so far.

Output: quantities in base units and amounts in quote units of the tape; pnl = cash +
inventory x final mid - fees; wall_s times the replay (book indexing included), not the CSV
load. The same tape and config print the same counters.
"""


def tape_params(settings: Settings, tick: DecimalStep, lot: DecimalStep) -> StrategyParams:
    """Return the strategy parameters of ``settings`` on the tape's instrument.

    Raises:
        ConfigError: a tick/lot pair that needs more than 18 decimals, or a config value that
            does not convert to the instrument (e.g. a depth below one lot).
    """
    spec = tape_market_spec(
        tick,
        lot,
        maker_fee_ppm=settings.market.maker_fee_ppm,
        taker_fee_ppm=settings.market.taker_fee_ppm,
    )
    market = settings.market.model_copy(
        update={
            "base_decimals": spec.base_decimals,
            "quote_decimals": spec.quote_decimals,
            "base_lot_size": spec.base_lot_size,
            "quote_lot_size": spec.quote_lot_size,
        }
    )
    grid = settings.grid
    if grid.min_size < float(lot.decimal):
        grid = grid.model_copy(update={"min_size": float(lot.decimal)})
    return settings.model_copy(update={"market": market, "grid": grid}).to_params()


def _options(args: argparse.Namespace, market: MarketSpec) -> ReplayOptions:
    balances = (("--base-balance", args.base_balance), ("--quote-balance", args.quote_balance))
    for name, value in balances:
        if value is not None and not 0 <= value < 1e15:
            raise ConfigError(f"{name} must be a number 0..1e15, was {value}", key=name)
    base = None if args.base_balance is None else market.size_to_lots(args.base_balance)
    quote = (
        None
        if args.quote_balance is None
        else market.quote_ui_to_native(args.quote_balance, Rounding.DOWN)
    )
    return ReplayOptions(
        is_unlimited_balances=args.is_unlimited_balances,
        base_balance_lots=base,
        quote_balance_native=quote,
    )


def _replay(args: argparse.Namespace) -> int:
    environment = {} if args.ignore_env else os.environ
    settings = load_settings(config_path(args.config, environment), env=environment)
    tick = DecimalStep.parse(args.tick, "tick")
    lot = DecimalStep.parse(args.lot, "lot")
    params = tape_params(settings, tick, lot)
    latency = ReplayLatency(events=args.latency_events or 0, ns=args.latency_ns or 0)
    options = _options(args, params.market)
    source = load_tape(args.tape, tick, lot)
    started = time.perf_counter()
    market = source.open_market(latency)
    result = TapeReplayService(market, params, options).run()
    wall_s = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = result.summary(params.market, wall_s=wall_s, peak_rss_mb=peak_rss_mb)
    print(json.dumps(summary, separators=(",", ":")))
    sys.stdout.flush()
    return 0


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, was {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, was {text!r}")
    return value


def add_replay(lab: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``lab replay`` to the ``lab`` sub-commands."""
    parser = lab.add_parser(
        "replay",
        help="replay a tape v1 CSV through the strategy and print a JSON result line",
        description=REPLAY_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tape", type=Path, required=True, metavar="FILE", help="tape v1 CSV")
    parser.add_argument("--tick", required=True, help="price tick of the tape, e.g. 0.0001")
    parser.add_argument("--lot", required=True, help="lot size of the tape, e.g. 0.01")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE", help="config file")
    latency = parser.add_mutually_exclusive_group()
    latency.add_argument(
        "--latency-events",
        type=_count,
        default=None,
        metavar="N",
        help="orders arrive N events late",
    )
    latency.add_argument(
        "--latency-ns", type=_count, default=None, metavar="N", help="orders arrive N ns late"
    )
    parser.add_argument(
        "--unlimited-balances",
        dest="is_unlimited_balances",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="never limit the grid by balances (default); --no-unlimited-balances funds it",
    )
    parser.add_argument(
        "--base-balance",
        type=float,
        default=None,
        metavar="QTY",
        help="starting base with limited balances (default: [grid] ask_depth)",
    )
    parser.add_argument(
        "--quote-balance",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="starting quote with limited balances (default: [grid] bid_depth at the first pivot)",
    )
    parser.add_argument("--ignore-env", action="store_true", help="ignore BMVBOT_* overrides")
    parser.set_defaults(handler=_replay)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``lab`` command group and its sub-commands."""
    parser = subparsers.add_parser(
        "lab",
        help="Simulation Lab: replay tapes, run scenarios, sweep parameters",
        description="Simulation Lab commands.",
    )
    lab = parser.add_subparsers(dest="lab_command", metavar="LAB_COMMAND")
    parser.set_defaults(handler=lambda _args: _help(parser))
    add_replay(lab)
    add_run(lab)
    add_sweep(lab)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0
