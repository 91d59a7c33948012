// The dashboard page: one view pushed by the orchestrator over server-sent events
// (/dashboard/events), rendered into tables and inline SVG charts. No framework and nothing fetched
// from elsewhere, so it works on a host with no internet access.
const STATES = ["healthy", "margin-call", "partial-liquidation", "bankrupt", "waiting"];
const COLORS = {
  healthy: "var(--healthy)",
  "margin-call": "var(--margin-call)",
  "partial-liquidation": "var(--liquidating)",
  bankrupt: "var(--bankrupt)",
  waiting: "var(--waiting)",
};
const SVG = "http://www.w3.org/2000/svg";

const $ = (sel) => document.querySelector(sel);
const usd = (v) =>
  v === null || v === undefined
    ? "–"
    : `${v < 0 ? "-" : ""}$${Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const price = (v) =>
  v === null || v === undefined ? "–" : `$${v.toLocaleString("en-US", { maximumFractionDigits: 4 })}`;
const pct = (v, digits = 2) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(digits)}%`);
const num = (v, digits = 2) =>
  v === null || v === undefined ? "–" : v.toLocaleString("en-US", { maximumFractionDigits: digits });
const short = (s) => (s ? `${s.slice(0, 6)}…${s.slice(-4)}` : "–");
const time = (ms) => new Date(ms).toLocaleTimeString();

/** A table cell; `title` shows the full value on hover. */
function cell(text, opts = {}) {
  const td = document.createElement("td");
  td.textContent = text;
  if (opts.title) td.title = opts.title;
  if (opts.className) td.className = opts.className;
  return td;
}

