// The dashboard's view pieces: actor step names and job ids, the bounded history, money in USD.
import { describe, expect, it } from "vitest";
import { currentJob, stepName } from "../../orchestrator/src/ops/dashboard/view.js";
import { Ring } from "../../orchestrator/src/ops/dashboard/ring.js";
import { ProgramEvents } from "../../orchestrator/src/ops/dashboard/program-events.js";
import type { AccountContext } from "../../orchestrator/src/actors/account-machine.js";

const ctx = (over: Partial<AccountContext>): AccountContext => ({
  account: "Acc",
  state: "partial-liquidation",
  waitReason: null,
  chainStatus: 1,
  liquidationId: "3",
  stepKey: "k2",
  shortfall: "0",
  liquidationMarket: null,
  unflagDue: false,
  requestedStep: "k1",
  requests: 1,
  ...over,
});

describe("dashboard view", () => {
  it("names an actor's nested state as a dotted path", () => {
    expect(stepName("watching")).toBe("watching");
    expect(stepName({ partialLiquidation: "awaitingChain" })).toBe("partialLiquidation.awaitingChain");
    expect(stepName({ marginCall: { unflagging: "requesting" } })).toBe("marginCall.unflagging.requesting");
  });

  it("gives the id of the job the actor last asked for, as the queue names it", () => {
    expect(currentJob("partialLiquidation.awaitingChain", ctx({}))).toBe("liquidate-Acc-3-k1");
    expect(currentJob("bankrupt.awaitingChain", ctx({}))).toBe("resolve-Acc-3-k1");
    expect(currentJob("marginCall.unflagging.requesting", ctx({}))).toBe("unflag-Acc-3-k1");
    expect(currentJob("marginCall.watching", ctx({}))).toBeNull();
    expect(currentJob("partialLiquidation.requesting", ctx({ requestedStep: null }))).toBeNull();
  });

  it("keeps only the newest samples of a history", () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
  });

  it("lists a liquidation record and a bankruptcy in USD, with how the bankruptcy was paid", () => {
    const e = new ProgramEvents(10);
    e.add(
      "sig",
      [
        {
          name: "bankruptcyResolved",
          data: {
            marginAccount: "Acc",
            market: "Mkt",
            liquidationId: 3n,
            // $1,500 deficit: $1,000 from insurance, $500 socialised; $9,000 of insurance left.
            deficit: 1_500_000_000n,
            insurancePaid: 1_000_000_000n,
            socializedLoss: 500_000_000n,
            insuranceBalanceAfter: 9_000_000_000n,
            poolCredit: 0n,
          },
        } as never,
      ],
      1_000,
    );
    expect(e.bankruptcies.toArray()).toEqual([
      {
        atMs: 1_000,
        signature: "sig",
        account: "Acc",
        market: "Mkt",
        liquidationId: "3",
        deficitUsd: 1_500,
        insurancePaidUsd: 1_000,
        socializedLossUsd: 500,
        insuranceAfterUsd: 9_000,
      },
    ]);
  });
});
