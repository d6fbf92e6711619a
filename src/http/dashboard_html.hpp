// The live view's dashboard: one self-contained page (inline CSS and JS, canvas
// charts, no external assets), compiled into the library as a raw string. The server
// replaces the `/*RILL_CONFIG*/null` marker with its settings as a JSON object.
#pragma once

#include <string_view>

#include "rill/config.hpp"

RILL_NAMESPACE_BEGIN
namespace detail {

inline constexpr std::string_view dashboard_html = R"rill_html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rill live view</title>
<style>
  :root { --bg:#0f1419; --card:#171e26; --line:#26313d; --fg:#d8dee6; --dim:#8795a3;
          --blue:#4aa3ff; --green:#3ecf8e; --amber:#f5b73b; --red:#ff5d5d; --violet:#b48cff; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--fg);
         font:13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header { display:flex; align-items:center; gap:18px; padding:10px 16px;
           border-bottom:1px solid var(--line); }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  #status { display:flex; align-items:center; gap:6px; color:var(--dim); }
  #dot { width:9px; height:9px; border-radius:50%; background:var(--red); }
  #dot.on { background:var(--green); }
  .tiles { display:flex; gap:10px; margin-left:auto; }
  .tile { background:var(--card); border:1px solid var(--line); border-radius:6px;
          padding:4px 10px; min-width:92px; }
  .tile .k { color:var(--dim); font-size:11px; }
  .tile .v { font-size:17px; font-weight:600; font-variant-numeric:tabular-nums; }
  main { display:grid; grid-template-columns:1fr 1fr; gap:12px; padding:12px 16px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:8px;
          padding:8px 10px; min-width:0; }
  .card h2 { font-size:12px; font-weight:600; margin:0 0 6px; color:var(--dim);
             text-transform:uppercase; letter-spacing:.04em; display:flex; gap:10px; }
  .card h2 .legend { margin-left:auto; text-transform:none; letter-spacing:0; }
  .legend span { margin-left:10px; }
  canvas { width:100%; height:170px; display:block; }
  #feed { height:170px; overflow:hidden; font:12px/1.45 ui-monospace, Menlo, Consolas, monospace; }
  #feed div { white-space:pre; overflow:hidden; text-overflow:ellipsis; }
  .prediction { color:var(--fg); } .drift { color:var(--red); } .warning { color:var(--amber); }
  .model_version { color:var(--violet); } .breaker { color:var(--blue); } .score { color:var(--green); }
  .wide { grid-column: span 2; }
  footer { color:var(--dim); padding:0 16px 10px; font-size:11px; }
</style>
</head>
<body data-events-received="0" data-stats-received="0" data-metrics-polls="0">
<header>
  <h1 id="title">rill live view</h1>
  <div id="status"><div id="dot"></div><span id="conn">connecting</span></div>
  <div class="tiles">
    <div class="tile"><div class="k">model version</div><div class="v" id="t-version">–</div></div>
    <div class="tile"><div class="k">events/s</div><div class="v" id="t-rate">–</div></div>
    <div class="tile"><div class="k">predictions</div><div class="v" id="t-pred">–</div></div>
    <div class="tile"><div class="k">p99 latency</div><div class="v" id="t-p99">–</div></div>
    <div class="tile"><div class="k">drifts</div><div class="v" id="t-drift">0</div></div>
    <div class="tile"><div class="k">dropped</div><div class="v" id="t-drop">0</div></div>
  </div>
</header>
<main>
  <div class="card"><h2>Throughput <span class="legend"><span style="color:var(--blue)">events/s</span></span></h2>
    <canvas id="c-rate"></canvas></div>
  <div class="card"><h2>Latency percentiles <span class="legend">
    <span style="color:var(--green)">p50</span><span style="color:var(--amber)">p99</span>
    <span style="color:var(--red)">p99.9</span></span></h2><canvas id="c-lat"></canvas></div>
  <div class="card"><h2>Prequential metric <span class="legend">
    <span style="color:var(--green)">score</span><span style="color:var(--red)">| drift</span>
    <span style="color:var(--amber)">| warning</span></span></h2><canvas id="c-score"></canvas></div>
  <div class="card"><h2>Latency histogram <span class="legend" id="h-note"></span></h2>
    <canvas id="c-hist"></canvas></div>
  <div class="card wide"><h2>Live events <span class="legend" id="feed-note"></span></h2>
    <div id="feed"></div></div>
</main>
<footer id="foot">GET /metrics · GET /events · read-only</footer>
<script>
"use strict";
const CONFIG = Object.assign({title: "rill live view", histogram: "", live_prefix: "rill_live",
                              stats_interval_ms: 1000}, /*RILL_CONFIG*/null || {});
const $ = (id) => document.getElementById(id);
document.title = CONFIG.title;
$("title").textContent = CONFIG.title;

const MAX_POINTS = 240;
const state = {
  received: 0, stats: 0, polls: 0, lastId: 0, gaps: 0,
  rate: [], lat: {p50: [], p99: [], p999: []}, score: [], drifts: [], warnings: [],
  buckets: null, version: null, driftCount: 0, prevStats: null,
};
const push = (arr, p) => { arr.push(p); if (arr.length > MAX_POINTS) arr.shift(); };
const fmt = (v) => v >= 1e9 ? (v / 1e9).toFixed(2) + "G" : v >= 1e6 ? (v / 1e6).toFixed(2) + "M"
                 : v >= 1e4 ? (v / 1e3).toFixed(1) + "k" : String(Math.round(v));
const fmtSec = (s) => !isFinite(s) ? "–" : s >= 1 ? s.toFixed(2) + " s" : s >= 1e-3 ?
                 (s * 1e3).toFixed(2) + " ms" : s >= 1e-6 ? (s * 1e6).toFixed(1) + " µs" : (s * 1e9).toFixed(0) + " ns";

// ------------------------------------------------------------------- charts
function setupCanvas(c) {
  const r = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * r) || c.height !== Math.round(h * r)) {
    c.width = Math.round(w * r); c.height = Math.round(h * r);
  }
  const g = c.getContext("2d");
  g.setTransform(r, 0, 0, r, 0, 0);
  g.clearRect(0, 0, w, h);
  return [g, w, h];
}
function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

