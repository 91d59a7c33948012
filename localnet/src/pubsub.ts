// The PubSub (WebSocket) half of the RPC: account, program, signature, slot and logs subscriptions,
// with the notification shapes a validator sends.
import type { WebSocket, WebSocketServer } from "ws";
import { INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, RpcError, invalidParams } from "./errors.js";
import { MAX_PARAM_DEPTH, deeperThan, validId } from "./jsonrpc.js";
import { encodeAccount, parseEncoding, parsePubkey, type AccountEncoding } from "./encoding.js";
import type { AccountChange, Ledger, TxRecord } from "./ledger.js";

type Subscription =
  | { kind: "account"; pubkey: string; encoding: AccountEncoding }
  | { kind: "program"; owner: string; encoding: AccountEncoding; filters: ((d: Buffer) => boolean)[] }
  | { kind: "signature"; signature: string }
  | { kind: "slot" }
  | { kind: "logs"; mentions: string | null };

const NOTIFICATION: Record<Subscription["kind"], string> = {
  account: "accountNotification",
  program: "programNotification",
  signature: "signatureNotification",
  slot: "slotNotification",
  logs: "logsNotification",
};

interface Client {
  socket: WebSocket;
  subscriptions: Map<number, Subscription>;
}

export class PubSub {
  private readonly clients = new Set<Client>();
  private nextId = 1;

  constructor(
    private readonly ledger: Ledger,
    server: WebSocketServer,
    private readonly compileFilters: (raw: unknown) => ((d: Buffer) => boolean)[],
  ) {
    server.on("connection", (socket) => this.connect(socket));
    ledger.on("account", (c: AccountChange) => this.onAccount(c));
    ledger.on("slot", (slot: number) => this.onSlot(slot));
    ledger.on("transaction", (r: TxRecord) => this.onTransaction(r));
  }

  get subscriptionCount(): number {
    let n = 0;
    for (const c of this.clients) n += c.subscriptions.size;
    return n;
  }

  private connect(socket: WebSocket): void {
    const client: Client = { socket, subscriptions: new Map() };
    this.clients.add(client);
    socket.on("message", (raw) => this.onMessage(client, raw.toString()));
    socket.on("close", () => this.clients.delete(client));
    socket.on("error", () => this.clients.delete(client));
  }

  private onMessage(client: Client, raw: string): void {
    let request: { id?: unknown; method?: unknown; params?: unknown };
    try {
      request = JSON.parse(raw);
    } catch {
      this.send(client, { jsonrpc: "2.0", error: { code: PARSE_ERROR, message: "Parse error" }, id: null });
      return;
    }
    const isObject = request !== null && typeof request === "object" && !Array.isArray(request);
    if (!isObject || typeof request.method !== "string" || (Object.hasOwn(request, "id") && !validId(request.id))) {
      this.send(client, { jsonrpc: "2.0", error: { code: INVALID_REQUEST, message: "Invalid request" }, id: null });
      return;
    }
    const id = request.id ?? null;
    try {
      const params = request.params === undefined ? [] : request.params;
      if (!Array.isArray(params)) throw new RpcError(INVALID_PARAMS, "Invalid params: expected an array");
      if (deeperThan(params, MAX_PARAM_DEPTH))
        throw new RpcError(INVALID_PARAMS, `Invalid params: nested deeper than ${MAX_PARAM_DEPTH} levels`);
      const result = this.dispatch(client, request.method, params);
      this.send(client, { jsonrpc: "2.0", result, id });
    } catch (e) {
      const err = e instanceof RpcError ? e : new RpcError(-32603, (e as Error).message);
      this.send(client, { jsonrpc: "2.0", error: { code: err.code, message: err.message }, id });
    }
  }

