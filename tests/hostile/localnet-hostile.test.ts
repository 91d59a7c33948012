// The localnet as its own process, attacked the way a hostile client would: oversized bodies,
// keys, filters and transactions, deep JSON, bad ids, base58 of a large account, a heavy batch and
// oversized or malformed websocket messages. Meanwhile a second client, on a thread of its own,
// asks `getHealth` every 10 ms: no answer may take more than 100 ms, and slots keep coming.
// (Run on its own by `npm run test:hostile`, so other suites do not share the two cores with it.)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { SystemProgram } from "@solana/web3.js";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalnetProcess, type RemoteLocalnet } from "../../orchestrator/demo/localnet-process.js";

const SLOT_MS = 100;
const LIMIT_MS = 100;
let localnet: RemoteLocalnet;

beforeAll(async () => {
  localnet = await startLocalnetProcess(SLOT_MS, mkdtempSync(join(tmpdir(), "margin-warden-hostile-")));
});
afterAll(async () => {
  await localnet?.child.stop();
});

/** getHealth every 10 ms from a worker thread (its own event loop): latency of every answer. */
function startProbe(url: string) {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require("node:worker_threads");
    const samples = [];
    const WARM_UP = 10;
    let answered = 0;
    let stop = false;
    parentPort.on("message", () => (stop = true));
    (async () => {
      while (!stop) {
        const start = performance.now();
        try {
          const res = await fetch(workerData.url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"jsonrpc":"2.0","id":1,"method":"getHealth"}' });
          const body = await res.json();
          // The first answers pay for the client's own start (its HTTP stack, the connection).
          if (++answered === WARM_UP) parentPort.postMessage("ready");
          if (answered > WARM_UP) samples.push({ ms: performance.now() - start, ok: body.result === "ok", at: Date.now() });
        } catch (e) {
          samples.push({ ms: performance.now() - start, ok: false });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      parentPort.postMessage(samples);
    })();
    `,
    { eval: true, workerData: { url } },
  );
  const ready = new Promise<void>((resolve) => worker.once("message", () => resolve()));
  return {
    ready,
    stop: () =>
      new Promise<{ ms: number; ok: boolean }[]>((resolve) => {
        worker.once("message", (samples) => void worker.terminate().then(() => resolve(samples)));
        worker.postMessage("stop");
      }),
  };
}

const post = (body: string) =>
  fetch(localnet.rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
    async (r) => ({ status: r.status, json: r.status === 200 ? await r.json() : null }),
    () => ({ status: "reset" as const, json: null }),
  );
const code = (r: { json: { error?: { code: number } } | null }) => r.json?.error?.code;

/** Sends one websocket message and says how the server took it: its reply, or the close code. */
function wsExchange(message: string | Buffer): Promise<{ reply?: unknown; closed?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(localnet.wsUrl);
    const timer = setTimeout(() => reject(new Error("no answer over the websocket")), 10_000);
    ws.on("open", () => ws.send(message));
    ws.on("message", (data) => {
      clearTimeout(timer);
      ws.close();
      resolve({ reply: JSON.parse(data.toString()) });
    });
    ws.on("close", (closed) => {
      clearTimeout(timer);
      resolve({ closed });
    });
    ws.on("error", () => {});
  });
}

describe("a localnet under hostile input", () => {
  it("refuses every hostile request quickly while getHealth keeps answering within 100 ms", async () => {
    const TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
    const request = (method: string, params: unknown[], id: unknown = 1) =>
      JSON.stringify({ jsonrpc: "2.0", id, method, params });
    // Every body is built before the clock starts: only the server's handling is measured.
    const http: [string, string, (r: Awaited<ReturnType<typeof post>>) => unknown][] = [
      // Bodies over the 50 KiB limit: refused unread.
      [
        "10 MB base64 transaction",
        request("sendTransaction", [Buffer.alloc(7_500_000, 3).toString("base64"), { encoding: "base64" }]),
        (r) => r.status,
      ],
      ["10 MB base58 pubkey", request("getBalance", ["1".repeat(10_000_000)]), (r) => r.status],
      [
        "1M-deep params",
        `{"jsonrpc":"2.0","id":1,"method":"getBalance","params":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`,
        (r) => r.status,
      ],
      // Under the body limit: refused by the method's own limits, before decoding.
      ["40 KB base58 pubkey", request("getBalance", ["1".repeat(40_000)]), code],
      ["40 KB base58 transaction", request("sendTransaction", ["2".repeat(40_000)]), code],
      [
        "40 KB memcmp",
        request("getProgramAccounts", [
          SystemProgram.programId.toBase58(),
          { filters: [{ memcmp: { offset: 0, bytes: "3".repeat(40_000) } }] },
        ]),
        code,
      ],
      [
        "1,300-byte transaction",
        request("sendTransaction", [Buffer.alloc(1_300, 1).toString("base64"), { encoding: "base64" }]),
        code,
      ],
      [
        "20k-deep params",
        `{"jsonrpc":"2.0","id":1,"method":"getBalance","params":[${"[".repeat(20_000)}${"]".repeat(20_000)}]}`,
        code,
      ],
      ["object id", request("getSlot", [], { a: 1 }), code],
      ["notification", JSON.stringify({ jsonrpc: "2.0", method: "getSlot" }), (r) => r.status],
      ["base58 of a 134 KB account", request("getAccountInfo", [TOKEN, { encoding: "base58" }]), code],
      [
        "1,001-request batch",
        JSON.stringify(Array.from({ length: 1_001 }, (_, id) => ({ jsonrpc: "2.0", id, method: "getHealth" }))),
        code,
      ],
      // The heaviest batch the body limit lets through: 300 full reads of the SPL Token program (40 MB of answer).
      [
        "300 × getAccountInfo of 134 KB",
        JSON.stringify(
          Array.from({ length: 300 }, (_, id) => ({
            jsonrpc: "2.0",
            id,
            method: "getAccountInfo",
            params: [TOKEN, { encoding: "base64" }],
          })),
        ),
        (r) => (Array.isArray(r.json) ? r.json.length : r.status),
      ],
    ];
    const ws: [string, string | Buffer, (r: { reply?: unknown; closed?: number }) => unknown][] = [
      ["1 MB websocket message", Buffer.alloc(1_000_000, 0x5b), (r) => r.closed],
      [
        "websocket 40 KB pubkey",
        request("accountSubscribe", ["1".repeat(40_000)]),
        (r) => (r.reply as { error?: { code: number } }).error?.code,
      ],
      [
        "websocket deep params",
        `{"jsonrpc":"2.0","id":1,"method":"accountSubscribe","params":${"[".repeat(30_000)}${"]".repeat(30_000)}}`,
        (r) => (r.reply as { error?: { code: number } }).error?.code,
      ],
    ];

    const slotBefore = await localnet.rpc<number>("getSlot");
    const probe = startProbe(localnet.rpcUrl);
    await probe.ready;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    const outcomes: Record<string, unknown> = {};
    const marks: [string, number][] = [];
    for (const [name, body, read] of http) {
      outcomes[name] = read(await post(body));
      marks.push([name, Date.now()]);
    }
    for (const [name, message, read] of ws) {
      outcomes[name] = read(await wsExchange(message));
      marks.push([name, Date.now()]);
    }
    await new Promise((r) => setTimeout(r, 200));
    const samples = await probe.stop();
    const elapsed = Date.now() - started;
    const slotAfter = await localnet.rpc<number>("getSlot");

    expect(outcomes).toEqual({
      "10 MB base64 transaction": expect.toSatisfy((s) => s === 413 || s === "reset"),
      "10 MB base58 pubkey": expect.toSatisfy((s) => s === 413 || s === "reset"),
      "1M-deep params": expect.toSatisfy((s) => s === 413 || s === "reset"),
      "40 KB base58 pubkey": -32602,
      "40 KB base58 transaction": -32602,
      "40 KB memcmp": -32602,
      "1,300-byte transaction": -32602,
      "20k-deep params": -32602,
      "object id": -32600,
      notification: 204,
      "base58 of a 134 KB account": -32600,
      "1,001-request batch": -32600,
      "300 × getAccountInfo of 134 KB": 300,
      "1 MB websocket message": 1009,
      "websocket 40 KB pubkey": -32602,
      "websocket deep params": -32602,
    });
    const worst = Math.max(...samples.map((s) => s.ms));
    if (process.env.HOSTILE_TRACE) console.log(JSON.stringify({ samples: samples.filter((s) => s.ms > 20), marks }));
    console.log(
      `getHealth under attack: ${samples.length} answers over ${elapsed} ms, worst ${worst.toFixed(1)} ms; slots ${slotBefore} → ${slotAfter}`,
    );
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.every((s) => s.ok)).toBe(true);
    expect(worst).toBeLessThan(LIMIT_MS);
    // The slot timer kept running: at least half the slots the elapsed time allows.
    expect(slotAfter - slotBefore).toBeGreaterThan(elapsed / SLOT_MS / 2);
    expect(await localnet.rpc<string>("getHealth")).toBe("ok");
  });
});