// series: [{pts:[[x,y]], color}], markers: [{x, color, dash}]
function lineChart(id, series, opt = {}) {
  const [g, w, h] = setupCanvas($(id));
  const L = 52, R = 8, T = 6, B = 18;
  let xs = [], ys = [];
  for (const s of series) for (const [x, y] of s.pts) { if (isFinite(y)) { xs.push(x); ys.push(y); } }
  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = css("--line"); g.fillStyle = css("--dim"); g.lineWidth = 1;
  if (!xs.length) { g.fillText(opt.empty || "waiting for data…", L, h / 2); return; }
  let x0 = Math.min(...xs), x1 = Math.max(...xs);
  if (x1 === x0) x1 = x0 + 1;
  const tx = (x) => opt.log ? Math.log10(Math.max(x, 1e-12)) : x;
  let y0 = opt.yMin !== undefined ? opt.yMin : Math.min(...ys.map(tx)), y1 = Math.max(...ys.map(tx));
  if (opt.log) { y0 = Math.floor(Math.min(...ys.map(tx))); y1 = Math.ceil(y1); }
  if (y1 === y0) y1 = y0 + (opt.log ? 1 : Math.abs(y0) * 0.1 + 1);
  else if (!opt.log) y1 += (y1 - y0) * 0.08;
  const px = (x) => L + (x - x0) / (x1 - x0) * (w - L - R);
  const py = (y) => T + (1 - (tx(y) - y0) / (y1 - y0)) * (h - T - B);
  for (let i = 0; i <= 4; i++) {  // grid and y labels
    const yy = T + i / 4 * (h - T - B), v = y1 - i / 4 * (y1 - y0);
    g.beginPath(); g.moveTo(L, yy); g.lineTo(w - R, yy); g.stroke();
    g.fillText((opt.yfmt || fmt)(opt.log ? Math.pow(10, v) : v), 2, yy + 4);
  }
  g.fillText((opt.xfmt || fmt)(x0), L, h - 4);
  const last = (opt.xfmt || fmt)(x1);
  g.fillText(last, w - R - g.measureText(last).width, h - 4);
  for (const m of (opt.markers || [])) {
    if (m.x < x0 || m.x > x1) continue;
    g.strokeStyle = m.color; g.setLineDash(m.dash ? [3, 3] : []);
    g.beginPath(); g.moveTo(px(m.x), T); g.lineTo(px(m.x), h - B); g.stroke();
  }
  g.setLineDash([]); g.lineWidth = 1.6;
  for (const s of series) {
    g.strokeStyle = s.color; g.beginPath();
    let started = false;
    for (const [x, y] of s.pts) {
      if (!isFinite(y)) continue;
      if (!started) { g.moveTo(px(x), py(y)); started = true; } else g.lineTo(px(x), py(y));
    }
    g.stroke();
    if (s.pts.length === 1 && isFinite(s.pts[0][1])) {  // a lone point: a dot
      g.fillStyle = s.color; g.beginPath();
      g.arc(px(s.pts[0][0]), py(s.pts[0][1]), 2.5, 0, 7); g.fill();
    }
  }
}

