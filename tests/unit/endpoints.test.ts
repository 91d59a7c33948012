// Several RPC endpoints against real local HTTP servers: one answering, one refusing connections (a
// closed port), one answering 503 or "node unhealthy", one slow. Reads fail over and never on a
// JSON-RPC error; a failed endpoint is probed after its cool-down; sends go to every endpoint at
// once; web3.js's Connection runs over the same endpoints; metrics name endpoints by host:port only.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Keypair, SystemProgram, Transaction } from "@solana/web3.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Endpoint,
  EndpointFailure,
  RpcError,
  endpointLabels,
  hostPort,
} from "../../orchestrator/src/chain/endpoint.js";
import { NoEndpointAnswered, RpcEndpoints, type CallOutcome } from "../../orchestrator/src/chain/endpoints.js";
import { endpointConnection } from "../../orchestrator/src/chain/rpc-fetch.js";
import { StepRpc } from "../../orchestrator/src/chain/rpc.js";
import { Metrics } from "../../orchestrator/src/ops/metrics.js";

type Behaviour = "answer" | "503" | "429" | "unhealthy" | "error";

interface FakeRpc {
  url: string;
  label: string;
  /** Methods asked, in order. */
  calls: string[];
  /** Each request's params. */
  params: unknown[];
  behaviour: Behaviour;
  delayMs: number;
}

const servers: Server[] = [];
const pools: RpcEndpoints[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const p of pools.splice(0)) p.close();
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A JSON-RPC server on a free port: getSlot answers `slot`, sendTransaction the signature "sig". */
async function fakeRpc(slot: number, behaviour: Behaviour = "answer", delayMs = 0, path = "/"): Promise<FakeRpc> {
  const fake = { calls: [] as string[], params: [] as unknown[], behaviour, delayMs } as FakeRpc;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const { id, method, params } = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      fake.calls.push(method);
      fake.params.push(params);
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
      };
      setTimeout(() => {
        // The client gave up (its timeout): nothing to answer.
        if (req.socket.destroyed) return;
        if (fake.behaviour === "503") return reply(503, "upstream unavailable");
        if (fake.behaviour === "429")
          return reply(429, { jsonrpc: "2.0", id, error: { code: 429, message: "slow down" } });
        if (fake.behaviour === "unhealthy")
          return reply(200, { jsonrpc: "2.0", id, error: { code: -32005, message: "Node is behind by 200 slots" } });
        if (fake.behaviour === "error")
          return reply(200, {
            jsonrpc: "2.0",
            id,
            error: { code: -32003, message: "Transaction signature verification failure" },
          });
        const result =
          method === "sendTransaction" ? "sig" : method === "getVersion" ? { "solana-core": "2.2.0" } : slot;
        if (method === "getLatestBlockhash")
          return reply(200, {
            jsonrpc: "2.0",
            id,
            result: {
              context: { slot },
              value: { blockhash: Keypair.generate().publicKey.toBase58(), lastValidBlockHeight: 9 },
            },
          });
        reply(200, { jsonrpc: "2.0", id, result });
      }, fake.delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${port}${path}`;
  fake.label = `127.0.0.1:${port}`;
  return fake;
}

/** A URL where nothing listens: connections are refused. */
async function closedPort(): Promise<{ url: string; label: string }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return { url: `http://127.0.0.1:${port}/`, label: `127.0.0.1:${port}` };
}

function pool(
  roles: { read?: string[]; send?: string[]; confirm?: string[] },
  opts: { timeoutMs?: number; cooldownMs?: number; rateLimits?: Record<string, number> } = {},
) {
  const outcomes: { endpoint: string; method: string; outcome: CallOutcome }[] = [];
  const read = roles.read ?? [];
  const p = new RpcEndpoints(
    {
      read,
      send: roles.send ?? read,
      confirm: roles.confirm ?? read,
      timeoutMs: opts.timeoutMs ?? 2_000,
      cooldownMs: opts.cooldownMs ?? 5_000,
      rateLimits: opts.rateLimits ?? {},
    },
    { request: (endpoint, method, _s, outcome) => outcomes.push({ endpoint, method, outcome }) },
  );
  pools.push(p);
  return { p, outcomes };
}

const getSlot = (p: RpcEndpoints) => p.call<number>("read", "getSlot", []);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );

