// Processing one step job: obey the kill switch, finish a transaction signed before an
// interruption, re-read the chain, check the step is still due (else UnrecoverableError: no retry
// can change it), then sign, send and confirm. The account after the step reaches the actor through
// the feed's notification, not through another read.
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { PublicKey } from "@solana/web3.js";
import type { ExchangeState } from "../chain/accounts.js";
import {
  liquidateInstruction,
  resolveInstruction,
  resolveMarkets,
  settleClaimInstruction,
  unflagInstruction,
} from "../chain/instructions.js";
import type { Snapshot, SnapshotReader } from "../chain/snapshot.js";
import { executionPrice } from "../../../sdk/src/math/oracle_price.js";
import {
  claimDue,
  deficitBackedByClaims,
  evaluate,
  isEmptyAndNegative,
  settlementDue,
  stepKey,
  type Evaluation,
} from "../risk/evaluate.js";
import { liquidationEligible, unflagEligible } from "../../../sdk/src/controller/liquidation.js";
import { ChainStatus, type AccountState, type MarketState } from "../risk/types.js";
import type { StepJob, StepResult } from "./steps.js";
import { SharedTransactionLost, type DecideShared, type StepBatcher } from "./batcher.js";
import { BUDGET_INSTRUCTIONS, ProgramFailure, type Prepared, type Submitter } from "./submitter.js";

/** Program errors a retry may change (prices move, blockhashes refresh); any other code is final. */
const RETRYABLE_CODES = new Set([6013, 6014, 6015, 6018, 6028]);
/** LimitPriceExceeded: the price moved since the snapshot; a limit from a fresh one succeeds at once. */
const LIMIT_PRICE_EXCEEDED = 6018;
const IMMEDIATE_RETRIES = 3;
/** Starts over after a shared transaction was lost to another step: each is a new transaction with other steps. */
const SHARED_RETRIES = 5;
const NAMES: Record<number, string> = {
  6021: "no position",
  6022: "account healthy",
  6023: "already being liquidated",
  6024: "account in liquidation",
  6025: "not bankrupt",
  6032: "not being liquidated",
  6033: "below liquidation-end",
};

export interface StepContext {
  /** Fresh snapshots, read together for the jobs of one turn. */
  snapshots: SnapshotReader;
  /** Steps signed in one turn share transactions. */
  batcher: StepBatcher;
  programId: PublicKey;
  exchange: ExchangeState;
  submitter: Submitter;
  operator: PublicKey;
  liquidatorToken: PublicKey;
  marginCallBandPpm: bigint;
  isPaused(market: string | null): boolean;
  pauseRecheckMs: number;
  /** The workers' job lock; renewed before anything is signed or sent. */
  lockMs: number;
  /** A shared transaction's fate, decided once for every orchestrator (jobs/batcher.ts DecideShared). */
  decideShared: DecideShared;
  /** Renews the job's lock and stores its data in one step; false when `token` no longer holds the lock (jobs/queues.ts storeUnderLock). */
  storeUnderLock(job: Job<StepJob, StepResult>, token: string, data: StepJob): Promise<boolean>;
  /** Shadow mode: simulate the step's instruction and stop there (config `dryRun`). */
  dryRun: boolean;
  onDryRun(
    job: StepJob,
    jobId: string,
    simulated: { err: unknown; code: number | null; logs: string[] },
    evaluation: Evaluation,
  ): void;
  /** Audit, log, metrics. */
  onSent(job: StepJob, jobId: string, prepared: Prepared, evaluation: Evaluation): void;
  /**
   * An earlier attempt's transaction about to be sent again (after a restart or a takeover): on
   * record, durably, before it goes out, since the process that signed it may have died before
   * its own record was written.
   */
  onResend(job: StepJob, jobId: string, prepared: Prepared): Promise<void>;
  onSettled(job: StepJob, jobId: string, result: StepResult): void;
}

export class NotNeeded extends UnrecoverableError {}

/** This worker no longer holds the job (it stalled and another worker took it over): stop, send nothing. */
export class LockLost extends Error {}

async function holdLock(ctx: StepContext, job: Job<StepJob, StepResult>, token: string | undefined): Promise<void> {
  if (token && !(await job.extendLock(token, ctx.lockMs)))
    throw new LockLost(`lost the lock on job ${job.id}; another worker owns it`);
}

async function store(
  ctx: StepContext,
  job: Job<StepJob, StepResult>,
  token: string | undefined,
  data: StepJob,
): Promise<void> {
  if (!token) return void (await job.updateData(data));
  if (!(await ctx.storeUnderLock(job, token, data)))
    throw new LockLost(`lost the lock on job ${job.id}; another worker owns it`);
}

