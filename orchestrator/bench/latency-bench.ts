// Oracle update → liquidation confirmed, end to end on the native localnet (its own process) with a
// real Redis and the orchestrator in this process: the oracle account is rewritten, the
// orchestrator's websocket sees it, the account is re-evaluated and liquidated through BullMQ jobs
// (the first step flags the account in the same transaction). Per liquidated account, the time and
// the slots from the oracle write to its first liquidation step confirmed.
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Orchestrator } from "../src/orchestrator.js";
import { createLogger } from "../src/ops/log.js";
import { localConfig, operatorKeypair } from "../demo/operator.js";
import { startRedis } from "../demo/redis.js";
import { buildWorld } from "../demo/world.js";
import { percentile } from "../src/ops/stats.js";

const TRADERS = Number(process.env.BENCH_TRADERS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SLOT_MS = 400;

async function main() {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-bench-"));
  const world = await buildWorld({ traders: TRADERS, seed: 5, slotMs: SLOT_MS, processLogDir: dir });
  const config = localConfig(world, redis.url, await operatorKeypair(world, dir), {
    queuePrefix: "bench",
    auditLogPath: join(dir, "audit.jsonl"),
    rpcRateLimitPerSecond: 2_000,
  });
  const o = new Orchestrator(config, { log: createLogger({ level: "error" }) });
  await o.start();

  let shockAtMs = 0;
  let shockSlot = 0;
  const first = new Map<string, { ms: number; slots: number }>();
  o.on("settled", (job, _id, result) => {
    if (job.kind !== "liquidate" || result.outcome !== "confirmed" || first.has(`${job.account}|${shockAtMs}`)) return;
    first.set(`${job.account}|${shockAtMs}`, {
      ms: Date.now() - shockAtMs,
      slots: (result.slot ?? shockSlot) - shockSlot,
    });
  });
  for (let r = 0; r < ROUNDS; r++) {
    shockSlot = await world.connection.getSlot("confirmed");
    shockAtMs = Date.now();
    for (const m of world.markets) await world.setPrice(m.symbol, (m.price * 96n) / 100n);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const c = await o.queues.counts();
      const s = o.supervisor.countsByState();
      const busy = Object.values(c).some(
        (x) => (x.waiting ?? 0) + (x.active ?? 0) + (x.delayed ?? 0) + (x.prioritized ?? 0) > 0,
      );
      if ((!busy && s["partial-liquidation"] + s.bankrupt === 0) || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  const ms = [...first.values()].map((v) => v.ms);
  const slots = [...first.values()].map((v) => v.slots);
  console.log(
    `\noracle update → first liquidation step confirmed (native localnet, ${SLOT_MS} ms slots, ${TRADERS} traders, ${ROUNDS} drops of 4%)`,
  );
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`);
  console.log(`  liquidated accounts measured: ${ms.length}`);
  console.log(`  latency ms:    p50 ${percentile(ms, 50)}  p99 ${percentile(ms, 99)}  max ${Math.max(...ms)}`);
  console.log(`  latency slots: p50 ${percentile(slots, 50)}  p99 ${percentile(slots, 99)}  max ${Math.max(...slots)}`);
  console.log(
    "  (one liquidation transaction per first step, which also flags the account; signed, sent and confirmed over JSON-RPC)",
  );
  await o.stop("bench done");
  await world.close();
  await redis.stop();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  },
);