describe("RPC endpoints: reads", () => {
  it("asks the first endpoint while it answers, and fails over when it refuses connections", async () => {
    const down = await closedPort();
    const a = await fakeRpc(1);
    const b = await fakeRpc(2);
    const healthy = pool({ read: [a.url, b.url] });
    expect([await getSlot(healthy.p), await getSlot(healthy.p)]).toEqual([1, 1]);
    expect(b.calls).toEqual([]);

    const { p, outcomes } = pool({ read: [down.url, a.url] });
    expect(await getSlot(p)).toBe(1);
    expect(outcomes.slice(0, 2)).toEqual([
      { endpoint: down.label, method: "getSlot", outcome: "connection" },
      { endpoint: a.label, method: "getSlot", outcome: "ok" },
    ]);
    // Cooling down: the next read goes straight to the endpoint that answers.
    expect(await getSlot(p)).toBe(1);
    expect(outcomes.filter((o) => o.endpoint === down.label)).toHaveLength(1);
    expect(p.order("read").map((e) => e.label)).toEqual([a.label, down.label]);
  });

  it("fails over on HTTP 503, 429 and a node that says it is behind, but returns a JSON-RPC error as the answer", async () => {
    const overloaded = await fakeRpc(1, "503");
    const limited = await fakeRpc(2, "429");
    const behind = await fakeRpc(3, "unhealthy");
    const good = await fakeRpc(4);
    const { p, outcomes } = pool({ read: [overloaded.url, limited.url, behind.url, good.url] });
    expect(await getSlot(p)).toBe(4);
    expect(outcomes.map((o) => o.outcome)).toEqual(["http", "http", "unhealthy", "ok"]);

    // The same question elsewhere would get the same answer: it is never asked again.
    const erring = await fakeRpc(5, "error");
    const other = await fakeRpc(6);
    const answering = pool({ read: [erring.url, other.url] });
    const e = await failure(getSlot(answering.p));
    expect(e).toBeInstanceOf(RpcError);
    expect((e as RpcError).code).toBe(-32003);
    expect(other.calls).toEqual([]);
    expect(answering.outcomes.map((o) => o.outcome)).toEqual(["answer"]);
    // An answer is no failure: the endpoint stays first.
    expect(answering.p.order("read")[0].label).toBe(erring.label);
  });

  it("fails over from an endpoint that does not answer in time, and moves a slow one behind a fast one", async () => {
    const stuck = await fakeRpc(1, "answer", 1_500);
    const fast = await fakeRpc(2);
    const { p, outcomes } = pool({ read: [stuck.url, fast.url] }, { timeoutMs: 200 });
    const start = Date.now();
    expect(await getSlot(p)).toBe(2);
    expect(Date.now() - start).toBeLessThan(1_000);
    expect(outcomes[0]).toMatchObject({ endpoint: stuck.label, outcome: "timeout" });

    // Slow but answering: no failure, but its health falls below the fast endpoint's.
    const slow = await fakeRpc(3, "answer", 300);
    const other = await fakeRpc(4);
    const latency = pool({ read: [slow.url, other.url] });
    expect(await getSlot(latency.p)).toBe(3);
    const [first, second] = latency.p.order("read");
    expect(first.label).toBe(other.label);
    expect(second.health()).toBeLessThan(0.9);
    expect(second.health()).toBeGreaterThan(0.5);
    expect(await getSlot(latency.p)).toBe(4);
  });

  it("names every endpoint's failure when none answers, by host:port and never the URL's path", async () => {
    const down = await closedPort();
    const overloaded = await fakeRpc(1, "503", 0, "/v2/secret-api-key");
    const { p } = pool({ read: [down.url, overloaded.url] });
    const e = await failure(getSlot(p));
    expect(e).toBeInstanceOf(NoEndpointAnswered);
    const message = (e as Error).message;
    expect(message).toContain(`${down.label}: ECONNREFUSED`);
    expect(message).toContain(`${overloaded.label}: HTTP 503`);
    expect(message).not.toContain("secret-api-key");
    expect((e as NoEndpointAnswered).failures.map((f) => f.reason)).toEqual(["connection", "http"]);
  });

  it("tries an endpoint that is cooling down when no other is left", async () => {
    const good = await fakeRpc(7);
    const { p } = pool({ read: [good.url] });
    good.behaviour = "503";
    await failure(getSlot(p));
    good.behaviour = "answer";
    // Alone in its role: asked at once, cool-down or not, as a single rpcUrl always was.
    expect(await getSlot(p)).toBe(7);
  });

  it("probes a failed endpoint in the background after its cool-down and gives it the reads back once healthy", async () => {
    const primary = await fakeRpc(1, "503");
    const backup = await fakeRpc(2);
    const { p } = pool({ read: [primary.url, backup.url] }, { cooldownMs: 50 });
    expect(await getSlot(p)).toBe(2);
    primary.behaviour = "answer";
    await new Promise((r) => setTimeout(r, 80));
    // Cool-down over: this read still goes to the backup while a getSlot probes the primary.
    expect(await getSlot(p)).toBe(2);
    await expect.poll(() => p.order("read")[1].failuresInRow).toBe(0);
    expect(primary.calls).toEqual(["getSlot", "getSlot"]);
    // Its one failure fades (half-life 10 s) and it is first again.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 60_000);
    expect(await getSlot(p)).toBe(1);
  });

  it("sends a read to another endpoint while the first one's rate budget is spent", async () => {
    const a = await fakeRpc(1);
    const b = await fakeRpc(2);
    const { p } = pool({ read: [a.url, b.url] }, { rateLimits: { [a.label]: 2 } });
    const slots = [];
    for (let i = 0; i < 4; i++) slots.push(await getSlot(p));
    expect(slots).toEqual([1, 1, 2, 2]);
  });
});

