// Mirror of programs/margin/src/math/oracle_price.rs.
import { MathError, divCeil, divFloor, max, min, mulDivCeil } from "./checked.js";
import { QUOTE_PRECISION, RATIO_PRECISION } from "./constants.js";

/** The program's price exponent: prices are mantissas at 10^-6. */
export const PRICE_EXPONENT = -6;

/** A Pyth mantissa at `expo` rescaled to PRICE_PRECISION, rounded down. */
export function scalePriceFloor(mantissa: bigint, expo: number): bigint {
  const shift = expo - PRICE_EXPONENT;
  if (shift < -30 || shift > 30) throw new MathError("overflow");
  return shift >= 0 ? mantissa * 10n ** BigInt(shift) : divFloor(mantissa, 10n ** BigInt(-shift));
}

/** A Pyth confidence at `expo` rescaled to PRICE_PRECISION, rounded up. */
export function scaleConfCeil(conf: bigint, expo: number): bigint {
  const shift = expo - PRICE_EXPONENT;
  if (shift < -30 || shift > 30) throw new MathError("overflow");
  return shift >= 0 ? conf * 10n ** BigInt(shift) : divCeil(conf, 10n ** BigInt(-shift));
}

/** conf / price, RATIO_PRECISION, rounded up. */
export function confidenceRatio(price: bigint, conf: bigint): bigint {
  if (price <= 0n) throw new MathError("division by zero");
  return mulDivCeil(conf, RATIO_PRECISION, price);
}

/** The price a position is valued at: a long at price − conf (never below 0), a short at price + conf. */
export function valuationPrice(base: bigint, price: bigint, conf: bigint): bigint {
  return base >= 0n ? max(price - conf, 0n) : price + conf;
}

/** The pool's price for a trade of `tradeBase`: worse than the oracle by `impactRatio`, rounded against the trader. */
export function executionPrice(tradeBase: bigint, price: bigint, impactRatio: bigint): bigint {
  const impactUp = mulDivCeil(price, impactRatio, RATIO_PRECISION);
  if (tradeBase >= 0n) return price + impactUp;
  return max(divFloor(price * (RATIO_PRECISION - impactRatio), RATIO_PRECISION), 0n);
}

/** The impact of a trade of `notional`: a base ratio plus a part growing with size, capped. */
export function impactRatio(
  notional: bigint,
  baseImpactRatio: bigint,
  impactRatioPerMillion: bigint,
  maxImpactRatio: bigint,
): bigint {
  const sizePart = mulDivCeil(notional, impactRatioPerMillion, QUOTE_PRECISION * 1_000_000n);
  return min(baseImpactRatio + sizePart, maxImpactRatio);
}
