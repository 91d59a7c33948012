// A job that stored a shared transaction (several steps in one) and was taken over (its worker
// died) settles it by the decision on record: resent as it is under "send" (its sender recorded
// that before sending), signed anew under "abandon", and with nothing on record "abandon" is
// recorded (it was never sent, and a step of it whose job never stored it may be signed anew
// already). A transaction of its own step alone is resent. A resent transaction is on the audit
// record before it goes out: the process that signed it may have died before writing its own
// record. Forgetting a transaction needs the lock, like storing one. A transaction that only a
// processed (not confirmed) status reports is still pending.
import { describe, expect, it } from "vitest";
import { processStep, type StepContext } from "../../orchestrator/src/jobs/worker.js";
import { LockLost } from "../../orchestrator/src/jobs/worker.js";
import {
  BUDGET_INSTRUCTIONS,
  ProgramFailure,
  Submitter,
  type Prepared,
} from "../../orchestrator/src/jobs/submitter.js";

interface Options {
  decided?: "send" | "abandon";
  /** The lock was lost: storing (or forgetting) under it fails. */
  lockLost?: boolean;
  /** What sending the stored bytes again ends in. */
  sendFails?: ProgramFailure;
}

function setup(prepared: Prepared, fate: "pending" | "landed", { decided, lockLost, sendFails }: Options = {}) {
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
      send: async (p: Prepared) => {
        calls.push(`send ${p.signature}`);
        if (sendFails) throw sendFails;
        return { signature: p.signature, slot: 8, computeUnitLimit: 0, priorityFeeMicroLamports: 0 };
      },
    },
    storeUnderLock: async (_job: unknown, _token: string, data: { prepared?: Prepared }) => {
      calls.push(lockLost ? "store refused" : `stored ${data.prepared?.signature ?? "nothing"}`);
      return !lockLost;
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
  it("with nothing on record, records abandon and signs its step anew from a fresh snapshot", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 1 }, "pending");
    await expect(processStep(ctx, job, "token")).rejects.toThrow("stop here");
    expect(calls).toEqual(["decided abandon", "stored nothing", "fresh snapshot"]);
  });

  it("resends a shared transaction as it is once send is on record", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 2 }, "pending", { decided: "send" });
    await expect(processStep(ctx, job, "token")).resolves.toMatchObject({ outcome: "confirmed", slot: 8 });
    expect(calls).toEqual(["decided send", "on record S", "send S", "settled confirmed"]);
  });

  it("signs anew, never resending, a shared transaction abandoned before it was sent", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 1 }, "pending", { decided: "abandon" });
    await expect(processStep(ctx, job, "token")).rejects.toThrow("stop here");
    expect(calls).toEqual(["decided abandon", "stored nothing", "fresh snapshot"]);
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

  it("forgets nothing once its lock is lost: the new owner's transaction stays stored", async () => {
    const { job, ctx, calls } = setup({ ...base, steps: 3, position: 1 }, "pending", {
      decided: "abandon",
      lockLost: true,
    });
    await expect(processStep(ctx, job, "token")).rejects.toBeInstanceOf(LockLost);
    expect(calls).toEqual(["decided abandon", "store refused"]);
  });

  it("starts its step again when the resent transaction failed on another step's instruction", async () => {
    const elsewhere = new ProgramFailure(6022, [], "healthy", BUDGET_INSTRUCTIONS + 0);
    const other = setup({ ...base, steps: 3, position: 1 }, "pending", { decided: "send", sendFails: elsewhere });
    await expect(processStep(other.ctx, other.job, "token")).rejects.toThrow("stop here");
    expect(other.calls).toEqual(["decided send", "on record S", "send S", "stored nothing", "fresh snapshot"]);
    // On its own instruction the failure is its answer: no retry changes "account healthy".
    const own = setup({ ...base, steps: 3, position: 0 }, "pending", { decided: "send", sendFails: elsewhere });
    await expect(processStep(own.ctx, own.job, "token")).rejects.toThrow("program refused (6022");
    expect(own.calls).toEqual(["decided send", "on record S", "send S"]);
  });
});

describe("the fate of a transaction signed earlier", () => {
  const submitter = (status: { err: unknown; slot: number; confirmationStatus?: string } | null, height: number) =>
    new Submitter(
      {
        getSignatureStatuses: async () => ({ value: [status] }),
        getBlockHeight: async () => height,
      } as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
      { take: async () => {} } as never,
    );

  it("is final only once confirmed: a processed status may be on a fork that is dropped", async () => {
    const p = { ...base, lastValidBlockHeight: 100 };
    expect(
      await submitter(
        { err: { InstructionError: [2, { Custom: 6018 }] }, slot: 5, confirmationStatus: "processed" },
        50,
      ).fate(p),
    ).toEqual({ kind: "pending" });
    expect(await submitter({ err: null, slot: 5, confirmationStatus: "processed" }, 50).fate(p)).toEqual({
      kind: "pending",
    });
    expect(await submitter({ err: null, slot: 5, confirmationStatus: "confirmed" }, 50).fate(p)).toEqual({
      kind: "landed",
      slot: 5,
    });
    expect(
      await submitter(
        { err: { InstructionError: [2, { Custom: 6018 }] }, slot: 5, confirmationStatus: "finalized" },
        50,
      ).fate(p),
    ).toEqual({ kind: "failed", code: 6018 });
    expect(await submitter(null, 50).fate(p)).toEqual({ kind: "pending" });
    expect(await submitter(null, 101).fate(p)).toEqual({ kind: "expired" });
  });
});
