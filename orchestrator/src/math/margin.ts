// Mirror of programs/margin/src/math/margin.rs.
import { MathError, divCeil, mulDivCeil } from "./checked.js";
import { RATIO_PRECISION } from "./constants.js";

export interface Tier {
  notionalUpper: bigint;
  initialRatio: bigint;
  maintenanceRatio: bigint;
}

export type Requirement = "initial" | "maintenance";

const ratio = (t: Tier, kind: Requirement) => (kind === "initial" ? t.initialRatio : t.maintenanceRatio);

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

export const ratioOf = (notional: bigint, r: bigint) => mulDivCeil(notional, r, RATIO_PRECISION);

export const positionRequirement = (notional: bigint, tiers: Tier[], kind: Requirement, addonRatio: bigint) =>
  tierRequirement(notional, tiers, kind) + ratioOf(notional, addonRatio);

export const liquidationEndRequirement = (notional: bigint, tiers: Tier[], addonRatio: bigint, bufferRatio: bigint) =>
  positionRequirement(notional, tiers, "maintenance", addonRatio) + ratioOf(notional, bufferRatio);
