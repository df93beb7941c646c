// The dashboard: login, live stats from the event stream, the live chart with the grid,
// wallets, latency, recent rebalances and fills, pause/resume, and the Simulation Lab.

import * as api from "./api.js";
import { initLab } from "./lab.js";
import { drawChart } from "./plot.js";
import {
  baseUi, formatAmount, formatCounts, formatPrice, formatSigned, formatSol, priceUi, quoteUi,
  shortKey, timeOfDay,
} from "./units.js";

const HISTORY_POINTS = 900;
const RECENT_ROWS = 25;
const POLL_MS = 2000;
const STALE_STATS_MS = 4000;
const RECONNECT_MS = 1500;

const $ = (id) => document.getElementById(id);

const state = {
  market: null,
  wallets: null,
  storedLatency: [],
  history: [],
  levels: [],
  fills: [],
  rebalances: [],
  lastEventId: "",
  lastStatsAt: 0,
  abort: null,
  pollTimer: null,
};

function setText(id, text) {
  $(id).textContent = text;
}

function showNotice(text) {
  setText("notice", text);
}

// -- login -------------------------------------------------------------------------------------

function showLogin(message = "") {
  stop();
  $("dashboard").hidden = true;
  $("actions").hidden = true;
  $("login-panel").hidden = false;
  setText("login-error", message);
  $("login-password").value = "";
}

async function onLogin(event) {
  event.preventDefault();
  const button = $("login-button");
  button.disabled = true;
  setText("login-error", "");
  try {
    await api.login($("login-user").value, $("login-password").value);
    start();
  } catch (error) {
    setText("login-error", error.detail || error.message || "login failed");
  } finally {
    button.disabled = false;
  }
}

// -- stats -------------------------------------------------------------------------------------

function setValue(id, text, sign = 0) {
  const element = $(id);
  element.textContent = text;
  element.classList.toggle("positive", sign > 0);
  element.classList.toggle("negative", sign < 0);
}

function renderPrices(stats, m) {
  setValue("stat-pivot", formatPrice(m, stats.pivot_price_lots));
  setValue("stat-mid", formatPrice(m, stats.mid_price_lots));
  const spread = stats.spread_price_lots;
  setValue("stat-spread", spread === null ? "–" : `${spread} ticks`);
  setText("stat-best", `bid ${formatPrice(m, stats.best_bid_price_lots)} · ask ${formatPrice(m, stats.best_ask_price_lots)}`);
  const imbalance = stats.imbalance_index;
  setValue("stat-imbalance", imbalance === null ? "–" : imbalance.toFixed(3), imbalance ?? 0);
  $("imbalance-meter").style.left = `${(((imbalance ?? 0) + 1) / 2) * 100}%`;
  const haven = stats.safe_haven_index;
  setValue("stat-safe-haven", haven === null ? "n/a" : haven.toFixed(3));
}

function renderTotals(stats, m) {
  const pnl = stats.pnl;
  const total = quoteUi(m, pnl.total_quote_native);
  setValue("stat-pnl", formatSigned(total, 6), total ?? 0);
  setText("stat-pnl-split", `realized ${formatSigned(quoteUi(m, pnl.realized_quote_native), 4)} · unrealized ${formatSigned(quoteUi(m, pnl.unrealized_quote_native), 4)} · fees ${formatAmount(quoteUi(m, pnl.fees_quote_native), 4)}`);
  setValue("stat-fills", String(stats.fills));
  setText("stat-fills-split", `bid ${stats.bid_fills} · ask ${stats.ask_fills} · self-trades ${stats.self_trades}`);
  setValue("stat-rebalances", String(stats.rebalances));
  setText("stat-rebalances-by", formatCounts(stats.rebalances_by_trigger));
  setValue("stat-bundles", `${stats.bundles_sent} / ${stats.bundles_landed}`);
  setValue("stat-tips", formatSol(stats.tips_lamports));
  setText("stat-fees", `fees ${formatSol(stats.fees_lamports)}`);
  const inv = stats.inventory;
  setValue("stat-inventory", `${formatAmount(baseUi(m, inv.base_native), 2)} / ${formatAmount(quoteUi(m, inv.quote_native), 2)}`);
  setText("stat-headroom", `headroom base ${formatAmount(baseUi(m, inv.base_headroom_native), 2)} · quote ${formatAmount(quoteUi(m, inv.quote_headroom_native), 2)}`);
  setValue("stat-orders", String(stats.resting_orders));
  setText("stat-reason", `last decision: ${stats.last_reason}`);
}

