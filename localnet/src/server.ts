// `startLocalnet`: the HTTP JSON-RPC server and the PubSub WebSocket server over one Ledger.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { Ledger } from "./ledger.js";
import { rpcReply } from "./rpc.js";
import { PubSub } from "./pubsub.js";
import { compileFilters } from "./rpc.js";

export interface LocalnetOptions {
  host?: string;
  /** HTTP JSON-RPC port; 0 picks a free one. PubSub listens on port + 1 (as web3.js expects). */
  port?: number;
  /** Milliseconds per slot; 0 stops the slot timer. */
  slotMs?: number;
}

export interface Localnet {
  rpcUrl: string;
  wsUrl: string;
  ledger: Ledger;
  close(): Promise<void>;
}

/** A validator's limit on a JSON-RPC request body. */
export const MAX_BODY_BYTES = 50 * 1024;
/** PubSub requests are small; a longer message closes its connection (1009) unread. */
export const MAX_WS_MESSAGE_BYTES = 64 * 1024;

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Writes the reply's pieces as they come, waiting while the client is slow to read; 204 when there is nothing to answer. */
async function answer(res: http.ServerResponse, pieces: AsyncGenerator<string>): Promise<void> {
  let started = false;
  for await (const piece of pieces) {
    if (res.destroyed) return;
    if (!started) res.writeHead(200, { "content-type": "application/json" });
    started = true;
    if (!res.write(piece)) await new Promise((resolve) => (res.once("drain", resolve), res.once("close", resolve)));
  }
  if (!started) res.writeHead(204);
  res.end();
}

function rpcServer(ledger: Ledger): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.writableEnded) return;
      void answer(res, rpcReply(Buffer.concat(chunks).toString("utf8"), ledger));
    });
    req.on("error", () => res.destroy());
  });
  // Clients (web3.js through undici) keep connections alive; a short server timeout races with
  // their reuse of an idle socket and surfaces as ECONNRESET.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  return server;
}

/** Starts a localnet; with port 0 it finds a free pair of adjacent ports. */
export async function startLocalnet(options: LocalnetOptions = {}): Promise<Localnet> {
  const host = options.host ?? "127.0.0.1";
  const ledger = new Ledger({ slotMs: options.slotMs ?? 400 });
  const http = rpcServer(ledger);
  let wss: WebSocketServer | undefined;
  let port = options.port ?? 8899;
  for (let attempt = 0; ; attempt++) {
    const candidate = options.port === 0 ? 20000 + Math.floor(Math.random() * 40000) : port;
    try {
      port = await listen(http, candidate, host);
      wss = await new Promise<WebSocketServer>((resolve, reject) => {
        const server = new WebSocketServer({ host, port: port + 1, maxPayload: MAX_WS_MESSAGE_BYTES });
        server.once("listening", () => resolve(server));
        server.once("error", reject);
      });
      break;
    } catch (e) {
      if (http.listening) await new Promise((r) => http.close(r));
      if (options.port !== 0 || attempt >= 20) throw e;
    }
  }
  new PubSub(ledger, wss, compileFilters);
  ledger.start();
  return {
    rpcUrl: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port + 1}`,
    ledger,
    async close() {
      ledger.stop();
      for (const client of wss!.clients) client.terminate();
      await new Promise((r) => wss!.close(r));
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
