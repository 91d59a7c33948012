// One fault run: a localnet process, a redis-server this harness can kill and restart on its data
// directory, the wave bench's world (N cross-margined traders that one crash puts below
// maintenance), and orchestrators as OS processes started from `cli.ts run`. After the fault the
// chain says whether anything went wrong: a step twice, a healthy account touched, an account
// left below maintenance, a landed step with no audit line.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { loadConfig } from "../src/config.js";
import { fundedKeypairFile } from "../demo/operator.js";
import { closeConnection, startLocalnetProcess, type RemoteLocalnet } from "../demo/localnet-process.js";
import { freePort, sleep, spawnNode, stopWithChildren, waitFor, type Child } from "../demo/processes.js";
import { WaveObserver } from "../bench/wave/measure.js";
import { buildWaveWorld, evaluateBook, isDue, readBook, type WaveWorld } from "../bench/wave/world.js";

const childEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MARGIN_WARDEN_")));

/** A redis-server on a fixed port and data directory, so a restart finds what the previous one persisted. */
export class RedisProcess {
  private child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly dir: string,
    readonly appendonly: boolean,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      this.appendonly ? "yes" : "no",
      "--appendfsync",
      "always",
      "--maxmemory-policy",
      "noeviction",
    ];
    const child = spawn(process.env.REDIS_SERVER ?? "redis-server", args, { stdio: "ignore" });
    this.child = child;
    await new Promise<void>((resolve, reject) => (child.once("spawn", resolve), child.once("error", reject)));
    await waitFor(`redis-server on ${this.port}`, 10_000, async () => {
      const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on("error", () => {});
      try {
        await r.connect();
        return (await r.ping()) === "PONG" ? true : undefined;
      } finally {
        r.disconnect();
      }
    });
  }

  kill9(): void {
    this.child?.kill("SIGKILL");
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, sleep(3_000)]);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

export interface Orchestrator {
  name: string;
  child: Child;
  httpPort: number;
  auditPath: string;
  configPath: string;
}

export interface Checks {
  steps: number;
  duplicateSteps: number;
  touchedWhileHealthy: string[];
  /** Accounts below maintenance at the crash that are neither back above liquidation-end nor resolved. */
  notCured: number;
  /** Accounts below maintenance on chain at the end. */
  leftBelowMaintenance: number;
  /** Landed step transactions with no `sent` line in any orchestrator's audit log. */
  unaudited: number;
  /** Oracle write → every account cured, ms. */
  allCuredMs: number | null;
}