function fill(tbody, rows, toCells, onClick) {
  const body = typeof tbody === "string" ? $(tbody) : tbody;
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.append(...toCells(r));
      if (onClick) {
        tr.className = "clickable";
        tr.addEventListener("click", () => onClick(r));
      }
      return tr;
    }),
  );
}

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Lines over time in a fresh SVG; each series is { name, color, values } aligned with `times`. */
function lineChart(container, times, series, format, opts = {}) {
  const w = 600;
  const h = opts.height ?? 180;
  const pad = { l: 56, r: 8, t: 8, b: 18 };
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none" });
  const all = series.flatMap((s) => s.values);
  let lo = opts.zero ? 0 : Math.min(...all);
  let hi = Math.max(...all);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) (lo = 0), (hi = 1);
  if (hi === lo) hi = lo + Math.max(1, Math.abs(lo) * 0.01);
  const t0 = times[0] ?? 0;
  const t1 = Math.max(times[times.length - 1] ?? 1, t0 + 1);
  const x = (t) => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
  const y = (v) => h - pad.b - ((v - lo) / (hi - lo)) * (h - pad.t - pad.b);
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(el("line", { x1: pad.l, x2: w - pad.r, y1: y(v), y2: y(v), stroke: "#2a323c" }));
    svg.append(el("text", { x: pad.l - 4, y: y(v) + 3, "text-anchor": "end" }, format(v)));
  }
  if (times.length > 0) {
    svg.append(el("text", { x: pad.l, y: h - 4 }, time(t0)));
    svg.append(el("text", { x: w - pad.r, y: h - 4, "text-anchor": "end" }, time(t1)));
  }
  for (const s of series) {
    const points = s.values.map((v, i) => `${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    svg.append(el("polyline", { points, fill: "none", stroke: s.color, "stroke-width": 2, "data-series": s.name }));
  }
  container.replaceChildren(svg);
}

/** Bars of liquidation counts per price bin, longs and shorts stacked, with the current price marked. */
function histogram(h) {
  const w = 400;
  const ht = 160;
  const pad = { l: 28, r: 8, t: 18, b: 18 };
  const bins = h.longs.length;
  const svg = el("svg", { viewBox: `0 0 ${w} ${ht}`, preserveAspectRatio: "none" });
  const max = Math.max(1, ...h.longs.map((l, i) => l + h.shorts[i]));
  const bw = (w - pad.l - pad.r) / bins;
  const y = (v) => (v / max) * (ht - pad.t - pad.b);
  for (let i = 0; i < bins; i++) {
    const x = pad.l + i * bw;
    const tip = `${price(h.edges[i])}–${price(h.edges[i + 1])}: ${h.longs[i]} longs (${usd(h.longNotionalUsd[i])}), ${h.shorts[i]} shorts (${usd(h.shortNotionalUsd[i])})`;
    const longH = y(h.longs[i]);
    const shortH = y(h.shorts[i]);
    const bar = (height, base, color) => {
      const r = el("rect", {
        x: x + 0.5,
        y: ht - pad.b - base - height,
        width: Math.max(0.5, bw - 1),
        height,
        fill: color,
      });
      r.append(el("title", {}, tip));
      return r;
    };
    if (longH > 0) svg.append(bar(longH, 0, "var(--liquidating)"));
    if (shortH > 0) svg.append(bar(shortH, longH, "var(--margin-call)"));
  }
  const px = pad.l + ((h.price - h.edges[0]) / (h.edges[bins] - h.edges[0])) * (w - pad.l - pad.r);
  svg.append(
    el("line", { x1: px, x2: px, y1: pad.t - 4, y2: ht - pad.b, stroke: "#d7dde4", "stroke-dasharray": "3 2" }),
  );
  svg.append(el("text", { x: px, y: pad.t - 6, "text-anchor": "middle" }, `now ${price(h.price)}`));
  svg.append(el("text", { x: pad.l, y: ht - 4 }, price(h.edges[0])));
  svg.append(el("text", { x: w - pad.r, y: ht - 4, "text-anchor": "end" }, price(h.edges[bins])));
  svg.append(el("text", { x: pad.l - 4, y: pad.t + 3, "text-anchor": "end" }, String(max)));
  const box = document.createElement("div");
  box.className = "chart histogram";
  box.dataset.market = h.market;
  const title = document.createElement("div");
  title.textContent = `${h.name}: ${h.longs.reduce((a, b) => a + b, 0)} longs, ${h.shorts.reduce((a, b) => a + b, 0)} shorts in range (${h.below} below, ${h.above} above)`;
  box.append(title, svg);
  return box;
}

// The at-risk table's sort and search survive every update.
const sort = { key: "shortfallUsd", dir: -1 };
let lastView = null;

function compare(a, b) {
  const va = a[sort.key];
  const vb = b[sort.key];
  if (va === vb) return 0;
  if (va === null || va === undefined) return 1;
  if (vb === null || vb === undefined) return -1;
  return (va < vb ? -1 : 1) * sort.dir;
}

function renderAtRisk(view) {
  const q = $("#search").value.trim().toLowerCase();
  const rows = view.atRisk.rows
    .filter((r) => !q || r.account.toLowerCase().includes(q) || (r.owner ?? "").toLowerCase().includes(q))
    .sort(compare);
  $("#at-risk-count").textContent =
    `${view.atRisk.total} accounts not healthy; showing ${rows.length} of the ${view.atRisk.rows.length} most urgent`;
  fill(
    "#at-risk tbody",
    rows,
    (r) => [
      cell(short(r.account), { title: r.account, className: "mono" }),
      cell(r.state, { className: `state-${r.state}`, title: r.waitReason ?? "" }),
      cell(usd(r.equityUsd)),
      cell(usd(r.maintenanceUsd)),
      cell(usd(r.initialUsd)),
      cell(usd(r.shortfallUsd)),
      cell(pct(r.distanceToLiquidation)),
      cell(r.liquidationPrice === null ? "–" : `${price(r.liquidationPrice)} ${r.liquidationMarket ?? ""}`),
      cell(r.step || "–"),
      cell(r.jobId ? short(r.jobId) : "–", { title: r.jobId ?? "", className: "mono" }),
    ],
    (r) => {
      $("#audit-account").value = r.account;
      void loadAudit(r.account);
    },
  );
  for (const th of document.querySelectorAll("#at-risk th"))
    th.className = th.dataset.key === sort.key ? (sort.dir > 0 ? "asc" : "desc") : "";
}

function render(view) {
  lastView = view;
  document.body.dataset.generatedAt = String(view.generatedAtMs);
  $("#instance").textContent = `instance ${view.instance.id}${view.instance.dryRun ? " (dry run)" : ""}`;
  $("#slot").textContent = `slot ${view.slot} · ${view.accounts} accounts`;
  const ks = $("#kill-switch");
  ks.textContent = view.killSwitch.all
    ? "kill switch: ENGAGED (nothing is sent)"
    : view.killSwitch.markets.length
      ? `paused: ${view.killSwitch.markets.join(", ")}`
      : "kill switch: off";
  ks.className = `badge ${view.killSwitch.all || view.killSwitch.markets.length ? "on" : "off"}`;

  fill("#markets tbody", view.markets, (m) => [
    cell(`${m.name}${m.paused ? " (paused)" : ""}${m.settled ? " (settled)" : ""}`, { title: m.address }),
    cell(price(m.price)),
    cell(m.oracleAgeS === null ? "–" : `${m.oracleAgeS}s / ${m.oracleAgeSlots} slots`),
    cell(m.confidence === null ? "–" : `±${price(m.confidence)} (${pct(m.confidenceRatio, 3)})`),
    cell(pct(m.volatilityAddon)),
    cell(`${num(m.openInterestLongBase)} / ${num(m.openInterestShortBase)} (${usd(m.openInterestUsd)})`),
    cell(usd(m.poolUsd)),
    cell(usd(m.insuranceUsd)),
    cell(usd(m.insurancePaidUsd)),
    cell(usd(m.badDebtUsd)),
    cell(String(m.liquidations)),
  ]);

  $("#counts").textContent = STATES.map((s) => `${s} ${view.countsByState[s] ?? 0}`).join(" · ");
  const times = view.history.map((s) => s.t);
  lineChart(
    $("#states-chart"),
    times,
    STATES.map((s) => ({ name: s, color: COLORS[s], values: view.history.map((h) => h.counts[s] ?? 0) })),
    (v) => num(v, 0),
    { zero: true },
  );
  lineChart(
    $("#insurance-chart"),
    times,
    [{ name: "insurance", color: "var(--healthy)", values: view.history.map((h) => h.insuranceUsd) }],
    (v) => usd(v),
    { height: 120 },
  );
  lineChart(
    $("#bad-debt-chart"),
    times,
    [{ name: "bad debt", color: "var(--liquidating)", values: view.history.map((h) => h.badDebtUsd) }],
    (v) => usd(v),
    { height: 120, zero: true },
  );
  $("#histograms").replaceChildren(...view.histograms.markets.map(histogram));

  renderAtRisk(view);

  fill("#liquidations tbody", view.liquidations, (r) => [
    cell(time(r.atMs), { title: r.signature }),
    cell(short(r.account), { title: r.account, className: "mono" }),
    cell(r.market),
    cell(usd(r.closedNotionalUsd)),
    cell(`${price(r.oraclePrice)} / ${price(r.execPrice)}`),
    cell(usd(r.liquidatorFeeUsd + r.insuranceFeeUsd), {
      title: `liquidator ${usd(r.liquidatorFeeUsd)}, insurance ${usd(r.insuranceFeeUsd)}`,
    }),
    cell(`${usd(r.equityAfterUsd)} / ${usd(r.maintenanceAfterUsd)}`),
  ]);
  fill("#bankruptcies tbody", view.bankruptcies, (b) => [
    cell(time(b.atMs), { title: b.signature }),
    cell(short(b.account), { title: b.account, className: "mono" }),
    cell(b.market),
    cell(usd(b.deficitUsd)),
    cell(usd(b.insurancePaidUsd)),
    cell(usd(b.socializedLossUsd)),
    cell(usd(b.insuranceAfterUsd)),
  ]);
  const queues = Object.entries(view.queues ?? {});
  fill("#queues tbody", queues, ([name, c]) => [
    cell(name),
    ...["waiting", "prioritized", "delayed", "active", "completed", "failed"].map((k) => cell(String(c[k] ?? 0))),
  ]);
}

async function loadAudit(account) {
  const tbody = $("#audit tbody");
  try {
    const res = await fetch(`/dashboard/audit?account=${encodeURIComponent(account)}`);
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? res.statusText);
    if (body.records.length === 0) return fill(tbody, [null], () => [cell("no audit records for this account")]);
    fill(tbody, body.records, (r) => [
      cell(String(r.seq)),
      cell(r.time ? new Date(r.time).toLocaleTimeString() : "–"),
      cell(r.event ?? ""),
      cell(r.kind ?? ""),
      cell(r.jobId ? short(r.jobId) : (r.state ?? r.to ?? ""), { title: r.jobId ?? "" }),
      cell(r.signature ? short(r.signature) : "–", { title: r.signature ?? "", className: "mono" }),
    ]);
  } catch (e) {
    fill(tbody, [null], () => [cell(`audit trail unavailable: ${e.message}`)]);
  }
}

for (const th of document.querySelectorAll("#at-risk th")) {
  th.addEventListener("click", () => {
    sort.dir = sort.key === th.dataset.key ? -sort.dir : 1;
    sort.key = th.dataset.key;
    if (lastView) renderAtRisk(lastView);
  });
}
$("#search").addEventListener("input", () => lastView && renderAtRisk(lastView));
$("#audit-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const account = $("#audit-account").value.trim();
  if (account) void loadAudit(account);
});

// EventSource reconnects by itself after the orchestrator restarts.
const live = $("#live");
const source = new EventSource("/dashboard/events");
source.onopen = () => {
  live.textContent = "live";
  live.className = "badge live";
};
source.onerror = () => {
  live.textContent = "reconnecting";
  live.className = "badge off";
};
source.onmessage = (e) => render(JSON.parse(e.data));
