// One wave: a fresh localnet process, the world built over JSON-RPC, the liquidator under test
// started as a process of its own, one crash of market A's oracle, and the chain watched until
// every account is cured or the time allowed is up. Everything started here is stopped here.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config.js";
import { fundedKeypairFile } from "../../demo/operator.js";
import { startRedis, type RedisHandle } from "../../demo/redis.js";
import { firstStepStages, type Stages } from "./stages.js";
import { closeConnection, startLocalnetProcess, type RemoteLocalnet } from "../../demo/localnet-process.js";
import { WaveObserver, localnetStats, marketTotals, requestDelta } from "./measure.js";
import { cpuMs, freePort, sleep, spawnNode, stopWithChildren, waitFor, type Child } from "../../demo/processes.js";
import { buildWaveWorld, evaluateBook, isDue, readBook, type WaveWorld } from "./world.js";

export type Mode = "ours" | "reference";

/** A localnet has no RPC plan to respect; BENCH_WAVE_WORKER_CONCURRENCY tries another concurrency than the default. */
export const OURS_TUNING = {
  rpcRateLimitPerSecond: 2_000,
  ...(process.env.BENCH_WAVE_WORKER_CONCURRENCY
    ? { workerConcurrency: Number(process.env.BENCH_WAVE_WORKER_CONCURRENCY) }
    : {}),
  ...(process.env.BENCH_WAVE_MAX_STEPS_PER_TX
    ? { maxStepsPerTransaction: Number(process.env.BENCH_WAVE_MAX_STEPS_PER_TX) }
    : {}),
};

export interface RunOptions {
  n: number;
  mode: Mode;
  seed: number;
  slotMs: number;
  clockTicks: number;
  dir: string;
  say(msg: string): void;
}

export interface Mark {
  ms: number;
  slots: number;
}

export interface RunResult {
  n: number;
  mode: Mode;
  /** Accounts below maintenance at the crash price (read before the crash). */
  expected: number;
  bankruptAtCrash: number;
  firsts: Mark[];
  allCured: Mark | undefined;
  notCured: number;
  liquidations: number;
  resolutions: number;
  flags: number;
  flagOnlyTransactions: number;
  failedTransactions: number;
  waveMs: number;
  rpcCalls: { total: number; byMethod: Record<string, number> } | null;
  cpuMs: number | null;
  /** The localnet process's CPU during the wave: the RPC node's share of the work. */
  localnetCpuMs: number | null;
  /** The Redis server's CPU during the wave (ours only: the reference keeper has no Redis). */
  redisCpuMs: number | null;
  /** Ours only: the first steps' stages from its audit log. */
  stages: Stages | null;
  badDebt: bigint;
  insurancePaid: bigint;
  check: {
    ok: boolean;
    touchedWhileHealthy: string[];
    duplicateSteps: number;
    eventsBeforeCrash: number;
    leftBelowMaintenance: number;
  };
  buildMs: number;
  logDir: string;
}

