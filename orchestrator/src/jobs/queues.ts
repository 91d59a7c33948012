// BullMQ plumbing: one queue per step kind under the deployment's prefix, idempotent adds, and
// workers (the RPC rate is shared by all of a process's steps: jobs/rpc-budget.ts).
import { randomUUID } from "node:crypto";
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { DecideShared } from "./batcher.js";
import { STEP_KINDS, jobId, priorityFor, queueName, type StepJob, type StepKind, type StepResult } from "./steps.js";

export interface QueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  attempts: number;
  backoffMs: number;
}

export interface WorkerOptions {
  concurrency: number;
  lockMs: number;
}

const KEEP_S = 24 * 3600;
/** Jobs added to Redis in one call at most. */
const ADD_BATCH = 128;

type BulkJob = Parameters<Queue<StepJob, StepResult>["addBulk"]>[0][number];

/**
 * BullMQ's extendLock and updateData in one script, so that storing a step's signed transaction
 * costs one round trip: only while `token` holds the job's lock is the lock renewed (and the job
 * taken off the stalled list, as extendLock does) and the data written. Keys are BullMQ's own:
 * the job hash `<prefix>:<queue>:<id>`, its lock `…:lock`, the queue's `<prefix>:<queue>:stalled`.
 * Returns 1 when stored, 0 when the lock is not this token's, -1 when the job is gone.
 */
const STORE_UNDER_LOCK = `
local rcall = redis.call
if rcall("GET", KEYS[2]) ~= ARGV[1] then return 0 end
if rcall("EXISTS", KEYS[1]) ~= 1 then return -1 end
rcall("SET", KEYS[2], ARGV[1], "PX", ARGV[2])
rcall("SREM", KEYS[3], ARGV[3])
rcall("HSET", KEYS[1], "data", ARGV[4])
return 1
`;

interface StoringRedis {
  storeUnderLock(
    job: string,
    lock: string,
    stalled: string,
    token: string,
    lockMs: number,
    id: string,
    data: string,
  ): Promise<number>;
}

/**
 * A day: far beyond a blockhash's life (150 blocks, about a minute) even through a cluster halt,
 * after which the transaction can no longer land whatever was decided.
 */
const SHARED_DECISION_TTL_S = 86_400;

/** Shared-transaction decisions in Redis under the deployment's prefix: SET NX, so the first choice wins everywhere. */
export function sharedDecisions(redis: Redis, prefix: string): DecideShared {
  return async (signature, choice) => {
    const key = `${prefix}:shared:${signature}`;
    // The first decision stands. One that expires between the two commands (a day later) is
    // decided again, never assumed.
    for (;;) {
      const set = await redis.set(key, choice, "EX", SHARED_DECISION_TTL_S, "NX");
      if (set === "OK") return choice;
      const existing = await redis.get(key);
      if (existing === "send" || existing === "abandon") return existing;
      if (existing !== null) throw new Error(`shared decision ${key} holds ${JSON.stringify(existing)}`);
    }
  };
}

/** Renews the lock and stores the job's data in one round trip; false when `token` no longer holds the lock (or the job is gone). */
export async function storeUnderLock(
  redis: Redis,
  job: Job<StepJob, StepResult>,
  token: string,
  lockMs: number,
  data: StepJob,
): Promise<boolean> {
  if (!("storeUnderLock" in redis)) redis.defineCommand("storeUnderLock", { numberOfKeys: 3, lua: STORE_UNDER_LOCK });
  const key = `${job.queueQualifiedName}:${job.id}`;
  const stored = await (redis as unknown as StoringRedis).storeUnderLock(
    key,
    `${key}:lock`,
    `${job.queueQualifiedName}:stalled`,
    token,
    lockMs,
    job.id!,
    JSON.stringify(data),
  );
  if (stored !== 1) return false;
  job.data = data;
  return true;
}

export class StepQueues {
  readonly queues: Record<StepKind, Queue<StepJob, StepResult>>;

  constructor(private readonly opts: QueueOptions) {
    this.queues = Object.fromEntries(
      STEP_KINDS.map((k) => [
        k,
        new Queue<StepJob, StepResult>(queueName(k), { connection: opts.connection, prefix: opts.prefix }),
      ]),
    ) as Record<StepKind, Queue<StepJob, StepResult>>;
  }

