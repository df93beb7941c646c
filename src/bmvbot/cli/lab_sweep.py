"""``bmvbot lab sweep``: one scenario over a grid of parameters, a table of metrics per combination.

``bmvbot lab sweep --scenario S --param grid.step_pct=0.3,0.5,0.8 --param
guards.deviation_pct=1,2 [--steps N] [--out table.csv|table.json]`` runs ``lab run`` once per
combination of the values (the cartesian product: 3 x 2 = 6 runs here), every run on the same
scenario and seed, and writes one row per combination: the parameter values, then the metrics
of ``lab run --json``. Without ``--out`` the table is printed.

Each ``--param`` names a dotted config key (``section.key``) and its comma-separated values,
read like ``BMVBOT_<SECTION>__<KEY>`` environment values (TOML literals; text keys as is). The
values are applied on top of the config file and the environment and every combination is
validated by the settings layer before the first run, so a bad key or value stops the sweep at
once with the usual configuration error (exit code 2). A progress bar runs on stderr; Ctrl-C
writes the rows finished so far to ``--out`` and exits with 130.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import json
import logging
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bmvbot.cli.lab_run import ScenarioRun, add_scenario_arguments, metrics, run_scenario
from bmvbot.core.errors import ConfigError
from bmvbot.logsetup import configure_logging
from bmvbot.settings import (
    DEFAULT_CONFIG_NAME,
    DEFAULT_SOURCE,
    SECTIONS,
    Settings,
    apply_env,
    config_path,
    read_toml,
    validate_settings,
)
from bmvbot.settings.fields import is_text_field

_log = logging.getLogger(__name__)

MAX_COMBINATIONS = 10_000
"""Largest parameter grid a sweep accepts."""
OUTPUT_FORMATS = (".csv", ".json")


@dataclass(frozen=True, slots=True)
class SweepParam:
    """One swept key: its section, its name and the values as typed."""

    section: str
    key: str
    values: tuple[str, ...]

    @property
    def dotted(self) -> str:
        """Return ``section.key``."""
        return f"{self.section}.{self.key}"


def parse_param(text: str) -> SweepParam:
    """Parse ``section.key=v1,v2,...``.

    Raises:
        ConfigError: no ``=``, a key that is not ``section.key``, or an empty value.
    """
    name, sign, values_text = text.partition("=")
    name = name.strip()
    if not sign:
        raise ConfigError(f"--param must look like section.key=v1,v2, was {text!r}", key="param")
    section, dot, key = name.partition(".")
    if not dot or not section or not key or "." in key:
        raise ConfigError(
            f"--param key must be section.key (e.g. grid.step_pct), was {name!r}", key="param"
        )
    values = tuple(value.strip() for value in values_text.split(","))
    if not all(values):
        raise ConfigError(
            f"--param {name} needs comma-separated values with none empty, was {values_text!r}",
            key=name,
        )
    return SweepParam(section.lower(), key.lower(), values)


def combinations(params: Sequence[SweepParam]) -> list[dict[str, str]]:
    """Return every combination of the values (cartesian product, first parameter slowest).

    Raises:
        ConfigError: a key is swept twice, or the grid exceeds ``MAX_COMBINATIONS``.
    """
    seen: set[str] = set()
    for param in params:
        if param.dotted in seen:
            raise ConfigError(f"--param {param.dotted} is given twice", key=param.dotted)
        seen.add(param.dotted)
    count = 1
    for param in params:
        count *= len(param.values)
    if count > MAX_COMBINATIONS:
        raise ConfigError(
            f"the sweep has {count} combinations; at most {MAX_COMBINATIONS} are allowed",
            key="param",
        )
    names = [param.dotted for param in params]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(param.values for param in params))
    ]


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    """The parsed config file (or the shipped default) every combination starts from."""

    raw: Mapping[str, Any]
    source: str


def config_document(config: Path | None, env: Mapping[str, str]) -> ConfigDocument:
    """Return the parsed ``--config`` file (else ``BMVBOT_CONFIG``, else the shipped default).

    Raises:
        ConfigError: the file cannot be read or parsed.
    """
    path = config_path(config, env)
    if path is None:
        text = resources.files("bmvbot").joinpath(DEFAULT_CONFIG_NAME).read_text()
        return ConfigDocument(tomllib.loads(text), DEFAULT_SOURCE)
    return ConfigDocument(read_toml(path), str(path))


def sweep_settings(
    document: ConfigDocument, env: Mapping[str, str], overrides: Mapping[str, str]
) -> Settings:
    """Return the settings of ``document`` and ``env`` with ``overrides`` (dotted key -> text).

    Raises:
        InvalidConfigError: a key or value is invalid (each one named).
    """
    # apply_env copies every section table: the document itself is never changed
    merged, origins, errors = apply_env(document.raw, env)
    for dotted, text in overrides.items():
        section, key = dotted.split(".", 1)
        table = merged.setdefault(section, {})
        if not isinstance(table, dict):
            continue  # validation reports a section that is not a table
        model = SECTIONS.get(section)
        if model is not None:
            # the override replaces the value in whatever spelling the file used
            for group in model.same_value_keys:
                if key in group:
                    for other in group:
                        table.pop(other, None)
        table[key] = _value(section, key, text)
    return validate_settings(
        merged, source=f"{document.source} with --param", origins=origins, errors=errors
    )


def _value(section: str, key: str, text: str) -> object:
    model = SECTIONS.get(section)
    if model is None or is_text_field(model, key):
        return text
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text  # not a TOML literal: validation reports the wrong type


def _sweep(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    output: Path | None = args.out
    if output is not None and output.suffix.lower() not in OUTPUT_FORMATS:
        raise ConfigError(f"--out must end in .csv or .json, was {str(output)!r}", key="out")
    params = [parse_param(text) for text in args.param]
    grid = combinations(params)
    env: Mapping[str, str] = {} if args.ignore_env else os.environ
    # validate the run and every combination before the first (possibly long) run
    run = ScenarioRun.of(args)
    document = config_document(args.config, env)
    runs = [(values, sweep_settings(document, env, values)) for values in grid]
    rows: list[dict[str, object]] = []
    try:
        asyncio.run(_run_all(run, runs, rows, show_progress=not args.no_progress))
    except KeyboardInterrupt:
        # keep what was computed: write the finished rows, then stop as interrupted
        if output is not None and rows:
            _write(output, rows)
            print(f"interrupted: {len(rows)} of {len(runs)} rows written to {output}")
        raise
    if output is None:
        _print_rows(rows)
    else:
        _write(output, rows)
        print(f"{len(rows)} rows written to {output}")
    return 0


async def _run_all(
    run: ScenarioRun,
    runs: list[tuple[dict[str, str], Settings]],
    rows: list[dict[str, object]],
    *,
    show_progress: bool,
) -> None:
    # one event loop for the whole sweep: Ctrl-C cancels the current run cleanly
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]sweep[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, disable=not show_progress) as progress:
        task = progress.add_task("", total=len(runs))
        for values, settings in runs:
            progress.update(task, description=" ".join(f"{k}={v}" for k, v in values.items()))
            result = await run_scenario(settings, run, max_points=0)
            row: dict[str, object] = {**values}
            row.update(metrics(result.summary, settings.market.to_spec()))
            rows.append(row)
            _log.info("sweep run finished", extra={"row": len(rows), "of": len(runs)})
            progress.advance(task)


def _columns(rows: Sequence[Mapping[str, object]]) -> list[str]:
    # rebalance reasons differ between runs: the union of keys, in first-seen order
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def table_text(rows: Sequence[Mapping[str, object]], suffix: str) -> str:
    """Return the rows as CSV (``.csv``) or a JSON array (``.json``); missing counts are 0."""
    names = _columns(rows)
    full = [{name: row.get(name, 0) for name in names} for row in rows]
    if suffix == ".json":
        return json.dumps(full, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(full)
    return buffer.getvalue()


def _write(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    try:
        path.write_text(table_text(rows, path.suffix.lower()), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"table {path} cannot be written: {error.strerror}", key="out") from None


_SHOWN = ("pnl_quote", "max_drawdown_quote", "fills", "rebalances", "bundles_landed", "one_sided_s")


def _print_rows(rows: Sequence[Mapping[str, object]]) -> None:
    names = [name for name in _columns(rows) if "." in name]
    table = Table(title="lab sweep")
    for name in (*names, *_SHOWN):
        table.add_column(name, justify="right")
    for row in rows:
        cells = [row.get(name, 0) for name in (*names, *_SHOWN)]
        table.add_row(*(f"{c:.6g}" if isinstance(c, float) else str(c) for c in cells))
    Console(file=sys.stdout, width=160).print(table)


def add_sweep(lab: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``lab sweep`` to the ``lab`` sub-commands."""
    parser = lab.add_parser(
        "sweep",
        help="run one scenario over a parameter grid and write a CSV/JSON table of metrics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_arguments(parser, default_steps=300)
    parser.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="SECTION.KEY=V1,V2",
        help="a config key and its values; repeat for a grid (cartesian product)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="table.csv or table.json"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_sweep)