function histChart(id) {
  const [g, w, h] = setupCanvas($(id));
  g.font = "11px system-ui, sans-serif"; g.fillStyle = css("--dim");
  const b = state.buckets;
  if (!b || !b.length) { g.fillText(CONFIG.histogram ? "waiting for /metrics…" : "no latency histogram in /metrics", 52, h / 2); return; }
  let lo = b.findIndex((x) => x.n > 0), hi = b.length - 1 - [...b].reverse().findIndex((x) => x.n > 0);
  if (lo < 0) { g.fillText("no latencies recorded yet", 52, h / 2); return; }
  lo = Math.max(0, lo - 1); hi = Math.min(b.length - 1, hi + 1);
  const shown = b.slice(lo, hi + 1), max = Math.max(...shown.map((x) => x.n)), B = 18, T = 6;
  const bw = (w - 12) / shown.length;
  shown.forEach((x, i) => {
    const bh = max ? x.n / max * (h - B - T) : 0;
    g.fillStyle = css("--blue");
    g.fillRect(6 + i * bw + 1, h - B - bh, Math.max(1, bw - 2), bh);
    g.fillStyle = css("--dim");
    if (shown.length < 14 || i % 2 === 0) g.fillText("≤" + (isFinite(x.le) ? fmtSec(x.le) : "∞"), 6 + i * bw + 1, h - 4);
  });
}

function redraw() {
  lineChart("c-rate", [{pts: state.rate, color: css("--blue")}], {xfmt: (x) => x.toFixed(0) + "s", yMin: 0});
  lineChart("c-lat", [{pts: state.lat.p50, color: css("--green")}, {pts: state.lat.p99, color: css("--amber")},
                      {pts: state.lat.p999, color: css("--red")}],
            {log: true, yfmt: fmtSec, xfmt: (x) => x.toFixed(0) + "s",
             empty: CONFIG.histogram === null ? "no histogram" : "waiting for /metrics…"});
  lineChart("c-score", [{pts: state.score, color: css("--green")}],
            {markers: state.drifts.map((x) => ({x, color: css("--red")}))
                        .concat(state.warnings.map((x) => ({x, color: css("--amber"), dash: true}))),
             yfmt: (v) => v.toFixed(3), empty: "waiting for score events…"});
  histChart("c-hist");
}

// ------------------------------------------------------------------- events
const feed = $("feed");
function addFeedLine(seq, e) {
  const d = document.createElement("div");
  d.className = e.kind;
  let s = "#" + seq + "  " + e.kind.padEnd(13) + " id=" + e.id;
  if (e.kind === "prediction") s += "  value=" + Number(e.value).toFixed(4) + (e.label !== undefined ? "  label=" + e.label : "");
  else if (e.kind === "score") s += "  value=" + Number(e.value).toFixed(4);
  else if (e.kind === "drift" || e.kind === "warning") s += "  statistic=" + Number(e.value).toPrecision(4) + "  detector=" + e.code;
  else if (e.kind === "breaker") s += "  state=" + e.state;
  s += "  v" + e.version;
  d.textContent = s;
  feed.insertBefore(d, feed.firstChild);
  while (feed.childNodes.length > 40) feed.removeChild(feed.lastChild);
}

function onRecord(ev) {
  const e = JSON.parse(ev.data), seq = Number(ev.lastEventId);
  if (state.lastId && seq > state.lastId + 1) state.gaps += seq - state.lastId - 1;
  state.lastId = seq;
  state.received++;
  document.body.dataset.eventsReceived = String(state.received);
  document.body.dataset.lastEventId = String(seq);
  if (e.version !== undefined && e.version !== state.version && e.kind !== "breaker") {
    state.version = e.version; $("t-version").textContent = "v" + e.version;
  }
  if (e.kind === "score") push(state.score, [e.id, e.value]);
  else if (e.kind === "drift") { push(state.drifts, e.id); state.driftCount++; $("t-drift").textContent = state.driftCount; }
  else if (e.kind === "warning") push(state.warnings, e.id);
  if (e.kind !== "prediction" || state.received % 5 === 0) addFeedLine(seq, e);
  $("feed-note").textContent = state.received + " received" + (state.gaps ? ", " + state.gaps + " skipped" : "");
}

