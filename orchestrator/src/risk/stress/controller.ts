// Mirror of the program's liquidation path on plain structs, for the stress simulator:
// controller/liquidation.rs (plan_liquidation, underwater_bounty, liquidation_step),
// controller/fill.rs (apply_fill, pay_claim), controller/trade.rs (settle_with_pool),
// controller/bankruptcy.rs (allocate, keep_backed, settle_entry, charge), the resolution in
// instructions/resolve_bankruptcy.rs and controller/volatility.rs (observe). Same names, same
// order of operations, integer math from ../../math; every rounding is the program's.
import { abs, max, min, mulDivFloor } from "../../math/checked.js";
import { BASE_TO_QUOTE } from "../../math/constants.js";
import { baseToClose, liquidationFees, shrinkFees } from "../../math/liquidation.js";
import type { Tier } from "../../math/margin.js";
import { executionPrice, impactRatio } from "../../math/oracle_price.js";
import { applyTrade, notional, type TradeResult } from "../../math/position.js";
import { ewmaVarianceElapsed, returnRatioAbs, volatilityAddonRatio } from "../../math/volatility.js";
import { accountHealth, belowLiquidationEnd, type Health, type PricedPosition } from "../health.js";
import { liquidationEligible } from "../liquidation.js";
import { ChainStatus } from "../types.js";

export const MAX_POSITIONS = 8;
export const MAX_CLAIMS = 4;
/** controller/liquidation.rs MAX_UNDERWATER_BOUNTY: $10. */
export const MAX_UNDERWATER_BOUNTY = 10_000_000n;
/** controller/volatility.rs. */
export const MIN_OBSERVATION_INTERVAL_S = 1;
export const MAX_ADDON_RISE_PER_S = 500n;

export class ProgramError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

export interface SimPosition {
  market: string;
  base: bigint;
  quoteEntry: bigint;
}

/** A per-market record entry (shortfall or claim), record order, no gaps, amounts > 0. */
export interface Entry {
  index: number;
  amount: bigint;
}

export interface SimAccount {
  address: string;
  collateral: bigint;
  status: ChainStatus;
  liquidationId: bigint;
  /** Open positions, slot order. */
  positions: SimPosition[];
  shortfalls: Entry[];
  claims: Entry[];
}

export interface VolState {
  variance: bigint;
  lastPrice: bigint;
  lastPublishTime: number;
  lambda: bigint;
  multiplier: bigint;
  cap: bigint;
}

export interface SimMarket {
  address: string;
  index: number;
  tiers: Tier[];
  addonRatio: bigint;
  bufferRatio: bigint;
  liquidatorFeeRatio: bigint;
  insuranceFeeRatio: bigint;
  maxLiquidationNotional: bigint;
  minRemainderNotional: bigint;
  baseImpactRatio: bigint;
  impactRatioPerMillion: bigint;
  maxImpactRatio: bigint;
  maxConfRatioLiquidate: bigint;
  poolBalance: bigint;
  totalClaims: bigint;
  insuranceBalance: bigint;
  longOpenInterest: bigint;
  shortOpenInterest: bigint;
  quoteEntrySumLong: bigint;
  quoteEntrySumShort: bigint;
  totalLiquidations: bigint;
  totalLiquidatedNotional: bigint;
  totalLiquidationFees: bigint;
  totalInsurancePaid: bigint;
  totalSocializedLoss: bigint;
  totalHaircut: bigint;
  vol: VolState | null;
}

export interface Reading {
  price: bigint;
  conf: bigint;
}

// --- records (state/margin_account.rs) ---

const findEntry = (entries: Entry[], index: number) => entries.findIndex((e) => e.amount > 0n && e.index === index);

export function recordShortfall(a: SimAccount, index: number, amount: bigint): void {
  if (amount === 0n) return;
  let k = findEntry(a.shortfalls, index);
  if (k < 0) {
    if (a.shortfalls.length < MAX_POSITIONS) k = a.shortfalls.push({ index, amount: 0n }) - 1;
    else k = MAX_POSITIONS - 1;
  }
  a.shortfalls[k].amount += amount;
}

function setEntry(entries: Entry[], k: number, amount: bigint): void {
  if (amount === 0n) entries.splice(k, 1);
  else entries[k].amount = amount;
}

function recordClaim(a: SimAccount, index: number, amount: bigint): bigint {
  if (amount === 0n) return 0n;
  let k = findEntry(a.claims, index);
  if (k < 0) {
    if (a.claims.length >= MAX_CLAIMS) return 0n;
    k = a.claims.push({ index, amount: 0n }) - 1;
  }
  a.claims[k].amount += amount;
  return amount;
}

export const deficit = (a: SimAccount) => max(-a.collateral, 0n);
export const claimsTotal = (a: SimAccount) => a.claims.reduce((s, c) => s + c.amount, 0n);

