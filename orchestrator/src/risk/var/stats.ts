// Quantile risk measures of a sample and the backtest that checks them. Losses are positive.
import { erfc } from "./normal.js";

export interface VarEs {
  /** Value at risk at `varLevel`: the loss not exceeded with that probability. */
  var: number;
  /** Expected shortfall at `esLevel`: the mean loss beyond that level's quantile. */
  es: number;
}

/** ⌈n·p⌉ without the float noise of n·p (500 × 0.99 is 495.00000000000006). */
const ceilCount = (n: number, p: number) => Math.ceil(n * p - 1e-9);

/**
 * VaR and ES of the empirical distribution of `pnl` (one value per equally likely scenario).
 * VaR is the lower `level` quantile of the losses, L₍⌈nα⌉₎; ES is (1/(1−α))∫ₐ¹ VaRᵤ du of the same
 * distribution: the losses beyond the quantile, the quantile itself weighted by ⌈nα⌉ − nα.
 */
export function empiricalVarEs(pnl: ArrayLike<number>, varLevel: number, esLevel: number): VarEs {
  const n = pnl.length;
  if (n === 0) throw new RangeError("no scenarios");
  for (const a of [varLevel, esLevel])
    if (!(a > 0 && a < 1)) throw new RangeError(`level must be in (0, 1) (got ${a})`);
  const losses = Float64Array.from(pnl, (x) => -x).sort();
  return { var: losses[ceilCount(n, varLevel) - 1], es: tailMean(losses, esLevel) };
}

/** ES of sorted losses: [(⌈nα⌉ − nα)·L₍⌈nα⌉₎ + Σ_{j > ⌈nα⌉} L₍ⱼ₎] / (n(1 − α)). */
export function tailMean(sortedLosses: ArrayLike<number>, level: number): number {
  const n = sortedLosses.length;
  const k = ceilCount(n, level);
  let sum = (k - n * level) * sortedLosses[k - 1];
  for (let j = k; j < n; j++) sum += sortedLosses[j];
  return sum / (n * (1 - level));
}

export interface Kupiec {
  observations: number;
  exceptions: number;
  expected: number;
  /** The likelihood ratio, χ²(1) under the hypothesis that exceptions occur with probability 1 − level. */
  lr: number;
  pValue: number;
}

const xlogy = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));

/**
 * Kupiec's proportion-of-failures test: `exceptions` losses beyond the VaR in `observations` days
 * against the probability 1 − `level` the VaR promises. The model is rejected at significance s when
 * pValue < s (at 5%, when lr > 3.841).
 */
export function kupiecPof(exceptions: number, observations: number, level: number): Kupiec {
  if (!(Number.isInteger(exceptions) && Number.isInteger(observations) && observations > 0))
    throw new RangeError("exceptions and observations must be integers, observations > 0");
  if (exceptions < 0 || exceptions > observations) throw new RangeError("exceptions must be in [0, observations]");
  const p = 1 - level;
  const x = exceptions;
  const n = observations;
  const phat = x / n;
  const lr = -2 * (xlogy(n - x, 1 - p) + xlogy(x, p) - xlogy(n - x, 1 - phat) - xlogy(x, phat));
  const stat = Math.max(lr, 0);
  return { observations: n, exceptions: x, expected: n * p, lr: stat, pValue: erfc(Math.sqrt(stat / 2)) };
}
