// Processing one step job: obey the kill switch, finish a transaction signed before an
// interruption, re-read the chain, check the step is still due (else UnrecoverableError: no retry
// can change it), then simulate, sign, send, confirm, and re-read the account to report back.
import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { Program } from "@coral-xyz/anchor";
import { Connection, PublicKey } from "@solana/web3.js";
import { decodeMarginAccount, type ExchangeState } from "../chain/accounts.js";
import type { Margin } from "../chain/idl.js";
import { flagInstruction, liquidateInstruction, resolveInstruction } from "../chain/instructions.js";
import { readSnapshot, type Snapshot } from "../chain/snapshot.js";
import { executionPrice } from "../math/oracle_price.js";
import { evaluate, isEmptyAndNegative, stepKey, type Evaluation } from "../risk/evaluate.js";
import { belowLiquidationEnd } from "../risk/health.js";
import { ChainStatus, type AccountState, type MarketState } from "../risk/types.js";
import type { StepJob, StepResult } from "./steps.js";
import { ProgramFailure, type Prepared, type Submitter } from "./submitter.js";

/** Program errors a retry may change (prices move, blockhashes refresh); any other code is final. */
const RETRYABLE_CODES = new Set([6013, 6014, 6015, 6018, 6028]);
const NAMES: Record<number, string> = { 6021: "no position", 6022: "account healthy", 6023: "already being liquidated", 6024: "account in liquidation", 6025: "not bankrupt" };

export interface StepContext {
  connection: Connection;
  program: Program<Margin>;
  exchange: ExchangeState;
  submitter: Submitter;
  operator: PublicKey;
  liquidatorToken: PublicKey;
  marginCallBandPpm: bigint;
  /** Known markets of the exchange → their oracles (a bankruptcy is paid from the one with the most insurance). */
  knownMarkets(): ReadonlyMap<string, string>;
  isPaused(market: string | null): boolean;
  pauseRecheckMs: number;
  /** The workers' job lock; renewed before anything is signed or sent. */
  lockMs: number;
  /** Audit, log, metrics; the account as re-read after the step. */
  onSent(job: StepJob, jobId: string, prepared: Prepared, evaluation: Evaluation): void;
  onSettled(job: StepJob, jobId: string, result: StepResult, account: AccountState | null): void;
}

export class NotNeeded extends UnrecoverableError {}

/** This worker no longer holds the job (it stalled and another worker took it over): stop, send nothing. */
export class LockLost extends Error {}

async function holdLock(ctx: StepContext, job: Job<StepJob, StepResult>, token: string | undefined): Promise<void> {
  if (token && !(await job.extendLock(token, ctx.lockMs))) throw new LockLost(`lost the lock on job ${job.id}; another worker owns it`);
}

function judge(job: StepJob, snap: Snapshot, ev: Evaluation): void {
  const { kind } = job;
  const a = snap.account;
  if (ev.waitReason) throw new Error(`waiting: ${ev.waitReason}`);
  if (kind === "resolve") {
    if (!isEmptyAndNegative(a)) throw new NotNeeded("not bankrupt: the account has positions or no deficit");
    return;
  }
  if (a.status === ChainStatus.Bankrupt || isEmptyAndNegative(a)) throw new NotNeeded("account is bankrupt; resolution follows");
  if (kind === "flag" && a.status !== ChainStatus.Healthy) throw new NotNeeded("already being liquidated (flagged by someone else)");
  if (kind === "liquidate" && stepKey(a) !== job.stepKey) throw new NotNeeded("step already taken: the account changed since it was decided");
  const h = ev.health!;
  const due = kind === "flag" ? h.equity < h.maintenance : h.equity < h.maintenance || (a.status === ChainStatus.BeingLiquidated && belowLiquidationEnd(h));
  if (!due) throw new NotNeeded("account healthy at the current price");
}

