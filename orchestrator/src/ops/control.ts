// Shared state in Redis rather than per-process flags: every orchestrator on one Redis obeys the
// same kill switch, and the CLI reaches running processes without an HTTP port that could be abused.
import type { Redis } from "ioredis";
import { jsonReplacer } from "./log.js";

/** Everything in a status is optional; these are the fields `margin-warden status` knows how to show. */
export interface InstanceStatus {
  accountsByState?: Record<string, number>;
  /** Per queue, either a depth or counts by job state (waiting, active, delayed, failed, ...). */
  queues?: Record<string, number | Record<string, number>>;
  [key: string]: unknown;
}

export interface StatusRecord {
  instanceId: string;
  status: InstanceStatus;
  /** Milliseconds since the epoch, by the publishing host's clock; for display only. */
  updatedAt: number;
}

/** The pause-set member that pauses every market. */
export const ALL_MARKETS = "*";
const REFRESH_MS = 1_000;

export class Control {
  private paused = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** When the pause cache was last read from Redis (ms since epoch), for health checks. */
  refreshedAt: number | null = null;
  lastRefreshError: Error | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async pause(market: string = ALL_MARKETS): Promise<void> {
    await this.redis.sadd(this.key("paused"), market);
    await this.refresh();
  }

  /** Without a market, lifts every pause, per-market ones included. */
  async resume(market?: string): Promise<void> {
    if (market === undefined) await this.redis.del(this.key("paused"));
    else await this.redis.srem(this.key("paused"), market);
    await this.refresh();
  }

  async pausedMarkets(): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.key("paused")));
  }

  /** Synchronous for hot paths: answers from the cache that start() keeps fresh. A step without a market obeys only the pause of all. */
  isPaused(market: string | null): boolean {
    return this.paused.has(ALL_MARKETS) || (market !== null && this.paused.has(market));
  }

  /** The cached pauses ("*" is every market), as `isPaused` answers from them. */
  pausedNow(): string[] {
    return [...this.paused];
  }

  async refresh(): Promise<void> {
    this.paused = await this.pausedMarkets();
    this.refreshedAt = Date.now();
    this.lastRefreshError = null;
  }

  /** Reads the pauses before resolving, so no job runs on an empty cache while a pause is set. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer ??= setInterval(() => {
      // A Redis blip keeps the last known pauses rather than dropping them.
      this.refresh().catch((e: unknown) => (this.lastRefreshError = e as Error));
    }, REFRESH_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Liveness is a separate key with a Redis-side expiry, so a crashed instance disappears after
   * ttlS without trusting the clocks of the hosts involved.
   */
  async publishStatus(instanceId: string, status: object, ttlS: number): Promise<void> {
    const value = JSON.stringify({ status, updatedAt: Date.now() }, jsonReplacer);
    await this.redis
      .multi()
      .hset(this.key("status"), instanceId, value)
      .set(this.aliveKey(instanceId), "1", "EX", Math.max(1, Math.ceil(ttlS)))
      .exec();
  }

  async clearStatus(instanceId: string): Promise<void> {
    await this.redis.multi().hdel(this.key("status"), instanceId).del(this.aliveKey(instanceId)).exec();
  }

  /** Live instances only; entries of expired instances are removed as they are found. */
  async readStatus(): Promise<StatusRecord[]> {
    const all = await this.redis.hgetall(this.key("status"));
    const ids = Object.keys(all).sort();
    if (ids.length === 0) return [];
    const alive = await this.redis.mget(...ids.map((id) => this.aliveKey(id)));
    const live: StatusRecord[] = [];
    const dead: string[] = [];
    for (const [i, instanceId] of ids.entries()) {
      const parsed = alive[i] === null ? null : parseJson(all[instanceId]);
      if (parsed === null) {
        dead.push(instanceId);
        continue;
      }
      const { status, updatedAt } = parsed as { status?: InstanceStatus; updatedAt?: number };
      live.push({ instanceId, status: status ?? {}, updatedAt: updatedAt ?? 0 });
    }
    // An instance racing this cleanup reappears with its next publish.
    if (dead.length > 0) await this.redis.hdel(this.key("status"), ...dead);
    return live;
  }

  /** One round trip for a whole batch: `null` deletes the account's snapshot. */
  async writeActorSnapshots(batch: [string, unknown | null][]): Promise<void> {
    const saved = batch
      .filter(([, s]) => s !== null)
      .map(([account, s]) => [account, JSON.stringify(s, jsonReplacer)] as const);
    const deleted = batch.filter(([, s]) => s === null).map(([account]) => account);
    const tx = this.redis.multi();
    if (saved.length > 0) tx.hset(this.key("actors"), Object.fromEntries(saved));
    if (deleted.length > 0) tx.hdel(this.key("actors"), ...deleted);
    await tx.exec();
  }

  /** Unreadable snapshots are left out: their actors start fresh from chain state. */
  async loadActorSnapshots(): Promise<Map<string, unknown>> {
    const all = await this.redis.hgetall(this.key("actors"));
    const out = new Map<string, unknown>();
    for (const [account, json] of Object.entries(all)) {
      const v = parseJson(json);
      if (v !== null) out.set(account, v);
    }
    return out;
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private aliveKey(instanceId: string): string {
    return `${this.prefix}:alive:${instanceId}`;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
