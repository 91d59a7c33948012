// The audit trail every orchestrator sharing a Redis writes to: one append-only Redis stream, each
// record hash-chained to the one before it. A record holds its `seq` (1, 2, ... across all
// instances), the previous record's hash and its own, sha256 of `seq \n prev \n body`, where body is
// the entry's JSON. Appends are compare-and-set: a script adds a batch only if the chain's head is
// still the one the batch was hashed onto, else answers the head and the batch is hashed again, so
// instances interleave without forking the chain. Changing, removing or inserting a record breaks
// the chain at that record (`verifyChain`); cutting records off the end leaves the head key
// pointing past the last record. Anchoring the head's hash elsewhere (the verify command prints it)
// extends the check to a rewrite of the whole chain. Durable as Redis is: run it with AOF.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

export const GENESIS = "0".repeat(64);

export interface StoredRecord {
  /** The stream entry id: `<ms>-<n>`, the time Redis added it. */
  id: string;
  seq: number;
  prev: string;
  hash: string;
  body: string;
}

export const recordHash = (seq: number, prev: string, body: string) =>
  createHash("sha256").update(`${seq}\n${prev}\n${body}`).digest("hex");

// KEYS: stream, head. ARGV: expected head hash, then (seq, prev, hash, body) per record. The head
// key holds "seq:hash". Answers {1} when added, {0, head} when the head moved.
const APPEND = `
local head = redis.call("GET", KEYS[2]) or ("0:" .. string.rep("0", 64))
local sep = string.find(head, ":", 1, true)
local headHash = string.sub(head, sep + 1)
if headHash ~= ARGV[1] then return {0, head} end
local last = head
for i = 2, #ARGV, 4 do
  redis.call("XADD", KEYS[1], "*", "seq", ARGV[i], "prev", ARGV[i + 1], "hash", ARGV[i + 2], "body", ARGV[i + 3])
  last = ARGV[i] .. ":" .. ARGV[i + 2]
end
redis.call("SET", KEYS[2], last)
return {1, last}
`;

interface AppendingRedis {
  auditAppend(stream: string, head: string, ...args: string[]): Promise<[number, string]>;
}

export class AuditStore {
  private head: { seq: number; hash: string } = { seq: 0, hash: GENESIS };
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
  ) {
    if (!("auditAppend" in redis)) redis.defineCommand("auditAppend", { numberOfKeys: 2, lua: APPEND });
  }

  get streamKey(): string {
    return `${this.prefix}:audit`;
  }

  get headKey(): string {
    return `${this.prefix}:audit:head`;
  }

  /** Appends `bodies` in order after every earlier call's; resolves once they are in Redis. */
  append(bodies: string[]): Promise<void> {
    const done = this.chain.then(() => this.write(bodies));
    // A failed batch fails its own callers; later ones still run.
    this.chain = done.catch(() => {});
    return done;
  }

  private async write(bodies: string[]): Promise<void> {
    if (bodies.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      const args: string[] = [];
      let { seq, hash } = this.head;
      for (const body of bodies) {
        const next = recordHash(++seq, hash, body);
        args.push(String(seq), hash, next, body);
        hash = next;
      }
      const [added, head] = await (this.redis as unknown as AppendingRedis).auditAppend(
        this.streamKey,
        this.headKey,
        this.head.hash,
        ...args,
      );
      this.head = parseHead(head);
      if (added === 1) return;
      // Another instance appended first: hash onto its head. Many instances in a storm still
      // make progress, one batch per round each.
      if (attempt > 1_000) throw new Error(`audit store ${this.streamKey}: the chain head kept moving`);
    }
  }
}

function parseHead(head: string): { seq: number; hash: string } {
  const [seq, hash] = head.split(":");
  return { seq: Number(seq), hash };
}

export interface RangeQuery {
  /** Inclusive, ms since the epoch (the stream ids are Redis's clock). */
  sinceMs?: number;
  untilMs?: number;
}

/** Every record in the time range, in order, read in pages. */
export async function* readRecords(redis: Redis, prefix: string, q: RangeQuery = {}): AsyncGenerator<StoredRecord> {
  const stream = `${prefix}:audit`;
  let start = q.sinceMs === undefined ? "-" : String(q.sinceMs);
  const end = q.untilMs === undefined ? "+" : String(q.untilMs);
  for (;;) {
    const page = (await redis.xrange(stream, start, end, "COUNT", 1_000)) as [string, string[]][];
    for (const [id, fields] of page) yield toRecord(id, fields);
    if (page.length < 1_000) return;
    start = `(${page[page.length - 1][0]}`;
  }
}

function toRecord(id: string, fields: string[]): StoredRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
  return { id, seq: Number(f.seq), prev: f.prev ?? "", hash: f.hash ?? "", body: f.body ?? "" };
}

export interface Verdict {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string };
  /** The first break, if any: the record it is at and what is wrong. */
  problem?: { seq: number; id: string | null; what: string };
}

/** Walks the whole chain from its first record and checks each link, then the head key. */
export async function verifyChain(redis: Redis, prefix: string): Promise<Verdict> {
  let prev = GENESIS;
  let expected = 1;
  let records = 0;
  for await (const r of readRecords(redis, prefix)) {
    records++;
    const fail = (what: string): Verdict => ({
      ok: false,
      records,
      head: { seq: expected - 1, hash: prev },
      problem: { seq: r.seq, id: r.id, what },
    });
    if (r.seq !== expected)
      return fail(`record ${r.id} has seq ${r.seq} where ${expected} belongs: a record is missing or was inserted`);
    if (r.prev !== prev) return fail(`record ${r.seq} (${r.id}) does not link to record ${r.seq - 1}`);
    if (recordHash(r.seq, r.prev, r.body) !== r.hash)
      return fail(`record ${r.seq} (${r.id}) was changed: its hash does not match its contents`);
    prev = r.hash;
    expected++;
  }
  const stored = await redis.get(`${prefix}:audit:head`);
  const head = { seq: expected - 1, hash: prev };
  if ((stored ?? `0:${GENESIS}`) !== `${head.seq}:${head.hash}`) {
    return {
      ok: false,
      records,
      head,
      problem: {
        seq: expected,
        id: null,
        what: `the chain's head says ${stored}, but its last record is ${head.seq}:${head.hash}: records were cut off the end`,
      },
    };
  }
  return { ok: true, records, head };
}
