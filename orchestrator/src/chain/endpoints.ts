// Several RPC endpoints behind the calls the orchestrator makes, by role. A read or a confirmation
// goes to the healthiest endpoint of its role and fails over to the next when that one gives no
// answer (refused, reset, timed out, 5xx, 429, not JSON-RPC, node unhealthy); a JSON-RPC error is
// an answer, returned as it is and never asked elsewhere. A failed endpoint cools down; then a
// getSlot in the background (never a caller's request) tells whether it is back. Until then it is
// used only when no other endpoint of the role is left. A signed transaction goes to every send
// endpoint at once (`fanOut`); a send endpoint is tried again by the first send after its cool-down.
import { rpcRoles, type Config } from "../config.js";
import { RpcBudget } from "../jobs/rpc-budget.js";
import { Endpoint, EndpointFailure, RpcError, endpointLabels, type FailureReason } from "./endpoint.js";

export type Role = "read" | "send" | "confirm";
export type CallOutcome = "ok" | "answer" | FailureReason;

/** Where each call's outcome goes: metrics, and a log line when an endpoint stops or starts answering. */
export interface RpcObserver {
  request(endpoint: string, method: string, seconds: number, outcome: CallOutcome): void;
  down?(endpoint: string, method: string, error: string): void;
  up?(endpoint: string): void;
}

/** No endpoint of the role answered: each one's failure, by label. */
export class NoEndpointAnswered extends Error {
  constructor(
    readonly method: string,
    readonly failures: EndpointFailure[],
  ) {
    super(`${method}: no RPC endpoint answered (${failures.map((f) => f.message).join("; ")})`);
  }
}

export interface EndpointSettings {
  read: string[];
  send: string[];
  /** Failover order of confirmations: confirmRpcUrl first. */
  confirm: string[];
  timeoutMs: number;
  cooldownMs: number;
  /** Calls per second by endpoint label; "*" for every endpoint not named. */
  rateLimits: Record<string, number>;
}

export function endpointSettings(c: Config): EndpointSettings {
  return {
    ...rpcRoles(c),
    timeoutMs: c.rpcRequestTimeoutMs,
    cooldownMs: c.rpcEndpointCooldownMs,
    rateLimits: c.rpcEndpointRateLimitPerSecond,
  };
}

/** The feed's full load returns every account of the exchange: it gets longer than one request. */
const SLOW_METHODS = new Set(["getProgramAccounts"]);
const SLOW_FACTOR = 6;
/** The first endpoint of a list stays first while its health is at least this share of the best one's. */
const PREFERENCE = 0.9;

export class RpcEndpoints {
  readonly all: Endpoint[];
  private readonly roles: Record<Role, Endpoint[]>;
  private nextId = 1;
  private readonly probing = new Set<Endpoint>();

  constructor(
    private readonly settings: EndpointSettings,
    private readonly observer?: RpcObserver,
  ) {
    const labels = endpointLabels([...settings.read, ...settings.send, ...settings.confirm]);
    const byHref = new Map<string, Endpoint>();
    for (const url of [...settings.read, ...settings.send, ...settings.confirm]) {
      const href = new URL(url).href;
      if (byHref.has(href)) continue;
      const label = labels.get(href) ?? href;
      const rate = settings.rateLimits[label] ?? settings.rateLimits["*"];
      byHref.set(
        href,
        new Endpoint(url, label, {
          timeoutMs: settings.timeoutMs,
          cooldownMs: settings.cooldownMs,
          budget: rate === undefined ? undefined : new RpcBudget(rate),
        }),
      );
    }
    // One Endpoint per URL whatever its roles: one health, one budget, one connection pool.
    const pick = (urls: string[]) => [...new Set(urls.map((u) => byHref.get(new URL(u).href)))].filter(isEndpoint);
    this.all = [...byHref.values()];
    this.roles = { read: pick(settings.read), send: pick(settings.send), confirm: pick(settings.confirm) };
  }

  /** One endpoint in every role: `rpcUrl` alone, as before there were several. */
  static single(url: string, timeoutMs = 10_000, observer?: RpcObserver): RpcEndpoints {
    return new RpcEndpoints(
      { read: [url], send: [url], confirm: [url], timeoutMs, cooldownMs: 5_000, rateLimits: {} },
      observer,
    );
  }

  of(role: Role): readonly Endpoint[] {
    return this.roles[role];
  }

  timeoutFor(method: string): number {
    return SLOW_METHODS.has(method) ? this.settings.timeoutMs * SLOW_FACTOR : this.settings.timeoutMs;
  }

  /**
   * The order a read of the role tries its endpoints in: first, the first endpoint of the list
   * about as healthy as the best one (within PREFERENCE) that has rate budget left this second;
   * then the others that answered their last call, healthiest first; then those that did not
   * (cooling down, or waiting for their probe), the one whose cool-down ends first first.
   */
  order(role: Role, now = Date.now()): Endpoint[] {
    const list = this.roles[role];
    const up = list.filter((e) => e.failuresInRow === 0);
    const down = list.filter((e) => e.failuresInRow > 0).sort((a, b) => a.coolUntilMs - b.coolUntilMs);
    const health = new Map(up.map((e) => [e, e.health(now)]));
    const of = (e: Endpoint) => health.get(e) ?? 0;
    const best = Math.max(0, ...health.values());
    const healthiest = [...up].sort((a, b) => of(b) - of(a));
    const ready = (e: Endpoint) => e.budget?.ready() ?? true;
    const preferred = up.filter((e) => of(e) >= best * PREFERENCE);
    const first = preferred.find(ready) ?? healthiest.find(ready) ?? preferred[0];
    return [...(first ? [first] : []), ...healthiest.filter((e) => e !== first), ...down];
  }

