"""The dashboard's own JavaScript, run by Node: axis ticks, unit formatting, SSE parsing.

The modules are imported from the package data as ES modules (``plot.js`` touches the DOM only
when drawing); a small script prints one JSON document of results that the tests check.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

NODE = shutil.which("node")
STATIC = Path(str(resources.files("bmvbot.api").joinpath("static")))

SCRIPT = """
import * as plot from "%(static)s/plot.js";
import * as units from "%(static)s/units.js";
import { parseEvent } from "%(static)s/api.js";

const market = { ui_per_price_lot: 1e-6, ui_per_base_lot: 0.001, base_decimals: 9,
                 quote_decimals: 9 };
// a seeded generator: the same ranges on every run
let seed = 12345;
const next = () => ((seed = (seed * 1103515245 + 12345) %% 2147483648) / 2147483648);
const ranges = [];
for (let i = 0; i < 500; i += 1) {
  // spans from 1e-6 to 1e4, at up to 5e5 spans from zero (prices, PnL, seconds)
  const span = 10 ** (next() * 10 - 6);
  const low = (next() - 0.5) * span * 10 ** (next() * 6);
  ranges.push([low, low + span, plot.niceTicks(low, low + span, 5)]);
}
console.log(JSON.stringify({
  ticks01: plot.niceTicks(0, 1, 5),
  ticksFlat: plot.niceTicks(5, 5),
  ticksNaN: plot.niceTicks(Number.NaN, 1),
  ranges,
  price: units.formatPrice(market, 1250000),
  priceFraction: units.formatPrice(market, 1250000.4),
  priceNone: units.formatPrice(market, null),
  quote: units.quoteUi(market, 2500000000),
  base: units.baseUi(market, 1000000000000),
  sol: units.formatSol(10000),
  signed: [units.formatSigned(1.5), units.formatSigned(-2), units.formatSigned(0)],
  shortKey: [
    units.shortKey("sim-wallet-00"),
    units.shortKey("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"),
    units.shortKey(null),
  ],
  time: [units.timeOfDay(3600e9 + 61e9), units.timeOfDay(0)],
  counts: [units.formatCounts({ deviation: 3, initial: 1 }), units.formatCounts({})],
  events: [
    parseEvent('event: stats\\nid: 7\\ndata: {"ts_ns":1}'),
    parseEvent(': ping'),
    parseEvent('data: [1,\\ndata: 2]'),
    parseEvent('event:fill\\ndata:{"a":"b: c"}'),
  ],
}));
"""


@cache
def _results() -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run(  # noqa: S603 -- node on a fixed script
        [NODE, "--input-type=module", "-e", SCRIPT % {"static": STATIC.as_posix()}],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: dict[str, Any] = json.loads(done.stdout)
    return results


pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="needs node on PATH"),
]


def test_static_js_nice_ticks_simple_and_degenerate_ranges() -> None:
    results = _results()

    assert results["ticks01"] == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1])
    assert results["ticksFlat"] == [5]
    assert results["ticksNaN"] == []


def test_static_js_nice_ticks_cover_every_range_with_round_even_steps() -> None:
    for low, high, ticks in _results()["ranges"]:
        span = high - low
        steps = [b - a for a, b in itertools.pairwise(ticks)]

        assert 2 <= len(ticks) <= 12, (low, high, ticks)
        assert ticks == sorted(ticks)
        assert low - span * 1e-6 <= ticks[0]
        assert ticks[-1] <= high + span * 1e-6
        assert all(step == pytest.approx(steps[0], rel=1e-6) for step in steps)
        mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
        assert any(mantissa == pytest.approx(m, rel=1e-6) for m in (1, 2, 2.5, 5, 10)), (
            low,
            high,
            ticks,
        )


def test_static_js_units_turn_ticks_lots_and_natives_into_ui_text() -> None:
    results = _results()

    assert results["price"] == "1.250000"
    assert results["priceFraction"] == "1.250000"
    assert results["priceNone"] == "–"  # noqa: RUF001 -- the page's "no value" dash
    assert results["quote"] == 2.5
    assert results["base"] == 1000
    assert results["sol"] == "0.00001 SOL"
    assert results["signed"] == ["+1.5", "-2", "0"]
    assert results["shortKey"] == ["sim-wallet-00", "4Nd1…DB4T", "–"]  # noqa: RUF001
    assert results["time"] == ["01:01:01", "–"]  # noqa: RUF001
    assert results["counts"] == ["deviation 3 · initial 1", "none"]


def test_static_js_parse_event_reads_the_api_stream_format() -> None:
    events = _results()["events"]

    assert events[0] == {"type": "stats", "id": "7", "data": {"ts_ns": 1}}
    assert events[1] is None
    assert events[2] == {"type": "message", "id": None, "data": [1, 2]}
    assert events[3] == {"type": "fill", "id": None, "data": {"a": "b: c"}}
