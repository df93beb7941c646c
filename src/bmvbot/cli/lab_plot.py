"""The chart of a Simulation Lab run (``bmvbot lab run --plot out.png``), drawn with matplotlib.

Three panels over simulated time: the market price with the pivot and the swarm's grid band
(outermost bid to outermost ask, the innermost levels as lines); the swarm's base and quote
inventory; the total PnL. Prices and amounts are shown in UI units of the market. A bare
``Figure`` renders with Agg, without pyplot or a display. matplotlib is imported on first use
(``bmvbot.cli`` imports every command module at start-up).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from bmvbot.core.errors import ConfigError
from bmvbot.core.types import NS_PER_S, MarketSpec
from bmvbot.services.simulation import SimulationPoint, SimulationResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_DPI = 100


def _price(market: MarketSpec, lots: float | None) -> float:
    return math.nan if lots is None else market.price_to_ui(lots)


def _price_series(
    points: tuple[SimulationPoint, ...], market: MarketSpec, name: str
) -> list[float]:
    return [_price(market, getattr(point, name)) for point in points]


def plot_result(result: SimulationResult, market: MarketSpec, path: Path, *, title: str) -> None:
    """Write a PNG chart of ``result`` to ``path``.

    Raises:
        ConfigError: the run kept no sample, or the file cannot be written.
    """
    points = result.points
    if not points:
        raise ConfigError("the run kept no sample to plot", key="plot")
    start_ns = points[0].ts_ns
    seconds = [(point.ts_ns - start_ns) / NS_PER_S for point in points]
    # imported here: every bmvbot.cli module loads at start-up, matplotlib takes a second
    from matplotlib.figure import Figure

    # a bare Figure draws with Agg on savefig: no pyplot, no display, no global state
    figure = Figure(figsize=(11, 8), dpi=_DPI, layout="constrained")
    price_axes, inventory_axes, pnl_axes = figure.subplots(
        3, 1, sharex=True, height_ratios=(3, 1.4, 1.4)
    )
    _draw_prices(price_axes, seconds, points, market)
    price_axes.set_title(title)
    _draw_inventory(inventory_axes, seconds, points, market)
    pnl = [market.quote_to_ui(point.pnl_quote_native) for point in points]
    pnl_axes.plot(seconds, pnl, color="#17becf")
    pnl_axes.axhline(0.0, color="#888888", linewidth=0.6)
    pnl_axes.set_ylabel("PnL (quote)")
    pnl_axes.set_xlabel("simulated seconds")
    pnl_axes.grid(alpha=0.3)
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise ConfigError(f"chart {path} cannot be written: {error.strerror}", key="plot") from None


def _draw_prices(
    axes: Axes, seconds: list[float], points: tuple[SimulationPoint, ...], market: MarketSpec
) -> None:
    low = _price_series(points, market, "lowest_bid_price_lots")
    high = _price_series(points, market, "highest_ask_price_lots")
    axes.fill_between(seconds, low, high, color="#9ecae1", alpha=0.35, label="grid band")
    lines = (
        ("highest_bid_price_lots", "#2ca02c", "-", 0.8, "best swarm bid"),
        ("lowest_ask_price_lots", "#d62728", "-", 0.8, "best swarm ask"),
        ("market_price_lots", "#222222", "-", 1.2, "market price"),
        ("pivot_price_lots", "#ff7f0e", "--", 1.2, "pivot"),
    )
    for name, color, style, width, label in lines:
        series = _price_series(points, market, name)
        axes.plot(seconds, series, color=color, linestyle=style, linewidth=width, label=label)
    axes.set_ylabel("price (quote per base)")
    axes.legend(loc="upper left", fontsize="small", ncols=5)
    axes.grid(alpha=0.3)


def _draw_inventory(
    axes: Axes, seconds: list[float], points: tuple[SimulationPoint, ...], market: MarketSpec
) -> None:
    base = [point.base_native / 10**market.base_decimals for point in points]
    quote = [market.quote_to_ui(point.quote_native) for point in points]
    axes.plot(seconds, base, color="#1f77b4", label="base")
    axes.set_ylabel("base held", color="#1f77b4")
    quote_axes = axes.twinx()
    quote_axes.plot(seconds, quote, color="#9467bd", label="quote")
    quote_axes.set_ylabel("quote held", color="#9467bd")
    axes.grid(alpha=0.3)
