// Mirror of programs/margin/src/math/margin.rs.
import { MathError, divCeil, mulDivCeil } from "./checked.js";
import { RATIO_PRECISION } from "./constants.js";

/** One bracket of a market's margin table: ratios apply to the notional up to `notionalUpper` (quote native). */
export interface Tier {
  /** Upper bound of the bracket, quote native units; the last tier is unbounded. */
  notionalUpper: bigint;
  /** Initial margin ratio, RATIO_PRECISION. */
  initialRatio: bigint;
  /** Maintenance margin ratio, RATIO_PRECISION. */
  maintenanceRatio: bigint;
}

/** Which of a tier's two ratios applies: initial (open, increase, withdraw) or maintenance (liquidation). */
export type Requirement = "initial" | "maintenance";

const ratio = (t: Tier, kind: Requirement) => (kind === "initial" ? t.initialRatio : t.maintenanceRatio);

/**
 * The tiered requirement on `notional`, continuous across brackets (a maintenance deduction per
 * bracket, as in tiered exchanges), rounded up.
 */
export function tierRequirement(notional: bigint, tiers: Tier[], kind: Requirement): bigint {
  let deduction = 0n;
  for (let k = 0; k < tiers.length; k++) {
    if (k > 0) deduction += tiers[k - 1].notionalUpper * (ratio(tiers[k], kind) - ratio(tiers[k - 1], kind));
    if (notional < tiers[k].notionalUpper || k + 1 === tiers.length) {
      return divCeil(notional * ratio(tiers[k], kind) - deduction, RATIO_PRECISION);
    }
  }
  throw new MathError("no tiers");
}

/** `notional` × `r` / RATIO_PRECISION, rounded up. */
export const ratioOf = (notional: bigint, r: bigint) => mulDivCeil(notional, r, RATIO_PRECISION);

/** A position's initial or maintenance requirement: the tiered requirement plus the volatility add-on. */
export const positionRequirement = (notional: bigint, tiers: Tier[], kind: Requirement, addonRatio: bigint) =>
  tierRequirement(notional, tiers, kind) + ratioOf(notional, addonRatio);

/** The level a liquidation stops at: maintenance plus the market's liquidation buffer. */
export const liquidationEndRequirement = (notional: bigint, tiers: Tier[], addonRatio: bigint, bufferRatio: bigint) =>
  positionRequirement(notional, tiers, "maintenance", addonRatio) + ratioOf(notional, bufferRatio);