describe("RPC endpoints: health", () => {
  it("cools a failed endpoint down for twice as long after each failure in a row, up to a minute, and ends it on an answer", () => {
    const e = new Endpoint("http://127.0.0.1:1/", "127.0.0.1:1", { timeoutMs: 1_000, cooldownMs: 5_000 });
    const now = 1_000_000;
    expect(e.health(now)).toBe(1);
    const cools = [1, 2, 3, 4, 5, 6].map((i) => {
      e.failed("connection", 1, now);
      return [i, e.coolUntilMs - now];
    });
    expect(cools).toEqual([
      [1, 5_000],
      [2, 10_000],
      [3, 20_000],
      [4, 40_000],
      [5, 60_000],
      [6, 60_000],
    ]);
    expect(e.health(now)).toBe(0);
    e.answered(10, now + 1);
    expect(e.cooling(now + 1)).toBe(false);
    expect(e.failuresInRow).toBe(0);
    // Six failures, one answer: most recent calls failed.
    expect(e.health(now + 1)).toBeLessThan(0.3);
    // Idle for a minute: the failures have faded.
    expect(e.health(now + 60_000)).toBeGreaterThan(0.95);
  });

  it("labels endpoints host:port, numbering further URLs on the same host and port", () => {
    expect(hostPort("https://rpc.example.com/v1/KEY?api-key=x")).toBe("rpc.example.com:443");
    expect(hostPort("http://10.0.0.1:8899")).toBe("10.0.0.1:8899");
    expect([
      ...endpointLabels([
        "https://rpc.example.com/a",
        "https://rpc.example.com/b",
        "https://rpc.example.com/a",
        "http://127.0.0.1:8899",
      ]).values(),
    ]).toEqual(["rpc.example.com:443", "rpc.example.com:443#2", "127.0.0.1:8899"]);
  });
});

describe("RPC endpoints: sends", () => {
  const raw = Buffer.from("signed transaction bytes");

  it("broadcasts the same signed bytes to every send endpoint and succeeds when one accepts", async () => {
    const down = await closedPort();
    const a = await fakeRpc(1);
    const b = await fakeRpc(2);
    const { p, outcomes } = pool({ read: [a.url], send: [down.url, a.url, b.url] });
    const rpc = new StepRpc(p);
    expect(await rpc.sendTransaction(raw, 3)).toBe("sig");
    await expect.poll(() => b.calls.length).toBe(1);
    expect(a.params).toEqual(b.params);
    expect((a.params[0] as unknown[])[0]).toBe(raw.toString("base64"));
    await expect.poll(() => outcomes.find((o) => o.endpoint === down.label)?.outcome).toBe("connection");
  });

  it("does not wait for a slow send endpoint once another accepted", async () => {
    const slow = await fakeRpc(1, "answer", 1_500);
    const fast = await fakeRpc(2);
    const { p } = pool({ read: [fast.url], send: [slow.url, fast.url] });
    const start = Date.now();
    expect(await new StepRpc(p).sendTransaction(raw, 0)).toBe("sig");
    expect(Date.now() - start).toBeLessThan(1_000);
  });

  it("is accepted when one endpoint accepts while another answers an error", async () => {
    const erring = await fakeRpc(1, "error");
    const good = await fakeRpc(2);
    const { p } = pool({ read: [good.url], send: [erring.url, good.url] });
    expect(await new StepRpc(p).sendTransaction(raw, 0)).toBe("sig");
  });

  it("rejects with the JSON-RPC error when no endpoint accepted, and with every failure when none answered", async () => {
    const erring = await fakeRpc(1, "error");
    const down = await closedPort();
    const overloaded = await fakeRpc(2, "503");
    const answered = pool({ read: [erring.url], send: [down.url, erring.url] });
    const e = await failure(new StepRpc(answered.p).sendTransaction(raw, 0));
    expect(e).toBeInstanceOf(RpcError);
    expect((e as RpcError).code).toBe(-32003);

    const none = pool({ read: [overloaded.url], send: [down.url, overloaded.url] });
    const all = await failure(new StepRpc(none.p).sendTransaction(raw, 0));
    expect(all).toBeInstanceOf(NoEndpointAnswered);
    expect((all as NoEndpointAnswered).failures.map((f) => f.endpoint).sort()).toEqual(
      [down.label, overloaded.label].sort(),
    );
  });

  it("leaves a send endpoint out while it cools down, and sends to it again after", async () => {
    const flaky = await fakeRpc(1, "503");
    const good = await fakeRpc(2);
    const { p } = pool({ read: [good.url], send: [flaky.url, good.url] }, { cooldownMs: 50 });
    const rpc = new StepRpc(p);
    await rpc.sendTransaction(raw, 0);
    await expect.poll(() => flaky.calls.length).toBe(1);
    await rpc.sendTransaction(raw, 0);
    expect(flaky.calls).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 80));
    flaky.behaviour = "answer";
    await rpc.sendTransaction(raw, 0);
    await expect.poll(() => flaky.calls.length).toBe(2);
  });
});

