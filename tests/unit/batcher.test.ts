// Steps that reach signing in one turn share transactions: the packing limits, a shared
// transaction sent once and only when every step's job is ready, and an on-chain failure answered
// to its own step while the others start again.
import { Keypair, type PublicKey, TransactionInstruction, VersionedTransaction } from "@solana/web3.js";
import bs58 from "bs58";
import { describe, expect, it } from "vitest";
import {
  SharedTransactionLost,
  SharedTransactionTakenOver,
  StepBatcher,
  localDecisions,
} from "../../orchestrator/src/jobs/batcher.js";
import { RpcBudget } from "../../orchestrator/src/jobs/rpc-budget.js";
import { Signer } from "../../orchestrator/src/jobs/signer.js";
import { MAX_TRANSACTION_BYTES, ProgramFailure, Submitter } from "../../orchestrator/src/jobs/submitter.js";

const OPTIONS = {
  computeUnitMarginPercent: 20,
  computeUnitFloor: 100_000,
  computeUnitCeiling: 1_400_000,
  priorityFeeCapMicroLamports: 0,
  priorityFeePercentile: 75,
  confirmTimeoutMs: 5_000,
  confirmPollAfterMs: 5_000,
  simulateEveryStep: false,
  blockhashMaxAgeMs: 60_000,
  priorityFeeMaxAgeMs: 60_000,
};

const PROGRAM = Keypair.generate().publicKey;
const SHARED = Array.from({ length: 8 }, () => Keypair.generate().publicKey);

/** A step-like instruction: the shared accounts every liquidation names, plus its own account. */
function step(account: PublicKey, extra = 0) {
  const ix = new TransactionInstruction({
    programId: PROGRAM,
    keys: [...SHARED, account, ...Array.from({ length: extra }, () => Keypair.generate().publicKey)].map(
      (pubkey, i) => ({ pubkey, isSigner: false, isWritable: i < 3 || i === SHARED.length }),
    ),
    data: Buffer.alloc(16, 7),
  });
  return {
    ix,
    step: { tag: `job-${account.toBase58()}`, shape: `liquidate:${ix.keys.length}`, account: account.toBase58() },
  };
}

/** A Submitter over fake RPC: `failing` maps a sent transaction to its outcome (null: landed). */
function world(failing: (tx: VersionedTransaction) => unknown = () => null, unitsConsumed = 50_000) {
  const sent: VersionedTransaction[] = [];
  const handlers = new Map<string, (r: unknown) => void>();
  const connection = {
    getLatestBlockhash: async () => ({ blockhash: bs58.encode(Buffer.alloc(32, 3)), lastValidBlockHeight: 1_000 }),
    getRecentPrioritizationFees: async () => [],
    simulateTransaction: async () => ({ value: { err: null, unitsConsumed, logs: [] } }),
  };
  const pubsub = {
    subscribe: (_m: string, params: unknown[], handler: (r: unknown) => void) => {
      handlers.set(params[0] as string, handler);
      return () => {};
    },
  };
  const rpc = {
    sendTransaction: async (raw: Buffer) => {
      const tx = VersionedTransaction.deserialize(raw);
      sent.push(tx);
      const signature = bs58.encode(tx.signatures[0]);
      setImmediate(() => handlers.get(signature)?.({ context: { slot: 5 }, value: { err: failing(tx) } }));
      return signature;
    },
  };
  const submitter = new Submitter(
    connection as never,
    rpc as never,
    pubsub as never,
    new Signer(Keypair.generate()),
    OPTIONS,
    new RpcBudget(1_000),
  );
  return { submitter, sent };
}