// --- controller/bankruptcy.rs ---

export function allocate(def: bigint, shortfalls: bigint[]): bigint[] | null {
  if (shortfalls.every((s) => s <= 0n)) return null;
  let left = max(def, 0n);
  const shares = shortfalls.map(() => 0n);
  for (let k = shortfalls.length - 1; k >= 0; k--) {
    const take = min(left, max(shortfalls[k], 0n));
    shares[k] = take;
    left -= take;
  }
  return shares;
}

export function keepBacked(shares: bigint[], backed: bigint): bigint[] {
  let left = max(backed, 0n);
  const kept = shares.map(() => 0n);
  for (let k = shares.length - 1; k >= 0; k--) {
    kept[k] = min(left, max(shares[k], 0n));
    left -= kept[k];
  }
  return kept;
}

export function settleEntry(def: bigint, shortfalls: bigint[], k: number): [bigint, bigint] {
  const shares = allocate(def, shortfalls);
  if (!shares) return [0n, 0n];
  return [shortfalls[k] - shares[k], shares[k]];
}

export interface MarketCharge {
  deficit: bigint;
  insurancePaid: bigint;
  socializedLoss: bigint;
  poolCredit: bigint;
}

export function charge(recorded: bigint, share: bigint, insuranceBalance: bigint): MarketCharge {
  const insurancePaid = min(share, max(insuranceBalance, 0n));
  return {
    deficit: share,
    insurancePaid,
    socializedLoss: share - insurancePaid,
    poolCredit: recorded - share + insurancePaid,
  };
}

// --- controller/trade.rs, controller/fill.rs ---

export function settleWithPool(realized: bigint, poolBalance: bigint, collateralBefore: bigint) {
  if (realized >= 0n) {
    const paid = min(realized, max(poolBalance, 0n));
    return { toTrader: paid, poolDelta: -paid, shortfall: 0n, haircut: realized - paid };
  }
  const loss = -realized;
  const paid = min(loss, max(collateralBefore, 0n));
  return { toTrader: realized, poolDelta: paid, shortfall: loss - paid, haircut: 0n };
}

function moveQuoteEntry(m: SimMarket, base: bigint, amount: bigint): void {
  if (base > 0n) m.quoteEntrySumLong += amount;
  else if (base < 0n) m.quoteEntrySumShort += amount;
}

function updateOpenInterest(m: SimMarket, before: bigint, after: bigint): void {
  const side = (b: bigint) => [max(b, 0n), max(-b, 0n)];
  const [lb, sb] = side(before);
  const [la, sa] = side(after);
  m.longOpenInterest += la - lb;
  m.shortOpenInterest += sa - sb;
}

export function payClaim(a: SimAccount, m: SimMarket): bigint {
  const k = findEntry(a.claims, m.index);
  if (k < 0) return 0n;
  const paid = min(a.claims[k].amount, max(m.poolBalance, 0n));
  if (paid === 0n) return 0n;
  setEntry(a.claims, k, a.claims[k].amount - paid);
  m.totalClaims = max(m.totalClaims - paid, 0n);
  m.poolBalance -= paid;
  a.collateral += paid;
  return paid;
}

export interface Fill {
  credited: bigint;
  haircut: bigint;
  claimed: bigint;
  claimPaid: bigint;
}

export function applyFill(a: SimAccount, slot: number, m: SimMarket, baseBefore: bigint, result: TradeResult): Fill {
  const before = a.positions[slot];
  moveQuoteEntry(m, baseBefore, -before.quoteEntry);
  moveQuoteEntry(m, result.base, result.quoteEntry);
  if (result.base === 0n && result.quoteEntry === 0n) a.positions.splice(slot, 1);
  else a.positions[slot] = { market: before.market, base: result.base, quoteEntry: result.quoteEntry };
  const free = m.poolBalance - m.totalClaims;
  const s = settleWithPool(result.realizedPnl, free, a.collateral);
  a.collateral += s.toTrader;
  m.poolBalance += s.poolDelta;
  recordShortfall(a, m.index, s.shortfall);
  const k = findEntry(a.shortfalls, m.index);
  if (k >= 0) {
    const [covered, kept] = settleEntry(
      deficit(a),
      a.shortfalls.map((e) => e.amount),
      k,
    );
    m.poolBalance += covered;
    setEntry(a.shortfalls, k, kept);
  }
  m.totalHaircut += s.haircut;
  const claimPaid = payClaim(a, m);
  const claimed = recordClaim(a, m.index, s.haircut);
  m.totalClaims += claimed;
  updateOpenInterest(m, baseBefore, result.base);
  return { credited: s.toTrader, haircut: s.haircut, claimed, claimPaid };
}

// --- controller/liquidation.rs ---

