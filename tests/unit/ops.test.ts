import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../orchestrator/src/cli.js";
import { AuditLog, readAudit, RECOVERED_EVENT } from "../../orchestrator/src/ops/audit.js";
import type { AuditStore } from "../../orchestrator/src/ops/audit-store.js";
import { startHttp } from "../../orchestrator/src/ops/http.js";
import { createLogger, jsonReplacer, jsonSafe } from "../../orchestrator/src/ops/log.js";
import { Metrics } from "../../orchestrator/src/ops/metrics.js";

const dir = mkdtempSync(join(tmpdir(), "margin-warden-ops-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(s) }, parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe("logger", () => {
  it("writes one JSON line per event with time, level, msg and fields, bigints as strings", () => {
    const out = capture();
    const log = createLogger({ level: "info", stream: out.stream, base: { component: "test" } });
    log.info("liquidation sent", { account: "Acc1", shortfall: 12_345_678_901_234_567_890n });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0].endsWith("\n")).toBe(true);
    const line = out.parsed()[0];
    expect(Object.keys(line).slice(0, 3)).toEqual(["time", "level", "msg"]);
    expect(new Date(line.time).toISOString()).toBe(line.time);
    expect(line).toMatchObject({
      level: "info",
      msg: "liquidation sent",
      component: "test",
      account: "Acc1",
      shortfall: "12345678901234567890",
    });
  });

  it("drops lines below its level", () => {
    const out = capture();
    const log = createLogger({ level: "warn", stream: out.stream });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(out.parsed().map((l) => l.level)).toEqual(["warn", "error"]);
  });

  it("marks decisions with account, job id and state", () => {
    const out = capture();
    createLogger({ level: "info", stream: out.stream }).decision("margin call", {
      account: "Acc1",
      jobId: "mc:Acc1:7",
      state: "atRisk",
    });
    expect(out.parsed()[0]).toMatchObject({ event: "decision", account: "Acc1", jobId: "mc:Acc1:7", state: "atRisk" });
  });

  it("adds a child's fields to every line without letting fields overwrite time, level or msg", () => {
    const out = capture();
    const log = createLogger({ level: "debug", stream: out.stream, base: { a: 1 } }).child({ b: 2 });
    log.debug("hello", { level: "fake", msg: "fake", c: 3 });
    expect(out.parsed()[0]).toMatchObject({ level: "debug", msg: "hello", a: 1, b: 2, c: 3 });
  });

  it("serialises errors and survives circular fields", () => {
    const out = capture();
    const log = createLogger({ level: "info", stream: out.stream });
    log.error("failed", { err: new Error("boom") });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.info("circular", { circular });
    const [err, circ] = out.parsed();
    expect(err.err).toMatchObject({ name: "Error", message: "boom" });
    expect(circ.msg).toBe("circular");
    expect(circ.logError).toMatch(/unserialisable/);
  });

  it("converts a job's data as a JSON round trip with bigints as strings would", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.3) {
        const leaves = [1n << 70n, -5n, 0, -1.5, "text", true, false, null, undefined, Number.NaN, Infinity];
        return leaves[Math.floor(rand() * leaves.length)];
      }
      if (r < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, (_, i) => [`k${i}`, value(depth + 1)]));
    };
    for (let i = 0; i < 500; i++) {
      const v = { health: value(0), prices: value(0), at: new Date(i), err: i % 50 === 0 ? new Error("e") : undefined };
      expect(jsonSafe(v)).toEqual(JSON.parse(JSON.stringify(v, jsonReplacer)));
    }
  });
});

