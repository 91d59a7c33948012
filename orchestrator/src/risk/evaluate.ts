// One account's risk state from the decoded chain state, with the program's own math. An account
// whose data or prices are too old, or whose oracle the program would refuse, gets no state but a
// reason to wait: nothing is ever decided on a bad price.
import { createHash } from "node:crypto";
import { ratioOf } from "../math/margin.js";
import { valuationPrice } from "../math/oracle_price.js";
import { baseValue, notional } from "../math/position.js";
import {
  accountHealth,
  eligibilityHealth,
  unpricedPosition,
  type Health,
  type MarketRisk,
  type PricedPosition,
} from "./health.js";
import { liquidationEligible, unflagEligible } from "./liquidation.js";
import { check } from "./oracle_guard.js";
import { ChainStatus, type AccountState, type MarketState, type PriceState, type RiskState } from "./types.js";

export interface Freshness {
  /** Latest slot the orchestrator has seen. */
  currentSlot: number;
  /** Wall clock, unix seconds (the program compares oracle publish times with its clock). */
  nowS: number;
  maxAccountAgeSlots: number;
  maxOracleAgeSlots: number;
  /** Data is known current up to this slot (live subscriptions, last resync), whatever its own slot. */
  verifiedSlot?: number;
}

const ageSlots = (fresh: Freshness, observedSlot: number) =>
  fresh.currentSlot - Math.max(observedSlot, fresh.verifiedSlot ?? 0);

export interface Evaluation {
  account: string;
  state: RiskState | null;
  /** Why no state could be decided (stale data, unknown market, refused oracle). */
  waitReason: string | null;
  chainStatus: ChainStatus;
  health: Health | null;
  /** The health flagging, liquidating and unflagging are judged on (`eligibilityHealth`). */
  eligibility: Health | null;
  /** Flagged on chain but back at or above the liquidation-end level: `unflag_account` is due. */
  unflagDue: boolean;
  /** maintenance − equity, 0 when above maintenance: the priority of any job for this account. */
  shortfall: bigint;
  /** Market of the position a liquidation step closes first (`liquidationTarget`): the largest by notional, or the largest winner when closing that one would realize a loss the collateral cannot pay. */
  liquidationMarket: string | null;
  /** Identifies the account's current state, so a step acting on it has a deterministic id. */
  stepKey: string;
  /** Oracle prices the decision used, by market. */
  prices: Record<string, { price: bigint; conf: bigint; publishTime: number; slot: number }>;
}

export const marketRisk = (m: MarketState): MarketRisk => ({
  tiers: m.tiers,
  addonRatio: m.addonRatio,
  bufferRatio: m.bufferRatio,
});

/** Account states are replaced, never changed in place, so each one's key is hashed once. */
const stepKeys = new WeakMap<AccountState, string>();

export function stepKey(a: AccountState): string {
  let key = stepKeys.get(a);
  if (key === undefined) stepKeys.set(a, (key = hashState(a)));
  return key;
}

function hashState(a: AccountState): string {
  const h = createHash("sha256");
  h.update(`${a.collateral}|${a.status}|${a.liquidationId}`);
  for (const p of a.positions) h.update(`|${p.market}:${p.base}:${p.quoteEntry}`);
  // The first 8 bytes, as a flat string: a slice of the full hex digest would keep all of it.
  return h.digest().toString("hex", 0, 8);
}

export const isEmptyAndNegative = (a: AccountState) => a.positions.length === 0 && a.collateral < 0n;

/**
 * The account covered its deficit (collateral ≥ 0) but still records shortfalls: the pools those
 * markets were never paid are owed what it covered, and `resolve_bankruptcy` settles it.
 */
export const settlementDue = (a: AccountState) => a.collateral >= 0n && a.shortfallMarkets.length > 0;

/** A bankrupt account whose claims on pools back its whole deficit: the program leaves it to the claims. */
export const deficitBackedByClaims = (a: AccountState) =>
  isEmptyAndNegative(a) && (a.claims ?? []).reduce((s, c) => s + c.amount, 0n) >= -a.collateral;

/**
 * The first market (record order) in which the account holds a claim its pool now has money to
 * pay, or null: `settle_claim` pays it (as far as the pool holds money).
 */
export function claimDue(a: AccountState, markets: ReadonlyMap<string, MarketState>): MarketState | null {
  if (!a.claims?.length) return null;
  const byIndex = new Map([...markets.values()].map((m) => [m.index, m]));
  for (const c of a.claims) {
    const m = byIndex.get(c.marketIndex);
    if (m && c.amount > 0n && m.poolBalance > 0n) return m;
  }
  return null;
}

/** The margin-call level: maintenance plus `bandPpm` of it. */
export const marginCallLevel = (h: Health, bandPpm: bigint) => h.maintenance + ratioOf(h.maintenance, bandPpm);

export function classify(h: Health, status: ChainStatus, bandPpm: bigint): RiskState {
  if (status === ChainStatus.Bankrupt) return "bankrupt";
  if (liquidationEligible(h, status)) return "partial-liquidation";
  // Flagged on chain but back at or above the liquidation-end level: nothing to liquidate, the flag
  // is to be cleared (`unflagDue`); until then it is a margin call, never plainly healthy.
  if (status === ChainStatus.BeingLiquidated) return "margin-call";
  return h.equity < marginCallLevel(h, bandPpm) ? "margin-call" : "healthy";
}

