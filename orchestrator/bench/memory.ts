// `npm run bench:memory`: the live orchestrator's resident memory per monitored margin account. A
// localnet process with a small wave world (its exchange, markets, oracles and traders), the
// orchestrator started on it as its own process (the baseline), then BENCH_MEMORY_ACCOUNTS more
// healthy margin accounts written into the localnet (clones of a trader's account under new
// owners, at their own addresses), and the orchestrator started again on the bigger book. Resident
// memory (VmRSS) once each orchestrator has loaded every account and settled; per account is the
// difference over the accounts added.
//
//   BENCH_MEMORY_ACCOUNTS=100000  BENCH_MEMORY_SETTLE_S=20  BENCH_MEMORY_SNAPSHOT=<file.heapsnapshot>
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Keypair } from "@solana/web3.js";
import bs58 from "bs58";
import WebSocket from "ws";
import { discriminator, EXCHANGE_OFFSET } from "../src/chain/accounts.js";
import { pda } from "../demo/exchange.js";
import { fundedKeypairFile } from "../demo/operator.js";
import { clockTicks, cpuMs, freePort, killAllNow, sleep, stopAll, type Child } from "../demo/processes.js";
import { closeConnection, startLocalnetProcess } from "../demo/localnet-process.js";
import { startRedis } from "../demo/redis.js";
import { orchestratorMalloc, startOurs } from "./wave/run.js";
import { buildWaveWorld, pool } from "./wave/world.js";

const OWNER_OFFSET = 8;
const COLLATERAL_OFFSET = 72;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const rssKb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
};

/** Resident bytes by kind of mapping (/proc/PID/smaps): malloc's [heap], anonymous maps (V8's pages, large mallocs), files. */
const residentByKind = (pid: number): Map<string, number> => {
  const out = new Map<string, number>();
  let kind = "anon";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) kind = head[1] === "" ? "anon" : head[1].startsWith("[") ? head[1] : "file";
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out.set(kind, (out.get(kind) ?? 0) + Number(rss[1]) * 1024);
  }
  return out;
};

/** The lowest resident size over the settling time: garbage from the load is collected on V8's schedule. */
async function settledRss(child: Child, seconds: number): Promise<{ rss: number; cpuMs: number | null }> {
  let low = Number.POSITIVE_INFINITY;
  const ticks = clockTicks();
  const before = cpuMs(child.pid, ticks);
  for (let i = 0; i < seconds * 2; i++) {
    low = Math.min(low, rssKb(child.pid));
    await sleep(500);
  }
  const after = cpuMs(child.pid, ticks);
  return { rss: low * 1024, cpuMs: before !== null && after !== null ? after - before : null };
}

interface HeapUse {
  /** Live heap: V8's heap in use plus array buffers, after a full collection. */
  live: number;
  /** V8's heap committed (in use or not) and memory outside it (buffers, native), as process.memoryUsage() has them. */
  heapTotal: number;
  external: number;
  /** The process's resident size at that moment, before any heap snapshot (which swells it). */
  rss: number;
}

/**
 * Over the inspector: a full garbage collection, then the process's heap in use (bytes); with
 * `snapshotPath`, a heap snapshot written there too (BENCH_MEMORY_SNAPSHOT, for Chrome DevTools'
 * Memory panel: what the bytes per account are made of).
 */
