// The shared audit store against a real Redis: instances appending at once make one chain (seq 1..N,
// each record linked to the one before), a changed, removed or cut-off record is found and named,
// a batch Redis refused goes out again with the next flush, and the CLI's query and export read it
// back by account, kind, event and time as JSON lines or CSV.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { AuditLog } from "../../orchestrator/src/ops/audit.js";
import { queryAudit, verifyAudit } from "../../orchestrator/src/ops/audit-query.js";
import { AuditStore, readRecords, verifyChain } from "../../orchestrator/src/ops/audit-store.js";
import { startTestRedis, type TestRedis } from "./redis-setup.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(() => redis?.stop());

function client(): Redis {
  const c = redis.connect();
  onTestFinished(() => void c.disconnect());
  return c;
}

const dir = mkdtempSync(join(tmpdir(), "audit-store-"));

/** Rewrites the stream with `edit` applied to its records (what someone with write access could do). */
async function rewrite(c: Redis, prefix: string, edit: (fields: Record<string, string>[]) => Record<string, string>[]) {
  const all: Record<string, string>[] = [];
  for await (const r of readRecords(c, prefix))
    all.push({ seq: String(r.seq), prev: r.prev, hash: r.hash, body: r.body });
  await c.del(`${prefix}:audit`);
  for (const f of edit(all)) await c.xadd(`${prefix}:audit`, "*", ...Object.entries(f).flat());
}

describe("the audit store", () => {
  it("chains the records of instances appending at once into one sequence", async () => {
    const prefix = redis.prefix("chain");
    const [a, b] = [client(), client()];
    const logs = [
      new AuditLog(join(dir, "a.jsonl"), new AuditStore(a, prefix)),
      new AuditLog(join(dir, "b.jsonl"), new AuditStore(b, prefix)),
    ];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const log = logs[i % 2];
      log.append({ event: "sent", kind: "liquidate", account: `A${i % 7}`, signature: `sig-${i}`, instance: i % 2 });
      if (i % 5 === 0) writes.push(log.flush());
    }
    writes.push(...logs.map((l) => l.flush()));
    await Promise.all(writes);
    await Promise.all(logs.map((l) => l.close()));
    const records = [];
    for await (const r of readRecords(a, prefix)) records.push(r);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(records.map((r) => JSON.parse(r.body).signature)).size).toBe(200);
    const verdict = await verifyChain(a, prefix);
    expect(verdict).toMatchObject({ ok: true, records: 200, head: { seq: 200 } });
  });

  it("finds an edited, a removed and a cut-off record, and names where", async () => {
    const prefix = redis.prefix("tamper");
    const c = client();
    const store = new AuditStore(c, prefix);
    await store.append(Array.from({ length: 10 }, (_, i) => JSON.stringify({ event: "sent", n: i + 1 })));
    expect((await verifyChain(c, prefix)).ok).toBe(true);

    await rewrite(c, prefix, (all) =>
      all.map((f) => (f.seq === "4" ? { ...f, body: f.body.replace('"n":4', '"n":40') } : f)),
    );
    expect((await verifyChain(c, prefix)).problem).toMatchObject({
      seq: 4,
      what: expect.stringMatching(/record 4 .* was changed/),
    });

    await rewrite(c, prefix, (all) =>
      all.map((f) => (f.seq === "4" ? { ...f, body: f.body.replace('"n":40', '"n":4') } : f)),
    );
    expect((await verifyChain(c, prefix)).ok).toBe(true);
    await rewrite(c, prefix, (all) => all.filter((f) => f.seq !== "6"));
    expect((await verifyChain(c, prefix)).problem).toMatchObject({
      seq: 7,
      what: expect.stringMatching(/seq 7 where 6 belongs/),
    });

    const fresh = redis.prefix("cut");
    const d = new AuditStore(c, fresh);
    await d.append(['{"n":1}', '{"n":2}', '{"n":3}']);
    const [last] = (await c.xrevrange(`${fresh}:audit`, "+", "-", "COUNT", 1)) as [string, string[]][];
    await c.xdel(`${fresh}:audit`, last[0]);
    const out: string[] = [];
    expect(await verifyAudit(c, fresh, (t) => out.push(t))).toBe(1);
    expect(out.join("")).toMatch(/BROKEN after 2 good records: .*cut off the end/);
  });

  it("keeps a batch Redis refused and stores it with the next flush", async () => {
    const prefix = redis.prefix("outage");
    const c = client();
    const log = new AuditLog(join(dir, "outage.jsonl"), new AuditStore(c, prefix));
    log.append({ event: "decided", n: 1 });
    await log.flush();
    await c.config("SET", "min-replicas-to-write", "1"); // writes refused (NOREPLICAS) as in an outage
    onTestFinished(() => void c.config("SET", "min-replicas-to-write", "0").catch(() => {}));
    log.append({ event: "sent", n: 2 });
    await expect(log.flush()).rejects.toThrow(/NOREPLICAS/);
    await c.config("SET", "min-replicas-to-write", "0");
    log.append({ event: "confirmed", n: 3 });
    await log.flush();
    await log.close();
    const bodies = [];
    for await (const r of readRecords(c, prefix)) bodies.push(JSON.parse(r.body).n);
    expect(bodies.sort()).toEqual([1, 2, 3]);
    expect((await verifyChain(c, prefix)).ok).toBe(true);
  });

  it("answers queries by account, kind, event and time, as JSON lines or CSV", async () => {
    const prefix = redis.prefix("query");
    const c = client();
    const store = new AuditStore(c, prefix);
    await store.append([
      JSON.stringify({ time: "t1", event: "decided", kind: "liquidate", account: "A1", jobId: "j1" }),
      JSON.stringify({ time: "t2", event: "sent", kind: "liquidate", account: "A1", signature: 's,1"x' }),
      JSON.stringify({ time: "t3", event: "sent", kind: "unflag", account: "A2", signature: "s2" }),
    ]);
    // Stream ids are Redis's clock in ms: a time strictly between the two batches.
    await new Promise((r) => setTimeout(r, 5));
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await store.append([
      JSON.stringify({ time: "t4", event: "sent", kind: "liquidate", account: "A1", signature: "s3" }),
    ]);
    const lines: string[] = [];
    expect(await queryAudit(c, prefix, { account: "A1", event: "sent" }, "jsonl", (t) => lines.push(t))).toBe(2);
    expect(lines.map((l) => JSON.parse(l).signature)).toEqual(['s,1"x', "s3"]);
    expect(await queryAudit(c, prefix, { kind: "liquidate", sinceMs: before }, "jsonl", () => {})).toBe(1);
    expect(await queryAudit(c, prefix, { account: "A1", limit: 1 }, "jsonl", () => {})).toBe(1);
    const csv: string[] = [];
    await queryAudit(c, prefix, { event: "sent" }, "csv", (t) => csv.push(t));
    const rows = csv.join("").trimEnd().split("\n");
    expect(rows[0]).toBe("seq,time,event,kind,account,market,jobId,signature,instance,hash,record");
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatch(/^2,t2,sent,liquidate,A1,,,"s,1""x",,[0-9a-f]{64},"\{/);
  });
});
