// Mirror of programs/margin/src/math/volatility.rs.
import { abs, divCeil, min, mulDivCeil, sqrtCeil } from "./checked.js";
import { RATIO_PRECISION } from "./constants.js";

export const returnRatioAbs = (prevPrice: bigint, newPrice: bigint) => mulDivCeil(abs(newPrice - prevPrice), RATIO_PRECISION, prevPrice);

export const ewmaVariance = (prevVariance: bigint, returnAbs: bigint, lambda: bigint) =>
  divCeil(lambda * prevVariance + (RATIO_PRECISION - lambda) * returnAbs * returnAbs, RATIO_PRECISION);

export const volatility = (variance: bigint) => sqrtCeil(variance);

export const volatilityAddonRatio = (variance: bigint, multiplier: bigint, cap: bigint) =>
  min(mulDivCeil(volatility(variance), multiplier, RATIO_PRECISION), cap);