describe("step batcher", () => {
  it("puts the steps of one turn into shared transactions, within the step limit, and sends each once all its steps are ready", async () => {
    const { submitter, sent } = world();
    const batcher = new StepBatcher(submitter, { maxStepsPerTransaction: 4 });
    const steps = Array.from({ length: 6 }, () => step(Keypair.generate().publicKey));
    const tickets = await Promise.all(steps.map((s) => batcher.prepare(s.ix, s.step)));
    expect(tickets.map((t) => t.steps)).toEqual([4, 4, 4, 4, 2, 2]);
    expect(new Set(tickets.map((t) => t.prepared.signature)).size).toBe(2);
    // Each job stores where its step sits, so a later attempt knows the transaction is shared.
    expect(tickets.map((t) => [t.prepared.steps, t.prepared.position])).toEqual([
      [4, 0],
      [4, 1],
      [4, 2],
      [4, 3],
      [2, 0],
      [2, 1],
    ]);
    // Nothing goes out until the last step of a transaction is ready.
    const first = tickets.slice(0, 3).map((t) => t.send());
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toHaveLength(0);
    const results = await Promise.all([...first, ...tickets.slice(3).map((t) => t.send())]);
    expect(sent).toHaveLength(2);
    expect(sent.map((tx) => tx.message.compiledInstructions.length)).toEqual([2 + 4, 2 + 2]);
    expect(results.every((r) => r.slot === 5)).toBe(true);
    // Compute: each step's simulated figure with its margin, summed.
    expect(tickets[0].prepared.computeUnitLimit).toBeGreaterThanOrEqual(4 * 100_000);
  });

  it("keeps two steps of one account apart and stays under the packet limit", async () => {
    const { submitter } = world();
    const batcher = new StepBatcher(submitter, { maxStepsPerTransaction: 32 });
    const same = Keypair.generate().publicKey;
    const steps = [step(same), step(same), ...Array.from({ length: 12 }, () => step(Keypair.generate().publicKey, 2))];
    const tickets = await Promise.all(steps.map((s) => batcher.prepare(s.ix, s.step)));
    expect(tickets[0].prepared.signature).not.toBe(tickets[1].prepared.signature);
    for (const t of tickets)
      expect(Buffer.from(t.prepared.raw, "base64").length).toBeLessThanOrEqual(MAX_TRANSACTION_BYTES);
    expect(new Set(tickets.map((t) => t.prepared.signature)).size).toBeGreaterThan(2);
    for (const t of tickets) t.abandon("test");
  });

  it("never sends a transaction one of whose steps dropped out; the others learn it was lost", async () => {
    const { submitter, sent } = world();
    const batcher = new StepBatcher(submitter, { maxStepsPerTransaction: 8 });
    const steps = Array.from({ length: 3 }, () => step(Keypair.generate().publicKey));
    const [a, b, c] = await Promise.all(steps.map((s) => batcher.prepare(s.ix, s.step)));
    const waiting = a.send();
    b.abandon("lock lost");
    await expect(waiting).rejects.toBeInstanceOf(SharedTransactionLost);
    await expect(c.send()).rejects.toBeInstanceOf(SharedTransactionLost);
    expect(sent).toHaveLength(0);
  });

  it("follows the decision on record for a shared transaction: sent only under send, its steps signed anew only under abandon", async () => {
    // A job elsewhere (taking a step over) decided first; the decision is shared through `decide`.
    const decide = localDecisions();
    const { submitter, sent } = world();
    const batcher = new StepBatcher(submitter, { maxStepsPerTransaction: 8 }, () => {}, decide);
    const [a, b] = await Promise.all(
      Array.from({ length: 2 }, () => step(Keypair.generate().publicKey)).map((s) => batcher.prepare(s.ix, s.step)),
    );
    expect(await decide(a.prepared.signature, "abandon")).toBe("abandon");
    const outcomes = await Promise.all(
      [a.send(), b.send()].map((p) =>
        p.then(
          () => "landed",
          (e) => e,
        ),
      ),
    );
    expect(outcomes.every((o) => o instanceof SharedTransactionLost)).toBe(true);
    expect(sent).toHaveLength(0);

    // Decided "send" elsewhere: this process dropping out must not free its steps to be signed anew.
    const [c, d] = await Promise.all(
      Array.from({ length: 2 }, () => step(Keypair.generate().publicKey)).map((s) => batcher.prepare(s.ix, s.step)),
    );
    expect(await decide(c.prepared.signature, "send")).toBe("send");
    const waiting = c.send();
    d.abandon("lock lost");
    await expect(waiting).rejects.toBeInstanceOf(SharedTransactionTakenOver);
    expect(await decide(c.prepared.signature, "abandon")).toBe("send");
  });

  it("answers a failed instruction to its own step and tells the others their transaction never landed", async () => {
    // The second step's instruction (index 2 budget instructions + 1) fails with 6018.
    const { submitter } = world(() => ({ InstructionError: [3, { Custom: 6018 }] }));
    const batcher = new StepBatcher(submitter, { maxStepsPerTransaction: 8 });
    const steps = Array.from({ length: 3 }, () => step(Keypair.generate().publicKey));
    const tickets = await Promise.all(steps.map((s) => batcher.prepare(s.ix, s.step)));
    const outcomes = await Promise.all(
      tickets.map((t) =>
        t.send().then(
          () => "landed",
          (e) => e,
        ),
      ),
    );
    expect(outcomes[0]).toBeInstanceOf(SharedTransactionLost);
    expect(outcomes[1]).toBeInstanceOf(ProgramFailure);
    expect((outcomes[1] as ProgramFailure).code).toBe(6018);
    expect(outcomes[2]).toBeInstanceOf(SharedTransactionLost);
  });

  it("bounds a transaction's compute at the runtime's limit", async () => {
    const { submitter } = world(() => null, 500_000);
    const batcher = new StepBatcher(submitter, { maxStepsPerTransaction: 8 });
    const steps = Array.from({ length: 5 }, () => step(Keypair.generate().publicKey));
    const tickets = await Promise.all(steps.map((s) => batcher.prepare(s.ix, s.step)));
    // 600k each with the margin: two fit under 1.4M.
    expect(tickets.map((t) => t.steps)).toEqual([2, 2, 2, 2, 1]);
    for (const t of tickets) expect(t.prepared.computeUnitLimit).toBeLessThanOrEqual(1_400_000);
    for (const t of tickets) t.abandon("test");
  });
});
