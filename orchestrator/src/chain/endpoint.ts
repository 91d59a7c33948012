// One RPC endpoint: a kept-alive HTTP transport that tells a failed endpoint (refused, reset, timed
// out, 5xx, 429, not JSON-RPC) from an answer, and the health the endpoint pools choose by. Its
// label is the URL's host:port only: providers put API keys in the path or query, and the label
// goes into logs, errors and metrics.
import http from "node:http";
import https from "node:https";
import type { RpcBudget } from "../jobs/rpc-budget.js";

/** Why an endpoint gave no answer: each one is a reason to try another endpoint. */
export type FailureReason = "connection" | "timeout" | "http" | "unhealthy" | "bad-reply";

export class EndpointFailure extends Error {
  constructor(
    readonly endpoint: string,
    readonly reason: FailureReason,
    detail: string,
  ) {
    super(`${endpoint}: ${detail}`);
  }
}

/** A JSON-RPC error answer: `code` is the RPC's (e.g. -32002 preflight failure), `data` its details. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

export interface EndpointOptions {
  /** The longest a request may take before the endpoint counts as failed. */
  timeoutMs: number;
  /** The first cool-down after a failure; it doubles with each failure in a row, up to a minute. */
  cooldownMs: number;
  /** This endpoint's own rate budget (its plan), if it has one. */
  budget?: RpcBudget;
}

/** host:port of a URL, the protocol's default port filled in; never its path, query or credentials. */
export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === "https:" || u.protocol === "wss:" ? "443" : "80")}`;
}

/**
 * A label for each distinct URL (as `new URL` normalizes it), in order: its host:port, with `#2`,
 * `#3` … for further URLs on the same host and port (two API keys at one provider).
 */
export function endpointLabels(urls: string[]): Map<string, string> {
  const labels = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const url of urls) {
    const key = new URL(url).href;
    if (labels.has(key)) continue;
    const base = hostPort(url);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    labels.set(key, n === 1 ? base : `${base}#${n}`);
  }
  return labels;
}

/** Recorded failures and latency fade with this half-life while an endpoint is idle, so it is tried again. */
const HEALTH_HALF_LIFE_MS = 10_000;
/** Latency this long halves an endpoint's health; typical answers (tens of ms) barely move it. */
const LATENCY_SCALE_MS = 1_000;
/** Past calls weigh at most this many times the newest: health follows the last few calls. */
const MEMORY = 4;
const MAX_COOLDOWN_MS = 60_000;

export class Endpoint {
  readonly url: URL;
  private readonly agent: http.Agent;
  private failureRate = 0;
  private latencyMs = 0;
  private weight = 0;
  private lastMs = 0;
  private inRow = 0;
  /** Wall-clock ms until which the endpoint is used only when no other is left. */
  coolUntilMs = 0;

  constructor(
    url: string,
    readonly label: string,
    private readonly opts: EndpointOptions,
  ) {
    this.url = new URL(url);
    const Agent = this.url.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** Calls in a row that got no answer: 0 while the endpoint answers. */
  get failuresInRow(): number {
    return this.inRow;
  }

  get budget(): RpcBudget | undefined {
    return this.opts.budget;
  }

  cooling(now = Date.now()): boolean {
    return now < this.coolUntilMs;
  }

  /**
   * 0..1: the share of recent calls answered times a latency factor (1 / (1 + latency / 1 s)); 0
   * while cooling down. Both penalties fade while the endpoint is idle.
   */
  health(now = Date.now()): number {
    if (this.cooling(now)) return 0;
    const d = this.decay(now);
    return (1 - this.failureRate * d) / (1 + (this.latencyMs * d) / LATENCY_SCALE_MS);
  }

  private decay(now: number): number {
    return this.lastMs === 0 ? 0 : 0.5 ** (Math.max(0, now - this.lastMs) / HEALTH_HALF_LIFE_MS);
  }

  /** An answer (a result or a JSON-RPC error: either way the endpoint works). */
  answered(latencyMs: number, now = Date.now()): void {
    this.record(0, latencyMs, now);
    this.inRow = 0;
    this.coolUntilMs = 0;
  }

  /** No answer: cool down. A refused connection is instant, so only a timeout says anything about latency. */
  failed(reason: FailureReason, latencyMs: number, now = Date.now()): void {
    this.record(1, reason === "timeout" ? latencyMs : null, now);
    this.inRow++;
    this.coolUntilMs = now + Math.min(MAX_COOLDOWN_MS, this.opts.cooldownMs * 2 ** (this.inRow - 1));
  }

  private record(failure: number, latencyMs: number | null, now: number): void {
    const d = this.decay(now);
    const w = Math.min(MEMORY, this.weight * d);
    this.failureRate = (this.failureRate * d * w + failure) / (w + 1);
    if (latencyMs !== null) this.latencyMs = (this.latencyMs * d * w + latencyMs) / (w + 1);
    this.weight = w + 1;
    this.lastMs = now;
  }

  /**
   * POSTs a JSON-RPC body and returns the reply's text, or throws EndpointFailure. One retry when a
   * kept-alive socket was closed by the server as the request went out: every call made through
   * here is safe to repeat (reads, and resending the same signed bytes).
   */
  async post(body: string, timeoutMs = this.opts.timeoutMs): Promise<string> {
    try {
      return await this.once(body, timeoutMs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const stale = !(e instanceof Timeout) && (code === "ECONNRESET" || (e as Error).message === "socket hang up");
      if (!stale) throw this.failure(e, timeoutMs);
      try {
        return await this.once(body, timeoutMs);
      } catch (again) {
        throw this.failure(again, timeoutMs);
      }
    }
  }

  private failure(e: unknown, timeoutMs: number): Error {
    if (e instanceof EndpointFailure) return e;
    if (e instanceof Timeout) return new EndpointFailure(this.label, "timeout", `no answer within ${timeoutMs} ms`);
    const code = (e as NodeJS.ErrnoException).code;
    return new EndpointFailure(this.label, "connection", code ?? (e as Error).message);
  }

  private once(body: string, timeoutMs: number): Promise<string> {
    const request = this.url.protocol === "https:" ? https.request : http.request;
    return new Promise<string>((resolve, reject) => {
      let timedOut = false;
      // Destroying a request mid-answer surfaces as the socket's own error: report the timeout instead.
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(timedOut ? new Timeout() : e);
      };
      const req = request(
        this.url,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", fail);
          res.on("end", () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 500;
            // Overloaded, rate-limited or broken: another endpoint may answer. A 4xx carrying a
            // JSON-RPC reply is that reply; one without (a bad API key's 401) is this endpoint's fault.
            if (status === 429 || status >= 500 || (status >= 400 && !text.trimStart().startsWith("{")))
              return reject(new EndpointFailure(this.label, "http", `HTTP ${status} ${text.slice(0, 120)}`.trim()));
            resolve(text);
          });
        },
      );
      // The whole request, not only socket idleness: a server trickling bytes is as down as a silent one.
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Timeout());
      }, timeoutMs);
      req.on("error", fail);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

class Timeout extends Error {}