  /** One JSON-RPC call, failing over along `order(role)`. */
  call<T>(role: Role, method: string, params: unknown[]): Promise<T> {
    const body = this.body(method, params);
    return this.failover(role, method, (e) => this.request<T>(e, method, body));
  }

  /** The same JSON-RPC call to every send endpoint at once (see `fanOut`). */
  broadcast<T>(method: string, params: unknown[]): Promise<T> {
    const body = this.body(method, params);
    return this.fanOut(method, (e) => this.request<T>(e, method, body));
  }

  /** `attempt` on each endpoint in `order(role)` until one answers; a JSON-RPC error is an answer. */
  async failover<T>(role: Role, method: string, attempt: (e: Endpoint) => Promise<T>): Promise<T> {
    this.probe(role);
    const failures: EndpointFailure[] = [];
    for (const e of this.order(role)) {
      try {
        return await this.measured(e, method, () => attempt(e));
      } catch (err) {
        if (!(err instanceof EndpointFailure)) throw err;
        failures.push(err);
      }
    }
    throw new NoEndpointAnswered(method, failures);
  }

  /**
   * `attempt` on every send endpoint not cooling down (all of them if every one is), concurrently.
   * Resolves with the first acceptance and does not wait for the rest. With none: rejects with a
   * JSON-RPC error if an endpoint answered one (the bytes are the same everywhere, so that answer
   * is theirs), else with every endpoint's failure. Broadcasting cannot take a step twice: every
   * endpoint gets the same signed bytes, one signature, which the cluster executes at most once.
   */
  fanOut<T>(method: string, attempt: (e: Endpoint) => Promise<T>): Promise<T> {
    const now = Date.now();
    const up = this.roles.send.filter((e) => !e.cooling(now));
    const targets = up.length > 0 ? up : this.roles.send;
    return new Promise<T>((resolve, reject) => {
      let pending = targets.length;
      let accepted = false;
      // An RpcError answer, or a fault of ours: either way not the endpoint's, so not a failure.
      let answer: unknown;
      const failures: EndpointFailure[] = [];
      for (const e of targets) {
        this.measured(e, method, () => attempt(e))
          .then(
            (value) => {
              if (!accepted) resolve(value);
              accepted = true;
            },
            (err: unknown) => {
              if (err instanceof EndpointFailure) failures.push(err);
              else answer ??= err;
            },
          )
          .finally(() => {
            if (--pending === 0 && !accepted) reject(answer ?? new NoEndpointAnswered(method, failures));
          });
      }
    });
  }

  /**
   * A getSlot, in the background, to each endpoint of the role whose cool-down is over but whose
   * last call failed: a caller never waits on an endpoint that may still be down. An endpoint
   * alone in its role gets every call anyway, so it needs no probe.
   */
  private probe(role: Role, now = Date.now()): void {
    const list = this.roles[role];
    if (list.length < 2) return;
    for (const e of list) {
      if (e.failuresInRow === 0 || e.cooling(now) || this.probing.has(e)) continue;
      this.probing.add(e);
      const body = this.body("getSlot", []);
      void this.measured(e, "getSlot", () => this.request(e, "getSlot", body))
        .catch(() => {})
        .finally(() => this.probing.delete(e));
    }
  }

  /** Takes the endpoint's budget, times the attempt and books its outcome on the endpoint's health. */
  private async measured<T>(e: Endpoint, method: string, attempt: () => Promise<T>): Promise<T> {
    await e.budget?.take();
    const start = performance.now();
    const seconds = () => (performance.now() - start) / 1000;
    const wasDown = e.failuresInRow > 0;
    try {
      const value = await attempt();
      e.answered(seconds() * 1000);
      this.observer?.request(e.label, method, seconds(), "ok");
      if (wasDown) this.observer?.up?.(e.label);
      return value;
    } catch (err) {
      if (err instanceof EndpointFailure) {
        e.failed(err.reason, seconds() * 1000);
        this.observer?.request(e.label, method, seconds(), err.reason);
        if (!wasDown) this.observer?.down?.(e.label, method, err.message);
      } else if (err instanceof RpcError) {
        e.answered(seconds() * 1000);
        this.observer?.request(e.label, method, seconds(), "answer");
        if (wasDown) this.observer?.up?.(e.label);
      }
      throw err;
    }
  }

  private body(method: string, params: unknown[]): string {
    return JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params });
  }

  /** One JSON-RPC request to one endpoint: its result, an RpcError answer, or EndpointFailure. */
  async request<T>(e: Endpoint, method: string, body: string): Promise<T> {
    const text = await e.post(body, this.timeoutFor(method));
    let reply: { result?: T; error?: { code: number; message: string; data?: unknown } };
    try {
      reply = JSON.parse(text);
    } catch {
      throw new EndpointFailure(e.label, "bad-reply", `${method}: the answer is not JSON`);
    }
    if (reply.error) throw replyError(e, method, reply.error);
    return reply.result as T;
  }

  close(): void {
    for (const e of this.all) e.close();
  }
}

/** -32005: the node says it is unhealthy or behind; another endpoint may be current. */
const NODE_UNHEALTHY = -32005;

/** A reply's error as the answer it is, or, for a node that says it is unhealthy, as that endpoint's failure. */
export function replyError(e: Endpoint, method: string, error: { code: number; message: string; data?: unknown }) {
  return error.code === NODE_UNHEALTHY
    ? new EndpointFailure(e.label, "unhealthy", `${method}: ${error.message}`)
    : new RpcError(error.code, `${method}: ${error.message}`, error.data);
}

const isEndpoint = (e: Endpoint | undefined): e is Endpoint => e !== undefined;
