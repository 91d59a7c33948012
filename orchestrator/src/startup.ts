// What start-up checks before anything runs: the operator's key file, Redis's settings, and a
// bounded wait for each service. Each failure is a StartupError with a message an operator can act on.
import { readFileSync, statSync } from "node:fs";
import type { Redis } from "ioredis";
import { Keypair } from "@solana/web3.js";
import type { Logger } from "./ops/log.js";

export class StartupError extends Error {}

/**
 * The operator's signing key. Its file must be readable by its owner and by no one else (as ssh
 * insists of a private key): a key others can read may already be someone else's, and a file
 * without the owner's read bit is one the operator meant nobody to read, even if root can.
 */
export function loadKeypair(path: string): Keypair {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    throw new StartupError(`cannot read operator keypair ${path}: ${(e as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new StartupError(
      `operator keypair ${path} is readable by others (mode ${(mode & 0o777).toString(8)}): make it private with chmod 600 ${path}`,
    );
  }
  if ((mode & 0o400) === 0) {
    throw new StartupError(
      `operator keypair ${path} is not readable by its owner (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`,
    );
  }
  try {
    return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(path, "utf8"))));
  } catch (e) {
    throw new StartupError(`cannot read operator keypair ${path}: ${(e as Error).message}`);
  }
}

/**
 * Eviction would drop job records and decisions, so it is refused. No persistence is allowed but
 * warned of: a restarted Redis has forgotten the steps in flight, which the actors ask for again
 * from the chain after `confirmTimeoutMs` (README "Redis"). A Redis that hides its settings
 * (CONFIG disabled) is trusted with a warning.
 */
export async function checkRedisSettings(redis: Redis, log: Logger): Promise<void> {
  const settings: Record<string, string> = {};
  try {
    for (const name of ["maxmemory-policy", "appendonly", "appendfsync", "save"]) {
      // CONFIG GET answers [name, value].
      const [, value] = (await redis.config("GET", name)) as string[];
      if (value !== undefined) settings[name] = value;
    }
  } catch (e) {
    log.warn(
      "cannot read the Redis settings (CONFIG GET); make sure it runs with maxmemory-policy noeviction and appendonly yes",
      { error: (e as Error).message },
    );
    return;
  }
  const policy = settings["maxmemory-policy"];
  if (policy !== undefined && policy !== "noeviction") {
    throw new StartupError(
      `Redis runs with maxmemory-policy ${policy}: it may evict job records; set maxmemory-policy noeviction`,
    );
  }
  if (settings.appendonly === "yes" && settings.appendfsync !== undefined && settings.appendfsync !== "always") {
    log.warn(
      `Redis syncs its append-only file with appendfsync ${settings.appendfsync}: a transaction stored in the moment before a Redis crash may be forgotten while it can still land, and its step signed again; use appendfsync always`,
      {},
    );
  }
  if (settings.appendonly !== "yes" && !settings.save) {
    log.warn(
      "Redis persists nothing (appendonly no, no save points): a Redis restart forgets the steps in flight, which are asked for again after confirmTimeoutMs; use appendonly yes",
      {},
    );
  }
}

/** `p`, or a StartupError naming `what` after `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new StartupError(`${what}: no answer within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