  /**
   * Adds the step unless a job with its id exists (waiting, active, done or failed within a day):
   * a repeat from this or another orchestrator is a no-op. Returns whether this call added it.
   * The adds asked for in one turn of the event loop (a crash's first steps) go to Redis together,
   * ADD_BATCH jobs to a call (BullMQ addBulk), instead of one call each.
   */
  async add(job: StepJob): Promise<{ id: string; added: boolean }> {
    const id = jobId(job);
    const q = this.queues[job.kind];
    // BullMQ ignores an add whose id exists, atomically across processes; the nonce tells whether
    // this call's job is the one stored.
    const nonce = randomUUID();
    await this.enqueue(job.kind, {
      name: job.kind,
      data: { ...job, nonce },
      opts: {
        jobId: id,
        priority: priorityFor(BigInt(job.shortfall), job.firstStep === true),
        attempts: this.opts.attempts,
        backoff: { type: "exponential", delay: this.opts.backoffMs },
        removeOnComplete: { age: KEEP_S },
        removeOnFail: { age: KEEP_S },
      },
    });
    const stored = await q.getJob(id);
    if (!stored || stored.data.nonce === nonce) return { id, added: stored !== undefined };
    // Asked again for a finished step (the actor only asks again when the chain has not moved):
    // run it again and let the worker re-judge it against the chain. A completed job's
    // transaction landed, so it is forgotten and the re-run ends as not needed if the step was
    // taken; a failed job keeps its signed transaction, which may still land and must not be
    // doubled. Another orchestrator may have retried it first.
    const state = await stored.getState();
    if (state === "completed") await stored.updateData({ ...stored.data, prepared: undefined });
    if (state === "failed" || state === "completed") {
      const retried = await stored.retry(state).then(
        () => true,
        () => false,
      );
      return { id, added: retried };
    }
    return { id, added: false };
  }

  private pending = new Map<StepKind, { item: BulkJob; done: (e?: unknown) => void }[]>();
  private flushing = false;

  private enqueue(kind: StepKind, item: BulkJob): Promise<void> {
    return new Promise((resolve, reject) => {
      let list = this.pending.get(kind);
      if (!list) this.pending.set(kind, (list = []));
      list.push({ item, done: (e) => (e === undefined ? resolve() : reject(e)) });
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushing = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [kind, list] of pending) {
      for (let i = 0; i < list.length; i += ADD_BATCH) {
        const batch = list.slice(i, i + ADD_BATCH);
        this.queues[kind].addBulk(batch.map((b) => b.item)).then(
          () => {
            for (const b of batch) b.done();
          },
          (e: unknown) => {
            for (const b of batch) b.done(e ?? new Error("add failed"));
          },
        );
      }
    }
  }

  async counts(): Promise<Record<StepKind, Record<string, number>>> {
    const entries = await Promise.all(
      STEP_KINDS.map(
        async (k) =>
          [
            k,
            await this.queues[k].getJobCounts("waiting", "active", "delayed", "prioritized", "completed", "failed"),
          ] as const,
      ),
    );
    return Object.fromEntries(entries) as Record<StepKind, Record<string, number>>;
  }

  async close(): Promise<void> {
    await Promise.all(STEP_KINDS.map((k) => this.queues[k].close()));
  }

  workers(
    process: (job: Job<StepJob, StepResult>, token?: string) => Promise<StepResult>,
    connection: ConnectionOptions,
    w: WorkerOptions,
  ): Worker<StepJob, StepResult>[] {
    return STEP_KINDS.map(
      (k) =>
        new Worker<StepJob, StepResult>(queueName(k), process, {
          connection,
          prefix: this.opts.prefix,
          concurrency: w.concurrency,
          // A worker that dies mid-job leaves it stalled; another takes it over and the job's stored
          // signed transaction keeps that from sending a second one.
          lockDuration: w.lockMs,
          stalledInterval: Math.max(500, Math.floor(w.lockMs / 2)),
          maxStalledCount: 3,
        }),
    );
  }
}
