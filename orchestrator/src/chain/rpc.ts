// The two JSON-RPC calls every step makes (read the accounts, send the transaction), as plain
// requests over kept-alive HTTP (chain/endpoint.ts): reads fail over across the read endpoints,
// sends go to every send endpoint (chain/endpoints.ts). web3.js validates each response against
// superstruct schemas; a wave of steps spent more CPU there than anywhere else. The rest of the
// orchestrator keeps using Connection, over the same endpoints (chain/rpc-fetch.ts).
import { PublicKey, type Connection } from "@solana/web3.js";
import { RpcEndpoints } from "./endpoints.js";

export interface RawAccount {
  owner: string;
  lamports: number;
  data: Buffer;
}

/** What a snapshot needs of an RPC: accounts at one slot. */
export interface AccountReader {
  getMultipleAccounts(keys: string[]): Promise<{ slot: number; value: (RawAccount | null)[] }>;
}

export { RpcError } from "./endpoint.js";

export class StepRpc implements AccountReader {
  readonly endpoints: RpcEndpoints;

  /** A URL alone is one endpoint in every role. */
  constructor(endpoints: RpcEndpoints | string) {
    this.endpoints = typeof endpoints === "string" ? RpcEndpoints.single(endpoints) : endpoints;
  }

  /** A read, failing over across the read endpoints. */
  call<T>(method: string, params: unknown[]): Promise<T> {
    return this.endpoints.call<T>("read", method, params);
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

  /**
   * Sends signed bytes without preflight to every send endpoint at once; returns the signature the
   * first one to accept reports. The bytes and so the signature are the same everywhere: the
   * cluster executes them at most once, however many endpoints forward them.
   */
  sendTransaction(raw: Buffer, maxRetries: number): Promise<string> {
    return this.endpoints.broadcast<string>("sendTransaction", [
      raw.toString("base64"),
      { encoding: "base64", skipPreflight: true, maxRetries },
    ]);
  }

  close(): void {
    this.endpoints.close();
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
