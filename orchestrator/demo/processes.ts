// Child processes of the demo and the benchmarks: the localnet, the liquidator under test. Each is a `node`
// process of its own (no wrapper), so its pid is the one whose CPU time is read, and each one's
// output goes to a log file. Every child started is tracked so one call stops them all, on any exit.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface Child {
  name: string;
  pid: number;
  logPath: string;
  exited: Promise<number | null>;
  isRunning(): boolean;
  /** Last lines of its output, for error messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
const running = new Set<Child>();

export function spawnNode(
  name: string,
  script: string,
  args: string[],
  logDir: string,
  env: NodeJS.ProcessEnv = process.env,
  nodeArgs: string[] = [],
): Child {
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  proc.stdout!.pipe(log, { end: false });
  proc.stderr!.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  const child: Child = {
    name,
    pid: proc.pid,
    logPath,
    exited,
    isRunning: () => proc.exitCode === null && proc.signalCode === null,
    tail(lines = 15) {
      try {
        return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
    async stop() {
      if (child.isRunning()) {
        proc.kill("SIGTERM");
        const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), STOP_GRACE_MS).unref());
        if ((await Promise.race([exited, timer])) === "timeout" && child.isRunning()) {
          proc.kill("SIGKILL");
          await exited;
        }
      }
      running.delete(child);
      log.end();
    },
  };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

/** Other things to stop, before the children (a Redis, a client connection); returns the unregister call. */
const cleanups = new Set<() => Promise<void>>();
export function stopWithChildren(stop: () => Promise<void>): () => void {
  cleanups.add(stop);
  return () => void cleanups.delete(stop);
}

export async function stopAll(): Promise<void> {
  const pending = [...cleanups];
  cleanups.clear();
  await Promise.all(pending.map((stop) => stop().catch(() => {})));
  await Promise.all([...running].map((c) => c.stop().catch(() => {})));
}

/** SIGKILL whatever is still running: the last resort when this process is about to exit. */
export function killAllNow(): void {
  for (const c of running) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A free port whose successor is free too (the localnet's PubSub listens on port + 1). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error("no free pair of adjacent ports");
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if (await portFree(port)) return port;
  }
  throw new Error("no free port");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value; fails early if `child` exits, with its last output. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  child?: Child,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && !child.isRunning())
      throw new Error(`${child.name} exited while waiting for ${what}; its log (${child.logPath}):\n${child.tail()}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${child ? `; ${child.name} log (${child.logPath}):\n${child.tail()}` : ""}`,
      );
    await sleep(200);
  }
}

/** CLK_TCK: the clock ticks per second /proc counts CPU time in (100 where getconf is missing). */
export function clockTicks(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, in ms (from /proc; clock ticks of CLK_TCK per second). */
export function cpuMs(pid: number, clockTicks: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields are counted after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return null;
  }
}