function judge(job: StepJob, snap: Snapshot, ev: Evaluation): void {
  const { kind } = job;
  const a = snap.account;
  if (kind === "claim") {
    // Prices play no part: the claim is paid from what the pool holds.
    const due = claimDue(a, snap.markets);
    if (!due || due.address !== job.market) throw new NotNeeded("no claim this pool can pay");
    return;
  }
  if (ev.waitReason) throw new Error(`waiting: ${ev.waitReason}`);
  if (kind === "resolve") {
    if (!isEmptyAndNegative(a) && !settlementDue(a))
      throw new NotNeeded("not bankrupt and no covered shortfall to settle");
    if (deficitBackedByClaims(a))
      throw new NotNeeded("the deficit is backed by the account's claims on pools; a claim job pays it");
    return;
  }
  if (a.status === ChainStatus.Bankrupt || isEmptyAndNegative(a))
    throw new NotNeeded("account is bankrupt; resolution follows");
  if (stepKey(a) !== job.stepKey) throw new NotNeeded("step already taken: the account changed since it was decided");
  const h = ev.eligibility!;
  if (kind === "unflag") {
    if (!unflagEligible(h, a.status))
      throw new NotNeeded(
        a.status === ChainStatus.BeingLiquidated ? "still below the liquidation-end level" : "not flagged",
      );
    return;
  }
  // The program's rule: below maintenance (it flags the account itself), or flagged and still
  // below the liquidation-end level.
  if (!liquidationEligible(h, a.status)) throw new NotNeeded("account healthy at the current price");
}

/** The worst execution the liquidation accepts: the market's maximum impact from the fresh price. */
function limitPrice(a: AccountState, market: MarketState, price: bigint): bigint {
  const base = a.positions.find((p) => p.market === market.address)!.base;
  return executionPrice(base > 0n ? -1n : 1n, price, market.maxImpactRatio);
}

function instructionFor(ctx: StepContext, job: StepJob, snap: Snapshot, ev: Evaluation) {
  const a = snap.account;
  if (job.kind === "liquidate") {
    const market = snap.markets.get(ev.liquidationMarket!)!;
    const liquidator = { authority: ctx.operator, token: ctx.liquidatorToken };
    return liquidateInstruction(
      ctx.programId,
      liquidator,
      ctx.exchange,
      a,
      market,
      snap.markets,
      limitPrice(a, market, ev.prices[market.address].price),
    );
  }
  if (job.kind === "unflag") return unflagInstruction(ctx.programId, ctx.exchange, a, snap.markets);
  if (job.kind === "claim")
    return settleClaimInstruction(ctx.programId, ctx.exchange, a, snap.markets.get(job.market!)!);
  // The program charges the deficit to the markets of the account's shortfall record, in record order.
  const [first, ...others] = resolveMarkets(a, snap.markets);
  job.market = first.address;
  return resolveInstruction(ctx.programId, ctx.operator, ctx.exchange, a, first, others);
}

function classify(e: unknown): never {
  if (e instanceof ProgramFailure && e.code !== null && !RETRYABLE_CODES.has(e.code)) {
    throw new NotNeeded(`program refused (${e.code}${NAMES[e.code] ? ` ${NAMES[e.code]}` : ""}): ${e.message}`);
  }
  throw e;
}

function settle(ctx: StepContext, job: Job<StepJob, StepResult>, signature: string, slot: number): StepResult {
  const result: StepResult = { outcome: "confirmed", signature, slot };
  ctx.onSettled(job.data, job.id!, result);
  return result;
}

const isLimitPriceMiss = (e: unknown) => e instanceof ProgramFailure && e.code === LIMIT_PRICE_EXCEEDED;

