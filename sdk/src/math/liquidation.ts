// Mirror of programs/margin/src/math/liquidation.rs.
import { abs, max, min, mulDivCeil, mulDivFloor } from "./checked.js";
import { RATIO_PRECISION } from "./constants.js";
import { liquidationEndRequirement, positionRequirement, ratioOf, type Tier } from "./margin.js";
import { valuationPrice } from "./oracle_price.js";
import { baseValue, notional, tradeQuote } from "./position.js";

/** A position being liquidated, with the prices and market parameters the sizing needs. */
export interface ClosingPosition {
  base: bigint;
  oraclePrice: bigint;
  conf: bigint;
  execPrice: bigint;
  tiers: Tier[];
  addonRatio: bigint;
  bufferRatio: bigint;
  liquidatorFeeRatio: bigint;
  insuranceFeeRatio: bigint;
}

/** The nominal liquidator and insurance fees on a closed notional, each rounded up. */
export const liquidationFees = (n: bigint, liquidatorFeeRatio: bigint, insuranceFeeRatio: bigint): [bigint, bigint] => [
  ratioOf(n, liquidatorFeeRatio),
  ratioOf(n, insuranceFeeRatio),
];

/** The fees scaled down pro rata to what the account's equity after the close can pay (never negative). */
export function shrinkFees(liquidatorFee: bigint, insuranceFee: bigint, equityAfterClose: bigint): [bigint, bigint] {
  const total = liquidatorFee + insuranceFee;
  const available = max(equityAfterClose, 0n);
  if (total <= available) return [liquidatorFee, insuranceFee];
  if (total === 0n) return [0n, 0n];
  const liquidator = mulDivFloor(liquidatorFee, available, total);
  return [liquidator, available - liquidator];
}

/**
 * Equity minus liquidation-end requirement after closing `closeAbs` of `pos` at its execution
 * price and paying the nominal fees: the quantity a liquidation brings back to ≥ 0.
 */
export function healthAfterClose(
  equity: bigint,
  endRequirement: bigint,
  pos: ClosingPosition,
  closeAbs: bigint,
): bigint {
  const trade = pos.base > 0n ? -closeAbs : closeAbs;
  const newBase = pos.base + trade;
  const val = valuationPrice(pos.base, pos.oraclePrice, pos.conf);
  const valueChange = baseValue(newBase, val) - baseValue(pos.base, val);
  const equityAfter = equity + valueChange + tradeQuote(trade, pos.execPrice);
  const [liqFee, insFee] = liquidationFees(
    notional(trade, pos.oraclePrice),
    pos.liquidatorFeeRatio,
    pos.insuranceFeeRatio,
  );
  const endBefore = liquidationEndRequirement(
    notional(pos.base, pos.oraclePrice),
    pos.tiers,
    pos.addonRatio,
    pos.bufferRatio,
  );
  const endAfter = liquidationEndRequirement(
    notional(newBase, pos.oraclePrice),
    pos.tiers,
    pos.addonRatio,
    pos.bufferRatio,
  );
  return equityAfter - liqFee - insFee - (endRequirement - endBefore + endAfter);
}

/**
 * Base units a liquidation step closes: the least that brings the account back to its
 * liquidation-end level (by bisection), at most `maxCloseAbs`, the whole position when the
 * remainder would be smaller than `minRemainderNotional`; 0 when the account is already there.
 */
export function baseToClose(
  equity: bigint,
  endRequirement: bigint,
  pos: ClosingPosition,
  maxCloseAbs: bigint,
  minRemainderNotional: bigint,
): bigint {
  const size = abs(pos.base);
  if (size === 0n || healthAfterClose(equity, endRequirement, pos, 0n) >= 0n) return 0n;
  let close = size;
  if (healthAfterClose(equity, endRequirement, pos, size) >= 0n) {
    let lo = 0n;
    let hi = size;
    while (hi - lo > 1n) {
      const mid = lo + (hi - lo) / 2n;
      if (healthAfterClose(equity, endRequirement, pos, mid) >= 0n) hi = mid;
      else lo = mid;
    }
    close = hi;
  }
  close = min(close, max(maxCloseAbs, 0n));
  if (notional(size - close, pos.oraclePrice) < minRemainderNotional) close = size;
  return close;
}

/** The rest of an account, seen from one of its positions. */
export interface RestOfAccount {
  /** Collateral plus the PnL of every other position (at their confidence-adjusted prices). */
  equity: bigint;
  /** The other positions' maintenance requirements. */
  maintenance: bigint;
}

/**
 * Equity minus maintenance requirement if this position's market traded at `price` (its
 * confidence interval scaling with the price at `confRatio`), everything else fixed.
 */
export function maintenanceHealthAt(
  base: bigint,
  quoteEntry: bigint,
  price: bigint,
  confRatio: bigint,
  tiers: Tier[],
  addonRatio: bigint,
  rest: RestOfAccount,
): bigint {
  const conf = mulDivCeil(price, confRatio, RATIO_PRECISION);
  const val = valuationPrice(base, price, conf);
  const equity = rest.equity + baseValue(base, val) + quoteEntry;
  return equity - (rest.maintenance + positionRequirement(notional(base, price), tiers, "maintenance", addonRatio));
}

/**
 * The price at which the account reaches its maintenance requirement through this position
 * alone: for a long the highest price at or below which it is liquidatable, for a short the
 * lowest at or above which it is; null when no positive price up to `maxPrice` gets there.
 * Integer bisection on the exact math.
 */
export function liquidationPrice(
  base: bigint,
  quoteEntry: bigint,
  confRatio: bigint,
  tiers: Tier[],
  addonRatio: bigint,
  rest: RestOfAccount,
  maxPrice: bigint,
): bigint | null {
  if (base === 0n) return null;
  const unhealthy = (p: bigint) => maintenanceHealthAt(base, quoteEntry, p, confRatio, tiers, addonRatio, rest) < 0n;
  let lo = 1n;
  let hi = maxPrice;
  if (base > 0n) {
    if (!unhealthy(1n)) return null;
    if (unhealthy(maxPrice)) return maxPrice;
    while (hi - lo > 1n) {
      const mid = lo + (hi - lo) / 2n;
      if (unhealthy(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }
  if (!unhealthy(maxPrice)) return null;
  if (unhealthy(1n)) return 1n;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (unhealthy(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
