// Small line charts on <canvas>: series (null breaks a line), shaded bands between two
// series, and horizontal levels (the grid). No dependencies; sized for the device pixel ratio.

const PAD = { left: 64, right: 14, top: 26, bottom: 26 };
const AXIS_COLOR = "#8a98a8";
const GRID_COLOR = "rgba(138, 152, 168, 0.15)";
const FONT = "11px system-ui, sans-serif";

/** Return about `count` round tick values covering [min, max]. */
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  // multiples of the step (no running sum: it would drift); bounded whatever the input
  const ticks = [];
  for (let i = Math.ceil(min / step); i * step <= max + step * 1e-9 && ticks.length < 100; i += 1) {
    ticks.push(i === 0 ? 0 : i * step);
  }
  return ticks;
}

function finite(values) {
  return values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
}

function extent(spec) {
  const xs = [];
  const ys = [];
  for (const s of spec.series ?? []) {
    for (const [x, y] of s.points) { xs.push(x); ys.push(y); }
  }
  for (const b of spec.bands ?? []) {
    for (const [x, y] of b.lower) { xs.push(x); ys.push(y); }
    for (const [x, y] of b.upper) { xs.push(x); ys.push(y); }
  }
  for (const level of spec.levels ?? []) ys.push(level.y);
  const fx = finite(xs);
  const fy = finite(ys);
  if (!fx.length || !fy.length) return null;
  let [y0, y1] = [Math.min(...fy), Math.max(...fy)];
  const pad = (y1 - y0) * 0.06 || Math.abs(y0) * 0.01 || 1;
  [y0, y1] = spec.yRange ?? [y0 - pad, y1 + pad];
  let [x0, x1] = [Math.min(...fx), Math.max(...fx)];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  return { x0, x1, y0, y1 };
}

function prepare(canvas) {
  // the CSS box decides the size; the bitmap follows it at the device pixel ratio
  const ratio = window.devicePixelRatio || 1;
  const cssHeight = canvas.clientHeight || 300;
  const cssWidth = canvas.clientWidth || 600;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  return { ctx, width: cssWidth, height: cssHeight };
}

function drawAxes(ctx, box, scale, spec) {
  ctx.font = FONT;
  ctx.lineWidth = 1;
  ctx.fillStyle = AXIS_COLOR;
  const yTicks = niceTicks(scale.y0, scale.y1, 5);
  // as many decimals as the tick step needs
  const step = yTicks.length > 1 ? yTicks[1] - yTicks[0] : Math.abs(yTicks[0] ?? 1);
  const decimals = Math.min(10, Math.max(0, Math.ceil(-Math.log10(step || 1) - 1e-9)));
  const yFormat = spec.yFormat ?? ((v) => v.toFixed(decimals));
  const xFormat = spec.xFormat ?? ((v) => String(Math.round(v)));
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of yTicks) {
    const y = scale.y(v);
    ctx.strokeStyle = GRID_COLOR;
    ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.right, y); ctx.stroke();
    ctx.fillText(yFormat(v), box.left - 6, y);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of niceTicks(scale.x0, scale.x1, 6)) {
    const x = scale.x(v);
    ctx.strokeStyle = GRID_COLOR;
    ctx.beginPath(); ctx.moveTo(x, box.top); ctx.lineTo(x, box.bottom); ctx.stroke();
    ctx.fillText(xFormat(v), x, box.bottom + 6);
  }
  ctx.strokeStyle = AXIS_COLOR;
  ctx.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
}

function drawLine(ctx, scale, series) {
  ctx.strokeStyle = series.color;
  ctx.lineWidth = series.width ?? 1.5;
  ctx.setLineDash(series.dash ?? []);
  ctx.beginPath();
  let isDrawing = false;
  let drawn = 0;
  for (const [x, y] of series.points) {
    if (y === null || y === undefined || !Number.isFinite(y)) { isDrawing = false; continue; }
    if (isDrawing) ctx.lineTo(scale.x(x), scale.y(y));
    else ctx.moveTo(scale.x(x), scale.y(y));
    isDrawing = true;
    drawn += 1;
  }
  ctx.stroke();
  ctx.setLineDash([]);
  return drawn;
}

function drawBand(ctx, scale, band) {
  // fill each run where both bounds are known
  ctx.fillStyle = band.color;
  let run = [];
  const flush = () => {
    if (run.length > 1) {
      ctx.beginPath();
      run.forEach(([x, lo], i) => (i ? ctx.lineTo(scale.x(x), scale.y(lo)) : ctx.moveTo(scale.x(x), scale.y(lo))));
      for (let i = run.length - 1; i >= 0; i -= 1) ctx.lineTo(scale.x(run[i][0]), scale.y(run[i][2]));
      ctx.closePath();
      ctx.fill();
    }
    run = [];
  };
  band.lower.forEach(([x, lo], i) => {
    const hi = band.upper[i]?.[1];
    if (Number.isFinite(lo) && Number.isFinite(hi) && lo !== null && hi !== null) run.push([x, lo, hi]);
    else flush();
  });
  flush();
}

function drawLevels(ctx, box, scale, levels) {
  for (const level of levels) {
    const y = scale.y(level.y);
    ctx.strokeStyle = level.color;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.right, y); ctx.stroke();
  }
  ctx.setLineDash([]);
}

function drawLegend(ctx, box, entries) {
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  let x = box.left;
  for (const entry of entries) {
    ctx.fillStyle = entry.color;
    ctx.fillRect(x, 9, 12, 4);
    ctx.fillStyle = AXIS_COLOR;
    ctx.fillText(entry.label, x + 16, 11);
    x += 24 + ctx.measureText(entry.label).width;
  }
}

function drawEmpty(ctx, width, height, text) {
  ctx.fillStyle = AXIS_COLOR;
  ctx.font = FONT;
  ctx.textAlign = "center";
  ctx.fillText(text, width / 2, height / 2);
}

/**
 * Draw `spec` on `canvas` and return the number of data points drawn.
 * spec: {series: [{label, color, points: [[x, y]], dash?, width?}],
 *        bands: [{label, color, lower: [[x, y]], upper: [[x, y]]}],
 *        levels: [{y, color}], xFormat?, yFormat?, legend?: [{label, color}], empty?,
 *        yRange?: [low, high] (default: everything drawn, with a margin)}
 */
export function drawChart(canvas, spec) {
  const { ctx, width, height } = prepare(canvas);
  const range = extent(spec);
  if (range === null) {
    drawEmpty(ctx, width, height, spec.empty ?? "waiting for data");
    canvas.dataset.points = "0";
    return 0;
  }
  const box = { left: PAD.left, right: width - PAD.right, top: PAD.top, bottom: height - PAD.bottom };
  const scale = {
    ...range,
    x: (v) => box.left + ((v - range.x0) / (range.x1 - range.x0)) * (box.right - box.left),
    y: (v) => box.bottom - ((v - range.y0) / (range.y1 - range.y0)) * (box.bottom - box.top),
  };
  drawAxes(ctx, box, scale, spec);
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  ctx.clip();
  for (const band of spec.bands ?? []) drawBand(ctx, scale, band);
  drawLevels(ctx, box, scale, spec.levels ?? []);
  let drawn = 0;
  for (const series of spec.series ?? []) drawn += drawLine(ctx, scale, series);
  ctx.restore();
  const legend = spec.legend ?? [
    ...(spec.bands ?? []).map((b) => ({ label: b.label, color: b.color })),
    ...(spec.series ?? []).map((s) => ({ label: s.label, color: s.color })),
  ];
  drawLegend(ctx, box, legend);
  canvas.dataset.points = String(drawn);
  return drawn;
}
