// EWMA volatility filtering (RiskMetrics): σ²ₜ₊₁ = λσ²ₜ + (1 − λ)r²ₜ. Each return is divided by the
// volatility forecast made before it, so the standardised returns are close to i.i.d. and the
// history's calm and wild spells can be replayed at today's volatility.

export const DEFAULT_LAMBDA = 0.94;

export interface Filtered {
  /** σₜ: the forecast for return t made from the returns before it. */
  sigma: Float64Array;
  /** zₜ = rₜ / σₜ (0 where σₜ is 0). */
  z: Float64Array;
  /** The forecast for the next, not yet observed, return. */
  sigmaNext: number;
}

/**
 * Filters one market's returns. The recursion starts from the mean square of the whole window,
 * so the first standardised returns are not divided by a guess (the window is all past data at the
 * forecast time, so nothing from the future enters a forecast made at its end).
 */
export function ewmaFilter(returns: ArrayLike<number>, lambda = DEFAULT_LAMBDA): Filtered {
  if (!(lambda > 0 && lambda < 1)) throw new RangeError(`λ must be in (0, 1) (got ${lambda})`);
  const n = returns.length;
  if (n === 0) throw new RangeError("no returns to filter");
  let v = 0;
  for (let t = 0; t < n; t++) v += returns[t] * returns[t];
  v /= n;
  const sigma = new Float64Array(n);
  const z = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const s = Math.sqrt(v);
    sigma[t] = s;
    z[t] = s > 0 ? returns[t] / s : 0;
    v = lambda * v + (1 - lambda) * returns[t] * returns[t];
  }
  return { sigma, z, sigmaNext: Math.sqrt(v) };
}
