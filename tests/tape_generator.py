"""Seeded synthetic tape v1 writer for tests and benchmarks (tick 0.0001, lot 0.01).

A price ladder around 1.0000 with ``depth`` levels per side: book rows resize, add or delete
levels near the touch, improve the touch inside the spread; trades hit the best bid or lift the
best ask (a print per level swept), each followed by the book rows that show the levels after
it. The walk of the touch comes from sweeps and improvements; the book is never crossed. The
same seed writes the same file.
"""

from __future__ import annotations

import random
from pathlib import Path

HEADER = "ts_ns,kind,side,price,qty"
START_NS = 1_767_225_600_000_000_000
TICK = "0.0001"
LOT = "0.01"


def _price(ticks: int) -> str:
    return f"{ticks // 10_000}.{ticks % 10_000:04d}"


def _qty(lots: int) -> str:
    return f"{lots // 100}.{lots % 100:02d}"


class _Writer:
    def __init__(self, rng: random.Random, mean_gap_ns: int) -> None:
        self.rng = rng
        self.gap = mean_gap_ns
        self.ts = START_NS
        self.lines: list[str] = [HEADER]
        self.count = 0
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}

    def tick_time(self) -> None:
        self.ts += 1 + int(self.rng.expovariate(1.0 / self.gap))

    def book(self, side: str, price: int, size: int) -> None:
        levels = self.bids if side == "bid" else self.asks
        if size:
            levels[price] = size
        else:
            levels.pop(price, None)
        self.tick_time()
        self.count += 1
        self.lines.append(f"{self.ts},book,{side},{_price(price)},{_qty(size)}")

    def trade(self, side: str, price: int, size: int) -> None:
        self.tick_time()
        self.count += 1
        self.lines.append(f"{self.ts},trade,{side},{_price(price)},{_qty(size)}")


def _size(rng: random.Random) -> int:
    return max(1, int(rng.paretovariate(1.5) * 500))


def _one_event(w: _Writer, depth: int, trade_share: float) -> None:
    rng = w.rng
    is_bid = rng.random() < 0.5
    levels, other = (w.bids, w.asks) if is_bid else (w.asks, w.bids)
    name = "bid" if is_bid else "ask"
    sign = 1 if is_bid else -1
    best = max(levels) if is_bid else min(levels)
    roll = rng.random()
    if roll < trade_share:
        _sweep(w, is_bid, rng.random() < 0.2)
    elif roll < trade_share + 0.08:
        inside = best + sign
        opposite = min(other) if is_bid else max(other)
        if sign * (opposite - inside) > 0:
            w.book(name, inside, _size(rng))
        else:
            w.book(name, best, _size(rng))
    else:
        distance = min(int(rng.expovariate(0.25)), depth - 1)
        price = best - sign * distance
        size = 0 if (rng.random() < 0.15 and len(levels) > 3) else _size(rng)
        w.book(name, price, size)
    _refill(w, depth)


def _sweep(w: _Writer, hits_bids: bool, is_sweep: bool) -> None:
    levels = w.bids if hits_bids else w.asks
    aggressor, side = ("sell", "bid") if hits_bids else ("buy", "ask")
    best = max(levels) if hits_bids else min(levels)
    size = levels[best]
    taken = size if is_sweep else max(1, int(size * w.rng.random() * 0.5))
    w.trade(aggressor, best, taken)
    w.book(side, best, size - taken)


def _refill(w: _Writer, depth: int) -> None:
    for is_bid in (True, False):
        levels = w.bids if is_bid else w.asks
        while len(levels) < 3:
            far = (min(levels) - 1) if is_bid else (max(levels) + 1)
            w.book("bid" if is_bid else "ask", far, _size(w.rng))
        best = max(levels) if is_bid else min(levels)
        for price in [p for p in levels if abs(p - best) >= depth]:
            w.book("bid" if is_bid else "ask", price, 0)


def generate_tape(
    path: Path,
    rows: int,
    *,
    seed: int = 7,
    depth: int = 40,
    trade_share: float = 0.12,
    mean_gap_ns: int = 20_000_000,
    mid_ticks: int = 10_000,
) -> Path:
    """Write a tape of at least ``rows`` rows to ``path`` and return it."""
    rng = random.Random(seed)
    w = _Writer(rng, mean_gap_ns)
    for distance in range(1, depth + 1):
        w.book("bid", mid_ticks - distance, _size(rng))
        w.book("ask", mid_ticks + distance, _size(rng))
    with path.open("w", encoding="utf-8") as stream:
        while w.count < rows:
            _one_event(w, depth, trade_share)
            if len(w.lines) >= 100_000:
                stream.write("\n".join(w.lines) + "\n")
                w.lines = []
        if w.lines:
            stream.write("\n".join(w.lines) + "\n")
    return path