export class FaultRun {
  readonly orchestrators: Orchestrator[] = [];
  observer!: WaveObserver;
  crashAtMs = 0;
  private expected: string[] = [];
  private started = 0;
  private readonly closers: (() => void)[] = [];

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly local: RemoteLocalnet,
    readonly redis: RedisProcess,
    readonly world: WaveWorld,
    readonly keypairPath: string,
    private readonly unregister: () => void,
  ) {}

  static async open(
    name: string,
    baseDir: string,
    n: number,
    opts: { appendonly?: boolean; say: (m: string) => void },
  ): Promise<FaultRun> {
    const dir = join(baseDir, name);
    mkdirSync(dir, { recursive: true });
    const local = await startLocalnetProcess(400, dir);
    const redis = new RedisProcess(await freePort(), join(dir, "redis"), opts.appendonly ?? true);
    const unregister = stopWithChildren(async () => {
      await redis.stop();
      closeConnection(local.connection);
    });
    await redis.start();
    const world = await buildWaveWorld(local, n, 7, () => {});
    const { path } = await fundedKeypairFile(local.write, dir);
    const run = new FaultRun(name, dir, local, redis, world, path, unregister);
    const crashOverride = new Map([[world.crashMarket.oracle.toBase58(), world.crashPrice]]);
    run.expected = evaluateBook(await readBook(local, world, crashOverride))
      .filter(isDue)
      .map((ev) => ev.account);
    opts.say(`${name}: ${n} traders, ${run.expected.length} below maintenance at the crash price`);
    return run;
  }

  /** The orchestrator's configuration file, as an operator writes it; `overrides` on top. */
  writeConfig(name: string, httpPort: number, overrides: Record<string, unknown> = {}): string {
    const file = join(this.dir, `${name}.json`);
    const config = {
      rpcUrl: this.local.rpcUrl,
      wsUrl: this.local.wsUrl,
      redisUrl: this.redis.url,
      exchange: this.world.ex.exchange.toBase58(),
      operatorKeypairPath: this.keypairPath,
      httpHost: "127.0.0.1",
      httpPort,
      queuePrefix: "faults",
      auditLogPath: join(this.dir, `${name}.audit.jsonl`),
      logLevel: "info",
      rpcRateLimitPerSecond: 2_000,
      ...overrides,
    };
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  /** Starts (or restarts, same name: same config, same audit log) an orchestrator and waits until it has loaded the book. */
  async startOrchestrator(name = "orchestrator", overrides: Record<string, unknown> = {}): Promise<Orchestrator> {
    const existing = this.orchestrators.find((o) => o.name === name);
    const httpPort = existing?.httpPort ?? (await freePort());
    const configPath = existing?.configPath ?? this.writeConfig(name, httpPort, overrides);
    loadConfig({ file: configPath, env: {} });
    const child = spawnNode(
      `${name}-${++this.started}`,
      "orchestrator/src/cli.ts",
      ["run", "--config", configPath],
      this.dir,
      childEnv(),
    );
    await waitFor(
      `${name} to load the book`,
      60_000,
      async () => {
        const status = (await (await fetch(`http://127.0.0.1:${httpPort}/status`)).json()) as { accounts?: number };
        return (status.accounts ?? 0) >= this.world.traders.length ? true : undefined;
      },
      child,
    );
    const o: Orchestrator = {
      name,
      child,
      httpPort,
      auditPath: JSON.parse(readFileSync(configPath, "utf8")).auditLogPath,
      configPath,
    };
    if (existing) Object.assign(existing, o);
    else this.orchestrators.push(o);
    return existing ?? o;
  }

  async crash(): Promise<void> {
    this.observer = new WaveObserver(this.local.connection, this.world.ex.program);
    this.observer.start();
    await sleep(1_500);
    const crash = await this.world.crash();
    this.observer.crashed(crash.atMs, crash.slot);
    this.crashAtMs = crash.atMs;
  }

  /** Accounts cured so far, of those the crash put below maintenance. */
  cured(): number {
    return this.observer.cured(this.expected);
  }

  get expectedCount(): number {
    return this.expected.length;
  }

  /** Waits until `predicate` holds (checked every 20 ms), or throws after `timeoutMs`. */
  async until(what: string, timeoutMs: number, predicate: () => boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(20);
    }
  }

  /** Waits (up to `timeoutMs`) for every account to be cured, then reads the chain for the checks. */
  async settle(timeoutMs: number): Promise<Checks> {
    const deadline = Date.now() + timeoutMs;
    while (!this.observer.allCured(this.expected) && Date.now() < deadline) await sleep(50);
    // Steps still in flight when the last account was cured land within a slot or two.
    await sleep(1_000);
    const audited = new Set<string>();
    for (const o of this.orchestrators) {
      if (!existsSync(o.auditPath)) continue;
      for (const line of readFileSync(o.auditPath, "utf8").split("\n")) {
        if (!line.includes('"sent"')) continue;
        try {
          const e = JSON.parse(line) as { event?: string; signature?: string };
          if (e.event === "sent" && e.signature) audited.add(e.signature);
        } catch {
          // A line a kill -9 cut short: its signature is not on record.
        }
      }
    }
    const records = this.observer.records;
    return {
      steps: records.liquidationSteps + records.resolutions,
      duplicateSteps: records.duplicateSteps,
      touchedWhileHealthy: records.touchedWhileHealthy,
      notCured: this.expected.length - this.observer.cured(this.expected),
      leftBelowMaintenance: evaluateBook(await readBook(this.local, this.world)).filter(isDue).length,
      unaudited: [...this.observer.stepSignatures].filter((s) => !audited.has(s)).length,
      allCuredMs: this.observer.allCured(this.expected)?.ms ?? null,
    };
  }

  /** Something this run's fault set up (a proxy) that goes with it. */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.closers) fn();
    await this.observer?.stop();
    await this.world.stopPublisher();
    for (const o of this.orchestrators) await o.child.stop();
    await this.redis.stop();
    closeConnection(this.local.connection);
    await this.local.child.stop();
    this.unregister();
  }
}

/** SIGKILL: the process gets no chance to clean up. */
export function kill9(child: Child): Promise<void> {
  process.kill(child.pid, "SIGKILL");
  return child.exited.then(() => {});
}
