// Filtered historical simulation. Every market's returns are standardised by its own EWMA
// volatility; a scenario is one historical interval's standardised returns across all markets
// together (so their correlation is the data's), each rescaled by that market's volatility today and
// by √h to the horizon.
import { ewmaFilter, DEFAULT_LAMBDA } from "./ewma.js";
import type { ReturnMatrix } from "./returns.js";

export interface RiskModelOptions {
  lambda?: number;
  /** Horizon in intervals of the return matrix. */
  horizonIntervals: number;
  /** Use only the last `window` intervals (all when unset). */
  window?: number;
}

export interface RiskModel {
  markets: string[];
  intervalS: number;
  lambda: number;
  horizonIntervals: number;
  /** Today's volatility forecast per market, per interval. */
  sigmaNow: Float64Array;
  /** Correlation of the standardised returns. */
  correlation: number[][];
  /** Covariance per interval at today's volatility: ρᵢⱼ σᵢ σⱼ. */
  covariance: number[][];
  /** Scenario log returns to the horizon: `scenarios[s][i]`. */
  scenarios: Float64Array[];
}

export function correlationOf(columns: Float64Array[]): number[][] {
  const m = columns.length;
  const n = columns[0]?.length ?? 0;
  const centred = columns.map((c) => {
    let mean = 0;
    for (let t = 0; t < n; t++) mean += c[t];
    mean /= n;
    return Float64Array.from(c, (x) => x - mean);
  });
  const norms = centred.map((c) => Math.sqrt(c.reduce((s, x) => s + x * x, 0)));
  const rho = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += centred[i][t] * centred[j][t];
      const r = i === j ? 1 : norms[i] > 0 && norms[j] > 0 ? s / (norms[i] * norms[j]) : 0;
      rho[i][j] = rho[j][i] = Math.max(-1, Math.min(1, r));
    }
  }
  return rho;
}

export function buildRiskModel(returns: ReturnMatrix, opts: RiskModelOptions): RiskModel {
  const lambda = opts.lambda ?? DEFAULT_LAMBDA;
  const h = opts.horizonIntervals;
  if (!(h > 0)) throw new RangeError(`horizon must be > 0 intervals (got ${h})`);
  const rows = opts.window ? returns.rows.slice(-opts.window) : returns.rows;
  if (rows.length < 2) throw new RangeError(`need at least 2 returns per market (got ${rows.length})`);
  const m = returns.markets.length;
  const filtered = Array.from({ length: m }, (_, i) =>
    ewmaFilter(
      Float64Array.from(rows, (r) => r[i]),
      lambda,
    ),
  );
  const sigmaNow = Float64Array.from(filtered, (f) => f.sigmaNext);
  const correlation = correlationOf(filtered.map((f) => f.z));
  const covariance = correlation.map((row, i) => row.map((rho, j) => rho * sigmaNow[i] * sigmaNow[j]));
  const scale = Float64Array.from(sigmaNow, (s) => s * Math.sqrt(h));
  const scenarios = rows.map((_, t) => Float64Array.from(filtered, (f, i) => f.z[t] * scale[i]));
  return {
    markets: returns.markets,
    intervalS: returns.intervalS,
    lambda,
    horizonIntervals: h,
    sigmaNow,
    correlation,
    covariance,
    scenarios,
  };
}

/** Plain historical simulation (no filtering): the window's own returns scaled by √h, for comparison. */
export function historicalScenarios(returns: ReturnMatrix, horizonIntervals: number, window?: number): Float64Array[] {
  const rows = window ? returns.rows.slice(-window) : returns.rows;
  const s = Math.sqrt(horizonIntervals);
  return rows.map((r) => Float64Array.from(r, (x) => x * s));
}
