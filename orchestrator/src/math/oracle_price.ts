// Mirror of programs/margin/src/math/oracle_price.rs.
import { MathError, divCeil, divFloor, max, min, mulDivCeil } from "./checked.js";
import { QUOTE_PRECISION, RATIO_PRECISION } from "./constants.js";

export const PRICE_EXPONENT = -6;

export function scalePriceFloor(mantissa: bigint, expo: number): bigint {
  const shift = expo - PRICE_EXPONENT;
  if (shift < -30 || shift > 30) throw new MathError("overflow");
  return shift >= 0 ? mantissa * 10n ** BigInt(shift) : divFloor(mantissa, 10n ** BigInt(-shift));
}

export function scaleConfCeil(conf: bigint, expo: number): bigint {
  const shift = expo - PRICE_EXPONENT;
  if (shift < -30 || shift > 30) throw new MathError("overflow");
  return shift >= 0 ? conf * 10n ** BigInt(shift) : divCeil(conf, 10n ** BigInt(-shift));
}

export function confidenceRatio(price: bigint, conf: bigint): bigint {
  if (price <= 0n) throw new MathError("division by zero");
  return mulDivCeil(conf, RATIO_PRECISION, price);
}

export function valuationPrice(base: bigint, price: bigint, conf: bigint): bigint {
  return base >= 0n ? max(price - conf, 0n) : price + conf;
}

export function executionPrice(tradeBase: bigint, price: bigint, impactRatio: bigint): bigint {
  const impactUp = mulDivCeil(price, impactRatio, RATIO_PRECISION);
  if (tradeBase >= 0n) return price + impactUp;
  return max(divFloor(price * (RATIO_PRECISION - impactRatio), RATIO_PRECISION), 0n);
}

export function impactRatio(
  notional: bigint,
  baseImpactRatio: bigint,
  impactRatioPerMillion: bigint,
  maxImpactRatio: bigint,
): bigint {
  const sizePart = mulDivCeil(notional, impactRatioPerMillion, QUOTE_PRECISION * 1_000_000n);
  return min(baseImpactRatio + sizePart, maxImpactRatio);
}
