// Sending one step's instruction: size the compute budget from a simulation (once per shape of
// step unless `simulateEveryStep`; a program error there is the answer and nothing is sent), price
// it from recent fees under a cap, sign with the operator key, send, and confirm from the
// signature's notification, polling only when none comes. Blockhash and fees are shared between
// steps for a short while: a wave of liquidations costs about two RPC calls per step, not eight.
import {
  ComputeBudgetProgram,
  type Connection,
  type PublicKey,
  VersionedTransaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import type { PubSub } from "../chain/pubsub.js";
import type { StepRpc } from "../chain/rpc.js";
import { percentile } from "../ops/stats.js";
import type { RpcBudget } from "./rpc-budget.js";
import { compileV0Message, MessageSize } from "./message.js";
import type { Signer } from "./signer.js";

export interface SubmitOptions {
  computeUnitMarginPercent: number;
  computeUnitFloor: number;
  computeUnitCeiling: number;
  priorityFeeCapMicroLamports: number;
  priorityFeePercentile: number;
  confirmTimeoutMs: number;
  confirmPollAfterMs: number;
  simulateEveryStep: boolean;
  blockhashMaxAgeMs: number;
  priorityFeeMaxAgeMs: number;
}

/**
 * A program error from simulation or execution: `code` is the program's custom error number,
 * `instruction` the index of the failing instruction in its transaction (null if the error is the
 * transaction's own).
 */
export class ProgramFailure extends Error {
  constructor(
    readonly code: number | null,
    readonly logs: string[],
    detail: string,
    readonly instruction: number | null = null,
  ) {
    super(detail);
  }
}

/** The packet limit of a transaction on the wire. */
export const MAX_TRANSACTION_BYTES = 1232;
/** The compute a transaction may ask for. */
export const MAX_TRANSACTION_UNITS = 1_400_000;
/** Instructions ahead of the steps' own in every transaction: the compute limit and its price. */
export const BUDGET_INSTRUCTIONS = 2;

/** A signed transaction, JSON-safe so it can be stored in the job before it is sent. */
export interface Prepared {
  signature: string;
  raw: string;
  blockhash: string;
  lastValidBlockHeight: number;
  computeUnitLimit: number;
  priorityFeeMicroLamports: number;
  /** Steps sharing the transaction (jobs/batcher.ts), when more than one, and this job's place among them. */
  steps?: number;
  position?: number;
}

export interface Submitted {
  signature: string;
  slot: number;
  computeUnitLimit: number;
  priorityFeeMicroLamports: number;
}

const instructionError = (err: unknown) => (err as { InstructionError?: [number, unknown] } | null)?.InstructionError;

function failedInstruction(err: unknown): number | null {
  const ix = instructionError(err);
  return typeof ix?.[0] === "number" ? ix[0] : null;
}

function customCode(err: unknown): number | null {
  const ix = instructionError(err);
  const custom = (ix?.[1] as { Custom?: number } | undefined)?.Custom;
  return typeof custom === "number" ? custom : null;
}

/** 0..996 from the tag: a few compute units of headroom that differ from job to job. */
export function tagOffset(tag: string): number {
  let h = 2166136261;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 16777619) >>> 0;
  return h % 997;
}

/** The instruction builders hand out the same PublicKey objects step after step: encode each once. */
const encoded = new WeakMap<PublicKey, string>();
function base58(k: PublicKey): string {
  let s = encoded.get(k);
  if (s === undefined) encoded.set(k, (s = k.toBase58()));
  return s;
}

/** Bounded memo: long-running processes see every account of an exchange eventually. */
class Memo<V> extends Map<string, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: string, value: V): this {
    if (this.size >= this.limit && !this.has(key)) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}

interface Step {
  /** The job id: a few compute units that differ from job to job. */
  tag: string;
  /** Instruction kind × account count: steps of one shape cost the same compute. */
  shape: string;
  /** The margin account acted on: its own key is no fee-market hot spot, and two of its steps must not share bytes. */
  account: string;
}

export type { Step };

/**
 * Values every step may share for a while (a blockhash, recent fees), by key: fetched once however
 * many steps ask at the same moment, kept for `maxAgeMs`.
 */
class Shared<V> {
  private readonly values = new Memo<{ value: V; atMs: number }>(1_000);
  private readonly fetching = new Map<string, Promise<V>>();

