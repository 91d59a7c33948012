// The localnet as a separate process, as an RPC node is to a liquidator: started with `node`,
// reached only over JSON-RPC and PubSub. Calls this process makes are counted so they can be told
// apart from the liquidator's in the localnet's own request counts.
import { Connection } from "@solana/web3.js";
import { rpcAccountWriter, type AccountWriter } from "./exchange.js";
import { freePortPair, spawnNode, waitFor, type Child } from "./processes.js";

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RemoteLocalnet {
  child: Child;
  rpcUrl: string;
  wsUrl: string;
  connection: Connection;
  write: AccountWriter;
  rpc<T>(method: string, params?: unknown[]): Promise<T>;
  /** JSON-RPC calls this process has made by method (web3.js Connection calls excluded). */
  ownCalls(): Record<string, number>;
}

export const METHOD_NOT_FOUND = -32601;

export async function startLocalnetProcess(slotMs: number, logDir: string): Promise<RemoteLocalnet> {
  const port = await freePortPair();
  const child = spawnNode(
    "localnet",
    "localnet/src/main.ts",
    ["--port", String(port), "--slot-ms", String(slotMs)],
    logDir,
  );
  const rpcUrl = `http://127.0.0.1:${port}`;
  const own: Record<string, number> = {};
  const count = (method: string) => void (own[method] = (own[method] ?? 0) + 1);
  const rpc = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    count(method);
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const reply = (await res.json()) as { result?: T; error?: { code: number; message: string } };
    if (reply.error) throw new RpcError(reply.error.code, `${method}: ${reply.error.message}`);
    return reply.result as T;
  };
  await waitFor("the localnet to answer getSlot", 60_000, () => rpc<number>("getSlot"), child);
  const wsUrl = `ws://127.0.0.1:${port + 1}`;
  return {
    child,
    rpcUrl,
    wsUrl,
    connection: new Connection(rpcUrl, { commitment: "confirmed", wsEndpoint: wsUrl }),
    write: rpcAccountWriter(rpcUrl, () => count("localnet_setAccount")),
    rpc,
    ownCalls: () => ({ ...own }),
  };
}

/** Closes the web3.js websocket for good (it would otherwise try to reconnect to a stopped localnet). */
export function closeConnection(connection: Connection): void {
  const socket = (connection as unknown as { _rpcWebSocket?: { close(): void; reconnect?: boolean } })._rpcWebSocket;
  if (!socket) return;
  socket.reconnect = false;
  socket.close();
}
