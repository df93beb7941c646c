"""Request and response models of the API (pydantic, at the edge only).

Money and sizes are integers in native units or market lots, named with their unit
(``_native``, ``_lots``, ``_lamports``); prices in ticks are ``_price_lots`` (fractional where a
formula made them, e.g. the pivot). ``market`` in ``BotStats`` gives the geometry to turn them
into UI units: ``price_ui = price_lots * ui_per_price_lot``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorResponse(_Model):
    """Every error: a stable code and a human sentence (never a traceback or a secret)."""

    error: str = Field(description="Stable error code, e.g. invalid_request, unauthorized.")
    detail: str = Field(description="What went wrong and what is allowed.")


class LoginRequest(_Model):
    """Credentials of the dashboard user."""

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(_Model):
    """A bearer access token."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 -- the scheme name, not a secret
    expires_in: int = Field(description="Seconds until the token expires.")


class ComponentHealth(_Model):
    """One dependency's readiness."""

    status: Literal["ok", "degraded", "down", "disabled"]
    detail: str = ""


class HealthResponse(_Model):
    """Liveness (the process answers) and readiness of venue, database and feeds."""

    status: Literal["ok", "degraded", "down"]
    is_live: bool = True
    is_ready: bool
    components: dict[str, ComponentHealth]


class MarketInfo(_Model):
    """The market's geometry, to turn ticks and lots into UI units."""

    market_key: str
    base_decimals: int
    quote_decimals: int
    base_lot_size: int
    quote_lot_size: int
    ui_per_price_lot: float = Field(description="Quote per base of one tick.")
    ui_per_base_lot: float = Field(description="Base tokens of one base lot.")


class LatencyStats(_Model):
    """Latency of one component operation over the kept samples."""

    component: str
    operation: str
    p50_ms: float | None
    p99_ms: float | None
    samples: int


class InventoryStats(_Model):
    """What the swarm holds (free plus locked) and what it can still place."""

    base_native: int
    quote_native: int
    base_locked_native: int
    quote_locked_native: int
    lamports: int
    base_headroom_native: int = Field(description="Base not locked in asks (can still be sold).")
    quote_headroom_native: int = Field(description="Quote not locked in bids (can still buy).")
    position_base_lots: int


class PnlStats(_Model):
    """Profit and loss since start, native quote units (average cost)."""

    realized_quote_native: int
    unrealized_quote_native: int
    fees_quote_native: int
    total_quote_native: int
    mark_price_lots: int | None


class BotStats(_Model):
    """The dashboard's headline numbers (``GET /api/stats``)."""

    ts_ns: int
    trading_state: Literal["running", "paused", "repairing", "starting"]
    last_reason: str
    pivot_price_lots: float | None
    mid_price_lots: float | None
    best_bid_price_lots: int | None
    best_ask_price_lots: int | None
    spread_price_lots: int | None
    imbalance_index: float | None = Field(description="Bid vs ask depth, -1..1 (None: no book).")
    safe_haven_index: float | None = Field(
        description="Correlation of SOL's and the token's returns; None when not computable "
        "(no SOL reference price in this mode, or too few samples)."
    )
    inventory: InventoryStats
    pnl: PnlStats
    fills: int
    bid_fills: int
    ask_fills: int
    self_trades: int
    rebalances: int
    rebalances_by_trigger: dict[str, int]
    bundles_sent: int
    bundles_landed: int
    tips_lamports: int
    fees_lamports: int
    resting_orders: int
    latency: list[LatencyStats]
    market: MarketInfo


class GridLevelResponse(_Model):
    """One resting swarm order."""

    side: Literal["bid", "ask"]
    price_lots: int
    size_base_lots: int
    wallet: str
    order_id: str = Field(description="The venue's order id (a u128 as text).")


class GridResponse(_Model):
    """The resting grid: bids best first, then asks best first."""

    ts_ns: int
    pivot_price_lots: float | None
    levels: list[GridLevelResponse]


class TradeResponse(_Model):
    """One stored trade: ours (``wallet`` set) or the public tape."""

    ts_ns: int
    market: str
    tx_signature: str
    event_seq: int
    side: Literal["bid", "ask"]
    price_lots: int
    size_base_lots: int
    base_native: int
    quote_native: int
    fee_quote_native: int
    is_maker: bool
    wallet: str | None


class TradePageResponse(_Model):
    """A page of trades; pass ``next_cursor`` as ``cursor`` for the next one."""

    trades: list[TradeResponse]
    next_cursor: str | None


class CandleResponse(_Model):
    """One minute of trades (OHLC in ticks)."""

    minute_start_ns: int
    open_price_lots: int
    high_price_lots: int
    low_price_lots: int
    close_price_lots: int
    volume_base_lots: int
    trade_count: int


class PriceHistoryResponse(_Model):
    """Candles of a time range."""

    market_key: str
    candles: list[CandleResponse]


class LatencyResponse(_Model):
    """Live venue latency (this process) and stored samples per component."""

    live: list[LatencyStats]
    stored: list[LatencyStats]


class WalletResponse(_Model):
    """A swarm wallet's public data and holdings (never a secret key)."""

    wallet: str
    label: str | None = None
    role: str | None = None
    base_native: int
    quote_native: int
    base_locked_native: int
    quote_locked_native: int
    lamports: int
    bid_count: int
    ask_count: int


class SwarmAddressesResponse(_Model):
    """Every swarm and treasury address, for auditors (public keys only)."""

    count: int
    addresses: list[str]


class ControlRequest(_Model):
    """An operator command."""

    action: Literal["pause", "resume", "cancel_all"]


class ControlResponse(_Model):
    """The trading state after the command."""

    action: str
    is_paused: bool
    detail: str


class SimulationRequest(_Model):
    """A Simulation Lab run: the real trading loop on the simulated venue in simulated time."""

    scenario: str = Field(min_length=1, max_length=64, description="A scenario name.")
    base_price: float = Field(gt=0, le=1e9, description="Start price, quote per base.")
    steps: int = Field(ge=1, le=100_000, description="Ticks of one simulated second.")
    volatility: float = Field(ge=0, lt=10, description="Fraction per square root of an hour.")
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Config overrides by section and key, validated like bmvbot.toml "
        "(strategy sections only).",
    )

    @field_validator("base_price", "volatility")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class SimulationPointResponse(_Model):
    """One sample of the series."""

    ts_ns: int
    market_price_lots: float | None
    pivot_price_lots: float | None
    lowest_bid_price_lots: int | None
    highest_bid_price_lots: int | None
    lowest_ask_price_lots: int | None
    highest_ask_price_lots: int | None
    base_native: int
    quote_native: int
    position_base_lots: int
    pnl_quote_native: int


class SimulationResultResponse(_Model):
    """A finished run: the series (at most ``MAX_POINTS`` samples) and the metrics."""

    scenario: str
    steps: int
    seed: int
    elapsed_ms: float
    series: list[SimulationPointResponse]
    metrics: dict[str, Any] = Field(
        description="PnL, max drawdown, fills, rebalances by reason, tips, fees, one-sided "
        "time (``one_sided_ns``) and the order counters."
    )
    market: MarketInfo


class SimulationJobResponse(_Model):
    """A simulation run as a job."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    steps: int
    result: SimulationResultResponse | None = None
    error: ErrorResponse | None = None
