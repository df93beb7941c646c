"""``GET /metrics``: Prometheus text exposition (0.0.4) of the bot's counters and gauges.

Protected by the bearer token like ``/api/`` unless the context makes it public (then bind
the API to a private interface).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from bmvbot.api.context import BotHandle
from bmvbot.api.deps import Context, Credentials, get_user
from bmvbot.api.routes.stats import bot_stats

router = APIRouter(tags=["metrics"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(10), "").replace(chr(34), "")}"'
        for key, value in sorted(labels.items())
    )
    return "{" + ",".join(escaped) + "}"


class Exposition:
    """Collect metric families and write them in the text format."""

    def __init__(self) -> None:
        """Start empty."""
        self._lines: list[str] = []

    def add(
        self,
        name: str,
        kind: str,
        help_text: str,
        samples: list[tuple[dict[str, str], float | int | None]],
    ) -> None:
        """Add one family; samples whose value is None are left out."""
        self._lines.append(f"# HELP bmvbot_{name} {help_text}")
        self._lines.append(f"# TYPE bmvbot_{name} {kind}")
        for labels, value in samples:
            if value is not None:
                self._lines.append(f"bmvbot_{name}{_labels(labels)} {value}")

    def text(self) -> str:
        """Return the exposition text."""
        return "\n".join(self._lines) + "\n"


def exposition(bot: BotHandle | None) -> str:
    """Return the metrics of ``bot`` (only ``bmvbot_up`` without one)."""
    out = Exposition()
    out.add(
        "up",
        "gauge",
        "1 when a trading service runs in this process.",
        [({}, int(bot is not None))],
    )
    if bot is None:
        return out.text()
    stats = bot_stats(bot)
    execution = bot.service.state.execution
    out.add("ticks_total", "counter", "Trading ticks run.", [({}, execution.ticks)])
    out.add("paused", "gauge", "1 while paused.", [({}, int(stats.trading_state == "paused"))])
    out.add("fills_total", "counter", "Swarm fills.",
            [({"side": "bid"}, stats.bid_fills), ({"side": "ask"}, stats.ask_fills)])  # fmt: skip
    out.add(
        "rebalances_total", "counter", "Rebalances by trigger.",
        [({"reason": k}, v) for k, v in sorted(stats.rebalances_by_trigger.items())],
    )  # fmt: skip
    out.add("bundles_sent_total", "counter", "Bundles sent.", [({}, stats.bundles_sent)])
    out.add("bundles_landed_total", "counter", "Bundles landed.", [({}, stats.bundles_landed)])
    out.add("tips_lamports_total", "counter", "Jito tips paid.", [({}, stats.tips_lamports)])
    out.add("fees_lamports_total", "counter", "Transaction fees.", [({}, stats.fees_lamports)])
    pnl = stats.pnl
    out.add(
        "pnl_quote_native", "gauge", "PnL in native quote units.",
        [({"kind": "realized"}, pnl.realized_quote_native),
         ({"kind": "unrealized"}, pnl.unrealized_quote_native),
         ({"kind": "fees"}, pnl.fees_quote_native), ({"kind": "total"}, pnl.total_quote_native)],
    )  # fmt: skip
    out.add("pivot_price_lots", "gauge", "The pivot in ticks.", [({}, stats.pivot_price_lots)])
    out.add("mid_price_lots", "gauge", "Mid of the external book.", [({}, stats.mid_price_lots)])
    out.add("imbalance_index", "gauge", "Book imbalance -1..1.", [({}, stats.imbalance_index)])
    out.add("resting_orders", "gauge", "Resting swarm orders.", [({}, stats.resting_orders)])
    out.add(
        "venue_latency_ms", "gauge", "Venue call latency percentiles (ms).",
        [({"operation": s.operation, "quantile": q}, v) for s in stats.latency
         for q, v in (("0.5", s.p50_ms), ("0.99", s.p99_ms))],
    )  # fmt: skip
    return out.text()


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(context: Context, credentials: Credentials) -> PlainTextResponse:
    """Return the Prometheus metrics (needs a bearer token unless configured public)."""
    if not context.is_metrics_public:
        await get_user(context, credentials)
    return PlainTextResponse(exposition(context.bot), media_type=CONTENT_TYPE)
