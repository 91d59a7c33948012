// `npm run test:faults`: the orchestrator, the localnet and redis-server as separate OS processes,
// a crash wave, and one fault per run (kill -9, a frozen RPC, a silent websocket, a Redis restart,
// two orchestrators, SIGTERM), then bad configurations at start. After each run the chain says
// whether a step landed twice, a healthy account was touched, an account was left below
// maintenance or a landed step has no audit line; a table of the figures follows, and the exit
// code is 1 if any check failed.
//
//   FAULTS_N=60 (traders per run)  FAULTS="kill,redis" (names containing any of these)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAllNow, stopAll } from "../demo/processes.js";
import { FaultRun, type Checks } from "./harness.js";
import { FAULTS } from "./scenarios.js";
import { CONFIG_FAULTS, runConfigFaults } from "./config-faults.js";

const N = Number(process.env.FAULTS_N ?? 60);
const only = (process.env.FAULTS ?? "")
  .split(",")
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean);
const selected = (name: string) => only.length === 0 || only.some((o) => name.toLowerCase().includes(o));
const started = Date.now();
const say = (m: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${m}`);

interface Row {
  fault: string;
  checks: Checks | null;
  recoveryMs: number | null;
  note: string;
  ok: boolean;
}

function passed(c: Checks): boolean {
  return (
    c.duplicateSteps === 0 &&
    c.touchedWhileHealthy.length === 0 &&
    c.notCured === 0 &&
    c.leftBelowMaintenance === 0 &&
    c.unaudited === 0
  );
}

async function runFault(fault: (typeof FAULTS)[number], dir: string): Promise<Row> {
  const run = await FaultRun.open(fault.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase(), dir, N, {
    appendonly: fault.appendonly,
    say,
  });
  try {
    if (fault.setup) await fault.setup(run);
    else await run.startOrchestrator();
    await run.crash();
    say(`${fault.name}: crash written`);
    const { clearedAtMs, note } = await fault.inject(run, say);
    say(`${fault.name}: fault cleared ${((clearedAtMs - run.crashAtMs) / 1000).toFixed(1)} s after the crash`);
    const checks = await run.settle(120_000);
    const recoveryMs =
      checks.allCuredMs === null ? null : Math.max(0, checks.allCuredMs - (clearedAtMs - run.crashAtMs));
    const ok = passed(checks);
    say(`${fault.name}: ${ok ? "ok" : "FAILED"} ${JSON.stringify({ ...checks, recoveryMs })}`);
    return { fault: fault.name, checks, recoveryMs, note: note ?? "", ok };
  } catch (e) {
    say(`${fault.name}: FAILED: ${(e as Error).message}`);
    return { fault: fault.name, checks: null, recoveryMs: null, note: (e as Error).message.split("\n")[0], ok: false };
  } finally {
    await run.close();
  }
}

const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-faults-"));
  say(`fault runs of ${N} traders each; logs under ${dir}`);
  const rows: Row[] = [];
  for (const fault of FAULTS.filter((f) => selected(f.name))) rows.push(await runFault(fault, dir));
  const configRows = await runConfigFaults(
    CONFIG_FAULTS.filter((f) => selected(f.name)),
    dir,
    say,
  );

  console.log(
    "\nfault                              steps  twice  healthy touched  not cured  below maint.  unaudited  all cured  recovery  result",
  );
  console.log(
    "---------------------------------  -----  -----  ---------------  ---------  ------------  ---------  ---------  --------  ------",
  );
  for (const r of rows) {
    const c = r.checks;
    console.log(
      [
        r.fault.padEnd(33),
        String(c?.steps ?? "—").padStart(5),
        String(c?.duplicateSteps ?? "—").padStart(5),
        String(c?.touchedWhileHealthy.length ?? "—").padStart(15),
        String(c?.notCured ?? "—").padStart(9),
        String(c?.leftBelowMaintenance ?? "—").padStart(12),
        String(c?.unaudited ?? "—").padStart(9),
        s(c?.allCuredMs ?? null).padStart(9),
        s(r.recoveryMs).padStart(8),
        `${r.ok ? "ok" : "FAILED"}${r.note ? ` (${r.note})` : ""}`,
      ].join("  "),
    );
  }
  if (configRows.length > 0) {
    console.log("\nconfiguration at start              exit  message  sent  result");
    for (const r of configRows)
      console.log(
        `${r.name.padEnd(35)}  ${String(r.exitCode).padStart(4)}  ${(r.messageOk ? "yes" : "no").padStart(7)}  ${String(r.transactions).padStart(4)}  ${r.ok ? "ok" : `FAILED (${r.detail})`}`,
      );
  }
  const failed = rows.filter((r) => !r.ok).length + configRows.filter((r) => !r.ok).length;
  console.log(
    `\n${failed === 0 ? "all fault checks passed" : `${failed} fault run(s) failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return failed === 0 ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (e) => {
    console.error(e);
    await stopAll();
    killAllNow();
    process.exit(1);
  },
);