  private dispatch(client: Client, method: string, params: unknown[]): unknown {
    const cfg = (params[1] ?? {}) as Record<string, unknown>;
    if (method.endsWith("Unsubscribe")) {
      const id = params[0];
      if (typeof id !== "number") throw invalidParams("Invalid param: subscription id must be a number");
      const sub = client.subscriptions.get(id);
      if (!sub || `${sub.kind}Unsubscribe` !== method) throw invalidParams("Invalid subscription id.");
      client.subscriptions.delete(id);
      return true;
    }
    let sub: Subscription;
    switch (method) {
      case "accountSubscribe":
        sub = { kind: "account", pubkey: parsePubkey(params[0]), encoding: parseEncoding(cfg.encoding, "binary") };
        break;
      case "programSubscribe":
        sub = {
          kind: "program",
          owner: parsePubkey(params[0], "program id"),
          encoding: parseEncoding(cfg.encoding, "binary"),
          filters: this.compileFilters(cfg.filters),
        };
        break;
      case "signatureSubscribe":
        if (typeof params[0] !== "string") throw invalidParams("Invalid param: signature must be a string");
        sub = { kind: "signature", signature: params[0] };
        break;
      case "slotSubscribe":
        sub = { kind: "slot" };
        break;
      case "logsSubscribe": {
        const filter = params[0] as unknown;
        if (filter === "all" || filter === "allWithVotes") sub = { kind: "logs", mentions: null };
        else if (filter && typeof filter === "object" && Array.isArray((filter as { mentions?: unknown }).mentions)) {
          const mentions = (filter as { mentions: unknown[] }).mentions;
          if (mentions.length !== 1) throw invalidParams("Invalid Request: Only 1 address supported");
          sub = { kind: "logs", mentions: parsePubkey(mentions[0]) };
        } else throw invalidParams("Invalid param: logs filter");
        break;
      }
      default:
        throw new RpcError(METHOD_NOT_FOUND, "Method not found");
    }
    const id = this.nextId++;
    client.subscriptions.set(id, sub);
    if (sub.kind === "signature") {
      // Already processed: answer at once, as a validator does from its status cache.
      const record = this.ledger.getTransaction(sub.signature);
      if (record) setImmediate(() => this.notifySignature(client, id, record));
    }
    return id;
  }

  private send(client: Client, message: object): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
  }

  private notify(client: Client, id: number, kind: Subscription["kind"], result: unknown): void {
    this.notifyJson(client, id, kind, JSON.stringify(result));
  }

  /** `resultJson` is shared by every subscriber it goes to: encoded once, not once per subscriber. */
  private notifyJson(client: Client, id: number, kind: Subscription["kind"], resultJson: string): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    client.socket.send(
      `{"jsonrpc":"2.0","method":"${NOTIFICATION[kind]}","params":{"result":${resultJson},"subscription":${id}}}`,
    );
  }

  private notifySignature(client: Client, id: number, record: TxRecord): void {
    if (!client.subscriptions.delete(id)) return;
    this.notify(client, id, "signature", { context: { slot: record.slot }, value: { err: record.err } });
  }

  private onAccount(change: AccountChange): void {
    const context = { slot: change.slot };
    const results = new Map<string, string>();
    const encoded = (key: string, make: () => unknown) => {
      let json = results.get(key);
      if (json === undefined) results.set(key, (json = JSON.stringify(make())));
      return json;
    };
    const account = change.account;
    for (const client of this.clients) {
      for (const [id, sub] of client.subscriptions) {
        if (sub.kind === "account" && sub.pubkey === change.pubkey) {
          const json = encoded(`account:${sub.encoding}`, () => ({
            context,
            value: account
              ? encodeAccount(account, sub.encoding)
              : {
                  data: sub.encoding === "binary" ? "" : ["", sub.encoding],
                  executable: false,
                  lamports: 0,
                  owner: "11111111111111111111111111111111",
                  rentEpoch: 0,
                  space: 0,
                },
          }));
          this.notifyJson(client, id, "account", json);
        } else if (
          sub.kind === "program" &&
          account &&
          account.owner === sub.owner &&
          sub.filters.every((f) => f(account.data))
        ) {
          const json = encoded(`program:${sub.encoding}`, () => ({
            context,
            value: { pubkey: change.pubkey, account: encodeAccount(account, sub.encoding) },
          }));
          this.notifyJson(client, id, "program", json);
        }
      }
    }
  }

  private onSlot(slot: number): void {
    let json: string | undefined;
    for (const client of this.clients) {
      for (const [id, sub] of client.subscriptions) {
        if (sub.kind !== "slot") continue;
        json ??= JSON.stringify({ parent: slot - 1, root: Math.max(0, slot - 32), slot });
        this.notifyJson(client, id, "slot", json);
      }
    }
  }

  private onTransaction(record: TxRecord): void {
    let logs: string | undefined;
    for (const client of this.clients) {
      for (const [id, sub] of client.subscriptions) {
        if (sub.kind === "signature" && sub.signature === record.signature) this.notifySignature(client, id, record);
        else if (sub.kind === "logs" && (sub.mentions === null || record.accountKeys.includes(sub.mentions))) {
          logs ??= JSON.stringify({
            context: { slot: record.slot },
            value: { signature: record.signature, err: record.err, logs: record.logs },
          });
          this.notifyJson(client, id, "logs", logs);
        }
      }
    }
  }
}
