// The effects' own shaping: the job a decision asks for, and the margin-call webhook's POST
// (received by a real HTTP server; a receiver that is down costs a warning, nothing else).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { stepJobFor } from "../../orchestrator/src/actors/effects.js";
import type { AccountContext } from "../../orchestrator/src/actors/account-machine.js";
import { jobId } from "../../orchestrator/src/jobs/steps.js";
import { createLogger } from "../../orchestrator/src/ops/log.js";
import { postMarginCall } from "../../orchestrator/src/ops/webhook.js";
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

describe("the margin-call webhook", () => {
  it("POSTs the account with its equity and maintenance as strings", async () => {
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
    postMarginCall(url, "Acc1", { equity: 900n, maintenance: 1_000n }, log);
    await expect.poll(() => got.length).toBe(1);
    expect(got[0]).toEqual({
      method: "POST",
      type: "application/json",
      body: JSON.stringify({ account: "Acc1", equity: "900", maintenance: "1000" }),
    });
    expect(lines).toEqual([]);
    server.close();
  });

  it("warns, and throws nothing, when the receiver is down", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const { log, lines } = capture();
    postMarginCall(`http://127.0.0.1:${port}/hook`, "Acc1", undefined, log);
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: "warn", msg: "margin-call webhook failed", account: "Acc1" });
  });
});