function renderStats(stats) {
  const m = stats.market;
  const isFirst = state.market === null;
  state.market = m;
  if (isFirst && state.wallets) renderWallets(state.wallets);
  state.lastStatsAt = Date.now();
  setText("market-name", m.market_key);
  const badge = $("trading-state");
  badge.textContent = stats.trading_state;
  badge.dataset.state = stats.trading_state;
  setText("clock", timeOfDay(stats.ts_ns));
  $("pause-button").disabled = stats.trading_state === "paused";
  $("resume-button").disabled = stats.trading_state !== "paused";
  renderPrices(stats, m);
  renderTotals(stats, m);
  renderLatency(stats.latency, null);
  pushHistory(stats);
  drawLive();
}

function pushHistory(stats) {
  // the first GET /api/stats may answer after newer stream events: keep time moving forward
  const last = state.history.at(-1);
  if (last && stats.ts_ns <= last.tsNs) return;
  state.history.push({
    tsNs: stats.ts_ns,
    mid: stats.mid_price_lots,
    pivot: stats.pivot_price_lots,
    bid: stats.best_bid_price_lots,
    ask: stats.best_ask_price_lots,
  });
  if (state.history.length > HISTORY_POINTS) state.history.splice(0, state.history.length - HISTORY_POINTS);
}

function nearPrice(m) {
  // the recent prices and the innermost level of each side, with a margin
  const values = state.history.slice(-300).flatMap((p) => [p.mid, p.pivot]).map((v) => priceUi(m, v));
  const bids = state.levels.filter((l) => l.side === "bid").map((l) => priceUi(m, l.price_lots));
  const asks = state.levels.filter((l) => l.side === "ask").map((l) => priceUi(m, l.price_lots));
  if (bids.length) values.push(Math.max(...bids));
  if (asks.length) values.push(Math.min(...asks));
  const known = values.filter((v) => v !== null);
  if (!known.length) return null;
  const [low, high] = [Math.min(...known), Math.max(...known)];
  const margin = (high - low) * 0.15 || low * 0.001;
  return [low - margin, high + margin];
}

function drawLive() {
  const m = state.market;
  if (!m) return;
  const points = (key) => state.history.map((p) => [p.tsNs / 1e9, priceUi(m, p[key])]);
  const levels = state.levels.map((level) => ({
    y: priceUi(m, level.price_lots),
    color: level.side === "bid" ? "rgba(63, 185, 80, 0.55)" : "rgba(248, 81, 73, 0.55)",
  }));
  const bids = state.levels.filter((level) => level.side === "bid").length;
  drawChart($("live-chart"), {
    yRange: $("zoom-price").checked ? nearPrice(m) : null,
    series: [
      { label: "mid", color: "#dce3ea", points: points("mid"), width: 1.8 },
      { label: "pivot", color: "#ff9f43", points: points("pivot"), dash: [6, 4], width: 1.6 },
    ],
    levels,
    legend: [
      { label: "mid", color: "#dce3ea" },
      { label: "pivot", color: "#ff9f43" },
      { label: `grid bids (${bids})`, color: "#3fb950" },
      { label: `grid asks (${levels.length - bids})`, color: "#f85149" },
    ],
    xFormat: (s) => timeOfDay(s * 1e9),
  });
  $("live-chart").dataset.levels = String(levels.length);
}

// -- tables ------------------------------------------------------------------------------------

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillBody(id, rows) {
  const body = $(id);
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }));
}

function renderWallets(wallets) {
  state.wallets = wallets;
  const m = state.market;
  if (!m) return; // drawn again when the first stats bring the market's units
  fillBody("wallets-body", wallets.map((w) => [
    cell(shortKey(w.wallet)),
    cell(formatAmount(baseUi(m, w.base_native), 3)),
    cell(formatAmount(quoteUi(m, w.quote_native), 3)),
    cell(formatAmount(baseUi(m, w.base_locked_native), 3)),
    cell(formatAmount(quoteUi(m, w.quote_locked_native), 3)),
    cell(formatAmount(w.lamports / 1e9, 4)),
    cell(String(w.bid_count), "bid"),
    cell(String(w.ask_count), "ask"),
  ]));
}

function renderLatency(live, stored) {
  if (stored !== null) state.storedLatency = stored;
  const rows = [...(live ?? []), ...(state.storedLatency ?? [])];
  const ms = (v) => (v === null ? "–" : v.toFixed(2));
  fillBody("latency-body", rows.map((r) => [
    cell(r.component), cell(r.operation), cell(ms(r.p50_ms)), cell(ms(r.p99_ms)), cell(String(r.samples)),
  ]));
}