export interface LiquidationPlan {
  closeAbs: bigint;
  tradeBase: bigint;
  execPrice: bigint;
  closedNotional: bigint;
  liquidatorFee: bigint;
  insuranceFee: bigint;
}

function closingExecPrice(base: bigint, closeAbs: bigint, price: bigint, m: SimMarket): bigint {
  const trade = base > 0n ? -closeAbs : closeAbs;
  const ratio = impactRatio(notional(trade, price), m.baseImpactRatio, m.impactRatioPerMillion, m.maxImpactRatio);
  return executionPrice(trade, price, ratio);
}

export function planLiquidation(h: Health, pos: PricedPosition, m: SimMarket): LiquidationPlan {
  if (pos.base === 0n) throw new ProgramError("NoPosition");
  const maxCloseAbs = max(mulDivFloor(m.maxLiquidationNotional, BASE_TO_QUOTE, pos.price), 1n);
  const worstSlice = min(abs(pos.base), maxCloseAbs);
  const closeAbs = baseToClose(
    h.equity,
    h.liquidationEnd,
    {
      base: pos.base,
      oraclePrice: pos.price,
      conf: pos.conf,
      execPrice: closingExecPrice(pos.base, worstSlice, pos.price, m),
      tiers: pos.risk.tiers,
      addonRatio: pos.risk.addonRatio,
      bufferRatio: pos.risk.bufferRatio,
      liquidatorFeeRatio: m.liquidatorFeeRatio,
      insuranceFeeRatio: m.insuranceFeeRatio,
    },
    maxCloseAbs,
    m.minRemainderNotional,
  );
  if (closeAbs === 0n) throw new ProgramError("AccountHealthy");
  const tradeBase = pos.base > 0n ? -closeAbs : closeAbs;
  const closedNotional = notional(tradeBase, pos.price);
  const [liquidatorFee, insuranceFee] = liquidationFees(closedNotional, m.liquidatorFeeRatio, m.insuranceFeeRatio);
  return {
    closeAbs,
    tradeBase,
    execPrice: closingExecPrice(pos.base, closeAbs, pos.price, m),
    closedNotional,
    liquidatorFee,
    insuranceFee,
  };
}

export function underwaterBounty(plan: LiquidationPlan, equityAfterClose: bigint, insuranceBalance: bigint): bigint {
  const [payable] = shrinkFees(plan.liquidatorFee, plan.insuranceFee, equityAfterClose);
  return max(min(min(plan.liquidatorFee - payable, MAX_UNDERWATER_BOUNTY), max(insuranceBalance, 0n)), 0n);
}

export const marketRiskOf = (m: SimMarket) => ({
  tiers: m.tiers,
  addonRatio: m.addonRatio,
  bufferRatio: m.bufferRatio,
});

/** Every open position priced at its market's reading (the liquidation view: no pool backing). */
export function pricedPositions(
  a: SimAccount,
  markets: ReadonlyMap<string, SimMarket>,
  readings: ReadonlyMap<string, Reading>,
): PricedPosition[] {
  return a.positions.map((p) => {
    const m = markets.get(p.market)!;
    const r = readings.get(p.market)!;
    return { base: p.base, quoteEntry: p.quoteEntry, price: r.price, conf: r.conf, risk: marketRiskOf(m) };
  });
}

export interface StepOutcome {
  flagged: boolean;
  plan: LiquidationPlan;
  liquidatorFee: bigint;
  insuranceFee: bigint;
  bounty: bigint;
  fill: Fill;
  status: ChainStatus;
}

/** `liquidation_step` on `market`'s position (limit price not checked: the simulator sends none). */
export function liquidationStep(
  a: SimAccount,
  market: SimMarket,
  markets: ReadonlyMap<string, SimMarket>,
  readings: ReadonlyMap<string, Reading>,
  nextLiquidationId: bigint,
): StepOutcome {
  const slot = a.positions.findIndex((p) => p.market === market.address);
  if (slot < 0) throw new ProgramError("NoPosition");
  // The target last, as the handler builds the list.
  const order = [...a.positions.keys()].filter((k) => k !== slot).concat(slot);
  const priced = pricedPositions(a, markets, readings);
  const positions = order.map((k) => priced[k]);
  const before = accountHealth(a.collateral, positions);
  if (!liquidationEligible(before, a.status)) throw new ProgramError("AccountHealthy");
  const flagged = a.status !== ChainStatus.BeingLiquidated;
  if (flagged) {
    a.liquidationId = nextLiquidationId;
    a.status = ChainStatus.BeingLiquidated;
  }
  const target = positions[positions.length - 1];
  const plan = planLiquidation(before, target, market);
  const result = applyTrade(target.base, target.quoteEntry, plan.tradeBase, plan.execPrice);
  const fill = applyFill(a, slot, market, target.base, result);
  target.base = result.base;
  target.quoteEntry = result.quoteEntry;
  if (result.base === 0n) positions.pop();
  const afterClose = accountHealth(a.collateral, positions);
  const payable = min(afterClose.equity, a.collateral);
  const [liquidatorFee, insuranceFee] = shrinkFees(plan.liquidatorFee, plan.insuranceFee, payable);
  a.collateral -= liquidatorFee + insuranceFee;
  market.insuranceBalance += insuranceFee;
  const bounty = underwaterBounty(plan, afterClose.equity, market.insuranceBalance);
  market.insuranceBalance -= bounty;
  market.totalLiquidations += 1n;
  market.totalLiquidatedNotional += plan.closedNotional;
  market.totalLiquidationFees += liquidatorFee + insuranceFee;
  const status =
    a.positions.length === 0 && a.collateral < 0n
      ? ChainStatus.Bankrupt
      : !belowLiquidationEnd(accountHealth(a.collateral, positions))
        ? ChainStatus.Healthy
        : ChainStatus.BeingLiquidated;
  a.status = status;
  return { flagged, plan, liquidatorFee, insuranceFee, bounty, fill, status };
}

