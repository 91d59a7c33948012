// `npm run bench:wave`: a liquidation wave with the localnet, Redis and the liquidator as separate
// processes, as an RPC node, a Redis and a liquidator are in production. For each size N, one
// crash of market A puts all N cross-margined traders below maintenance at once; our orchestrator
// and a reference keeper loop each face it on a freshly built, identical world, and the chain's
// own records say how fast each cured the book and at what cost.
//
//   BENCH_WAVE_SIZES="300,1000,3000"  BENCH_WAVE_MODES="ours,reference"  BENCH_WAVE_SEED=11
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { clockTicks, killAllNow, stopAll } from "../../demo/processes.js";
import { orchestratorMalloc, runWave, OURS_TUNING, type Mode, type RunResult } from "./run.js";
import { comparison, runReport } from "./table.js";

const SLOT_MS = 400;

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

async function main(): Promise<number> {
  const sizes = list("BENCH_WAVE_SIZES", "300,1000,3000").map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`BENCH_WAVE_SIZES must be positive integers, got ${process.env.BENCH_WAVE_SIZES}`);
  const modes = list("BENCH_WAVE_MODES", "ours,reference");
  const bad = modes.filter((m) => m !== "ours" && m !== "reference");
  if (bad.length > 0) throw new Error(`BENCH_WAVE_MODES may hold "ours" and "reference", got ${bad.join(", ")}`);
  const seed = Number(process.env.BENCH_WAVE_SEED ?? 11);
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-wave-"));
  const started = Date.now();
  const say = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

  console.log("liquidation wave: localnet, Redis and liquidator as separate processes");
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}; slot ${SLOT_MS} ms`);
  console.log(
    `sizes ${sizes.join(", ")}; modes ${modes.join(", ")}; seed ${seed}; ours with ${JSON.stringify(OURS_TUNING)} and ${orchestratorMalloc()}; logs under ${dir}\n`,
  );

  const results: RunResult[] = [];
  for (const n of sizes) {
    for (const mode of modes as Mode[]) {
      say(`=== N=${n}, ${mode} ===`);
      const r = await runWave({ n, mode, seed, slotMs: SLOT_MS, clockTicks: clockTicks(), dir, say });
      results.push(r);
      console.log(`${runReport(r)}\n`);
    }
  }
  console.log(
    "first = oracle write → first liquidation step confirmed; all cured = oracle write → every account healthy or resolved.",
  );
  console.log(
    "ours/ref below 1: ours is faster (latencies) or cheaper (RPC, CPU); above 1 for steps/s: ours is faster.\n",
  );
  console.log(comparison(results));
  const failed = results.filter((r) => !r.check.ok);
  if (failed.length > 0) {
    console.error(`\nbench:wave: checks failed for ${failed.map((r) => `N=${r.n} ${r.mode}`).join(", ")}`);
    return 1;
  }
  return 0;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench:wave: ${signal}, stopping every child process`);
    void stopAll().finally(() => process.exit(130));
  });
}
process.on("exit", killAllNow);

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (e) => {
    console.error(`bench:wave failed: ${e instanceof Error ? (process.env.DEBUG ? e.stack : e.message) : e}`);
    await stopAll();
    process.exit(1);
  },
);
