// Confirmation races: the signature's notification may arrive before the RPC has answered the
// send (the localnet executes while it writes its answer). A failure that wins that race must
// come back from `send`, not escape as an unhandled rejection that ends the process.
import { Keypair } from "@solana/web3.js";
import { describe, expect, it } from "vitest";
import { RpcBudget } from "../../orchestrator/src/jobs/rpc-budget.js";
import { Signer } from "../../orchestrator/src/jobs/signer.js";
import { ProgramFailure, Submitter, type Prepared } from "../../orchestrator/src/jobs/submitter.js";

const OPTIONS = {
  computeUnitMarginPercent: 20,
  computeUnitFloor: 200_000,
  computeUnitCeiling: 1_400_000,
  priorityFeeCapMicroLamports: 0,
  priorityFeePercentile: 75,
  confirmTimeoutMs: 5_000,
  confirmPollAfterMs: 5_000,
  simulateEveryStep: false,
  blockhashMaxAgeMs: 1_000,
  priorityFeeMaxAgeMs: 1_000,
};

const prepared: Prepared = {
  signature: "sig",
  raw: Buffer.alloc(10).toString("base64"),
  blockhash: "x",
  lastValidBlockHeight: 100,
  computeUnitLimit: 200_000,
  priorityFeeMicroLamports: 0,
};

function submitter(notify: { err: unknown } | null) {
  const pubsub = {
    subscribe: (_method: string, _params: unknown[], handler: (r: unknown) => void) => {
      if (notify) setImmediate(() => handler({ context: { slot: 9 }, value: notify }));
      return () => {};
    },
  };
  // The send's answer comes well after the notification.
  const rpc = { sendTransaction: () => new Promise<string>((r) => setTimeout(() => r("sig"), 50)) };
  return new Submitter(
    {} as never,
    rpc as never,
    pubsub as never,
    new Signer(Keypair.generate()),
    OPTIONS,
    new RpcBudget(100),
  );
}

describe("submitter confirmation", () => {
  it("returns a failure notified before the send's answer as the program's error", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const outcome = await submitter({ err: { InstructionError: [2, { Custom: 6018 }] } })
        .send(prepared)
        .then(
          () => null,
          (e: unknown) => e,
        );
      await new Promise((r) => setTimeout(r, 20));
      expect(outcome).toBeInstanceOf(ProgramFailure);
      expect((outcome as ProgramFailure).code).toBe(6018);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("confirms with the notified slot when the notification beats the answer", async () => {
    await expect(submitter({ err: null }).send(prepared)).resolves.toMatchObject({ signature: "sig", slot: 9 });
  });
});