  constructor(private readonly maxAgeMs: number) {}

  get(key: string, fetch: () => Promise<V>): Promise<V> {
    const cached = this.values.get(key);
    if (cached && Date.now() - cached.atMs < this.maxAgeMs) return Promise.resolve(cached.value);
    let pending = this.fetching.get(key);
    if (!pending) {
      pending = fetch()
        .then((value) => (this.values.set(key, { value, atMs: Date.now() }), value))
        .finally(() => this.fetching.delete(key));
      this.fetching.set(key, pending);
    }
    return pending;
  }
}

/** What confirming needs of an RPC: the confirm endpoints (config confirmRpcUrl), failing over to the read ones. */
export type ConfirmReader = Pick<Connection, "getSignatureStatuses" | "getBlockHeight">;

export class Submitter {
  private readonly blockhashes: Shared<{ blockhash: string; lastValidBlockHeight: number }>;
  private readonly fees: Shared<number>;
  private readonly units = new Memo<number>(1_000);
  private readonly sizing = new Map<string, Promise<number>>();
  private readonly lastMessage = new Memo<Buffer>(100_000);
  private readonly confirmer: ConfirmReader;

  constructor(
    private readonly connection: Connection,
    private readonly rpc: StepRpc,
    private readonly pubsub: PubSub,
    private readonly signer: Signer,
    private readonly opts: SubmitOptions,
    private readonly budget: RpcBudget,
    /** Signature statuses and block heights; `connection` when not given. */
    confirmer?: ConfirmReader,
  ) {
    this.confirmer = confirmer ?? connection;
    this.blockhashes = new Shared(opts.blockhashMaxAgeMs);
    this.fees = new Shared(opts.priorityFeeMaxAgeMs);
  }

