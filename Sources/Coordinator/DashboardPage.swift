// Implements: DashboardPage, the dashboard as one self-contained HTML document (inline CSS and
// JavaScript, nothing fetched from elsewhere). It polls the JSON endpoints every 2 s (relative
// URLs, so it works behind `cohort dashboard` too) and redraws without a reload. Text from the
// cluster (job names, reasons, logs) is only ever set as textContent, never parsed as HTML.
enum DashboardPage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Cohort</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:">
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#222}
header{background:#1f2d3d;color:#fff;padding:8px 16px;display:flex;gap:24px;align-items:baseline}
header h1{font-size:16px;margin:0}main{padding:12px 16px;display:grid;grid-template-columns:1fr 1fr;gap:12px}
section{background:#fff;border:1px solid #dde;border-radius:4px;padding:8px 12px;overflow:auto}
section.wide{grid-column:1/3}h2{font-size:14px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #eee;white-space:nowrap}
td.reason{white-space:normal;color:#555}tr.job{cursor:pointer}tr.job:hover,tr.sel{background:#eef4ff}
.RUNNING{color:#1a7f37}.PENDING,.SCHEDULED,.RESTARTING{color:#9a6700}.FAILED{color:#cf222e}.CANCELLED{color:#777}.SUCCEEDED{color:#0550ae}
.bar{display:inline-block;width:80px;height:8px;background:#e5e7eb;vertical-align:middle;margin-right:6px}.bar i{display:block;height:8px;background:#2da44e}
pre{background:#111;color:#ddd;padding:8px;max-height:260px;overflow:auto;font-size:12px;margin:0}
svg text{font-size:11px;fill:#444}.muted{color:#888}
</style></head><body>
<header><h1>Cohort</h1><span id="cluster">connecting…</span><span id="updated" class="muted"></span></header>
<main>
<section class="wide"><h2>Jobs</h2><table id="jobs"><thead><tr><th>id</th><th>name</th><th>state</th><th>progress</th><th>loss</th>
<th>evaluation</th><th>samples/s</th><th>ETA</th><th>attempts</th><th>why</th></tr></thead><tbody></tbody></table></section>
<section><h2 id="loss-title">Loss</h2><svg id="loss-chart" width="560" height="230"></svg></section>
<section><h2 id="eval-title">Evaluation</h2><svg id="eval-chart" width="560" height="230"></svg></section>
<section><h2>Attempts</h2><table id="attempts"><thead><tr><th>#</th><th>ranks</th><th>nodes</th><th>from step</th><th>duration</th>
<th>outcome</th><th>why it ended</th></tr></thead><tbody></tbody></table></section>
<section><h2>Nodes</h2><table id="nodes"><thead><tr><th>name</th><th>address</th><th>slots used</th><th>live</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2 id="log-title">Logs</h2><pre id="log"></pre></section>
</main>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token");
let selected = new URLSearchParams(location.search).get("job");
// A resume replays steps from its checkpoint: its points replace the earlier ones from there on.
function latestRun(points) { const out = []; for (const p of points) { while (out.length && out[out.length - 1][0] >= p[0]) out.pop(); out.push(p); } return out; }
const $ = id => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
function svg(tag, attrs, text) { const e = document.createElementNS("http://www.w3.org/2000/svg", tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = String(text); return e; }
async function get(path) {
  const r = await fetch(path, { headers: token ? { Authorization: "Bearer " + token } : {}, cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function fmt(v, d) { return v === undefined || v === null ? "—" : Number(v).toFixed(d); }
function dur(s) { if (s === undefined || s === null) return "—"; s = Math.round(s); return s >= 3600 ? Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m" : s >= 60 ? Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s" : s + "s"; }
function ticks(lo, hi, n) {
  const span = hi - lo || Math.abs(hi) || 1, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw);
  const out = []; for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(+t.toPrecision(12));
  return out;
}
function chart(node, series, opts) {
  while (node.firstChild) node.removeChild(node.firstChild);
  const W = +node.getAttribute("width"), H = +node.getAttribute("height"), L = 56, R = 12, T = 10, B = 34;
  const pts = series.flatMap(s => s.points);
  if (!pts.length) { node.appendChild(svg("text", { x: L, y: H / 2 }, opts.empty)); return; }
  let x0 = Math.min(...pts.map(p => p[0])), x1 = Math.max(...pts.map(p => p[0])), y0 = Math.min(...pts.map(p => p[1])), y1 = Math.max(...pts.map(p => p[1]));
  if (opts.zero) y0 = Math.min(0, y0);
  if (x1 === x0) x1 = x0 + 1; if (y1 === y0) { y1 = y0 + 1; y0 = y0 - (opts.zero ? 0 : 1); }
  const X = x => L + (x - x0) / (x1 - x0) * (W - L - R), Y = y => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  for (const t of ticks(y0, y1, 5)) {
    node.appendChild(svg("line", { x1: L, x2: W - R, y1: Y(t), y2: Y(t), stroke: "#e5e7eb" }));
    node.appendChild(svg("text", { x: L - 4, y: Y(t) + 4, "text-anchor": "end", class: "tick" }, t));
  }
  for (const t of ticks(x0, x1, 6)) {
    node.appendChild(svg("line", { x1: X(t), x2: X(t), y1: T, y2: H - B, stroke: "#f0f0f0" }));
    node.appendChild(svg("text", { x: X(t), y: H - B + 14, "text-anchor": "middle", class: "tick" }, t));
  }
  node.appendChild(svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "none", stroke: "#999" }));
  node.appendChild(svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, "step"));
  node.appendChild(svg("text", { x: 12, y: T + (H - T - B) / 2, transform: "rotate(-90 12 " + (T + (H - T - B) / 2) + ")", "text-anchor": "middle" }, opts.unit));
  for (const m of opts.marks || []) if (m >= x0 && m <= x1) {
    node.appendChild(svg("line", { x1: X(m), x2: X(m), y1: T, y2: H - B, stroke: "#cf222e", "stroke-dasharray": "4 3", class: "restart" }));
    node.appendChild(svg("text", { x: X(m) + 3, y: T + 12, fill: "#cf222e" }, "restart"));
  }
  series.forEach((s, i) => {
    node.appendChild(svg("polyline", { fill: "none", stroke: s.color, "stroke-width": 1.6, class: "series", "data-count": s.points.length,
      points: s.points.map(p => X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1)).join(" ") }));
    node.appendChild(svg("rect", { x: W - R - 150, y: T + 6 + 14 * i, width: 10, height: 3, fill: s.color }));
    node.appendChild(svg("text", { x: W - R - 136, y: T + 10 + 14 * i }, s.name));
  });
}
function jobRow(j) {
  const tr = el("tr", undefined, "job" + (j.id === selected ? " sel" : "")); tr.dataset.job = j.id;
  tr.appendChild(el("td", j.id)); tr.appendChild(el("td", j.name)); tr.appendChild(el("td", j.state, j.state));
  const p = el("td");
  if (j.total_steps) { const b = el("span", undefined, "bar"), i = el("i"); i.style.width = Math.min(100, 100 * (j.step || 0) / j.total_steps) + "%"; b.appendChild(i); p.appendChild(b); }
  p.appendChild(document.createTextNode(j.step === undefined ? "—" : j.step + (j.total_steps ? " / " + j.total_steps : "")));
  tr.appendChild(p); tr.appendChild(el("td", fmt(j.loss, 4)));
  tr.appendChild(el("td", j.evaluation ? j.evaluation.metric + " " + fmt(j.evaluation.value, 4) : "—"));
  tr.appendChild(el("td", fmt(j.samples_per_s, 0))); tr.appendChild(el("td", j.state === "RUNNING" ? dur(j.eta_s) : "—"));
  tr.appendChild(el("td", j.attempts)); tr.appendChild(el("td", j.reason || "", "reason"));
  tr.onclick = () => { selected = j.id; refresh(); };
  return tr;
}
function fill(table, rows) { const body = $(table).tBodies[0]; while (body.firstChild) body.removeChild(body.firstChild); rows.forEach(r => body.appendChild(r)); }
async function refresh() {
  try {
    const o = await get("api/overview");
    const used = o.nodes.filter(n => n.live).reduce((a, n) => a + n.used, 0), total = o.nodes.filter(n => n.live).reduce((a, n) => a + n.slots, 0);
    $("cluster").textContent = o.nodes.filter(n => n.live).length + " live node(s), " + used + "/" + total + " slots used, " + o.jobs.length + " job(s)";
    if (!selected || !o.jobs.some(j => j.id === selected)) { const r = o.jobs.find(j => j.state === "RUNNING") || o.jobs[0]; selected = r ? r.id : null; }
    fill("jobs", o.jobs.map(jobRow));
    fill("nodes", o.nodes.map(n => { const tr = el("tr"); [n.name, n.address, n.used + " / " + n.slots, n.live ? "yes" : "no"].forEach(v => tr.appendChild(el("td", v))); return tr; }));
    if (selected) {
      const j = await get("api/jobs/" + encodeURIComponent(selected));
      $("loss-title").textContent = "Loss — job " + j.id + " (" + j.name + ")";
      const marks = j.attempts.filter(a => a.number > 1).map(a => a.start_step).filter(s => s !== undefined && s !== null);
      chart($("loss-chart"), [{ name: "training loss", color: "#c0392b", points: latestRun(j.points.map(p => [p[0], p[1]])) }], { unit: "loss", empty: "no progress reported yet", marks });
      const metrics = [...new Set(j.evaluations.map(e => e.metric))], colors = ["#2471a3", "#8e44ad", "#16a085", "#d35400"];
      $("eval-title").textContent = "Evaluation — job " + j.id;
      chart($("eval-chart"), metrics.map((m, i) => ({ name: m, color: colors[i % 4], points: j.evaluations.filter(e => e.metric === m).map(e => [e.step, e.value]) })),
        { unit: metrics.length === 1 ? metrics[0] : "value", empty: "no evaluation reported yet", marks });
      fill("attempts", j.attempts.map(a => { const tr = el("tr");
        [a.number, a.ranks, a.nodes, a.start_step === undefined ? "—" : a.start_step, dur((a.finished_at || o.now) - a.started_at), a.outcome || "running"].forEach(v => tr.appendChild(el("td", v)));
        tr.appendChild(el("td", a.reason || "", "reason")); return tr; }));
      $("log-title").textContent = "Logs — job " + j.id + ", latest attempt (tail)";
      const log = $("log"), atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      log.textContent = j.log || "(no output yet)"; if (atEnd) log.scrollTop = log.scrollHeight;
    }
    $("updated").textContent = "updated " + new Date(o.now * 1000).toLocaleTimeString();
  } catch (e) { $("updated").textContent = String(e.message || e); }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
"""#
}