describe("web3.js Connection over the endpoints", () => {
  it("fails over its reads, passes JSON-RPC errors through as web3.js's own, and broadcasts its sends", async () => {
    const down = await closedPort();
    const a = await fakeRpc(11);
    const b = await fakeRpc(12);
    const erring = await fakeRpc(13, "error");
    const { p } = pool({ read: [down.url, a.url], send: [a.url, b.url] });
    const connection = endpointConnection(p, "read", "ws://127.0.0.1:1");
    expect(await connection.getSlot()).toBe(11);

    const payer = Keypair.generate();
    const tx = new Transaction({
      feePayer: payer.publicKey,
      blockhash: payer.publicKey.toBase58(),
      lastValidBlockHeight: 9,
    });
    tx.add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: payer.publicKey, lamports: 1 }));
    tx.sign(payer);
    expect(await connection.sendRawTransaction(tx.serialize(), { skipPreflight: true })).toBe("sig");
    await expect.poll(() => b.calls).toEqual(["sendTransaction"]);

    const answering = pool({ read: [erring.url, a.url] });
    const e = await failure(endpointConnection(answering.p, "read", "ws://127.0.0.1:1").getSlot());
    expect((e as Error).message).toMatch(/signature verification failure/);
    expect(a.calls).toEqual(["getSlot", "sendTransaction"]);
  });
});

describe("RPC endpoint metrics", () => {
  it("counts requests, errors and latency per endpoint and method, and reports health, labelled host:port only", async () => {
    const down = await closedPort();
    const good = await fakeRpc(1, "answer", 0, "/secret-api-key");
    const metrics = new Metrics({ processMetrics: false });
    const p = new RpcEndpoints(
      {
        read: [down.url, good.url],
        send: [good.url],
        confirm: [good.url],
        timeoutMs: 1_000,
        cooldownMs: 5_000,
        rateLimits: {},
      },
      { request: (endpoint, method, seconds, outcome) => metrics.rpcRequest(endpoint, method, seconds, outcome) },
    );
    pools.push(p);
    metrics.watchEndpoints(() => p.all.map((e) => ({ label: e.label, health: e.health() })));
    await getSlot(p);
    const text = (await metrics.expose()).body;
    expect(text).toContain(`rpc_requests_total{endpoint="${down.label}",method="getSlot"} 1`);
    expect(text).toContain(`rpc_errors_total{endpoint="${down.label}",method="getSlot",reason="connection"} 1`);
    expect(text).toContain(`rpc_request_seconds_count{endpoint="${good.label}",method="getSlot"} 1`);
    expect(text).toContain(`rpc_endpoint_health{endpoint="${down.label}"} 0`);
    expect(text).toMatch(new RegExp(`rpc_endpoint_health\\{endpoint="${good.label}"\\} 0\\.9`));
    expect(text).not.toContain("secret-api-key");
  });
});

describe("EndpointFailure", () => {
  it("names the endpoint by its label", () => {
    expect(new EndpointFailure("rpc.example.com:443", "timeout", "no answer within 10 ms").message).toBe(
      "rpc.example.com:443: no answer within 10 ms",
    );
  });
});
