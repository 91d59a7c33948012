// Printing: one block per wave, then ours against the reference keeper per size.
import { percentile } from "../../src/ops/stats.js";
import type { Mode, RunResult } from "./run.js";

const usd = (v: bigint) =>
  `$${(Number(v) / 1e6).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const fmt = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v) ? "n/a" : v.toFixed(digits);

export const steps = (r: RunResult) => r.liquidations + r.resolutions;
export const stepsPerSecond = (r: RunResult) => (r.waveMs > 0 ? (steps(r) * 1000) / r.waveMs : NaN);
export const rpcPerStep = (r: RunResult) => (r.rpcCalls && steps(r) > 0 ? r.rpcCalls.total / steps(r) : null);
export const cpuPerStep = (r: RunResult) => (r.cpuMs !== null && steps(r) > 0 ? r.cpuMs / steps(r) : null);
const firstMs = (r: RunResult, p: number) =>
  percentile(
    r.firsts.map((f) => f.ms),
    p,
  );
const firstSlots = (r: RunResult, p: number) =>
  percentile(
    r.firsts.map((f) => f.slots),
    p,
  );

export function runReport(r: RunResult): string {
  const methods = r.rpcCalls
    ? Object.entries(r.rpcCalls.byMethod)
        .sort((a, b) => b[1] - a[1])
        .map(([m, c]) => `${m} ${c}`)
        .join(", ")
    : "";
  const c = r.check;
  const problems = [
    c.touchedWhileHealthy.length > 0
      ? `${c.touchedWhileHealthy.length} steps on accounts above their threshold (${c.touchedWhileHealthy.slice(0, 3).join(", ")})`
      : "",
    c.duplicateSteps > 0 ? `${c.duplicateSteps} steps appear twice` : "",
    c.eventsBeforeCrash > 0 ? `${c.eventsBeforeCrash} liquidation events before the crash` : "",
  ].filter(Boolean);
  return [
    `N=${r.n} ${r.mode}: ${r.expected} accounts below maintenance at the crash (${r.bankruptAtCrash} with negative equity); world built in ${(r.buildMs / 1000).toFixed(1)} s`,
    `  oracle write → first liquidation step confirmed: p50 ${fmt(firstMs(r, 50))} ms (${fmt(firstSlots(r, 50))} slots), p99 ${fmt(firstMs(r, 99))} ms (${fmt(firstSlots(r, 99))} slots) over ${r.firsts.length} accounts`,
    r.allCured
      ? `  oracle write → all cured: ${r.allCured.ms} ms, ${r.allCured.slots} slots`
      : `  oracle write → all cured: NOT REACHED; ${r.notCured} of ${r.expected} not cured after ${(r.waveMs / 1000).toFixed(0)} s`,
    ...(r.stages
      ? [
          `  first steps, from the orchestrator's audit log: oracle write → first decision ${fmt(r.stages.detectMs)} ms; → decided p50/p99 ${r.stages.decided.map((v) => fmt(v)).join("/")} ms; decided → sent ${r.stages.queued.map((v) => fmt(v)).join("/")} ms; sent → confirmed ${r.stages.confirming.map((v) => fmt(v)).join("/")} ms`,
        ]
      : []),
    `  steps confirmed: ${r.liquidations} liquidation + ${r.resolutions} resolve = ${steps(r)} in ${(r.waveMs / 1000).toFixed(2)} s → ${fmt(stepsPerSecond(r), 1)} steps/s; accounts flagged ${r.flags} (${r.flagOnlyTransactions} by a flag-only transaction); failed transactions ${r.failedTransactions}`,
    `  RPC calls per step: ${fmt(rpcPerStep(r), 2)}${r.rpcCalls ? ` (${r.rpcCalls.total} calls: ${methods})` : " (the localnet has no localnet_stats)"}`,
    `  ${r.mode === "ours" ? "orchestrator" : "reference keeper"} CPU per step: ${fmt(cpuPerStep(r), 2)} ms (${fmt(r.cpuMs)} ms during the wave); localnet CPU ${fmt(r.localnetCpuMs)} ms${r.redisCpuMs !== null ? `, Redis CPU ${fmt(r.redisCpuMs)} ms` : ""}`,
    `  bad debt (socialised): ${usd(r.badDebt)}; insurance used: ${usd(r.insurancePaid)}`,
    problems.length === 0
      ? `  check: ok (every step's program record shows the account below its threshold, no step twice); ${c.leftBelowMaintenance} accounts left below maintenance`
      : `  CHECK FAILED: ${problems.join("; ")}; ${c.leftBelowMaintenance} accounts left below maintenance`,
    `  logs: ${r.logDir}`,
  ].join("\n");
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
}

const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? "n/a" : (a / b).toFixed(2);

export function comparison(results: RunResult[]): string {
  const head = [
    "N",
    "mode",
    "first p50 ms",
    "first p99 ms",
    "p50 slots",
    "p99 slots",
    "all cured ms",
    "slots",
    "not cured",
    "steps/s",
    "RPC/step",
    "CPU ms/step",
    "bad debt",
  ];
  const rows: string[][] = [];
  const sizes = [...new Set(results.map((r) => r.n))];
  for (const n of sizes) {
    const by = (m: Mode) => results.find((r) => r.n === n && r.mode === m);
    for (const r of [by("ours"), by("reference")]) {
      if (!r) continue;
      rows.push([
        String(n),
        r.mode,
        fmt(firstMs(r, 50)),
        fmt(firstMs(r, 99)),
        fmt(firstSlots(r, 50)),
        fmt(firstSlots(r, 99)),
        r.allCured ? String(r.allCured.ms) : `>${r.waveMs}`,
        r.allCured ? String(r.allCured.slots) : "-",
        String(r.notCured),
        fmt(stepsPerSecond(r), 1),
        fmt(rpcPerStep(r), 2),
        fmt(cpuPerStep(r), 2),
        usd(r.badDebt),
      ]);
    }
    const ours = by("ours");
    const ref = by("reference");
    if (ours && ref) {
      const cured = (r: RunResult) => (r.allCured ? r.allCured.ms : null);
      rows.push([
        String(n),
        "ours/ref",
        ratio(firstMs(ours, 50), firstMs(ref, 50)),
        ratio(firstMs(ours, 99), firstMs(ref, 99)),
        ratio(firstSlots(ours, 50), firstSlots(ref, 50)),
        ratio(firstSlots(ours, 99), firstSlots(ref, 99)),
        ratio(cured(ours), cured(ref)),
        ratio(ours.allCured?.slots ?? null, ref.allCured?.slots ?? null),
        "",
        ratio(stepsPerSecond(ours), stepsPerSecond(ref)),
        ratio(rpcPerStep(ours), rpcPerStep(ref)),
        ratio(cpuPerStep(ours), cpuPerStep(ref)),
        "",
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [pad(head, widths), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map((r) => pad(r, widths))].join(
    "\n",
  );
}