/** BENCH_WAVE_CPU_PROF=<dir>: the liquidator process (ours or the reference) writes a V8 CPU profile there on exit. */
const profileArgs = () => [
  ...(process.env.BENCH_WAVE_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_WAVE_CPU_PROF}`] : []),
  // BENCH_WAVE_NODE_ARGS: V8 or Node flags for the liquidator process alone (e.g. "--max-semi-space-size=32").
  ...(process.env.BENCH_WAVE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
];
const childEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MARGIN_WARDEN_")));
/**
 * The allocator the Dockerfile gives the orchestrator, so the benches measure it as it is deployed:
 * jemalloc preloaded (Debian's libjemalloc2) where it is installed, else glibc's allocator with the
 * settings the Dockerfile had before it (2 arenas, a fixed trim threshold). BENCH_ALLOCATOR=glibc
 * keeps glibc's; variables the environment names itself win.
 */
const JEMALLOC = [
  `/usr/lib/${process.arch === "arm64" ? "aarch64" : "x86_64"}-linux-gnu/libjemalloc.so.2`,
  "/usr/local/lib/libjemalloc.so.2",
].find((path) => existsSync(path));
const ORCHESTRATOR_MALLOC: Record<string, string> =
  JEMALLOC && process.env.BENCH_ALLOCATOR !== "glibc"
    ? { LD_PRELOAD: JEMALLOC }
    : { MALLOC_ARENA_MAX: "2", MALLOC_TRIM_THRESHOLD_: "131072" };

/** The Node flags the Dockerfile's ENTRYPOINT starts the orchestrator with (between "node" and the script). */
export function deployedNodeFlags(dockerfile = readFileSync("Dockerfile", "utf8")): string[] {
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  if (!entry) throw new Error("the Dockerfile has no ENTRYPOINT in exec form");
  const argv = JSON.parse(entry[1]) as string[];
  return argv.slice(1, -1);
}
/** BENCH_NODE_FLAGS=none: the orchestrator without the Dockerfile's Node flags. */
const ORCHESTRATOR_FLAGS = process.env.BENCH_NODE_FLAGS === "none" ? [] : deployedNodeFlags();

/** The allocator and Node flags the orchestrator is started with, as the benches print them. */
export const orchestratorMalloc = () =>
  `${"LD_PRELOAD" in ORCHESTRATOR_MALLOC ? "jemalloc" : "glibc's allocator"} (${Object.entries(ORCHESTRATOR_MALLOC)
    .map(([k, v]) => `${k}=${process.env[k] ?? v}`)
    .join(" ")}), node ${ORCHESTRATOR_FLAGS.join(" ") || "without flags"}`;

export async function startOurs(
  local: RemoteLocalnet,
  w: WaveWorld,
  redisUrl: string,
  keypairPath: string,
  dir: string,
  n: number,
  nodeArgs: string[] = [],
): Promise<Child> {
  const httpPort = await freePort();
  const file = join(dir, "orchestrator.json");
  writeFileSync(
    file,
    JSON.stringify(
      {
        rpcUrl: local.rpcUrl,
        wsUrl: local.wsUrl,
        redisUrl,
        exchange: w.ex.exchange.toBase58(),
        operatorKeypairPath: keypairPath,
        httpHost: "127.0.0.1",
        httpPort,
        queuePrefix: `wave-${n}`,
        auditLogPath: join(dir, "audit.jsonl"),
        logLevel: "warn",
        ...OURS_TUNING,
      },
      null,
      2,
    ),
  );
  // The same validation the CLI applies, so a renamed key fails here with its message.
  loadConfig({ file, env: {} });
  // BENCH_WAVE_ORCHESTRATOR_CLI: another checkout's cli.ts, to measure a change against its parent.
  const cli = process.env.BENCH_WAVE_ORCHESTRATOR_CLI ?? "orchestrator/src/cli.ts";
  const child = spawnNode(
    "orchestrator",
    cli,
    ["run", "--config", file],
    dir,
    { ...ORCHESTRATOR_MALLOC, ...childEnv() },
    [...ORCHESTRATOR_FLAGS, ...profileArgs(), ...nodeArgs],
  );
  await waitFor(
    `the orchestrator to load ${n} accounts`,
    60_000 + n * 20,
    async () => {
      const res = await fetch(`http://127.0.0.1:${httpPort}/status`);
      const status = (await res.json()) as { accounts?: number };
      return (status.accounts ?? 0) >= n ? true : undefined;
    },
    child,
  );
  return child;
}

async function startReference(local: RemoteLocalnet, w: WaveWorld, keypairPath: string, dir: string): Promise<Child> {
  const args = [
    "--rpc",
    local.rpcUrl,
    "--ws",
    local.wsUrl,
    "--exchange",
    w.ex.exchange.toBase58(),
    "--keypair",
    keypairPath,
  ];
  const child = spawnNode(
    "reference-keeper",
    "orchestrator/bench/wave/reference-keeper.ts",
    args,
    dir,
    childEnv(),
    profileArgs(),
  );
  await waitFor(
    "the reference keeper to start",
    60_000,
    async () => (child.tail(50).includes("reference keeper ready") ? true : undefined),
    child,
  );
  return child;
}

/** Time allowed for the wave: the reference keeper works through accounts one at a time. */
const waveTimeoutMs = (mode: Mode, n: number) => (mode === "ours" ? 120_000 : 30_000 + n * 500);