// --- instructions/resolve_bankruptcy.rs ---

export interface Resolution {
  deficit: bigint;
  charges: { market: string; charge: MarketCharge }[];
}

/**
 * `resolve_bankruptcy` with `charged` the markets it names: the record's markets in record order,
 * or one market for an account without a record.
 */
export function resolveBankruptcy(a: SimAccount, charged: SimMarket[]): Resolution {
  const bankrupt = a.positions.length === 0 && a.collateral < 0n;
  const covered = a.collateral >= 0n && a.shortfalls.length > 0;
  if (!bankrupt && !covered) throw new ProgramError("NotBankrupt");
  const def = deficit(a);
  const backed = min(def, claimsTotal(a));
  if (bankrupt && backed >= def) throw new ProgramError("DeficitBackedByClaims");
  const record = a.shortfalls.map((e) => ({ ...e }));
  const recorded = record.map((e) => e.amount);
  const shares = allocate(def, recorded) ?? [];
  const kept = keepBacked(shares, backed);
  const unrecorded = def - shares.reduce((s, x) => s + x, 0n);
  if (charged.length < record.length) throw new ProgramError("MissingPositionAccounts");
  const charges: Resolution["charges"] = [];
  for (const [k, m] of charged.entries()) {
    let recordedHere = 0n;
    let share = 0n;
    if (k < record.length) {
      if (m.index !== record[k].index) throw new ProgramError("WrongMarket");
      recordedHere = recorded[k] - kept[k];
      share = shares[k] - kept[k];
    }
    const c = charge(recordedHere, share, m.insuranceBalance);
    if (k === 0 && unrecorded > 0n) {
      const legacy = charge(0n, unrecorded, m.insuranceBalance - c.insurancePaid);
      const fromPool = min(legacy.socializedLoss, max(m.poolBalance + c.poolCredit, 0n));
      c.deficit += unrecorded;
      c.insurancePaid += legacy.insurancePaid;
      c.socializedLoss += fromPool;
      c.poolCredit -= fromPool;
    }
    m.insuranceBalance -= c.insurancePaid;
    m.poolBalance += c.poolCredit;
    m.totalInsurancePaid += c.insurancePaid;
    m.totalSocializedLoss += c.socializedLoss;
    charges.push({ market: m.address, charge: c });
    if (k + 1 >= Math.max(record.length, 1)) break;
  }
  if (bankrupt) {
    a.collateral = -backed;
    if (backed === 0n) a.status = ChainStatus.Healthy;
  }
  a.shortfalls = record.map((e, k) => ({ index: e.index, amount: kept[k] })).filter((e) => e.amount > 0n);
  return { deficit: def, charges };
}

// --- controller/volatility.rs ---

/** `observe`: the market's volatility state and add-on after a refresh at `price`, `publishTime`. */
export function observe(m: SimMarket, price: bigint, publishTime: number): void {
  const v = m.vol;
  if (!v) return;
  const elapsed = publishTime - v.lastPublishTime;
  if (elapsed < MIN_OBSERVATION_INTERVAL_S) throw new ProgramError("OracleNotUpdated");
  const variance =
    v.lastPrice > 0n
      ? ewmaVarianceElapsed(v.variance, returnRatioAbs(v.lastPrice, price), v.lambda, elapsed)
      : v.variance;
  const target = volatilityAddonRatio(variance, v.multiplier, v.cap);
  const previousTarget = volatilityAddonRatio(v.variance, v.multiplier, v.cap);
  const ceiling = min(m.addonRatio + MAX_ADDON_RISE_PER_S * BigInt(elapsed), max(previousTarget, m.addonRatio));
  m.vol = { ...v, variance, lastPrice: price, lastPublishTime: publishTime };
  m.addonRatio = min(target, ceiling);
}