function onStats(ev) {
  const s = JSON.parse(ev.data);
  state.stats++;
  document.body.dataset.statsReceived = String(state.stats);
  if (state.prevStats && s.uptime_ms > state.prevStats.uptime_ms) {
    const r = (s.predictions - state.prevStats.predictions) / ((s.uptime_ms - state.prevStats.uptime_ms) / 1000);
    push(state.rate, [s.uptime_ms / 1000, r]);
    $("t-rate").textContent = fmt(r);
  }
  state.prevStats = s;
  $("t-pred").textContent = fmt(s.predictions);
  $("t-drop").textContent = fmt(s.feed_dropped + s.skipped);
  // Stats arrive on the server's clock, so polling and drawing from here also work in
  // a headless browser whose timers stand still while the stream is open.
  poll().then(redraw);
  if (STOP_AFTER && state.stats >= STOP_AFTER) {
    source.close();
    $("dot").className = ""; $("conn").textContent = "snapshot";
    document.body.dataset.done = "1";
  }
}

// ?stop_after=N: close the stream after N stats messages (headless screenshots: a
// browser on virtual time waits while the stream is open).
const STOP_AFTER = Number(new URLSearchParams(location.search).get("stop_after")) || 0;
let source = null;
function connect() {
  source = new EventSource("/events");
  source.onopen = () => { $("dot").className = "on"; $("conn").textContent = "live"; };
  source.onerror = () => { $("dot").className = ""; $("conn").textContent = "reconnecting"; };
  source.onmessage = onRecord;
  source.addEventListener("stats", onStats);
}

// ------------------------------------------------------------------ metrics
function parseProm(text) {
  const types = {}, samples = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) { const p = line.split(" "); types[p[2]] = p[3]; continue; }
    if (!line || line[0] === "#") continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({name: m[1], labels, value: Number(m[3].replace("+Inf", "Infinity"))});
  }
  return {types, samples};
}

async function poll() {
  try {
    const r = await fetch("/metrics", {cache: "no-store"});
    const p = parseProm(await r.text());
    state.polls++;
    document.body.dataset.metricsPolls = String(state.polls);
    let fam = CONFIG.histogram;
    if (!fam) {  // the first histogram that is not the view's own
      const h = Object.keys(p.types).find((n) => p.types[n] === "histogram" && !n.startsWith(CONFIG.live_prefix));
      fam = h ? h.replace(/_seconds$/, "") : null;
    }
    if (fam) {
      const q = (k) => { const s = p.samples.find((x) => x.name === fam + "_quantiles_seconds" && x.labels.quantile === k); return s ? s.value : NaN; };
      const t = state.prevStats ? state.prevStats.uptime_ms / 1000 : 0;  // server clock
      push(state.lat.p50, [t, q("0.5")]); push(state.lat.p99, [t, q("0.99")]); push(state.lat.p999, [t, q("0.999")]);
      $("t-p99").textContent = fmtSec(q("0.99"));
      const cum = p.samples.filter((x) => x.name === fam + "_seconds_bucket");
      const first = cum.length ? JSON.stringify(Object.assign({}, cum[0].labels, {le: ""})) : "";
      const mine = cum.filter((x) => JSON.stringify(Object.assign({}, x.labels, {le: ""})) === first);
      state.buckets = mine.map((x, i) => ({le: Number(x.labels.le.replace("+Inf", "Infinity")),
                                           n: x.value - (i ? mine[i - 1].value : 0)}));
      $("h-note").textContent = "since start, " + fmt(mine.length ? mine[mine.length - 1].value : 0) + " recorded";
    } else {
      CONFIG.histogram = null;
    }
  } catch (err) { /* the server is gone or restarting: try again later */ }
}

connect();
poll().then(redraw);
setInterval(redraw, 250);
window.addEventListener("resize", redraw);
redraw();
</script>
</body>
</html>
)rill_html";

}  // namespace detail
RILL_NAMESPACE_END