  private blockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }> {
    return this.blockhashes.get("latest", async () => {
      await this.budget.take();
      return this.connection.getLatestBlockhash("confirmed");
    });
  }

  /** Recent fees on the accounts the step locks. */
  private priorityFee(writable: PublicKey[]): Promise<number> {
    return this.fees.get(writable.map(base58).sort().join(","), async () => {
      await this.budget.take();
      const fees = await this.connection.getRecentPrioritizationFees({ lockedWritableAccounts: writable });
      const recent = percentile(
        fees.map((f) => f.prioritizationFee),
        this.opts.priorityFeePercentile,
      );
      // No recent fees: nothing to outbid.
      return Math.min(this.opts.priorityFeeCapMicroLamports, Number.isNaN(recent) ? 0 : recent);
    });
  }

  /**
   * Compute units for the step: from a simulation (which also answers program errors before
   * anything is sent) or the figure its shape already earned.
   */
  async unitsFor(ix: TransactionInstruction, step: Step): Promise<number> {
    const known = this.units.get(step.shape);
    if (known !== undefined && !this.opts.simulateEveryStep) return known;
    // Steps of a new shape arriving together wait for the first one's simulation; if it found a
    // program error (that step's own), each simulates for itself.
    const inFlight = this.opts.simulateEveryStep ? undefined : this.sizing.get(step.shape);
    if (inFlight) return inFlight.catch(() => this.simulate(ix, step));
    const sizing = this.simulate(ix, step);
    if (!this.opts.simulateEveryStep) {
      this.sizing.set(step.shape, sizing);
      sizing.then(
        () => this.sizing.delete(step.shape),
        () => this.sizing.delete(step.shape),
      );
    }
    return sizing;
  }

  private async simulate(ix: TransactionInstruction, step: Step): Promise<number> {
    const { blockhash } = await this.blockhash();
    const probe = VersionedTransaction.deserialize(
      this.signer.unsigned(
        compileV0Message(this.signer.publicKey, blockhash, [
          ComputeBudgetProgram.setComputeUnitLimit({ units: this.opts.computeUnitCeiling }),
          ix,
        ]),
      ),
    );
    await this.budget.take();
    const sim = await this.connection.simulateTransaction(probe, { sigVerify: false, commitment: "confirmed" });
    if (sim.value.err) {
      throw new ProgramFailure(
        customCode(sim.value.err),
        sim.value.logs ?? [],
        `simulation failed: ${JSON.stringify(sim.value.err)}`,
        failedInstruction(sim.value.err),
      );
    }
    const used = sim.value.unitsConsumed ?? 0;
    const sized = Math.max(
      this.opts.computeUnitFloor,
      Math.ceil(used * (1 + this.opts.computeUnitMarginPercent / 100)),
    );
    this.units.set(step.shape, sized);
    return sized;
  }

  /** A step's instruction simulated alone (nothing signed, nothing sent): the dry run's answer. */
  async simulateOnly(ix: TransactionInstruction): Promise<{ err: unknown; code: number | null; logs: string[] }> {
    const { blockhash } = await this.blockhash();
    const probe = VersionedTransaction.deserialize(
      this.signer.unsigned(
        compileV0Message(this.signer.publicKey, blockhash, [
          ComputeBudgetProgram.setComputeUnitLimit({ units: this.opts.computeUnitCeiling }),
          ix,
        ]),
      ),
    );
    await this.budget.take();
    const sim = await this.connection.simulateTransaction(probe, { sigVerify: false, commitment: "confirmed" });
    return { err: sim.value.err, code: sim.value.err ? customCode(sim.value.err) : null, logs: sim.value.logs ?? [] };
  }

  /** The size of a transaction from this signer with the two budget instructions and nothing else yet: `1 + 64 +` its message's bytes. */
  transactionSize(): MessageSize {
    const budget = [
      ComputeBudgetProgram.setComputeUnitLimit({ units: 0 }),
      ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 0 }),
    ];
    return new MessageSize(this.signer.publicKey, budget);
  }

  /**
   * Sizes, prices and signs one transaction holding the steps' instructions in order (after the
   * two budget instructions); nothing is sent. A program error found by simulation throws
   * ProgramFailure. The transaction's bytes are its own: consecutive steps on one account can
   * build the same instruction under the same blockhash, and identical bytes are one transaction
   * to the cluster, so a second step would be mistaken for the first one landing.
   */
  async prepare(
    ixs: TransactionInstruction | TransactionInstruction[],
    steps: Step | Step[],
    knownUnits?: number[],
  ): Promise<Prepared> {
    const instructions = Array.isArray(ixs) ? ixs : [ixs];
    const members = Array.isArray(steps) ? steps : [steps];
    const own = new Set(members.map((m) => m.account));
    const writable = [
      ...new Map(
        instructions
          .flatMap((ix) => ix.keys)
          .filter((k) => k.isWritable && !k.isSigner && !own.has(base58(k.pubkey)))
          .map((k) => [base58(k.pubkey), k.pubkey]),
      ).values(),
    ];
    const [latest, fee] = await Promise.all([this.blockhash(), this.priorityFee(writable)]);
    let sized = 0;
    for (let i = 0; i < instructions.length; i++)
      sized += knownUnits?.[i] ?? (await this.unitsFor(instructions[i], members[i]));
    const ceiling = Math.min(MAX_TRANSACTION_UNITS, this.opts.computeUnitCeiling * members.length);
    let units = Math.min(ceiling, sized + tagOffset(members[0].tag));
    const floor = Math.min(ceiling, this.opts.computeUnitFloor);
    for (;;) {
      const message = compileV0Message(this.signer.publicKey, latest.blockhash, [
        ComputeBudgetProgram.setComputeUnitLimit({ units }),
        ComputeBudgetProgram.setComputeUnitPrice({ microLamports: fee }),
        ...instructions,
      ]);
      if (members.some((m) => this.lastMessage.get(m.account)?.equals(message))) {
        units = units > floor ? units - 1 : units + 1;
        continue;
      }
      for (const m of members) this.lastMessage.set(m.account, message);
      const tx = this.signer.transaction(message);
      return {
        signature: tx.signature,
        raw: tx.raw.toString("base64"),
        blockhash: latest.blockhash,
        lastValidBlockHeight: latest.lastValidBlockHeight,
        computeUnitLimit: units,
        priorityFeeMicroLamports: fee,
      };
    }
  }

  /**
   * Sends the signed bytes (resending the same bytes can never execute twice) and waits for the
   * signature's confirmation notification, subscribed before sending. Without one after
   * `confirmPollAfterMs` (socket down, notification lost) it polls, resending now and then, until the
   * transaction is confirmed, fails, or its blockhash expires.
   */
  async send(p: Prepared): Promise<Submitted> {
    const raw = Buffer.from(p.raw, "base64");
    const confirmation = this.confirm(p, raw);
    try {
      await this.budget.take();
      await this.rpc.sendTransaction(raw, 3);
    } catch (e) {
      confirmation.cancel();
      throw e;
    }
    return confirmation.done;
  }

  private confirm(p: Prepared, raw: Buffer): { done: Promise<Submitted>; cancel(): void } {
    const { signature } = p;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
    let resolve!: (s: Submitted) => void;
    let reject!: (e: Error) => void;
    const done = new Promise<Submitted>((res, rej) => ([resolve, reject] = [res, rej]));
    // The notification can beat the send's own answer: a failure settled before `send` awaits it
    // is still handled there, not an unhandled rejection.
    done.catch(() => {});
    const finish = (fromNotification: boolean, outcome: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      // A notified signature subscription is already gone.
      if (!fromNotification) unsubscribe?.();
      outcome();
    };
    const landed = (slot: number) => () =>
      resolve({
        signature,
        slot,
        computeUnitLimit: p.computeUnitLimit,
        priorityFeeMicroLamports: p.priorityFeeMicroLamports,
      });
    const failed = (err: unknown) => () =>
      reject(
        new ProgramFailure(
          customCode(err),
          [],
          `transaction ${signature} failed: ${JSON.stringify(err)}`,
          failedInstruction(err),
        ),
      );
    unsubscribe = this.pubsub.subscribe(
      "signatureSubscribe",
      [signature, { commitment: "confirmed" }],
      (r) => {
        const { context, value } = r as { context: { slot: number }; value: { err: unknown } };
        finish(true, value.err ? failed(value.err) : landed(context.slot));
      },
      true,
    );
    const deadline = Date.now() + this.opts.confirmTimeoutMs;
    let polls = 0;
    const poll = async () => {
      if (finished) return;
      try {
        await this.budget.take();
        const status = (await this.confirmer.getSignatureStatuses([signature])).value[0];
        // A processed status may be on a fork that is dropped: only a confirmed one is an answer.
        if (status && isConfirmed(status)) return finish(false, status.err ? failed(status.err) : landed(status.slot));
        if (Date.now() > deadline)
          return finish(false, () =>
            reject(new Error(`confirmation of ${signature} timed out after ${this.opts.confirmTimeoutMs} ms`)),
          );
        if (++polls % 5 === 0) {
          await this.budget.take(2);
          if ((await this.confirmer.getBlockHeight("confirmed")) > p.lastValidBlockHeight)
            return finish(false, () => reject(new Error(`transaction ${signature} expired unconfirmed`)));
          await this.rpc.sendTransaction(raw, 0).catch(() => {});
        }
      } catch {
        // The RPC hiccuped: keep trying until the deadline.
        if (Date.now() > deadline)
          return finish(false, () =>
            reject(new Error(`confirmation of ${signature} timed out after ${this.opts.confirmTimeoutMs} ms`)),
          );
      }
      if (!finished) timer = setTimeout(() => void poll(), 400);
    };
    timer = setTimeout(() => void poll(), this.opts.confirmPollAfterMs);
    return { done, cancel: () => finish(false, () => {}) };
  }

  /**
   * What became of a transaction signed earlier (a job interrupted after sending): "landed" with
   * its slot, "failed", "expired" (its blockhash can no longer land, so a new one is safe), or
   * "pending" (resend the same bytes).
   */
  async fate(
    p: Prepared,
  ): Promise<
    | { kind: "landed"; slot: number }
    | { kind: "failed"; code: number | null }
    | { kind: "expired" }
    | { kind: "pending" }
  > {
    await this.budget.take();
    const { value } = await this.confirmer.getSignatureStatuses([p.signature], { searchTransactionHistory: true });
    const status = value[0];
    // Processed only: it may be on a fork that is dropped, and the same bytes may still land
    // elsewhere, failed or not. Pending until confirmed.
    if (status && isConfirmed(status))
      return status.err ? { kind: "failed", code: customCode(status.err) } : { kind: "landed", slot: status.slot };
    if (status) return { kind: "pending" };
    await this.budget.take();
    const height = await this.confirmer.getBlockHeight("confirmed");
    return height > p.lastValidBlockHeight ? { kind: "expired" } : { kind: "pending" };
  }
}

/** A status the cluster has voted on: its outcome (landed or failed) no longer changes. */
const isConfirmed = (s: { confirmationStatus?: string | null }) =>
  s.confirmationStatus === "confirmed" || s.confirmationStatus === "finalized";