async function liveHeap(inspectPort: number, snapshotPath?: string): Promise<HeapUse> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  let id = 0;
  // Written as the chunks come: a whole snapshot can be longer than a string may be.
  const out = snapshotPath ? openSync(snapshotPath, "w") : null;
  ws.on("message", (raw: WebSocket.RawData) => {
    const msg = JSON.parse(raw.toString()) as { method?: string; params?: { chunk?: string } };
    if (out !== null && msg.method === "HeapProfiler.addHeapSnapshotChunk") writeSync(out, msg.params?.chunk ?? "");
  });
  const call = (method: string, params: object = {}) =>
    new Promise<{ result?: { result?: { value?: string } } }>((resolve) => {
      const mine = ++id;
      const onMessage = (raw: WebSocket.RawData) => {
        const msg = JSON.parse(raw.toString()) as { id?: number };
        if (msg.id !== mine) return;
        ws.off("message", onMessage);
        resolve(msg as never);
      };
      ws.on("message", onMessage);
      ws.send(JSON.stringify({ id: mine, method, params }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    await call("HeapProfiler.collectGarbage");
    const reply = await call("Runtime.evaluate", {
      expression: "JSON.stringify(process.memoryUsage())",
      returnByValue: true,
    });
    const usage = JSON.parse(reply.result?.result?.value ?? "{}") as {
      rss?: number;
      heapUsed?: number;
      heapTotal?: number;
      external?: number;
      arrayBuffers?: number;
    };
    if (usage.heapUsed === undefined) throw new Error("the inspector returned no memory usage");
    if (out !== null) await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    return {
      live: usage.heapUsed + (usage.arrayBuffers ?? 0),
      heapTotal: usage.heapTotal ?? 0,
      external: usage.external ?? 0,
      rss: usage.rss ?? 0,
    };
  } finally {
    ws.close();
    if (out !== null) closeSync(out);
  }
}

async function main(): Promise<void> {
  const added = Number(process.env.BENCH_MEMORY_ACCOUNTS ?? 100_000);
  const settleS = Number(process.env.BENCH_MEMORY_SETTLE_S ?? 20);
  if (!Number.isInteger(added) || added < 1) throw new Error("BENCH_MEMORY_ACCOUNTS must be a positive integer");
  if (!(settleS > 0)) throw new Error("BENCH_MEMORY_SETTLE_S must be positive");
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-memory-"));
  const started = Date.now();
  const say = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
  console.log("orchestrator memory per monitored account: localnet, Redis and orchestrator as separate processes");
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}; the orchestrator with ${orchestratorMalloc()}; logs under ${dir}\n`,
  );

  const local = await startLocalnetProcess(400, dir);
  const redis = await startRedis();
  let orchestrator: Child | undefined;
  let world: Awaited<ReturnType<typeof buildWaveWorld>> | undefined;
  try {
    const w = await buildWaveWorld(local, 20, 7, say);
    world = w;
    const { path: keypairPath } = await fundedKeypairFile(local.write, dir);
    const programId = world.ex.program.programId;
    const existing = await local.connection.getProgramAccounts(programId, {
      filters: [
        { memcmp: { offset: 0, bytes: bs58.encode(discriminator("marginAccount")) } },
        { memcmp: { offset: EXCHANGE_OFFSET.marginAccount, bytes: world.ex.exchange.toBase58() } },
      ],
    });
    const base = existing.length;

    mkdirSync(join(dir, "baseline"));
    mkdirSync(join(dir, "loaded"));
    const inspect = async () => {
      const port = await freePort();
      return { port, args: [`--inspect=127.0.0.1:${port}`] };
    };
    const first = await inspect();
    orchestrator = await startOurs(local, w, redis.url, keypairPath, join(dir, "baseline"), base, first.args);
    const { rss: baseline, cpuMs: baselineCpu } = await settledRss(orchestrator, settleS);
    const baselineHeap = await liveHeap(first.port);
    const baselineKinds = residentByKind(orchestrator.pid);
    say(
      `baseline: ${base} margin accounts, orchestrator resident ${mib(baseline)}, live heap after a full GC ${mib(baselineHeap.live)}`,
    );
    await orchestrator.stop();
    orchestrator = undefined;

    // Clones of one trader's account: its positions, ten times its collateral (plainly healthy,
    // so they sit in the trigger index like most of a real book), a new owner each.
    const template = existing[0].account;
    say(`writing ${added} margin accounts into the localnet`);
    const owners = Array.from({ length: added }, () => Keypair.generate().publicKey);
    const collateral = template.data.readBigInt64LE(COLLATERAL_OFFSET) * 10n;
    let done = 0;
    await pool(owners, 32, async (owner) => {
      const data = Buffer.from(template.data);
      owner.toBuffer().copy(data, OWNER_OFFSET);
      data.writeBigInt64LE(collateral, COLLATERAL_OFFSET);
      await local.write(pda(programId, Buffer.from("margin"), w.ex.exchange, owner), {
        lamports: BigInt(template.lamports),
        owner: programId,
        data,
      });
      if (++done % 20_000 === 0) say(`  ${done}/${added}`);
    });

    const second = await inspect();
    orchestrator = await startOurs(local, w, redis.url, keypairPath, join(dir, "loaded"), base + added, second.args);
    const { rss: loaded, cpuMs: loadedCpu } = await settledRss(orchestrator, settleS);
    const snapshot = process.env.BENCH_MEMORY_SNAPSHOT;
    const loadedHeap = await liveHeap(second.port, snapshot);
    const loadedKinds = residentByKind(orchestrator.pid);
    if (snapshot) say(`heap snapshot of the loaded orchestrator written to ${snapshot}`);
    say(
      `loaded: ${base + added} margin accounts, orchestrator resident ${mib(loaded)}, live heap after a full GC ${mib(loadedHeap.live)}`,
    );
    const per = (f: (h: HeapUse) => number) =>
      `${mib(f(baselineHeap))} → ${mib(f(loadedHeap))}: ${((f(loadedHeap) - f(baselineHeap)) / added).toFixed(0)} bytes`;
    console.log(`\nper monitored account (${added} accounts added to ${base}):`);
    console.log(
      `  resident memory (VmRSS, lowest over ${settleS} s): ${mib(baseline)} → ${mib(loaded)}: ${((loaded - baseline) / added).toFixed(0)} bytes`,
    );
    console.log(`  resident memory right after a full GC:           ${per((h) => h.rss)}`);
    console.log(
      `  orchestrator CPU over the settling time (resyncs, full scans, timers): ${baselineCpu ?? "n/a"} → ${loadedCpu ?? "n/a"} ms in ${settleS} s`,
    );
    console.log(`  live heap after a full GC:                       ${per((h) => h.live)}`);
    console.log(`  V8 heap committed after that GC (heapTotal):     ${per((h) => h.heapTotal)}`);
    console.log(`  memory outside the V8 heap (external):           ${per((h) => h.external)}`);
    const kinds = [...new Set([...baselineKinds.keys(), ...loadedKinds.keys()])];
    console.log(
      `  resident after that GC by mapping, bytes per account: ${kinds
        .map((k) => `${k} ${(((loadedKinds.get(k) ?? 0) - (baselineKinds.get(k) ?? 0)) / added).toFixed(0)}`)
        .join(", ")}`,
    );
  } finally {
    await world?.stopPublisher();
    await orchestrator?.stop();
    await redis.stop().catch(() => {});
    closeConnection(local.connection);
    await local.child.stop();
  }
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void stopAll().finally(() => process.exit(130));
  });
}
process.on("exit", killAllNow);
main().then(
  () => stopAll().then(() => process.exit(0)),
  (e) => {
    console.error(`bench:memory: ${e instanceof Error ? e.message : e}`);
    void stopAll().finally(() => process.exit(1));
  },
);