/** The worst execution the liquidation accepts: the market's maximum impact from the fresh price. */
function limitPrice(a: AccountState, market: MarketState, price: bigint): bigint {
  const base = a.positions.find((p) => p.market === market.address)!.base;
  return executionPrice(base > 0n ? -1n : 1n, price, market.maxImpactRatio);
}

async function instructionFor(ctx: StepContext, job: StepJob, snap: Snapshot, ev: Evaluation) {
  const a = snap.account;
  if (job.kind === "flag") return flagInstruction(ctx.program, ctx.exchange, a, snap.markets);
  if (job.kind === "liquidate") {
    const market = snap.markets.get(ev.liquidationMarket!)!;
    return liquidateInstruction(ctx.program, ctx.operator, ctx.liquidatorToken, ctx.exchange, a, market, snap.markets, limitPrice(a, market, snap.prices.get(market.oracle)!.price));
  }
  const richest = [...snap.markets.values()].sort((x, y) => (y.insuranceBalance > x.insuranceBalance ? 1 : y.insuranceBalance < x.insuranceBalance ? -1 : 0))[0];
  if (!richest) throw new Error("no market known to pay the bankruptcy from");
  job.market = richest.address;
  return resolveInstruction(ctx.program, ctx.operator, ctx.exchange, a, richest);
}

function classify(e: unknown): never {
  if (e instanceof ProgramFailure && e.code !== null && !RETRYABLE_CODES.has(e.code)) {
    throw new NotNeeded(`program refused (${e.code}${NAMES[e.code] ? ` ${NAMES[e.code]}` : ""}): ${e.message}`);
  }
  throw e;
}

/** Re-reads the account the step changed and reports it back before the job completes. */
async function settle(ctx: StepContext, job: Job<StepJob, StepResult>, signature: string, slot: number): Promise<StepResult> {
  const { context, value } = await ctx.connection.getAccountInfoAndContext(new PublicKey(job.data.account), "confirmed");
  const after = value ? decodeMarginAccount(job.data.account, value.data, context.slot) : null;
  const result: StepResult = { outcome: "confirmed", signature, slot, statusAfter: after?.status, stepKeyAfter: after ? stepKey(after) : undefined };
  ctx.onSettled(job.data, job.id!, result, after);
  return result;
}

export async function processStep(ctx: StepContext, job: Job<StepJob, StepResult>, token?: string): Promise<StepResult> {
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
    if (fate.kind === "pending") {
      await holdLock(ctx, job, token);
      const sent = await ctx.submitter.send(earlier).catch(classify);
      return settle(ctx, job, sent.signature, sent.slot);
    }
    // Failed or expired: it can never land now, so a fresh transaction cannot be a second one.
    if (fate.kind === "failed" && fate.code !== null && !RETRYABLE_CODES.has(fate.code)) {
      classify(new ProgramFailure(fate.code, [], `earlier transaction ${earlier.signature} failed`));
    }
    job.data.prepared = undefined;
    await job.updateData(job.data);
  }

  const snap = await readSnapshot(ctx.connection, job.data.account, ctx.knownMarkets());
  const ev = evaluate(snap.account, snap.markets, snap.prices, { currentSlot: snap.slot, nowS: Math.floor(Date.now() / 1000), maxAccountAgeSlots: 0, maxOracleAgeSlots: 0 }, ctx.marginCallBandPpm);
  if (snap.oracleErrors.size > 0 && !ev.waitReason) ev.waitReason = [...snap.oracleErrors.values()].join("; ");
  judge(job.data, snap, ev);
  const ix = await instructionFor(ctx, job.data, snap, ev);
  const prepared = await ctx.submitter.prepare(ix, job.id!).catch(classify);
  // Only the lock holder may record and send a transaction: a worker that stalled past its lock
  // must not race the one that took the job over.
  await holdLock(ctx, job, token);
  await job.updateData({ ...job.data, prepared });
  await holdLock(ctx, job, token);
  ctx.onSent(job.data, job.id!, prepared, ev);
  const sent = await ctx.submitter.send(prepared).catch(classify);
  return settle(ctx, job, sent.signature, sent.slot);
}
