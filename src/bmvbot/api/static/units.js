// Turning the API's integers (ticks, lots, native units, ns) into what an operator reads.
// `market` is the API's MarketInfo: ui_per_price_lot, base_decimals, quote_decimals, ...

const LAMPORTS_PER_SOL = 1e9;

export function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

function decimalsOf(step) {
  if (!isNumber(step) || step <= 0) return 4;
  return Math.min(12, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
}

export function priceUi(market, lots) {
  return isNumber(lots) && market ? lots * market.ui_per_price_lot : null;
}

export function formatPrice(market, lots) {
  const value = priceUi(market, lots);
  return value === null ? "–" : value.toFixed(decimalsOf(market.ui_per_price_lot));
}

export function quoteUi(market, native) {
  return isNumber(native) && market ? native / 10 ** market.quote_decimals : null;
}

export function baseUi(market, native) {
  return isNumber(native) && market ? native / 10 ** market.base_decimals : null;
}

export function formatAmount(value, digits = 4) {
  if (!isNumber(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

export function formatSigned(value, digits = 4) {
  if (!isNumber(value)) return "–";
  return (value > 0 ? "+" : "") + formatAmount(value, digits);
}

export function formatSol(lamports) {
  return isNumber(lamports) ? `${formatAmount(lamports / LAMPORTS_PER_SOL, 6)} SOL` : "–";
}

export function shortKey(key) {
  if (typeof key !== "string") return "–";
  // base58 public keys (32-44 characters) shrink to their ends; short labels stay whole
  return key.length > 16 ? `${key.slice(0, 4)}…${key.slice(-4)}` : key;
}

export function timeOfDay(tsNs) {
  if (!isNumber(tsNs) || tsNs <= 0) return "–";
  return new Date(tsNs / 1e6).toISOString().slice(11, 19);
}

export function formatCounts(counts) {
  const entries = Object.entries(counts ?? {});
  return entries.length ? entries.map(([name, count]) => `${name} ${count}`).join(" · ") : "none";
}
