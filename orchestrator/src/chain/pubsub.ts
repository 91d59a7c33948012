// The websocket side of the RPC, kept lean: subscriptions by method and params, notifications
// handed over as the JSON the node sent. web3.js validates every notification against superstruct
// schemas and turns every key into a PublicKey, which in a liquidation wave (two or three
// notifications per step) cost more than deciding the step. Lost connections are reopened with
// every live subscription renewed; `reconnect()` forces that when the socket went silent.
import WebSocket from "ws";

type Handler = (result: unknown) => void;

interface Subscription {
  method: string;
  params: unknown[];
  handler: Handler;
  /** Notified once, then gone on the node's side too (signatures). */
  oneShot: boolean;
  serverId: number | null;
}

/** web3.js's rule: ws(s) on the RPC's host, port + 1 when a port is given. */
export function wsUrlFor(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  if (u.port !== "") u.port = String(Number(u.port) + 1);
  return u.toString();
}

export class PubSub {
  private socket: WebSocket | null = null;
  private readonly subs = new Set<Subscription>();
  private readonly byServerId = new Map<number, Subscription>();
  private readonly pending = new Map<number, Subscription>();
  private nextId = 1;
  private closed = false;
  private retryMs = 250;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly onWarning: (msg: string, fields: Record<string, unknown>) => void = () => {},
  ) {}

  /** Subscribes now or as soon as the socket is open; returns the removal. */
  subscribe(method: string, params: unknown[], handler: Handler, oneShot = false): () => void {
    const sub: Subscription = { method, params, handler, oneShot, serverId: null };
    this.subs.add(sub);
    if (this.socket?.readyState === WebSocket.OPEN) this.request(sub);
    else this.connect();
    return () => this.remove(sub);
  }

  /** Resolves once every subscription asked for so far is acknowledged (false after `timeoutMs`). */
  async acknowledged(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.subs].some((s) => s.serverId === null)) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Drops the socket and opens a new one, renewing every subscription. */
  reconnect(): void {
    const s = this.socket;
    this.socket = null;
    s?.removeAllListeners();
    s?.on("error", () => {});
    s?.terminate();
    this.resetServerIds();
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.subs.clear();
    this.socket?.removeAllListeners();
    this.socket?.on("error", () => {});
    this.socket?.terminate();
    this.socket = null;
  }

  private remove(sub: Subscription): void {
    if (!this.subs.delete(sub)) return;
    if (sub.serverId !== null) {
      this.byServerId.delete(sub.serverId);
      if (!sub.oneShot && this.socket?.readyState === WebSocket.OPEN) {
        const unsubscribe = sub.method.replace(/Subscribe$/, "Unsubscribe");
        this.socket.send(
          JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method: unsubscribe, params: [sub.serverId] }),
        );
      }
    }
  }

  private resetServerIds(): void {
    this.byServerId.clear();
    this.pending.clear();
    for (const s of this.subs) s.serverId = null;
  }

  private connect(): void {
    if (this.closed || this.socket) return;
    const socket = new WebSocket(this.url, { perMessageDeflate: false });
    this.socket = socket;
    socket.on("open", () => {
      this.retryMs = 250;
      for (const sub of this.subs) if (sub.serverId === null) this.request(sub);
    });
    socket.on("message", (raw) => this.receive(raw.toString()));
    socket.on("error", (e) => this.onWarning("websocket error", { url: this.url, error: e.message }));
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.resetServerIds();
      if (this.closed) return;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.timer.unref();
      this.retryMs = Math.min(5_000, this.retryMs * 2);
    });
  }

  private request(sub: Subscription): void {
    const id = this.nextId++;
    this.pending.set(id, sub);
    this.socket!.send(JSON.stringify({ jsonrpc: "2.0", id, method: sub.method, params: sub.params }));
  }

  private receive(text: string): void {
    let msg: {
      id?: number;
      result?: unknown;
      error?: { message: string };
      params?: { subscription: number; result: unknown };
    };
    try {
      msg = JSON.parse(text);
    } catch {
      this.onWarning("websocket sent something that is not JSON", { url: this.url });
      return;
    }
    if (msg.params && typeof msg.params.subscription === "number") {
      const sub = this.byServerId.get(msg.params.subscription);
      if (!sub) return;
      if (sub.oneShot) {
        this.byServerId.delete(msg.params.subscription);
        this.subs.delete(sub);
      }
      sub.handler(msg.params.result);
      return;
    }
    if (typeof msg.id !== "number") return;
    const sub = this.pending.get(msg.id);
    if (!sub) return;
    this.pending.delete(msg.id);
    if (msg.error || typeof msg.result !== "number") {
      this.onWarning("subscription refused", { method: sub.method, error: msg.error?.message });
      return;
    }
    // Removed while the request was on its way: drop it on the node's side as well.
    if (!this.subs.has(sub)) {
      if (!sub.oneShot)
        this.socket?.send(
          JSON.stringify({
            jsonrpc: "2.0",
            id: this.nextId++,
            method: sub.method.replace(/Subscribe$/, "Unsubscribe"),
            params: [msg.result],
          }),
        );
      return;
    }
    sub.serverId = msg.result;
    this.byServerId.set(msg.result, sub);
  }
}

/** What account notifications carry, with base64 data. */
export interface WireAccount {
  owner: string;
  lamports: number;
  data: [string, string];
}

export const accountFromWire = (a: WireAccount) => ({
  owner: a.owner,
  lamports: a.lamports,
  data: Buffer.from(a.data[0], "base64"),
});
