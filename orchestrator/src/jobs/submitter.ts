// Sending one instruction the careful way: simulate first (a program error there is the answer,
// nothing is sent), size the compute budget from the simulation, price it from recent fees under a
// cap, sign with the operator key, send, and confirm against the blockhash's validity window.
import {
  ComputeBudgetProgram,
  Connection,
  Keypair,
  PublicKey,
  TransactionMessage,
  VersionedTransaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import bs58 from "bs58";
import { percentile } from "../ops/stats.js";

export interface SubmitOptions {
  computeUnitMarginPercent: number;
  computeUnitFloor: number;
  computeUnitCeiling: number;
  priorityFeeCapMicroLamports: number;
  priorityFeePercentile: number;
  confirmTimeoutMs: number;
}

/** A program error from simulation or execution: `code` is the program's custom error number. */
export class ProgramFailure extends Error {
  constructor(
    readonly code: number | null,
    readonly logs: string[],
    detail: string,
  ) {
    super(detail);
  }
}

/** A signed transaction, JSON-safe so it can be stored in the job before it is sent. */
export interface Prepared {
  signature: string;
  raw: string;
  blockhash: string;
  lastValidBlockHeight: number;
  computeUnitLimit: number;
  priorityFeeMicroLamports: number;
}

export interface Submitted {
  signature: string;
  slot: number;
  computeUnitLimit: number;
  priorityFeeMicroLamports: number;
}

function customCode(err: unknown): number | null {
  const ix = (err as { InstructionError?: [number, unknown] } | null)?.InstructionError;
  const custom = (ix?.[1] as { Custom?: number } | undefined)?.Custom;
  return typeof custom === "number" ? custom : null;
}

/** 0..996 from the tag: a few compute units of headroom that differ from job to job. */
export function tagOffset(tag: string): number {
  let h = 2166136261;
  for (let i = 0; i < tag.length; i++) h = Math.imul(h ^ tag.charCodeAt(i), 16777619) >>> 0;
  return h % 997;
}


export class Submitter {
  constructor(
    private readonly connection: Connection,
    private readonly payer: Keypair,
    private readonly opts: SubmitOptions,
  ) {}

  /**
   * A fresh blockhash per transaction: two steps on one account can build the same instruction, and
   * the same bytes under the same blockhash are one transaction to the cluster.
   */
  private blockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }> {
    return this.connection.getLatestBlockhash("confirmed");
  }

  private async priorityFee(writable: PublicKey[]): Promise<number> {
    const fees = await this.connection.getRecentPrioritizationFees({ lockedWritableAccounts: writable });
    const recent = percentile(fees.map((f) => f.prioritizationFee), this.opts.priorityFeePercentile);
    // No recent fees: nothing to outbid.
    return Math.min(this.opts.priorityFeeCapMicroLamports, Number.isNaN(recent) ? 0 : recent);
  }

  private build(ixs: TransactionInstruction[], blockhash: string): VersionedTransaction {
    const message = new TransactionMessage({ payerKey: this.payer.publicKey, recentBlockhash: blockhash, instructions: ixs }).compileToV0Message();
    return new VersionedTransaction(message);
  }

  /** Simulates, sizes, prices and signs; nothing is sent. A program error throws ProgramFailure. */
  /**
   * `tag` (the job id) makes the transaction's bytes the job's own: consecutive steps on one account
   * can build the same instruction under the same blockhash, and identical bytes are one
   * transaction to the cluster, so a second step would be mistaken for the first one landing.
   */
  async prepare(ix: TransactionInstruction, tag: string): Promise<Prepared> {
    const writable = ix.keys.filter((k) => k.isWritable).map((k) => k.pubkey);
    const [latest, fee] = await Promise.all([this.blockhash(), this.priorityFee(writable)]);
    const probe = this.build([ComputeBudgetProgram.setComputeUnitLimit({ units: this.opts.computeUnitCeiling }), ix], latest.blockhash);
    const sim = await this.connection.simulateTransaction(probe, { sigVerify: false, commitment: "confirmed" });
    if (sim.value.err) {
      throw new ProgramFailure(customCode(sim.value.err), sim.value.logs ?? [], `simulation failed: ${JSON.stringify(sim.value.err)}`);
    }
    const used = sim.value.unitsConsumed ?? 0;
    const sized = Math.max(this.opts.computeUnitFloor, Math.ceil(used * (1 + this.opts.computeUnitMarginPercent / 100)));
    const units = Math.min(this.opts.computeUnitCeiling, sized + tagOffset(tag));
    const tx = this.build(
      [ComputeBudgetProgram.setComputeUnitLimit({ units }), ComputeBudgetProgram.setComputeUnitPrice({ microLamports: fee }), ix],
      latest.blockhash,
    );
    tx.sign([this.payer]);
    return {
      signature: bs58.encode(tx.signatures[0]),
      raw: Buffer.from(tx.serialize()).toString("base64"),
      blockhash: latest.blockhash,
      lastValidBlockHeight: latest.lastValidBlockHeight,
      computeUnitLimit: units,
      priorityFeeMicroLamports: fee,
    };
  }

  /**
   * Sends the signed bytes (resending the same bytes can never execute twice) and confirms by
   * polling the signature's status until it is confirmed, fails, or its blockhash expires.
   */
  async send(p: Prepared): Promise<Submitted> {
    const raw = Buffer.from(p.raw, "base64");
    const signature = await this.connection.sendRawTransaction(raw, { skipPreflight: true, maxRetries: 3 });
    const deadline = Date.now() + this.opts.confirmTimeoutMs;
    for (let polls = 0; ; polls++) {
      const { value } = await this.connection.getSignatureStatuses([signature]);
      const status = value[0];
      if (status?.err) throw new ProgramFailure(customCode(status.err), [], `transaction ${signature} failed: ${JSON.stringify(status.err)}`);
      if (status && (status.confirmationStatus === "confirmed" || status.confirmationStatus === "finalized")) {
        return { signature, slot: status.slot, computeUnitLimit: p.computeUnitLimit, priorityFeeMicroLamports: p.priorityFeeMicroLamports };
      }
      if (Date.now() > deadline) throw new Error(`confirmation of ${signature} timed out after ${this.opts.confirmTimeoutMs} ms`);
      if (polls % 10 === 9) {
        if ((await this.connection.getBlockHeight("confirmed")) > p.lastValidBlockHeight) throw new Error(`transaction ${signature} expired unconfirmed`);
        await this.connection.sendRawTransaction(raw, { skipPreflight: true, maxRetries: 0 }).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * (polls + 1), 400)));
    }
  }

  /**
   * What became of a transaction signed earlier (a job interrupted after sending): "landed" with
   * its slot, "failed", "expired" (its blockhash can no longer land, so a new one is safe), or
   * "pending" (resend the same bytes).
   */
  async fate(p: Prepared): Promise<{ kind: "landed"; slot: number } | { kind: "failed"; code: number | null } | { kind: "expired" } | { kind: "pending" }> {
    const { value } = await this.connection.getSignatureStatuses([p.signature], { searchTransactionHistory: true });
    const status = value[0];
    if (status) return status.err ? { kind: "failed", code: customCode(status.err) } : { kind: "landed", slot: status.slot };
    const height = await this.connection.getBlockHeight("confirmed");
    return height > p.lastValidBlockHeight ? { kind: "expired" } : { kind: "pending" };
  }
}
