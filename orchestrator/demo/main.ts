// `npm run demo`: the whole system on an embedded default. A native localnet and a private Redis,
// an exchange with three markets and a few hundred leveraged traders, the orchestrator watching
// them, and a price path with a crash and a rebound. Ends with a report and stops everything.
import { createWriteStream, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Orchestrator } from "../src/orchestrator.js";
import { createLogger } from "../src/ops/log.js";
import { localConfig, operatorKeypair } from "./operator.js";
import { killAllNow } from "./processes.js";
import { startRedis, type RedisHandle } from "./redis.js";
import { buildWorld, type World } from "./world.js";
import { PATH, runPath } from "./scenario.js";
import { report } from "./report.js";
import { predictPath, predictionLines, riskBeforeCrash, writeHistory } from "./risk.js";

const TRADERS = Number(process.env.DEMO_TRADERS ?? 300);
/** As on mainnet: latencies read in slots mean what they would there. */
const SLOT_MS = 400;

async function main(): Promise<number> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-demo-"));
  const say = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
  let redis: RedisHandle | undefined;
  let world: World | undefined;
  let orchestrator: Orchestrator | undefined;
  const cleanup = async () => {
    await orchestrator?.stop("demo finished").catch(() => {});
    await world?.close().catch(() => {});
    await redis?.stop().catch(() => {});
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  // However this process ends, the localnet child does not outlive it.
  process.once("exit", killAllNow);
  try {
    say("starting a private redis-server");
    redis = await startRedis();
    say(`redis at ${redis.url}`);
    say(`starting the native localnet in its own process and building the exchange with ${TRADERS} traders`);
    world = await buildWorld({ traders: TRADERS, seed: 42, slotMs: SLOT_MS, processLogDir: dir, onProgress: say });
    say(
      `localnet (pid ${world.localnet.pid}, ${SLOT_MS} ms slots) at ${world.localnet.rpcUrl}, exchange ${world.exchange.toBase58()}`,
    );

    const config = localConfig(world, redis.url, await operatorKeypair(world, dir), {
      queuePrefix: `demo-${process.pid}`,
      auditLogPath: join(dir, "audit.jsonl"),
      confirmTimeoutMs: 5_000,
      fullScanIntervalMs: 5_000,
      // A localnet has no RPC plan to respect.
      rpcRateLimitPerSecond: 2_000,
      // Risk analytics on a seeded month of hourly history (demo/risk.ts); scored on demand below.
      riskHistoryCsv: writeHistory(world, dir),
      riskScoreIntervalMs: 0,
      // A fixed port for the dashboard if asked for; by default a free one (its URL is printed).
      httpPort: Number(process.env.DEMO_HTTP_PORT ?? 0),
    });
    const logPath = join(dir, "orchestrator.log");
    const log = createLogger({ level: "info", stream: createWriteStream(logPath) });
    orchestrator = new Orchestrator(config, { log });
    await orchestrator.start();
    orchestrator.dashboard!.setMarketNames(
      Object.fromEntries(world.markets.map((m) => [m.address.toBase58(), m.symbol])),
    );
    say(
      `orchestrator up: metrics and health at ${orchestrator.http!.url}, JSON log ${logPath}, audit log ${config.auditLogPath}`,
    );
    say(`dashboard at ${orchestrator.http!.url}/dashboard (live while the crash plays)`);

    const riskLines = await riskBeforeCrash(orchestrator);
    const prediction = await predictPath(world, PATH);
    say(
      `risk scored; the stress simulator predicts ${prediction.steps} liquidation steps on ${prediction.accountsLiquidated} accounts for the path`,
    );
    const before = await world.program.account.market.all();
    const samples = await runPath(world, orchestrator, PATH, say);
    const figures = await report(world, orchestrator, before, samples, config.auditLogPath);
    console.log(figures.text);
    const after = await world.program.account.market.all();
    console.log([...riskLines, "", ...predictionLines(prediction, before, after), ""].join("\n"));
    const holdS = Number(process.env.DEMO_HOLD_S ?? 0);
    if (holdS > 0) {
      say(`keeping the dashboard up for ${holdS}s (DEMO_HOLD_S): ${orchestrator.http!.url}/dashboard`);
      await new Promise((r) => setTimeout(r, holdS * 1000));
    }
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)}s; logs kept in ${dir}`);
    return figures.ok ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`demo failed: ${e instanceof Error ? (process.env.DEBUG ? e.stack : e.message) : e}`);
    process.exit(1);
  },
);
