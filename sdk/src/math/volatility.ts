// Mirror of programs/margin/src/math/volatility.rs.
import { abs, divCeil, min, mulDivCeil, sqrtCeil } from "./checked.js";
import { RATIO_PRECISION } from "./constants.js";

/** |new − prev| / prev, RATIO_PRECISION, rounded up. */
export const returnRatioAbs = (prevPrice: bigint, newPrice: bigint) =>
  mulDivCeil(abs(newPrice - prevPrice), RATIO_PRECISION, prevPrice);

/** Longest gap between observations the EWMA weighs (seconds); longer gaps count as this. */
export const MAX_ELAPSED_S = 3_600;
/** Cap on one observation's return per √second, RATIO_PRECISION. */
export const MAX_RETURN_PER_SQRT_S = 100_000n;

const clampElapsed = (elapsedS: number) => Math.min(Math.max(elapsedS, 1), MAX_ELAPSED_S);

/** λ^elapsed (λ per second), by squaring, each product rounded up. */
export function decayFactor(lambda: bigint, elapsedS: number): bigint {
  let e = clampElapsed(elapsedS);
  let base = lambda;
  let acc = RATIO_PRECISION;
  while (e > 0) {
    if (e & 1) acc = mulDivCeil(acc, base, RATIO_PRECISION);
    base = mulDivCeil(base, base, RATIO_PRECISION);
    e >>= 1;
  }
  return acc;
}

/** var' = d·var + (1 − d)·min(r²/Δt, cap²), d = λ^Δt, rounded up. */
export function ewmaVarianceElapsed(prevVariance: bigint, returnAbs: bigint, lambda: bigint, elapsedS: number): bigint {
  const d = decayFactor(lambda, elapsedS);
  const perSecond = min(
    divCeil(returnAbs * returnAbs, BigInt(clampElapsed(elapsedS))),
    MAX_RETURN_PER_SQRT_S * MAX_RETURN_PER_SQRT_S,
  );
  return divCeil(d * prevVariance + (RATIO_PRECISION - d) * perSecond, RATIO_PRECISION);
}

/** √variance, rounded up: volatility per √second, RATIO_PRECISION. */
export const volatility = (variance: bigint) => sqrtCeil(variance);

/** The volatility add-on ratio: multiplier × volatility, capped. */
export const volatilityAddonRatio = (variance: bigint, multiplier: bigint, cap: bigint) =>
  min(mulDivCeil(volatility(variance), multiplier, RATIO_PRECISION), cap);
