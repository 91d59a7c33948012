// A job that stored a shared transaction (several steps in one) never sends it again by itself:
// the other steps' jobs may have learned it was never sent and signed their steps anew. It waits
// until the transaction landed or can no longer land; a transaction of its own step alone is resent.
import { DelayedError } from "bullmq";
import { describe, expect, it } from "vitest";
import { processStep, type StepContext } from "../../orchestrator/src/jobs/worker.js";
import type { Prepared } from "../../orchestrator/src/jobs/submitter.js";

function setup(prepared: Prepared, fate: "pending" | "landed") {
  const calls: string[] = [];
  const job = {
    id: "job-1",
    data: { kind: "liquidate", account: "A", liquidationId: "0", stepKey: "k", market: "M", shortfall: "1", detectedAtMs: 0, decidedOn: {}, prepared },
    extendLock: async () => 1,
    moveToDelayed: async (at: number) => void calls.push(`delayed ${at > Date.now() ? "later" : "now"}`),
    updateData: async () => void calls.push("updateData"),
  };
  const ctx = {
    isPaused: () => false,
    lockMs: 30_000,
    submitter: {
      fate: async () => (fate === "landed" ? { kind: "landed", slot: 7 } : { kind: "pending" }),
      send: async (p: Prepared) => (calls.push(`send ${p.signature}`), { signature: p.signature, slot: 8, computeUnitLimit: 0, priorityFeeMicroLamports: 0 }),
    },
    onSettled: (_j: unknown, _id: string, r: { outcome: string }) => void calls.push(`settled ${r.outcome}`),
  } as unknown as StepContext;
  return { job: job as never, ctx, calls };
}

const base: Prepared = { signature: "S", raw: "", blockhash: "b", lastValidBlockHeight: 10, computeUnitLimit: 1, priorityFeeMicroLamports: 0 };

describe("a job holding an earlier transaction", () => {
  it("waits for a shared transaction that may still land instead of sending it", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 1 }, "pending");
    await expect(processStep(ctx, job, "token")).rejects.toBeInstanceOf(DelayedError);
    expect(calls).toEqual(["delayed later"]);
  });

  it("resends a transaction of its own step alone, and settles a shared one that landed", async () => {
    const own = setup(base, "pending");
    await expect(processStep(own.ctx, own.job, "token")).resolves.toMatchObject({ outcome: "confirmed", slot: 8 });
    expect(own.calls).toEqual(["send S", "settled confirmed"]);
    const landed = setup({ ...base, steps: 3, position: 0 }, "landed");
    await expect(processStep(landed.ctx, landed.job, "token")).resolves.toMatchObject({ outcome: "confirmed", slot: 7 });
    expect(landed.calls).toEqual(["settled confirmed"]);
  });
});
