// `risk report` and `stress` against a book on the native localnet: every account scored from a CSV
// history, every scenario run, the JSON and the tables written.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { main } from "../../orchestrator/src/cli.js";
import { createLogger } from "../../orchestrator/src/ops/log.js";
import { Metrics } from "../../orchestrator/src/ops/metrics.js";
import { RiskService, scoresKey, summaryKey } from "../../orchestrator/src/risk/service.js";
import { loadBook } from "../../orchestrator/src/risk/stress/load.js";
import { loadConfig } from "../../orchestrator/src/config.js";
import { writeHistory } from "../../orchestrator/demo/risk.js";
import { buildWorld, type World } from "../../orchestrator/demo/world.js";

let world: World;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  world = await buildWorld({ traders: 25, seed: 9, slotMs: 50 });
  dir = mkdtempSync(join(tmpdir(), "risk-cli-"));
  env = {
    MARGIN_WARDEN_RPC_URL: world.localnet.rpcUrl,
    MARGIN_WARDEN_EXCHANGE: world.exchange.toBase58(),
    // No Redis: the history comes from the CSV file.
    MARGIN_WARDEN_REDIS_URL: "redis://127.0.0.1:1",
  };
});
afterAll(async () => {
  await world?.close();
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

describe("risk commands on a live book", () => {
  it("risk report scores every account from a CSV history and runs every scenario", async () => {
    const history = writeHistory(world, dir, 400, 3);
    const out = join(dir, "report.json");
    const c = capture();
    expect(await main(["risk", "report", "--history", history, "--out", out, "--top", "3"], c.io), c.err.join("")).toBe(
      0,
    );
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.accounts.length + report.unscored.length).toBe(world.traders.length);
    expect(report.unscored).toEqual([]);
    expect(report.model.markets).toHaveLength(3);
    expect(report.model.correlation[0][0]).toBe(1);
    expect(report.top).toHaveLength(3);
    const scores = report.accounts.map((a: { riskScore: number | null }) => a.riskScore ?? Infinity);
    expect(scores).toEqual([...scores].sort((x: number, y: number) => y - x));
    expect(report.stress.map((s: { scenario: string }) => s.scenario)).toEqual([
      "all-20",
      "lead-30-beta",
      "crash-35",
      "grind-25",
      "vol-spike-3x",
    ]);
    const text = c.out.join("");
    expect(text).toMatch(/Exchange: collateral shortfall now/);
    expect(text).toMatch(/Stress scenarios \(exact liquidation math\)/);
  });

  it("stress runs one scenario and reports it as JSON", async () => {
    const c = capture();
    expect(await main(["stress", "--scenario", "all-20", "--json"], c.io), c.err.join("")).toBe(0);
    const [r] = JSON.parse(c.out.join(""));
    expect(r.scenario).toBe("all-20");
    expect(r.accounts).toBe(world.traders.length);
    // A 20% fall liquidates the demo book's leveraged longs.
    expect(r.accountsLiquidated).toBeGreaterThan(0);
    expect(Number(r.notional)).toBeGreaterThan(0);
  });

  it("the orchestrator's background run sets the gauges and publishes every account's score", async () => {
    const loaded = await loadBook(world.connection, world.program.programId, world.exchange);
    const store = new Map<string, string | Map<string, string>>();
    const redis = {
      async del(k: string) {
        store.delete(k);
      },
      async hset(k: string, ...kv: string[]) {
        const h = (store.get(k) as Map<string, string>) ?? new Map<string, string>();
        for (let i = 0; i < kv.length; i += 2) h.set(kv[i], kv[i + 1]);
        store.set(k, h);
      },
      async exists(k: string) {
        return store.has(k) ? 1 : 0;
      },
      async rename(a: string, b: string) {
        store.set(b, store.get(a)!);
        store.delete(a);
      },
      async set(k: string, v: string) {
        store.set(k, v);
      },
    } as unknown as Redis;
    const metrics = new Metrics({ processMetrics: false });
    const config = loadConfig({ env: {}, overrides: { riskHistoryCsv: writeHistory(world, dir, 200, 5) } });
    const service = new RiskService(config, {
      redis,
      prefix: "t",
      feed: { accounts: loaded.accountStates, markets: loaded.marketStates, prices: loaded.priceStates },
      connection: world.connection,
      exchange: world.exchange,
      metrics,
      log: createLogger({ level: "error", stream: { write: () => true } }),
    });
    await service.runOnce();
    const scores = store.get(scoresKey("t")) as Map<string, string>;
    expect(scores.size).toBe(world.traders.length);
    expect(JSON.parse(store.get(summaryKey("t")) as string).stress).toHaveLength(3);
    const text = (await metrics.expose()).body;
    expect(text).toMatch(/risk_exchange_var_quote\{measure="shortfall"\} \d/);
    expect(text).toMatch(/risk_exchange_es_quote\{measure="pool_loss"\} [\d.e+]+/);
    expect(text).toMatch(/risk_insurance_coverage_ratio\{scenario="all-20"\} /);
    expect(text).toMatch(new RegExp(`risk_accounts_scored ${world.traders.length}`));
    expect(text.match(/risk_account_var_to_equity\{account=/g)).toHaveLength(10);
  });
});
