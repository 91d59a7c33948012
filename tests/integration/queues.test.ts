// Step queues against a real Redis: one job per step, retries only where a retry can help, the
// largest shortfall first, and a shutdown that loses nothing. Every test has its own BullMQ prefix.
import type { Job, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { StepQueues, sharedDecisions, storeUnderLock } from "../../orchestrator/src/jobs/queues.js";
import { jobId, priorityFor, type StepJob, type StepKind, type StepResult } from "../../orchestrator/src/jobs/steps.js";
import { NotNeeded } from "../../orchestrator/src/jobs/worker.js";
import { startTestRedis, type TestRedis } from "./redis-setup.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

type Processor = (job: Job<StepJob, StepResult>, token?: string) => Promise<StepResult>;

const ACCOUNT = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";
const MARKET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
const USD = 1_000_000n;

const step = (over: Partial<StepJob> = {}): StepJob => ({
  kind: "liquidate",
  account: ACCOUNT,
  liquidationId: "3",
  stepKey: "5f1c0e9a7b2d4c68",
  market: MARKET,
  shortfall: (250n * USD).toString(),
  detectedAtMs: 1_700_000_000_000,
  decidedOn: {},
  ...over,
});

const CONFIRMED: StepResult = { outcome: "confirmed", signature: "sig" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** StepQueues under a fresh prefix on an ioredis connection, as the orchestrator builds them; torn down after the test. */
function openQueues(name: string, attempts = 3) {
  const connection = redis.connect();
  const prefix = redis.prefix(name);
  const queues = new StepQueues({ connection, prefix, attempts, backoffMs: 10 });
  const workers: Worker<StepJob, StepResult>[] = [];
  const startWorkers = (process: Processor) => {
    const started = queues.workers(process, connection, { concurrency: 1, lockMs: 10_000 });
    workers.push(...started);
    return started;
  };
  onTestFinished(async () => {
    await Promise.all(workers.map((w) => w.close(true)));
    await Promise.all(Object.values(queues.queues).map((q) => q.obliterate({ force: true })));
    await queues.close();
  });
  return { queues, prefix, startWorkers };
}

async function jobsIn(queues: StepQueues, kind: StepKind): Promise<number> {
  const counts = (await queues.counts())[kind];
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function settledJob(
  queues: StepQueues,
  kind: StepKind,
  id: string,
  state: "completed" | "failed",
): Promise<Job<StepJob, StepResult>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = await queues.queues[kind].getJobState(id);
    // Read after the state, so attempts and return value are those of the settled job.
    const job = now === state ? await queues.queues[kind].getJob(id) : undefined;
    if (job) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${now}, expected ${state}`);
    await sleep(20);
  }
}

describe("adding steps", () => {
  it("keeps one job for a step asked for twice and reports the second add as not added", async () => {
    const { queues } = openQueues("dedup");
    const first = await queues.add(step());
    const second = await queues.add(step({ detectedAtMs: 1_700_000_005_000 }));

    expect(first).toEqual({ id: jobId(step()), added: true });
    expect(second).toEqual({ id: first.id, added: false });
    expect(await jobsIn(queues, "liquidate")).toBe(1);
    // The job keeps the data of the first request.
    expect((await queues.queues.liquidate.getJob(first.id))?.data.detectedAtMs).toBe(1_700_000_000_000);
  });

  it("adds the steps asked for in one turn together, each once, a repeat among them not added", async () => {
    const { queues } = openQueues("bulk");
    // 300 accounts' first steps in one turn (more than one call's worth), one of them asked for twice.
    const steps = Array.from({ length: 300 }, (_, i) =>
      step({ account: `${ACCOUNT.slice(0, -3)}${String(i).padStart(3, "0")}`, firstStep: true }),
    );
    const results = await Promise.all([...steps.map((s) => queues.add(s)), queues.add(steps[7])]);
    expect(results.slice(0, 300).every((r) => r.added)).toBe(true);
    expect(results[300]).toEqual({ id: jobId(steps[7]), added: false });
    expect(new Set(results.map((r) => r.id)).size).toBe(300);
    expect(await jobsIn(queues, "liquidate")).toBe(300);
    const stored = await queues.queues.liquidate.getJob(jobId(steps[123]));
    expect(stored?.data.account).toBe(steps[123].account);
    expect(stored?.opts.priority).toBe(priorityFor(BigInt(steps[123].shortfall), true));
  });

  it("treats a step decided on a changed account (new stepKey) as a different job", async () => {
    const { queues } = openQueues("new-step");
    const first = await queues.add(step());
    const next = await queues.add(step({ stepKey: "0b7e3d21c9a84f56" }));

    expect(next.added).toBe(true);
    expect(next.id).not.toBe(first.id);
    expect(await jobsIn(queues, "liquidate")).toBe(2);
  });

  it("names a step the same way in every orchestrator sharing the Redis, so a second one adds nothing", async () => {
    const mine = openQueues("two-orchestrators");
    const theirs = new StepQueues({ connection: redis.connect(), prefix: mine.prefix, attempts: 3, backoffMs: 10 });
    onTestFinished(() => theirs.close());

    await mine.queues.add(step());
    expect(await theirs.add(step())).toEqual({ id: jobId(step()), added: false });
    // Both at the same moment: Redis still keeps a single job.
    const resolve = step({ kind: "resolve", market: null });
    await Promise.all([mine.queues.add(resolve), theirs.add(resolve)]);
    expect(await jobsIn(mine.queues, "resolve")).toBe(1);
  });
});

describe("step workers", () => {
  it("retries a step that failed for a reason a retry can change, up to the configured attempts", async () => {
    const { queues, startWorkers } = openQueues("retry", 3);
    let calls = 0;
    startWorkers(async () => {
      calls++;
      throw new Error("RPC unavailable");
    });
    const { id } = await queues.add(step());

    const job = await settledJob(queues, "liquidate", id, "failed");
    expect(job.attemptsMade).toBe(3);
    expect(calls).toBe(3);
    expect(job.failedReason).toBe("RPC unavailable");
  });

  it("fails a step that is no longer needed after one attempt, without retrying", async () => {
    const { queues, startWorkers } = openQueues("not-needed", 3);
    let calls = 0;
    startWorkers(async () => {
      calls++;
      throw new NotNeeded("account healthy at the current price");
    });
    const { id } = await queues.add(step({ kind: "resolve", market: null }));

    const job = await settledJob(queues, "resolve", id, "failed");
    expect(job.attemptsMade).toBe(1);
    expect(calls).toBe(1);
    expect(job.failedReason).toBe("account healthy at the current price");
  });

  it("serves the step with the larger shortfall first", async () => {
    const { queues, startWorkers } = openQueues("priority");
    const shortfalls = [3n * USD, 40_000n * USD, 0n, 700n * USD];
    // Distinct priorities, so the order below is decided by priority alone, not by insertion.
    expect(new Set(shortfalls.map((s) => priorityFor(s))).size).toBe(shortfalls.length);
    for (const [i, s] of shortfalls.entries())
      await queues.add(step({ stepKey: `step-${i}`, shortfall: s.toString() }));

    const served: string[] = [];
    startWorkers(async (job) => {
      served.push(job.data.shortfall);
      return CONFIRMED;
    });
    const ids = shortfalls.map((_, i) => jobId(step({ stepKey: `step-${i}` })));
    for (const id of ids) await settledJob(queues, "liquidate", id, "completed");

    expect(served).toEqual([40_000n * USD, 700n * USD, 3n * USD, 0n].map(String));
  });

  it("serves steps that start a liquidation before later steps, each by shortfall", async () => {
    const { queues, startWorkers } = openQueues("priority-first");
    const steps = [
      { shortfall: 40_000n * USD, firstStep: false },
      { shortfall: 3n * USD, firstStep: true },
      { shortfall: 700n * USD, firstStep: true },
      { shortfall: 900n * USD, firstStep: false },
    ];
    for (const [i, s] of steps.entries())
      await queues.add(step({ stepKey: `first-${i}`, shortfall: s.shortfall.toString(), firstStep: s.firstStep }));
    const served: string[] = [];
    startWorkers(async (job) => {
      served.push(job.data.shortfall);
      return CONFIRMED;
    });
    for (const i of steps.keys())
      await settledJob(queues, "liquidate", jobId(step({ stepKey: `first-${i}` })), "completed");
    expect(served).toEqual([700n * USD, 3n * USD, 40_000n * USD, 900n * USD].map(String));
  });

  it("runs a step again when it is asked for after its job gave up", async () => {
    const { queues, startWorkers } = openQueues("ask-again-failed", 1);
    let calls = 0;
    startWorkers(async () => {
      if (++calls === 1) throw new NotNeeded("account healthy at the current price");
      return CONFIRMED;
    });
    const { id } = await queues.add(step({ kind: "resolve", market: null }));
    await settledJob(queues, "resolve", id, "failed");

    // The price fell back with the account unchanged: same step, same id, due again.
    expect(await queues.add(step({ kind: "resolve", market: null }))).toEqual({ id, added: true });
    const job = await settledJob(queues, "resolve", id, "completed");
    expect(calls).toBe(2);
    expect(job.returnvalue).toEqual(CONFIRMED);
  });

  it("runs a completed step again when it is asked for again, leaving the worker to re-check it", async () => {
    const { queues, startWorkers } = openQueues("ask-again-completed", 1);
    let calls = 0;
    startWorkers(async () => {
      calls++;
      return CONFIRMED;
    });
    const { id } = await queues.add(step());
    await settledJob(queues, "liquidate", id, "completed");

    expect(await queues.add(step())).toEqual({ id, added: true });
    await settledJob(queues, "liquidate", id, "completed");
    expect(calls).toBe(2);
    expect(await jobsIn(queues, "liquidate")).toBe(1);
  });

  it("lets the active step finish when its worker closes, and leaves the waiting step for the next worker", async () => {
    const { queues, startWorkers } = openQueues("shutdown", 1);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const slowStarted = new Promise<void>((r) => (started = r));
    const slow = await queues.add(step({ stepKey: "slow", shortfall: (900n * USD).toString() }));
    const waiting = await queues.add(step({ stepKey: "waiting", shortfall: (1n * USD).toString() }));

    const served: string[] = [];
    const workers = startWorkers(async (job) => {
      served.push(job.data.stepKey);
      started();
      await released;
      return CONFIRMED;
    });
    await slowStarted;
    let closed = false;
    const closing = Promise.all(workers.map((w) => w.close())).then(() => (closed = true));
    await sleep(100);
    expect(closed).toBe(false);
    release();
    await closing;

    const done = await queues.queues.liquidate.getJob(slow.id);
    expect(await done?.getState()).toBe("completed");
    expect(done?.returnvalue).toEqual(CONFIRMED);
    expect(served).toEqual(["slow"]);
    // Waiting (prioritized, as every step has a priority), not taken by the closing worker.
    expect(await (await queues.queues.liquidate.getJob(waiting.id))?.getState()).toBe("prioritized");

    startWorkers(async (job) => {
      served.push(job.data.stepKey);
      return CONFIRMED;
    });
    await settledJob(queues, "liquidate", waiting.id, "completed");
    expect(served).toEqual(["slow", "waiting"]);
  });

  it("stores a job's data only under its lock, renewing the lock in the same script", async () => {
    const { queues, startWorkers } = openQueues("store-under-lock");
    const client = redis.connect();
    onTestFinished(() => void client.disconnect());
    const added = await queues.add(step({ stepKey: "store" }));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: { job: Job<StepJob, StepResult>; token: string }[] = [];
    startWorkers(async (job, token) => {
      seen.push({ job, token: token! });
      await released;
      return CONFIRMED;
    });
    while (seen.length === 0) await sleep(10);
    const { job, token } = seen[0];
    const lockKey = `${job.queueQualifiedName}:${job.id}:lock`;

    // Another token (a worker that stalled and lost the job) stores nothing.
    expect(await storeUnderLock(client, job, "someone-else", 60_000, { ...job.data, market: "other" })).toBe(false);
    expect((await queues.queues.liquidate.getJob(added.id))?.data.market).toBe(MARKET);

    // The holder stores, and its lock now runs for the new duration.
    expect(await client.pttl(lockKey)).toBeLessThanOrEqual(10_000);
    expect(await storeUnderLock(client, job, token, 60_000, { ...job.data, market: "stored" })).toBe(true);
    expect(await client.pttl(lockKey)).toBeGreaterThan(10_000);
    expect(job.data.market).toBe("stored");
    expect((await queues.queues.liquidate.getJob(added.id))?.data.market).toBe("stored");

    // Once the lock is gone (expired, taken over), the holder's token stores nothing either.
    await client.del(lockKey);
    expect(await storeUnderLock(client, job, token, 60_000, { ...job.data, market: "late" })).toBe(false);
    expect((await queues.queues.liquidate.getJob(added.id))?.data.market).toBe("stored");
    await client.set(lockKey, token);
    release();
    await settledJob(queues, "liquidate", added.id, "completed");
  });

  it("decides a shared transaction's fate once for every orchestrator on the Redis, for as long as a blockhash lives", async () => {
    const a = redis.connect();
    const b = redis.connect();
    onTestFinished(() => (a.disconnect(), b.disconnect()));
    const prefix = redis.prefix("shared-decisions");
    const [first, second] = [sharedDecisions(a, prefix), sharedDecisions(b, prefix)];
    const results = await Promise.all([first("sig-1", "send"), second("sig-1", "abandon")]);
    expect(new Set(results).size).toBe(1);
    expect(await second("sig-1", results[0] === "send" ? "abandon" : "send")).toBe(results[0]);
    expect(await first("sig-2", "abandon")).toBe("abandon");
    expect(await second("sig-2", "send")).toBe("abandon");
    expect(await a.ttl(`${prefix}:shared:sig-2`)).toBeGreaterThan(300);
  });
});

describe("Redis settings at start", () => {
  it("refuses a Redis that may evict job records and warns of one that persists nothing or syncs late", async () => {
    const { checkRedisSettings } = await import("../../orchestrator/src/startup.js");
    const { createLogger } = await import("../../orchestrator/src/ops/log.js");
    const lines: string[] = [];
    const log = createLogger({ level: "info", stream: { write: (l: string) => lines.push(l) } });
    const client = redis.connect();
    onTestFinished(() => void client.disconnect());
    const [, policy] = (await client.config("GET", "maxmemory-policy")) as string[];
    const [, appendonly] = (await client.config("GET", "appendonly")) as string[];
    const [, save] = (await client.config("GET", "save")) as string[];
    const [, appendfsync] = (await client.config("GET", "appendfsync")) as string[];
    onTestFinished(async () => {
      await client.config("SET", "appendfsync", appendfsync);
      await client.config("SET", "maxmemory-policy", policy);
      await client.config("SET", "appendonly", appendonly);
      await client.config("SET", "save", save);
    });
    await client.config("SET", "maxmemory-policy", "noeviction");
    await client.config("SET", "appendonly", "no");
    await client.config("SET", "save", "");
    await checkRedisSettings(client, log);
    expect(lines.join("")).toMatch(/persists nothing/);
    expect(lines.join("")).not.toMatch(/appendfsync/);
    lines.length = 0;
    await client.config("SET", "appendonly", "yes");
    await client.config("SET", "appendfsync", "everysec");
    await checkRedisSettings(client, log);
    expect(lines.join("")).toMatch(/appendfsync everysec.*use appendfsync always/);
    lines.length = 0;
    await client.config("SET", "appendfsync", "always");
    await checkRedisSettings(client, log);
    expect(lines).toEqual([]);
    await client.config("SET", "appendonly", "no");
    await client.config("SET", "maxmemory-policy", "allkeys-lru");
    await expect(checkRedisSettings(client, log)).rejects.toThrow(/maxmemory-policy allkeys-lru.*noeviction/);
  });
});
