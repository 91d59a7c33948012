// A job that stored a shared transaction (several steps in one) and was taken over (its worker
// died) settles it by the decision on record: resent as it is under "send" (no step of it can have
// been signed anew), signed anew under "abandon" (it was never sent). A transaction of its own
// step alone is resent. A resent transaction is on the audit record before it goes out: the
// process that signed it may have died before writing its own record.
import { describe, expect, it } from "vitest";
import { processStep, type StepContext } from "../../orchestrator/src/jobs/worker.js";
import type { Prepared } from "../../orchestrator/src/jobs/submitter.js";

function setup(prepared: Prepared, fate: "pending" | "landed", decided?: "send" | "abandon") {
  const calls: string[] = [];
  const job = {
    id: "job-1",
    data: {
      kind: "liquidate",
      account: "A",
      liquidationId: "0",
      stepKey: "k",
      market: "M",
      shortfall: "1",
      detectedAtMs: 0,
      decidedOn: {},
      prepared,
    },
    extendLock: async () => 1,
    moveToDelayed: async (at: number) => void calls.push(`delayed ${at > Date.now() ? "later" : "now"}`),
    updateData: async () => void calls.push("updateData"),
  };
  const decisions = new Map<string, "send" | "abandon">(decided ? [[prepared.signature, decided]] : []);
  const ctx = {
    isPaused: () => false,
    lockMs: 30_000,
    decideShared: async (signature: string, choice: "send" | "abandon") => {
      if (!decisions.has(signature)) decisions.set(signature, choice);
      calls.push(`decided ${decisions.get(signature)}`);
      return decisions.get(signature)!;
    },
    snapshots: {
      read: async () => {
        calls.push("fresh snapshot");
        throw new Error("stop here");
      },
    },
    submitter: {
      fate: async () => (fate === "landed" ? { kind: "landed", slot: 7 } : { kind: "pending" }),
      send: async (p: Prepared) => (
        calls.push(`send ${p.signature}`),
        { signature: p.signature, slot: 8, computeUnitLimit: 0, priorityFeeMicroLamports: 0 }
      ),
    },
    onResend: (_j: unknown, _id: string, p: Prepared) => void calls.push(`on record ${p.signature}`),
    onSettled: (_j: unknown, _id: string, r: { outcome: string }) => void calls.push(`settled ${r.outcome}`),
  } as unknown as StepContext;
  return { job: job as never, ctx, calls };
}

const base: Prepared = {
  signature: "S",
  raw: "",
  blockhash: "b",
  lastValidBlockHeight: 10,
  computeUnitLimit: 1,
  priorityFeeMicroLamports: 0,
};

describe("a job holding an earlier transaction", () => {
  it("takes over a stored shared transaction that may still land by deciding to send it, and resends it as it is", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 1 }, "pending");
    await expect(processStep(ctx, job, "token")).resolves.toMatchObject({ outcome: "confirmed", slot: 8 });
    expect(calls).toEqual(["decided send", "on record S", "send S", "settled confirmed"]);
    // Another job already decided to send it: the same.
    const again = setup({ ...base, steps: 3, position: 2 }, "pending", "send");
    await expect(processStep(again.ctx, again.job, "token")).resolves.toMatchObject({ outcome: "confirmed" });
    expect(again.calls).toEqual(["decided send", "on record S", "send S", "settled confirmed"]);
  });

  it("signs anew, never resending, a shared transaction abandoned before it was sent", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 1 }, "pending", "abandon");
    await expect(processStep(ctx, job, "token")).rejects.toThrow("stop here");
    expect(calls).toEqual(["decided abandon", "updateData", "fresh snapshot"]);
  });

  it("resends a transaction of its own step alone, and settles a shared one that landed", async () => {
    const own = setup(base, "pending");
    await expect(processStep(own.ctx, own.job, "token")).resolves.toMatchObject({ outcome: "confirmed", slot: 8 });
    expect(own.calls).toEqual(["on record S", "send S", "settled confirmed"]);
    const landed = setup({ ...base, steps: 3, position: 0 }, "landed");
    await expect(processStep(landed.ctx, landed.job, "token")).resolves.toMatchObject({
      outcome: "confirmed",
      slot: 7,
    });
    expect(landed.calls).toEqual(["settled confirmed"]);
  });
});
