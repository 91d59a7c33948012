// The faults, each injected into its own run after the crash. `inject` returns when the fault is
// cleared (the process restarted, the service back), so recovery is measured from there.
import net from "node:net";
import { sleep } from "../demo/processes.js";
import { kill9, type FaultRun } from "./harness.js";

export interface Fault {
  name: string;
  /** The redis-server persists with `appendonly yes` unless false. */
  appendonly?: boolean;
  /** Runs before the crash (e.g. starts the orchestrators); by default one orchestrator. */
  setup?(run: FaultRun): Promise<void>;
  inject(run: FaultRun, say: (m: string) => void): Promise<{ clearedAtMs: number; note?: string }>;
}

const steps = (run: FaultRun) => run.observer.records.liquidationSteps + run.observer.records.resolutions;
const third = (run: FaultRun) => Math.max(1, Math.floor(run.expectedCount / 3));

async function restart(run: FaultRun, name = "orchestrator"): Promise<number> {
  const at = Date.now();
  await run.startOrchestrator(name);
  return at;
}

/** redis-server killed a third of the way through the wave and restarted on its data directory 2 s later. */
async function restartRedis(run: FaultRun): Promise<{ clearedAtMs: number }> {
  await run.until("a third of the steps", 60_000, () => steps(run) >= third(run));
  run.redis.kill9();
  await sleep(2_000);
  await run.redis.start();
  return { clearedAtMs: Date.now() };
}

export const FAULTS: Fault[] = [
  {
    name: "kill -9 after the first step",
    async inject(run) {
      await run.until("the first step", 60_000, () => steps(run) >= 1);
      await kill9(run.orchestrators[0].child);
      return { clearedAtMs: await restart(run) };
    },
  },
  {
    name: "kill -9 mid-liquidation",
    async inject(run) {
      await run.until("a third of the steps", 60_000, () => steps(run) >= third(run));
      await kill9(run.orchestrators[0].child);
      return { clearedAtMs: await restart(run) };
    },
  },
  { name: "kill -9 redis (appendonly yes)", inject: restartRedis },
  { name: "kill -9 redis (no persistence)", appendonly: false, inject: restartRedis },
  {
    name: "RPC frozen 20 s (SIGSTOP)",
    async inject(run) {
      await run.until("a third of the steps", 60_000, () => steps(run) >= third(run));
      process.kill(run.local.child.pid, "SIGSTOP");
      await sleep(20_000);
      process.kill(run.local.child.pid, "SIGCONT");
      return { clearedAtMs: Date.now() };
    },
  },
  {
    name: "websocket silent, HTTP up",
    async setup(run) {
      const proxy = await blackholeProxy(Number(new URL(run.local.wsUrl).port));
      run.onClose(() => proxy.close());
      await run.startOrchestrator("orchestrator", { wsUrl: `ws://127.0.0.1:${proxy.port}` });
      // Silent from before the crash to the end: every crossing is found by polling.
      await sleep(1_000);
      proxy.blackhole();
    },
    async inject(run) {
      await run.until("the first step", 60_000, () => steps(run) >= 1);
      const first = run.observer.firsts().reduce((m, f) => Math.min(m, f.ms), Infinity);
      return { clearedAtMs: run.crashAtMs, note: `crash → first step while silent: ${(first / 1000).toFixed(1)} s` };
    },
  },
  {
    name: "two orchestrators, one kill -9'd",
    async setup(run) {
      await run.startOrchestrator("orchestrator-a");
      await run.startOrchestrator("orchestrator-b");
    },
    async inject(run) {
      await run.until("a third of the steps", 60_000, () => steps(run) >= third(run));
      await kill9(run.orchestrators[0].child);
      return { clearedAtMs: Date.now() };
    },
  },
  {
    name: "SIGTERM mid-wave, then restart",
    async inject(run) {
      await run.until("a third of the steps", 60_000, () => steps(run) >= third(run));
      const child = run.orchestrators[0].child;
      process.kill(child.pid, "SIGTERM");
      const code = await child.exited;
      if (code !== 0)
        throw new Error(`SIGTERM: the orchestrator exited with ${code}, not 0; its log:\n${child.tail()}`);
      return { clearedAtMs: await restart(run), note: "exit 0" };
    },
  },
];

/**
 * A TCP proxy in front of the PubSub port that can go silent: it keeps every connection open and
 * accepts new ones, but passes nothing in either direction (a websocket that stopped delivering).
 */
export async function blackholeProxy(target: number): Promise<{ port: number; blackhole(): void; close(): void }> {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.on("data", (d) => void (!silent && upstream.write(d)));
    upstream.on("data", (d) => void (!silent && client.write(d)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    blackhole: () => void (silent = true),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