describe("audit log", () => {
  it("appends entries with time and an increasing seq, bigints as strings", async () => {
    const path = join(dir, "a.jsonl");
    const audit = new AuditLog(path);
    audit.append({ action: "liquidate", account: "Acc1", base: 5n });
    audit.append({ action: "margin-call", account: "Acc2", seq: 999 });
    await audit.close();
    const entries = readAudit(path);
    expect(entries.map((e) => [e.seq, e.action])).toEqual([
      [1, "liquidate"],
      [2, "margin-call"],
    ]);
    expect(entries[0].base).toBe("5");
    expect(typeof entries[0].time).toBe("string");
    expect(() => audit.append({ action: "late" })).toThrow(/closed/);
  });

  it("gives the store each record as the file has it, without its seq", async () => {
    const path = join(dir, "store.jsonl");
    const bodies: string[] = [];
    const store = { append: async (b: string[]) => void bodies.push(...b) } as unknown as AuditStore;
    const audit = new AuditLog(path, store);
    audit.append({ event: "sent", account: "Acc1", nested: { base: -5n }, time: "ignored" });
    audit.append({ event: "empty" });
    // JSON puts integer-like keys first: such an entry's line is still whole, with its seq.
    audit.append({ 7: "x", event: "numbered" });
    await audit.close();
    const lines = readFileSync(path, "utf8").trim().split("\n");
    expect(lines[0]).toMatch(/^\{"time":"[^"]+","seq":1,"event":"sent","account":"Acc1","nested":\{"base":"-5"\}\}$/);
    expect(lines[1]).toMatch(/^\{"time":"[^"]+","seq":2,"event":"empty"\}$/);
    expect(JSON.parse(lines[2])).toMatchObject({ seq: 3, 7: "x", event: "numbered", time: expect.any(String) });
    expect(bodies.map((b) => JSON.parse(b))).toEqual(
      readAudit(path).map(({ seq, ...rest }) => {
        expect(seq).toBeGreaterThan(0);
        return rest;
      }),
    );
  });

  it("continues seq after a restart onto the same file", async () => {
    const path = join(dir, "b.jsonl");
    const first = new AuditLog(path);
    first.append({ n: 1 });
    first.append({ n: 2 });
    await first.close();
    const second = new AuditLog(path);
    second.append({ n: 3 });
    await second.close();
    expect(readAudit(path).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it("reads past a line truncated by a crash, at the end or before a restart's marker", async () => {
    const path = join(dir, "c.jsonl");
    const audit = new AuditLog(path);
    audit.append({ n: 1 });
    await audit.close();
    appendFileSync(path, '{"time":"2030-01-01T00:00:00.000Z","seq":2,"n":');
    expect(readAudit(path).map((e) => e.seq)).toEqual([1]);

    const restarted = new AuditLog(path);
    restarted.append({ n: 3 });
    await restarted.close();
    const entries = readAudit(path);
    expect(entries.map((e) => [e.seq, e.event ?? e.n])).toEqual([
      [1, 1],
      [2, RECOVERED_EVENT],
      [3, 3],
    ]);
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(5);
  });

  it("refuses a corrupt line anywhere a crash cannot leave one", () => {
    const path = join(dir, "d.jsonl");
    writeFileSync(path, '{"time":"t","seq":1}\ngarbage\n{"time":"t","seq":2}\n');
    expect(() => readAudit(path)).toThrow(/line 2 .* is corrupt/);
  });
});

describe("http", () => {
  it("serves metrics, health and status, and 404 for anything else", async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.accountsByState.set({ state: "healthy" }, 3);
    metrics.job("liquidate", "duplicate");
    metrics.detectionToConfirmation.observe({ kind: "liquidate" }, 0.8);
    let ok = true;
    const server = await startHttp({
      host: "127.0.0.1",
      port: 0,
      metrics,
      health: () => ({ ok, details: { feedSilentMs: ok ? 10 : 60_000 } }),
      ready: () => ({ ok: false, details: { rpcAnswering: false } }),
      status: () => ({ accounts: 3, shortfall: 10n }),
    });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);

      const m = await fetch(`${server.url}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await m.text();
      expect(text).toContain('accounts_by_state{state="healthy"} 3');
      expect(text).toContain('jobs_total{queue="liquidate",outcome="duplicate"} 1');
      expect(text).toContain('detection_to_confirmation_seconds_bucket{le="1",kind="liquidate"} 1');

      const h = await fetch(`${server.url}/health`);
      expect([h.status, await h.json()]).toEqual([200, { ok: true, details: { feedSilentMs: 10 } }]);
      ok = false;
      const sick = await fetch(`${server.url}/health`);
      expect([sick.status, await sick.json()]).toEqual([503, { ok: false, details: { feedSilentMs: 60_000 } }]);

      // Alive is not ready: /readyz answers on its own.
      const r = await fetch(`${server.url}/readyz`);
      expect([r.status, await r.json()]).toEqual([503, { ok: false, details: { rpcAnswering: false } }]);

      const s = await fetch(`${server.url}/status?verbose=1`);
      expect(await s.json()).toEqual({ accounts: 3, shortfall: "10" });

      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("keeps two Metrics in one process apart", () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    a.feedResyncs.inc();
    expect(a.registry.getSingleMetric("feed_resyncs_total")).not.toBe(b.registry.getSingleMetric("feed_resyncs_total"));
  });
});

describe("cli", () => {
  function io(env: NodeJS.ProcessEnv = {}) {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), env } };
  }

  it("prints usage with commands and the environment convention", async () => {
    const t = io();
    expect(await main(["--help"], t.io)).toBe(0);
    const text = t.out.join("");
    for (const word of [
      "run",
      "status",
      "accounts",
      "pause",
      "resume",
      "--config",
      "MARGIN_WARDEN_FOO_BAR_MS",
      "maxOracleAgeSlots",
    ]) {
      expect(text).toContain(word);
    }
  });

  it("exits 2 on usage errors", async () => {
    for (const argv of [[], ["frobnicate"], ["status", "--market", "x"], ["pause", "--bogus"], ["status", "extra"]]) {
      const t = io();
      expect(await main(argv, t.io)).toBe(2);
      expect(t.err.join("")).toMatch(/^margin-warden: /);
    }
  });

  it("exits 2 with the config problems and no stack on a bad config", async () => {
    const t = io({ MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS: "abc" });
    expect(await main(["status"], t.io)).toBe(2);
    expect(t.err.join("")).toBe(
      'config: maxOracleAgeSlots must be a positive integer (got "abc" from MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS)\n',
    );
  });

  it("exits 2 when run lacks the exchange and operator keypair", async () => {
    const t = io();
    expect(await main(["run"], t.io)).toBe(2);
    expect(t.err.join("")).toMatch(/exchange is required[\s\S]*operatorKeypairPath is required/);
  });

  it("exits 1 when Redis cannot be reached", async () => {
    const t = io({ MARGIN_WARDEN_REDIS_URL: "redis://127.0.0.1:1" });
    expect(await main(["status"], t.io)).toBe(1);
    expect(t.err.join("")).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});

describe("operator keypair", () => {
  it("reads a private key file and refuses one others can read or its owner cannot", async () => {
    const { Keypair } = await import("@solana/web3.js");
    const { chmodSync } = await import("node:fs");
    const { loadKeypair } = await import("../../orchestrator/src/startup.js");
    const key = Keypair.generate();
    const path = join(dir, "operator-key.json");
    writeFileSync(path, JSON.stringify([...key.secretKey]), { mode: 0o600 });
    expect(loadKeypair(path).publicKey.equals(key.publicKey)).toBe(true);
    chmodSync(path, 0o644);
    expect(() => loadKeypair(path)).toThrow(/readable by others \(mode 644\): make it private with chmod 600/);
    chmodSync(path, 0o000);
    expect(() => loadKeypair(path)).toThrow(/not readable by its owner \(mode 0\)/);
    chmodSync(path, 0o600);
    writeFileSync(path, "not json");
    expect(() => loadKeypair(path)).toThrow(/cannot read operator keypair/);
    expect(() => loadKeypair(join(dir, "missing.json"))).toThrow(/cannot read operator keypair .*missing\.json/);
  });
});

describe("throttled warning", () => {
  it("logs the first of a burst at once and the rest as one line per interval with their count", async () => {
    const { throttledWarning } = await import("../../orchestrator/src/ops/log.js");
    const out = capture();
    const warn = throttledWarning(createLogger({ level: "info", stream: out.stream }), "redis error", 50);
    for (let i = 0; i < 100; i++) warn({ error: `e${i}` });
    expect(out.parsed().map((l) => [l.msg, l.error, l.repeated])).toEqual([["redis error", "e0", undefined]]);
    await new Promise((r) => setTimeout(r, 80));
    expect(out.parsed()[1]).toMatchObject({ msg: "redis error", error: "e99", repeated: 99, intervalMs: 50 });
    // Still failing: counted into the next interval, not logged one by one.
    warn({ error: "again" });
    warn({ error: "again" });
    expect(out.lines).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 80));
    expect(out.parsed()[2]).toMatchObject({ repeated: 2 });
    // After a quiet interval the next one is logged at once again.
    await new Promise((r) => setTimeout(r, 80));
    warn({ error: "later" });
    expect(out.parsed()[3]).toMatchObject({ error: "later" });
    expect(out.parsed()[3].repeated).toBeUndefined();
  });
});

describe("operator wallet", () => {
  it("holds steps below the SOL floor, exports both balances, and says when the RPC stopped answering", async () => {
    const { Keypair } = await import("@solana/web3.js");
    const { WalletWatch } = await import("../../orchestrator/src/ops/wallet.js");
    let lamports = 5_000_000;
    let failing = false;
    const connection = {
      getBalance: async () => {
        if (failing) throw new Error("fetch failed");
        return lamports;
      },
      getTokenAccountBalance: async () => ({
        context: { slot: 1 },
        value: { amount: "123456789", decimals: 6, uiAmount: 123.456789, uiAmountString: "123.456789" },
      }),
    };
    const metrics = new Metrics({ processMetrics: false });
    const out = capture();
    const wallet = new WalletWatch(
      connection as never,
      Keypair.generate().publicKey,
      Keypair.generate().publicKey,
      { minOperatorLamports: 10_000_000, balanceCheckIntervalMs: 50 },
      metrics,
      createLogger({ level: "info", stream: out.stream }),
    );
    expect([wallet.low, wallet.rpcAnswering]).toEqual([false, false]);
    await wallet.check();
    expect([wallet.low, wallet.rpcAnswering, wallet.quote]).toEqual([true, true, 123456789n]);
    expect(out.parsed()[0].msg).toMatch(/below minOperatorLamports: steps are held/);
    const text = (await metrics.expose()).body;
    expect(text).toContain("operator_sol_lamports 5000000");
    expect(text).toContain("operator_quote_units 123456789");
    lamports = 20_000_000;
    await wallet.check();
    expect(wallet.low).toBe(false);
    failing = true;
    await new Promise((r) => setTimeout(r, 200));
    await wallet.check();
    // The last known balance stands; the RPC counts as not answering once three intervals pass.
    expect([wallet.low, wallet.rpcAnswering]).toEqual([false, false]);
  });
});
