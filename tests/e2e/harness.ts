// End-to-end fixtures: a world on the native localnet, a private Redis, and orchestrators started
// against them with fast timings. Everything started here is stopped by `close()`.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionReader } from "../../orchestrator/src/chain/rpc.js";
import { readSnapshot } from "../../orchestrator/src/chain/snapshot.js";
import type { Config } from "../../orchestrator/src/config.js";
import { evaluate } from "../../orchestrator/src/risk/evaluate.js";
import { Orchestrator } from "../../orchestrator/src/orchestrator.js";
import { createLogger } from "../../orchestrator/src/ops/log.js";
import { readAudit, type AuditEntry } from "../../orchestrator/src/ops/audit.js";
import { localConfig, operatorKeypair } from "../../orchestrator/demo/operator.js";
import { startRedis, type RedisHandle } from "../../orchestrator/demo/redis.js";
import { buildWorld, type World } from "../../orchestrator/demo/world.js";
import type { MarketSpec } from "../../orchestrator/demo/exchange.js";

export interface Harness {
  world: World;
  redis: RedisHandle;
  dir: string;
  prefix: string;
  start(name: string, overrides?: Partial<Config>): Promise<Orchestrator>;
  audit(name: string): AuditEntry[];
  close(): Promise<void>;
}

export async function harness(traders: number, seed: number, markets?: MarketSpec[]): Promise<Harness> {
  const redis = await startRedis();
  const world = await buildWorld({ traders, seed, slotMs: 50, markets });
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-e2e-"));
  const keypairPath = await operatorKeypair(world, dir);
  const prefix = `e2e-${process.pid}-${seed}`;
  const running: Orchestrator[] = [];
  return {
    world,
    redis,
    dir,
    prefix,
    async start(name, overrides = {}) {
      const config = localConfig(world, redis.url, keypairPath, {
        queuePrefix: prefix,
        auditLogPath: join(dir, `${name}.audit.jsonl`),
        confirmTimeoutMs: 3_000,
        jobBackoffMs: 100,
        jobLockMs: 2_000,
        fullScanIntervalMs: 2_000,
        rpcRateLimitPerSecond: 500,
        workerConcurrency: 4,
        // Small batches: the book is loaded and resynced in several reads, some in parallel.
        resyncBatchSize: 3,
        ...overrides,
      });
      const o = new Orchestrator(config, {
        log: createLogger({ level: "warn", stream: process.env.E2E_LOG ? process.stderr : { write: () => true } }),
      });
      running.push(o);
      return o.start();
    },
    audit: (name) => readAudit(join(dir, `${name}.audit.jsonl`)),
    async close() {
      await Promise.all(running.map((o) => o.stop("test done").catch(() => {})));
      await world.close();
      await redis.stop();
    },
  };
}

/** Moves every market by `move` (e.g. -0.2) and refreshes the markets' volatility estimates. */
export async function shock(world: World, move: number): Promise<void> {
  for (const m of world.markets)
    await world.setPrice(m.symbol, (m.price * BigInt(Math.round((1 + move) * 1e6))) / 1_000_000n);
  await Promise.all(world.markets.map((m) => world.refresh(m.symbol).catch(() => {})));
}

export async function idle(orchestrators: Orchestrator[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = false;
    for (const o of orchestrators) {
      const counts = await o.queues.counts();
      const s = o.supervisor.countsByState();
      if (
        Object.values(counts).some(
          (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) > 0,
        )
      )
        busy = true;
      if (s["partial-liquidation"] + s.bankrupt > 0) busy = true;
    }
    if (!busy) return;
    if (Date.now() > deadline) throw new Error("orchestrators did not finish their work in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Each job id was signed and landed at most once, across all given audit logs. */
export function signaturesPerJob(entries: AuditEntry[]): Map<string, Set<string>> {
  const per = new Map<string, Set<string>>();
  for (const e of entries.filter((x) => x.event === "confirmed")) {
    const set = per.get(e.jobId as string) ?? new Set<string>();
    set.add(e.signature as string);
    per.set(e.jobId as string, set);
  }
  return per;
}

/** Every account read fresh from the chain and judged with the program's math. */
export async function chainVerdicts(world: World) {
  const markets = new Map(world.markets.map((m) => [m.address.toBase58(), m.oracle.toBase58()]));
  const out = [];
  for (const t of world.traders) {
    const snap = await readSnapshot(connectionReader(world.connection), t.account.toBase58(), markets);
    const ev = evaluate(
      snap.account,
      snap.markets,
      snap.prices,
      { currentSlot: snap.slot, nowS: Math.floor(Date.now() / 1000), maxAccountAgeSlots: 0, maxOracleAgeSlots: 0 },
      0n,
    );
    out.push({ account: snap.account, ev });
  }
  return out;
}