export async function processStep(
  ctx: StepContext,
  job: Job<StepJob, StepResult>,
  token?: string,
): Promise<StepResult> {
  if (ctx.isPaused(job.data.market)) {
    await job.moveToDelayed(Date.now() + ctx.pauseRecheckMs, token);
    throw new DelayedError();
  }
  // A transaction signed by an earlier attempt: it may have landed; never sign a second one while
  // the first can still land.
  const earlier = job.data.prepared;
  if (earlier) {
    const fate = await ctx.submitter.fate(earlier);
    if (fate.kind === "landed") return settle(ctx, job, earlier.signature, fate.slot);
    // A shared transaction is sent only under "send", and its steps are signed anew only under
    // "abandon": whichever is on record settles it. Its sender records "send" before sending, so
    // with nothing on record it was never sent, and this job records "abandon": a step of it
    // whose job never stored it may already be signed anew.
    const shared = fate.kind === "pending" && (earlier.steps ?? 1) > 1;
    const choice = shared ? await ctx.decideShared(earlier.signature, "abandon") : null;
    if (fate.kind === "pending" && choice !== "abandon") {
      await holdLock(ctx, job, token);
      await ctx.onResend(job.data, job.id!, earlier);
      try {
        const sent = await ctx.submitter.send(earlier);
        return settle(ctx, job, sent.signature, sent.slot);
      } catch (e) {
        // Failed on another step's instruction: it landed failed, so this step starts again.
        if (!(shared && failedElsewhere(e, earlier.position ?? 0))) classify(e);
      }
    }
    // Failed, expired or abandoned before it was sent: it can never land now, so a fresh
    // transaction cannot be a second one.
    // Whether the step is still due is for the fresh snapshot to say, not the old failure: the
    // same account state may be liquidatable again at a new price.
    await forget(ctx, job, token);
  }

  for (let misses = 0, lost = 0; ; ) {
    if (misses + lost > 0 && ctx.isPaused(job.data.market)) {
      await job.moveToDelayed(Date.now() + ctx.pauseRecheckMs, token);
      throw new DelayedError();
    }
    try {
      return await attemptStep(ctx, job, token);
    } catch (e) {
      if (e instanceof LockLost) throw e;
      const final = e instanceof SharedTransactionLost || isLimitPriceMiss(e);
      // A failed or unsent transaction never lands: forget it, and the next attempt (now or a
      // retry's) signs a new one from a fresh snapshot.
      if (final && job.data.prepared) await forget(ctx, job, token);
      const again =
        e instanceof SharedTransactionLost
          ? ++lost <= SHARED_RETRIES
          : isLimitPriceMiss(e) && ++misses <= IMMEDIATE_RETRIES;
      if (!again) classify(e);
    }
  }
}

/** Drops the stored transaction, under the lock: a worker that lost the job must not erase the transaction its new owner stored. */
async function forget(ctx: StepContext, job: Job<StepJob, StepResult>, token: string | undefined): Promise<void> {
  await store(ctx, job, token, { ...job.data, prepared: undefined });
  job.data.prepared = undefined;
}

/** A shared transaction's failure on an instruction other than this step's own. */
function failedElsewhere(e: unknown, position: number): boolean {
  return e instanceof ProgramFailure && e.instruction !== null && e.instruction !== BUDGET_INSTRUCTIONS + position;
}

async function attemptStep(ctx: StepContext, job: Job<StepJob, StepResult>, token?: string): Promise<StepResult> {
  const snap = await ctx.snapshots.read(job.data.account);
  const ev = evaluate(
    snap.account,
    snap.markets,
    snap.prices,
    { currentSlot: snap.slot, nowS: Math.floor(Date.now() / 1000), maxAccountAgeSlots: 0, maxOracleAgeSlots: 0 },
    ctx.marginCallBandPpm,
  );
  if (snap.oracleErrors.size > 0 && !ev.waitReason) ev.waitReason = [...snap.oracleErrors.values()].join("; ");
  judge(job.data, snap, ev);
  const ix = instructionFor(ctx, job.data, snap, ev);
  if (ctx.dryRun) {
    const simulated = await ctx.submitter.simulateOnly(ix);
    ctx.onDryRun(job.data, job.id!, simulated, ev);
    const result: StepResult = {
      outcome: "not-needed",
      reason: simulated.err
        ? `dry run: the simulation failed (${JSON.stringify(simulated.err)})`
        : "dry run: simulated, not sent",
    };
    ctx.onSettled(job.data, job.id!, result);
    return result;
  }
  const ticket = await ctx.batcher.prepare(ix, {
    tag: job.id!,
    shape: `${job.data.kind}:${ix.keys.length}`,
    account: job.data.account,
  });
  let ready = false;
  try {
    // Only the lock holder may record and send a transaction: a worker that stalled past its lock
    // must not race the one that took the job over. The lock is checked and renewed in the same
    // script that stores the transaction.
    await store(ctx, job, token, { ...job.data, prepared: ticket.prepared });
    ctx.onSent(job.data, job.id!, ticket.prepared, ev);
    ready = true;
  } finally {
    if (!ready) ticket.abandon(`job ${job.id} could not store it or lost its lock`);
  }
  const sent = await ticket.send();
  return settle(ctx, job, sent.signature, sent.slot);
}
