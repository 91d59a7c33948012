// The four kinds of job, one idempotent effect each (a liquidation's first step flags the account
// on chain in the same instruction; an unflag clears the flag of an account back at its
// liquidation-end level; a claim pays an account's claim on a pool that has money again). A job's id is derived from what it acts on
// (kind, account, liquidation id, the account's state digest), so every orchestrator sharing a Redis
// names the same step the same way and BullMQ keeps only one.
export type StepKind = "liquidate" | "resolve" | "unflag" | "claim";
export const STEP_KINDS: StepKind[] = ["liquidate", "resolve", "unflag", "claim"];

export interface StepJob {
  kind: StepKind;
  account: string;
  liquidationId: string;
  /** Digest of the account state the step was decided on (risk/evaluate.ts stepKey). */
  stepKey: string;
  /** The market a liquidation closes or a claim is paid from; for resolve, chosen by the worker. */
  market: string | null;
  /** maintenance − equity when decided, quote native units. */
  shortfall: string;
  /** The account is not flagged yet: this step starts its liquidation (served before later steps). */
  firstStep?: boolean;
  /** Wall-clock ms when the orchestrator saw the state that called for this step. */
  detectedAtMs: number;
  /** Prices and health the decision was made on, for the audit log. */
  decidedOn: Record<string, unknown>;
  /** A transaction signed for this job before an interruption: resend or check it, never re-sign blindly. */
  prepared?: import("./submitter.js").Prepared;
  /** Set by the queue on add, to tell a fresh add from a duplicate. */
  nonce?: string;
}

export interface StepResult {
  outcome: "confirmed" | "not-needed";
  reason?: string;
  signature?: string;
  slot?: number;
}

/** BullMQ ids may not contain ':'. */
export const jobId = (j: Pick<StepJob, "kind" | "account" | "liquidationId" | "stepKey">) =>
  `${j.kind}-${j.account}-${j.liquidationId}-${j.stepKey}`;

/**
 * BullMQ priority: 1 is served first, 2^21 last. Steps that start a liquidation come before later
 * steps (in a wave every account's exposure starts shrinking before any account's second slice),
 * and within each, larger shortfall ⇒ smaller number, on a log scale.
 */
export function priorityFor(shortfall: bigint, firstStep = false): number {
  const band = firstStep ? 0 : 2_000;
  if (shortfall <= 0n) return band + 2_000;
  const bits = shortfall.toString(2).length; // ≈ log2(shortfall)
  return band + Math.max(1, 2_000 - bits * 20);
}

/** Queue names; the configured prefix (BullMQ `prefix`) separates deployments sharing one Redis. */
export const queueName = (kind: StepKind) => `step-${kind}`;
