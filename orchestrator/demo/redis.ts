// A private redis-server on a free port for the demo and the tests, stopped again afterwards.
// REDIS_URL skips it and uses the given server instead.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export interface RedisHandle {
  url: string;
  /** The server's process, when this process started it. */
  pid?: number;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function ping(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on("error", () => {});
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      return;
    } catch (e) {
      r.disconnect();
      if (Date.now() > deadline)
        throw new RedisUnavailableError(`no Redis answering at ${url}: ${(e as Error).message}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

export async function startRedis(env: NodeJS.ProcessEnv = process.env): Promise<RedisHandle> {
  if (env.REDIS_URL) {
    await ping(env.REDIS_URL, 3_000);
    return { url: env.REDIS_URL, stop: async () => {} };
  }
  const port = await freePort();
  // Its own data directory, removed on stop: a test that turns persistence on (CONFIG SET) writes
  // there, not into the working directory.
  const dir = mkdtempSync(join(tmpdir(), "margin-warden-redis-"));
  // No persistence (a scratch server) and noeviction: BullMQ must never lose a key to eviction.
  const args = [
    "--dir",
    dir,
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--maxmemory-policy",
    "noeviction",
  ];
  const child: ChildProcess = spawn(env.REDIS_SERVER ?? "redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new RedisUnavailableError(
          e.code === "ENOENT"
            ? "redis-server is not installed: install the Debian/Ubuntu package `redis-server` (apt-get install redis-server), or point REDIS_URL at a running Redis"
            : `cannot start redis-server: ${e.message}`,
        ),
      ),
    );
  });
  const url = `redis://127.0.0.1:${port}`;
  try {
    await spawned;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  try {
    await ping(url, 5_000);
  } catch (e) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new RedisUnavailableError(`redis-server did not start: ${(e as Error).message} ${stderr}`);
  }
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    }),
  );
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