export async function runWave(o: RunOptions): Promise<RunResult> {
  const dir = join(o.dir, `${o.mode}-${o.n}`);
  mkdirSync(dir, { recursive: true });
  let local: RemoteLocalnet | undefined;
  let redis: RedisHandle | undefined;
  let liquidator: Child | undefined;
  let world: WaveWorld | undefined;
  let observer: WaveObserver | undefined;
  let unregisterRedis = () => {};
  let unregisterConnection = () => {};
  try {
    local = await startLocalnetProcess(o.slotMs, dir);
    const connection = local.connection;
    unregisterConnection = stopWithChildren(async () => closeConnection(connection));
    o.say(`localnet pid ${local.child.pid} at ${local.rpcUrl}`);
    if (o.mode === "ours") {
      redis = await startRedis();
      unregisterRedis = stopWithChildren(redis.stop);
      o.say(`redis at ${redis.url}`);
    }
    const buildStart = Date.now();
    world = await buildWaveWorld(local, o.n, o.seed, o.say);
    const buildMs = Date.now() - buildStart;

    const crashOverride = new Map([[world.crashMarket.oracle.toBase58(), world.crashPrice]]);
    const atCrash = evaluateBook(await readBook(local, world, crashOverride));
    const expected = atCrash.filter(isDue).map((ev) => ev.account);
    const bankruptAtCrash = atCrash.filter((ev) => (ev.health?.equity ?? 0n) < 0n).length;
    o.say(
      `world built in ${(buildMs / 1000).toFixed(1)} s: ${atCrash.length} margin accounts, ${expected.length} below maintenance at the crash price ($${Number(world.crashPrice) / 1e6} on ${world.crashMarket.symbol}), ${bankruptAtCrash} of them with negative equity`,
    );

    const { path: keypairPath } = await fundedKeypairFile(local.write, dir);
    liquidator =
      o.mode === "ours"
        ? await startOurs(local, world, redis!.url, keypairPath, dir, atCrash.length)
        : await startReference(local, world, keypairPath, dir);
    o.say(`${liquidator.name} pid ${liquidator.pid} up (log ${liquidator.logPath})`);

    observer = new WaveObserver(local.connection, world.ex.program);
    observer.start();
    // The subscription is acknowledged asynchronously; a few slots settle it before the crash.
    await sleep(2_000);

    const totalsBefore = await marketTotals(world.ex.program);
    const statsBefore = await localnetStats(local);
    const ownBefore = local.ownCalls();
    const cpuBefore = cpuMs(liquidator.pid, o.clockTicks);
    const localnetCpuBefore = cpuMs(local.child.pid, o.clockTicks);
    const redisCpuBefore = redis?.pid !== undefined ? cpuMs(redis.pid, o.clockTicks) : null;

    const crash = await world.crash();
    observer.crashed(crash.atMs, crash.slot);
    o.say(`crash: ${world.crashMarket.symbol} oracle written at slot ${crash.slot}`);

    const timeoutMs = waveTimeoutMs(o.mode, o.n);
    let lastReport = Date.now();
    while (!observer.allCured(expected) && Date.now() - crash.atMs < timeoutMs) {
      if (!liquidator.isRunning())
        throw new Error(
          `${liquidator.name} exited during the wave; its log (${liquidator.logPath}):\n${liquidator.tail()}`,
        );
      if (Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        o.say(
          `  ${((Date.now() - crash.atMs) / 1000).toFixed(0)} s: ${observer.cured(expected)}/${expected.length} cured, ${observer.records.liquidationSteps} liquidation steps, ${observer.records.resolutions} resolutions`,
        );
      }
      await sleep(50);
    }
    const allCured = observer.allCured(expected);
    const waveMs = allCured?.ms ?? Date.now() - crash.atMs;

    const cpuAfter = cpuMs(liquidator.pid, o.clockTicks);
    const localnetCpuAfter = cpuMs(local.child.pid, o.clockTicks);
    const redisCpuAfter = redis?.pid !== undefined ? cpuMs(redis.pid, o.clockTicks) : null;
    const statsAfter = await localnetStats(local);
    const ownAfter = local.ownCalls();
    // One localnet_stats call falls between the two readings whether or not a call counts itself.
    const ownDuring = Object.fromEntries(Object.entries(ownAfter).map(([m, c]) => [m, c - (ownBefore[m] ?? 0)]));
    const totalsAfter = await marketTotals(world.ex.program);
    const leftBelowMaintenance = evaluateBook(await readBook(local, world)).filter(isDue).length;

    const check = {
      touchedWhileHealthy: observer.records.touchedWhileHealthy,
      duplicateSteps: observer.records.duplicateSteps,
      eventsBeforeCrash: observer.eventsBeforeCrash,
      leftBelowMaintenance,
    };
    return {
      n: o.n,
      mode: o.mode,
      expected: expected.length,
      bankruptAtCrash,
      firsts: observer.firsts(),
      allCured,
      notCured: expected.length - observer.cured(expected),
      liquidations: observer.records.liquidationSteps,
      resolutions: observer.records.resolutions,
      flags: observer.records.flags,
      flagOnlyTransactions: observer.flagOnlyTransactions,
      failedTransactions: observer.failedTransactions,
      waveMs,
      rpcCalls: requestDelta(statsBefore, statsAfter, ownDuring),
      cpuMs: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
      localnetCpuMs:
        localnetCpuBefore !== null && localnetCpuAfter !== null ? localnetCpuAfter - localnetCpuBefore : null,
      stages: o.mode === "ours" ? firstStepStages(join(dir, "audit.jsonl"), crash.atMs) : null,
      redisCpuMs: redisCpuBefore !== null && redisCpuAfter !== null ? redisCpuAfter - redisCpuBefore : null,
      badDebt: totalsAfter.socializedLoss - totalsBefore.socializedLoss,
      insurancePaid: totalsAfter.insurancePaid - totalsBefore.insurancePaid,
      check: {
        ...check,
        ok: check.touchedWhileHealthy.length === 0 && check.duplicateSteps === 0 && check.eventsBeforeCrash === 0,
      },
      buildMs,
      logDir: dir,
    };
  } finally {
    await observer?.stop();
    await world?.stopPublisher();
    await liquidator?.stop();
    await redis?.stop().catch(() => {});
    unregisterRedis();
    unregisterConnection();
    if (local) {
      closeConnection(local.connection);
      await local.child.stop();
    }
  }
}
