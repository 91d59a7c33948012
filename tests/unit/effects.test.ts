// The effects' own shaping: the job a decision asks for, the oracle a wait names, and the
// margin-call notice's webhook POST (received by a real HTTP server; a receiver that is down costs a
// warning per channel, nothing else).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { stepJobFor, unusableOracle } from "../../orchestrator/src/actors/effects.js";
import type { AccountContext } from "../../orchestrator/src/actors/account-machine.js";
import { jobId } from "../../orchestrator/src/jobs/steps.js";
import { createLogger } from "../../orchestrator/src/ops/log.js";
import { notifyOwner, webhookChannel } from "../../orchestrator/src/ops/webhook.js";
import { ChainStatus } from "../../orchestrator/src/risk/types.js";

const ctx = (over: Partial<AccountContext> = {}): AccountContext => ({
  account: "Acc1",
  requestedStep: null,
  requests: 0,
  state: "partial-liquidation",
  waitReason: null,
  chainStatus: ChainStatus.Healthy,
  liquidationId: "3",
  stepKey: "k7",
  shortfall: "1250",
  liquidationMarket: "MktA",
  unflagDue: false,
  ...over,
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, log: createLogger({ level: "debug", stream: stream as unknown as NodeJS.WritableStream }) };
}

describe("stepJobFor", () => {
  it("starts a liquidation on an account the chain shows healthy, in the market the evaluation chose", () => {
    const job = stepJobFor("liquidate", ctx(), undefined, 42);
    expect(job).toMatchObject({
      kind: "liquidate",
      account: "Acc1",
      market: "MktA",
      firstStep: true,
      shortfall: "1250",
    });
    expect(jobId(job)).toBe("liquidate-Acc1-3-k7");
    // Already flagged: a later step, served after every first one.
    expect(stepJobFor("liquidate", ctx({ chainStatus: ChainStatus.BeingLiquidated }), undefined, 42).firstStep).toBe(
      false,
    );
  });

  it("leaves the market to the worker for a resolve, names it for a claim, and keeps the decision's prices as JSON", () => {
    expect(stepJobFor("resolve", ctx(), undefined, 1).market).toBeNull();
    expect(stepJobFor("claim", ctx(), undefined, 1, "MktB").market).toBe("MktB");
    const ev = { health: { equity: 5n, initial: 9n, maintenance: 7n, liquidationEnd: 8n }, prices: { MktA: 3n } };
    const job = stepJobFor("liquidate", ctx(), ev as never, 1);
    expect(JSON.parse(JSON.stringify(job.decidedOn))).toEqual({
      health: { equity: "5", initial: "9", maintenance: "7", liquidationEnd: "8" },
      prices: { MktA: "3" },
    });
  });
});

describe("unusableOracle", () => {
  it("names the oracle of a refusal or of a price too old, and nothing else", () => {
    expect(unusableOracle("stale-oracle on Orc1")).toBe("Orc1");
    expect(unusableOracle("oracle-too-uncertain on Orc2")).toBe("Orc2");
    expect(unusableOracle("price of Orc3 is 80 slots old")).toBe("Orc3");
    expect(unusableOracle("account data is 200 slots old")).toBeNull();
    expect(unusableOracle("unknown market Mkt1")).toBeNull();
  });
});

describe("margin-call notices for the owner", () => {
  it("reach the webhook as a POST of the account, its owner, equity and maintenance", async () => {
    const got: { method?: string; type?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.push({ method: req.method, type: req.headers["content-type"], body });
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { log, lines } = capture();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const notice = { account: "Acc1", owner: "Own1", equity: 900n, maintenance: 1_000n, atMs: Date.UTC(2026, 0, 2) };
    notifyOwner([webhookChannel(url)], notice, log);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]).toEqual({
      method: "POST",
      type: "application/json",
      body: JSON.stringify({
        account: "Acc1",
        owner: "Own1",
        equity: "900",
        maintenance: "1000",
        time: "2026-01-02T00:00:00.000Z",
      }),
    });
    expect(lines).toEqual([]);
    server.close();
  });

  it("warns per channel, and throws nothing, when a receiver is down", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const { log, lines } = capture();
    const failing = { name: "pager", notify: async () => Promise.reject(new Error("pager down")) };
    const notice = { account: "Acc1", owner: undefined, equity: undefined, maintenance: undefined, atMs: 0 };
    notifyOwner([webhookChannel(`http://127.0.0.1:${port}/hook`), failing], notice, log);
    await expect.poll(() => lines.length).toBe(2);
    expect(lines.map((l) => [l.level, l.msg, l.channel, l.account]).sort()).toEqual([
      ["warn", "margin-call notice not delivered", "pager", "Acc1"],
      ["warn", "margin-call notice not delivered", "webhook", "Acc1"],
    ]);
  });
});