/**
 * The position a liquidation step closes: the largest by notional, unless closing that one would
 * realize a loss the collateral cannot pay while another position is in profit. Such a step earns
 * its liquidator nothing (the fees shrink to what the collateral pays, and the account, able to pay
 * from its other gains, earns no insurance bounty), so the largest winner is closed first: its
 * realized gain pays the fees of every later step.
 */
export function liquidationTarget(
  collateral: bigint,
  usable: { market: string; notional: bigint; pnl: bigint }[],
): string | null {
  const byNotional = [...usable].sort((x, y) => (y.notional > x.notional ? 1 : y.notional < x.notional ? -1 : 0));
  const largest = byNotional[0];
  if (!largest) return null;
  if (largest.pnl < 0n && collateral + largest.pnl <= 0n) {
    const winner = byNotional.find((p) => p.pnl > 0n);
    if (winner) return winner.market;
  }
  return largest.market;
}

export function evaluate(
  a: AccountState,
  markets: ReadonlyMap<string, MarketState>,
  prices: ReadonlyMap<string, PriceState>,
  fresh: Freshness,
  marginCallBandPpm: bigint,
): Evaluation {
  const ev = decide(a, markets, prices, fresh, marginCallBandPpm);
  // Most evaluations find the account healthy and are dropped, or waiting (at start, before the
  // prices arrive, every account is): the key is hashed only if asked for, and not kept, so a book
  // of accounts that are not at risk holds no key per account (a kept key costs about 75 bytes).
  if (ev.state === "healthy" || ev.state === null)
    Object.defineProperty(ev, "stepKey", { get: () => hashState(a), enumerable: true, configurable: true });
  else ev.stepKey = stepKey(a);
  return ev;
}

function decide(
  a: AccountState,
  markets: ReadonlyMap<string, MarketState>,
  prices: ReadonlyMap<string, PriceState>,
  fresh: Freshness,
  marginCallBandPpm: bigint,
): Evaluation {
  const base: Evaluation = {
    account: a.address,
    state: null,
    waitReason: null,
    chainStatus: a.status,
    health: null,
    eligibility: null,
    unflagDue: false,
    shortfall: 0n,
    liquidationMarket: null,
    stepKey: "",
    prices: {},
  };
  if (a.status === ChainStatus.Bankrupt || isEmptyAndNegative(a)) {
    return { ...base, state: "bankrupt", shortfall: -a.collateral };
  }
  if (ageSlots(fresh, a.slot) > fresh.maxAccountAgeSlots) {
    return { ...base, waitReason: `account data is ${ageSlots(fresh, a.slot)} slots old` };
  }
  const priced: PricedPosition[] = [];
  // Positions with a usable price, to choose the one a step closes.
  const usable: { market: string; notional: bigint; pnl: bigint }[] = [];
  let firstRefusal: string | null = null;
  for (const p of a.positions) {
    const m = markets.get(p.market);
    if (!m) return { ...base, waitReason: `unknown market ${p.market}` };
    // A settled market prices at its settlement, certain and current, whatever its oracle says.
    const r =
      m.settlementPrice > 0n
        ? { oracle: m.oracle, price: m.settlementPrice, conf: 0n, publishTime: fresh.nowS, slot: fresh.currentSlot }
        : prices.get(m.oracle);
    if (!r) return { ...base, waitReason: `no price for oracle ${m.oracle}` };
    if (ageSlots(fresh, r.slot) > fresh.maxOracleAgeSlots) {
      return { ...base, waitReason: `price of ${m.oracle} is ${ageSlots(fresh, r.slot)} slots old` };
    }
    const refusal = check(r, fresh.nowS, { maxAgeS: m.maxOracleAgeLiquidateS, maxConfRatio: m.maxConfRatioLiquidate });
    if (refusal) {
      // The program values such a position against its holder and liquidates the account's other
      // markets; it cannot liquidate this one.
      const fallback = unpricedPosition(
        p.base,
        p.quoteEntry,
        m.lastOraclePrice,
        m.maxConfRatioLiquidate,
        { price: r.price, conf: r.conf },
        marketRisk(m),
      );
      if (!fallback) return { ...base, waitReason: `${refusal} on ${m.oracle}` };
      firstRefusal ??= `${refusal} on ${m.oracle}`;
      priced.push(fallback);
      continue;
    }
    base.prices[p.market] = { price: r.price, conf: r.conf, publishTime: r.publishTime, slot: r.slot };
    priced.push({ base: p.base, quoteEntry: p.quoteEntry, price: r.price, conf: r.conf, risk: marketRisk(m) });
    usable.push({
      market: p.market,
      notional: notional(p.base, r.price),
      pnl: baseValue(p.base, valuationPrice(p.base, r.price, r.conf)) + p.quoteEntry,
    });
  }
  base.liquidationMarket = liquidationTarget(a.collateral, usable);
  // No position with a usable price: the program refuses every step on the account; wait.
  if (firstRefusal && base.liquidationMarket === null) return { ...base, waitReason: firstRefusal };
  const health = accountHealth(a.collateral, priced);
  const eligibility = eligibilityHealth(a.collateral, priced);
  const shortfall = eligibility.maintenance > eligibility.equity ? eligibility.maintenance - eligibility.equity : 0n;
  const state = classify(eligibility, a.status, marginCallBandPpm);
  if (state === "partial-liquidation" && base.liquidationMarket === null) {
    return {
      ...base,
      health,
      eligibility,
      shortfall,
      waitReason: "no position with a usable oracle price to liquidate",
    };
  }
  return { ...base, state, health, eligibility, unflagDue: unflagEligible(eligibility, a.status), shortfall };
}
