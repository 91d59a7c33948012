// The dashboard's view pieces: actor step names and job ids, the bounded history, money in USD.
import { Keypair } from "@solana/web3.js";
import { describe, expect, it } from "vitest";
import { currentJob, stepName } from "../../orchestrator/src/ops/dashboard/view.js";
import { Ring } from "../../orchestrator/src/ops/dashboard/ring.js";
import type { PubSub } from "../../orchestrator/src/chain/pubsub.js";
import { ProgramEvents } from "../../orchestrator/src/ops/dashboard/program-events.js";
import { Writer, writeType } from "../../sdk/src/idl/codec.js";
import { IDL } from "../../sdk/src/idl/idl.js";
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

/** A bankruptcy's figures: $1,500 deficit, $1,000 from insurance, $500 socialised; $9,000 of insurance left. */
const BANKRUPTCY = {
  liquidationId: 3n,
  deficit: 1_500_000_000n,
  insurancePaid: 1_000_000_000n,
  socializedLoss: 500_000_000n,
  insuranceBalanceAfter: 9_000_000_000n,
  poolCredit: 0n,
};

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
          data: { marginAccount: "Acc", market: "Mkt", ...BANKRUPTCY },
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

  it("keeps a bankruptcy notified before hundreds of transactions without event data", () => {
    const program = Keypair.generate().publicKey;
    const e = new ProgramEvents(10);
    const asked: unknown[][] = [];
    const pubsub = { subscribe: (...args: unknown[]) => (asked.push(args), () => {}) } as unknown as PubSub;
    e.start(pubsub, program);
    expect(asked[0].slice(0, 2)).toEqual([
      "logsSubscribe",
      [{ mentions: [program.toBase58()] }, { commitment: "confirmed" }],
    ]);
    const ev = IDL.events.find((x) => x.name === "bankruptcyResolved")!;
    const data = {
      marginAccount: Keypair.generate().publicKey.toBase58(),
      market: Keypair.generate().publicKey.toBase58(),
      ...BANKRUPTCY,
    };
    const w = new Writer();
    w.raw(Uint8Array.from(ev.discriminator));
    writeType({ defined: { name: ev.name } }, data, w);
    const logs = (lines: string[]) => [
      `Program ${program.toBase58()} invoke [1]`,
      ...lines,
      `Program ${program.toBase58()} success`,
    ];
    const notify = (signature: string, lines: string[], err: unknown = null) =>
      e.notified({ value: { signature, err, logs: logs(lines) } });
    notify("bankrupt", [`Program data: ${Buffer.from(w.bytes()).toString("base64")}`]);
    // A failed transaction records nothing, even with event data in its logs.
    notify("failed", [`Program data: ${Buffer.from(w.bytes()).toString("base64")}`], {
      InstructionError: [0, { Custom: 1 }],
    });
    for (let i = 0; i < 400; i++) notify(`trade${i}`, ["Program log: Instruction: OpenPosition"]);
    // Malformed notifications are ignored.
    e.notified({} as never);
    e.notified({ value: { signature: 1, logs: "x" } } as never);
    const rows = e.bankruptcies.toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      signature: "bankrupt",
      deficitUsd: 1_500,
      insurancePaidUsd: 1_000,
      socializedLossUsd: 500,
    });
    expect(e.liquidations.size).toBe(0);
  });
});
