// The Simulation Lab panel: POST /api/simulation, poll the job when the server answers 202,
// then draw the run (price, pivot, grid band, PnL) and list its metrics.

import * as api from "./api.js";
import { drawChart } from "./plot.js";
import { formatAmount, formatCounts, formatSigned, isNumber, priceUi, quoteUi } from "./units.js";

const POLL_MS = 500;

const $ = (id) => document.getElementById(id);

function readForm() {
  const number = (id) => Number($(id).value);
  return {
    scenario: $("lab-scenario").value,
    base_price: number("lab-base-price"),
    steps: Math.trunc(number("lab-steps")),
    volatility: number("lab-volatility"),
    seed: Math.trunc(number("lab-seed")),
  };
}

async function waitForJob(job) {
  let current = job;
  while (current.status === "queued" || current.status === "running") {
    $("lab-status").textContent = `job ${current.id.slice(0, 8)} ${current.status} (${current.steps} steps)…`;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = await api.getJson(`/api/simulation/${encodeURIComponent(current.id)}`);
  }
  if (current.status === "failed") {
    throw new api.ApiError(422, current.error?.error, current.error?.detail ?? "simulation failed");
  }
  return current.result;
}

function drawResult(result) {
  const m = result.market;
  const seconds = (p) => (p.ts_ns - result.series[0].ts_ns) / 1e9;
  const price = (key) => result.series.map((p) => [seconds(p), priceUi(m, p[key])]);
  drawChart($("lab-chart"), {
    bands: [{
      label: "grid band",
      color: "rgba(78, 161, 255, 0.18)",
      lower: price("lowest_bid_price_lots"),
      upper: price("highest_ask_price_lots"),
    }],
    series: [
      { label: "best swarm bid", color: "#3fb950", points: price("highest_bid_price_lots"), width: 1 },
      { label: "best swarm ask", color: "#f85149", points: price("lowest_ask_price_lots"), width: 1 },
      { label: "market price", color: "#dce3ea", points: price("market_price_lots"), width: 1.8 },
      { label: "pivot", color: "#ff9f43", points: price("pivot_price_lots"), dash: [6, 4], width: 1.6 },
    ],
    xFormat: (s) => `${Math.round(s)} s`,
    empty: "the run kept no sample",
  });
  drawChart($("lab-pnl-chart"), {
    series: [{ label: "PnL (quote)", color: "#39c5cf", points: result.series.map((p) => [seconds(p), quoteUi(m, p.pnl_quote_native)]) }],
    levels: [{ y: 0, color: "rgba(138, 152, 168, 0.6)" }],
    xFormat: (s) => `${Math.round(s)} s`,
  });
}

const SIGNED = new Set(["pnl_quote_native", "realized_quote_native", "unrealized_quote_native"]);

function metricLabel(name) {
  const units = [["_quote_native", " (quote)"], ["_lamports", " (SOL)"], ["_ns", " time (s)"], ["_base_lots", " (base)"]];
  const [suffix, unit] = units.find(([end]) => name.endsWith(end)) ?? ["", ""];
  return name.slice(0, name.length - suffix.length).replace(/_/g, " ") + unit;
}

function metricText(name, value, m) {
  if (value !== null && typeof value === "object") return formatCounts(value);
  if (!isNumber(value)) return String(value);
  if (name.endsWith("_quote_native")) {
    const amount = quoteUi(m, value);
    return SIGNED.has(name) ? formatSigned(amount, 6) : formatAmount(amount, 6);
  }
  if (name.endsWith("_lamports")) return formatAmount(value / 1e9, 6);
  if (name.endsWith("_ns")) return formatAmount(value / 1e9, 1);
  if (name.endsWith("_base_lots")) return formatAmount(value * m.ui_per_base_lot, 3);
  return formatAmount(value, 6);
}

const FIRST = [
  "pnl_quote_native", "max_drawdown_quote_native", "realized_quote_native", "unrealized_quote_native",
  "fills", "bid_fills", "ask_fills", "rebalances", "rebalances_by_reason", "tips_lamports",
  "fees_lamports", "fees_quote_native", "one_sided_ns", "empty_grid_ns", "self_trades",
];

function renderMetrics(result) {
  const metrics = result.metrics;
  const names = [...FIRST.filter((n) => n in metrics), ...Object.keys(metrics).filter((n) => !FIRST.includes(n))];
  $("lab-metrics-body").replaceChildren(...names.map((name) => {
    const tr = document.createElement("tr");
    const label = document.createElement("td");
    label.textContent = metricLabel(name);
    const value = document.createElement("td");
    value.textContent = metricText(name, metrics[name], result.market);
    value.dataset.metric = name;
    tr.append(label, value);
    return tr;
  }));
}

async function onRun(event) {
  event.preventDefault();
  const button = $("lab-run");
  const status = $("lab-status");
  button.disabled = true;
  status.textContent = "running…";
  status.dataset.state = "running";
  try {
    const response = await api.request("/api/simulation", { method: "POST", body: readForm() });
    const result = response.status === 202 ? await waitForJob(response.body) : response.body;
    $("lab-result").hidden = false; // shown before drawing: a hidden canvas has no size
    drawResult(result);
    renderMetrics(result);
    status.textContent = `${result.scenario}, seed ${result.seed}: ${result.steps} steps in ${formatAmount(result.elapsed_ms, 0)} ms, ${result.series.length} samples`;
    status.dataset.state = "done";
  } catch (error) {
    status.textContent = `simulation failed: ${error.detail || error.message}`;
    status.dataset.state = "failed";
  } finally {
    button.disabled = false;
  }
}

export function initLab() {
  $("lab-form").addEventListener("submit", onRun);
}