function renderRecent() {
  const m = state.market;
  fillBody("rebalances-body", state.rebalances.map((r) => [
    cell(timeOfDay(r.ts_ns)), cell(String(r.steps)), cell(r.status ?? "–"),
    cell(String(r.bundles)), cell(formatSol(r.tips_lamports)),
  ]));
  fillBody("fills-body", state.fills.map((f) => [
    cell(timeOfDay(f.ts_ns)),
    // the swarm's side is the opposite of the taker's when the swarm made the trade
    cell(f.taker_side === "bid" ? "sold" : "bought", f.taker_side === "bid" ? "ask" : "bid"),
    cell(formatPrice(m, f.price_lots)),
    cell(formatAmount(m ? f.size_base_lots * m.ui_per_base_lot : null, 3)),
    cell(shortKey(f.maker_wallet)),
  ]));
}

function remember(list, item) {
  list.unshift(item);
  if (list.length > RECENT_ROWS) list.length = RECENT_ROWS;
}

// -- the stream and the polls ------------------------------------------------------------------

function onEvent(event) {
  if (event.type === "stats") renderStats(event.data);
  else if (event.type === "fill") { remember(state.fills, event.data); renderRecent(); }
  else if (event.type === "rebalance") { remember(state.rebalances, event.data); renderRecent(); }
}

async function streamLoop(signal) {
  while (!signal.aborted) {
    try {
      const badge = $("stream-state");
      badge.textContent = "live";
      badge.dataset.state = "live";
      state.lastEventId = await api.readStream(signal, state.lastEventId, onEvent);
    } catch (error) {
      if (signal.aborted) return;
      const badge = $("stream-state");
      badge.textContent = "reconnecting";
      badge.dataset.state = "offline";
      if (error.status === 401) return;
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

async function poll(signal) {
  const jobs = [
    api.getJson("/api/grid", signal).then((grid) => { state.levels = grid.levels; drawLive(); }),
    api.getJson("/api/wallets", signal).then(renderWallets),
    api.getJson("/api/latency", signal).then((latency) => renderLatency(latency.live, latency.stored)),
  ];
  if (Date.now() - state.lastStatsAt > STALE_STATS_MS) {
    jobs.push(api.getJson("/api/stats", signal).then(renderStats));
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r) => r.status === "rejected" && r.reason?.status !== 401);
  showNotice(failed && !signal.aborted ? `refresh failed: ${failed.reason.message}` : "");
}

function start() {
  stop();
  $("login-panel").hidden = true;
  $("dashboard").hidden = false;
  $("actions").hidden = false;
  const controller = new AbortController();
  state.abort = controller;
  api.getJson("/api/stats", controller.signal).then(renderStats).catch(() => {});
  streamLoop(controller.signal);
  poll(controller.signal);
  state.pollTimer = setInterval(() => poll(controller.signal), POLL_MS);
}

function stop() {
  if (state.abort) state.abort.abort();
  state.abort = null;
  clearInterval(state.pollTimer);
  state.pollTimer = null;
  const badge = $("stream-state");
  badge.textContent = "offline";
  badge.dataset.state = "offline";
}

async function control(action) {
  try {
    const result = await api.request("/api/control", { method: "POST", body: { action } });
    showNotice(`${action}: ${result.body.detail}`);
    const badge = $("trading-state");
    badge.textContent = result.body.is_paused ? "paused" : "running";
    badge.dataset.state = badge.textContent;
    $("pause-button").disabled = result.body.is_paused;
    $("resume-button").disabled = !result.body.is_paused;
  } catch (error) {
    showNotice(`${action} failed: ${error.detail || error.message}`);
  }
}

function init() {
  api.setUnauthorizedHandler((message) => showLogin(message));
  $("login-form").addEventListener("submit", onLogin);
  $("pause-button").addEventListener("click", () => control("pause"));
  $("resume-button").addEventListener("click", () => control("resume"));
  $("cancel-button").addEventListener("click", () => {
    if (window.confirm("Cancel every resting swarm order now?")) control("cancel_all");
  });
  $("logout-button").addEventListener("click", () => { api.forgetToken(); showLogin("logged out"); });
  window.addEventListener("resize", drawLive);
  $("zoom-price").addEventListener("change", drawLive);
  initLab();
  if (api.token()) start();
  else showLogin();
}

init();
