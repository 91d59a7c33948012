// The two JSON-RPC calls every step makes (read the accounts, send the transaction), as plain
// requests over kept-alive HTTP. web3.js's Connection validates each response against superstruct
// schemas and goes through fetch; a wave of steps spent more CPU there than anywhere else. The
// rest of the orchestrator keeps using Connection.
import http from "node:http";
import https from "node:https";
import { PublicKey, type Connection } from "@solana/web3.js";

export interface RawAccount {
  owner: string;
  lamports: number;
  data: Buffer;
}

/** What a snapshot needs of an RPC: accounts at one slot. */
export interface AccountReader {
  getMultipleAccounts(keys: string[]): Promise<{ slot: number; value: (RawAccount | null)[] }>;
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

const TIMEOUT_MS = 10_000;

export class StepRpc implements AccountReader {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private nextId = 1;

  constructor(rpcUrl: string) {
    this.url = new URL(rpcUrl);
    const Agent = this.url.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  }

  /**
   * One retry when a kept-alive socket was closed by the server as the request went out: every
   * call here is safe to repeat (reads, and resending the same signed bytes).
   */
  async call<T>(method: string, params: unknown[]): Promise<T> {
    try {
      return await this.once<T>(method, params);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ECONNRESET" && (e as Error).message !== "socket hang up") throw e;
      return this.once<T>(method, params);
    }
  }

  private once<T>(method: string, params: unknown[]): Promise<T> {
    const body = JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params });
    const request = this.url.protocol === "https:" ? https.request : http.request;
    return new Promise<T>((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          timeout: TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 500) >= 400 && !text.startsWith("{"))
              return reject(new Error(`${method}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
            let reply: { result?: T; error?: { code: number; message: string; data?: unknown } };
            try {
              reply = JSON.parse(text);
            } catch {
              return reject(
                new Error(`${method}: the RPC answered something that is not JSON (HTTP ${res.statusCode})`),
              );
            }
            if (reply.error)
              return reject(new RpcError(reply.error.code, `${method}: ${reply.error.message}`, reply.error.data));
            resolve(reply.result as T);
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method}: no answer within ${TIMEOUT_MS} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  async getMultipleAccounts(keys: string[]): Promise<{ slot: number; value: (RawAccount | null)[] }> {
    type Wire = { owner: string; lamports: number; data: [string, string] } | null;
    const r = await this.call<{ context: { slot: number }; value: Wire[] }>("getMultipleAccounts", [
      keys,
      { encoding: "base64", commitment: "confirmed" },
    ]);
    return {
      slot: r.context.slot,
      value: r.value.map((a) =>
        a ? { owner: a.owner, lamports: a.lamports, data: Buffer.from(a.data[0], "base64") } : null,
      ),
    };
  }

  /** Sends signed bytes without preflight; returns the signature the RPC reports. */
  sendTransaction(raw: Buffer, maxRetries: number): Promise<string> {
    return this.call<string>("sendTransaction", [
      raw.toString("base64"),
      { encoding: "base64", skipPreflight: true, maxRetries },
    ]);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A web3.js Connection as an AccountReader (tests and tools that already hold one). */
export function connectionReader(connection: Connection): AccountReader {
  return {
    async getMultipleAccounts(keys) {
      const { context, value } = await connection.getMultipleAccountsInfoAndContext(
        keys.map((k) => new PublicKey(k)),
        "confirmed",
      );
      return {
        slot: context.slot,
        value: value.map((a) => (a ? { owner: a.owner.toBase58(), lamports: a.lamports, data: a.data } : null)),
      };
    },
  };
}
