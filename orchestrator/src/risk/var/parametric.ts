// The variance–covariance (delta-normal) figure: P&L ≈ Σᵢ δᵢ rᵢ with r ~ N(0, Σ·h).
import { normalPdf, normalQuantile } from "./normal.js";
import type { VarEs } from "./stats.js";

/** σ of Σᵢ δᵢ rᵢ per interval: √(δᵀ Σ δ). */
export function portfolioSigma(exposures: ArrayLike<number>, covariance: ArrayLike<ArrayLike<number>>): number {
  let v = 0;
  for (let i = 0; i < exposures.length; i++) {
    if (exposures[i] === 0) continue;
    for (let j = 0; j < exposures.length; j++) v += exposures[i] * covariance[i][j] * exposures[j];
  }
  return Math.sqrt(Math.max(v, 0));
}

/** VaR = z_α·σ·√h, ES = σ·√h·φ(z_β)/(1 − β) for a zero-mean normal P&L of σ per interval over h intervals. */
export function normalVarEs(sigma: number, horizonIntervals: number, varLevel: number, esLevel: number): VarEs {
  const s = sigma * Math.sqrt(horizonIntervals);
  return { var: normalQuantile(varLevel) * s, es: (s * normalPdf(normalQuantile(esLevel))) / (1 - esLevel) };
}

export const parametricVarEs = (
  exposures: ArrayLike<number>,
  covariance: ArrayLike<ArrayLike<number>>,
  horizonIntervals: number,
  varLevel: number,
  esLevel: number,
) => normalVarEs(portfolioSigma(exposures, covariance), horizonIntervals, varLevel, esLevel);
