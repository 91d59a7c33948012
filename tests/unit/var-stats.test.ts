// The statistics core of the risk analytics: the normal distribution, the closed forms of the
// parametric figures, the empirical quantile, correlation kept through filtering, and a backtest
// of filtered historical simulation on a GARCH(1,1) path with Student-t innovations.
import { describe, expect, it } from "vitest";
import { ewmaFilter } from "../../orchestrator/src/risk/var/ewma.js";
import { buildRiskModel, historicalScenarios } from "../../orchestrator/src/risk/var/fhs.js";
import { erfc, normalCdf, normalQuantile } from "../../orchestrator/src/risk/var/normal.js";
import { normalVarEs, parametricVarEs } from "../../orchestrator/src/risk/var/parametric.js";
import {
  HistoryError,
  intervalReturns,
  parseHistoryCsv,
  type ReturnMatrix,
} from "../../orchestrator/src/risk/var/returns.js";
import { empiricalVarEs, kupiecPof } from "../../orchestrator/src/risk/var/stats.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gaussian(rnd: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

describe("the normal distribution", () => {
  it("gives quantiles and tail probabilities to 1e-12", () => {
    // Reference values (Wichura AS241 / tables to 16 digits).
    expect(rel(normalQuantile(0.99), 2.3263478740408408)).toBeLessThan(1e-12);
    expect(rel(normalQuantile(0.975), 1.959963984540054)).toBeLessThan(1e-12);
    expect(rel(normalQuantile(0.95), 1.6448536269514722)).toBeLessThan(1e-12);
    expect(rel(normalQuantile(1e-10), -6.361340902404056)).toBeLessThan(1e-12);
    expect(rel(erfc(0.5), 0.4795001221869535)).toBeLessThan(1e-13);
    expect(rel(erfc(3), 2.209049699858544e-5)).toBeLessThan(1e-13);
    expect(rel(normalCdf(-8), 6.22096057427178e-16)).toBeLessThan(1e-12);
    for (const p of [1e-12, 1e-6, 0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999999]) {
      const x = normalQuantile(p);
      const tail = p < 0.5 ? normalCdf(x) : normalCdf(-x);
      expect(rel(tail, p < 0.5 ? p : 1 - p)).toBeLessThan(1e-12);
    }
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe("parametric VaR and ES", () => {
  it("match z·σ·√h and σ·√h·φ(z)/(1−α) for a single position with normal returns of known σ", () => {
    const sigma = 0.02; // 2% per day
    const exposure = 250_000; // $250k long
    const h = 10;
    const out = parametricVarEs([exposure], [[sigma * sigma]], h, 0.99, 0.975);
    const z99 = 2.3263478740408408;
    const z975 = 1.959963984540054;
    const phi = Math.exp((-z975 * z975) / 2) / Math.sqrt(2 * Math.PI);
    expect(rel(out.var, z99 * sigma * Math.sqrt(h) * exposure)).toBeLessThan(1e-9);
    expect(rel(out.es, (exposure * sigma * Math.sqrt(h) * phi) / (1 - 0.975))).toBeLessThan(1e-9);
    // A short of the same size carries the same risk.
    expect(rel(parametricVarEs([-exposure], [[sigma * sigma]], h, 0.99, 0.975).var, out.var)).toBeLessThan(1e-12);
    expect(normalVarEs(0, 1, 0.99, 0.975)).toEqual({ var: 0, es: 0 });
  });
});

describe("historical VaR and ES", () => {
  it("are the empirical quantile and tail mean of a known sample", () => {
    // Losses 1..100 in shuffled order: VaR 99% is the 99th smallest loss; ES 97.5% is
    // (0.5·98 + 99 + 100) / 2.5 = 99.2 (half of the 98th loss lies beyond the 97.5% quantile).
    const rnd = rng(7);
    const pnl = Array.from({ length: 100 }, (_, i) => -(i + 1)).sort(() => rnd() - 0.5);
    const out = empiricalVarEs(pnl, 0.99, 0.975);
    expect(out.var).toBe(99);
    expect(out.es).toBeCloseTo(99.2, 12);
    // A normal sample of 1,000: VaR 99% is the 990th smallest loss.
    const g = gaussian(rng(11));
    const sample = Array.from({ length: 1000 }, () => g());
    const losses = sample.map((x) => -x).sort((a, b) => a - b);
    expect(empiricalVarEs(sample, 0.99, 0.975).var).toBe(losses[989]);
    expect(empiricalVarEs(sample, 0.99, 0.975).es).toBeCloseTo(losses.slice(975).reduce((s, x) => s + x, 0) / 25, 12);
  });
});

/** A return matrix whose three markets are A, A again (perfectly correlated) and −A (perfectly anti-correlated). */
function mirroredMarkets(n: number): ReturnMatrix {
  const g = gaussian(rng(3));
  const rows = Array.from({ length: n }, (_, k) => {
    const a = 0.03 * g() * (k % 50 < 10 ? 3 : 1);
    return Float64Array.from([a, a, -a]);
  });
  return { markets: ["A", "B", "C"], intervalS: 86_400, times: rows.map((_, k) => k * 86_400), rows };
}

describe("correlation through filtering", () => {
  it("keeps perfect correlation and anti-correlation, so hedged portfolios carry no risk", () => {
    const model = buildRiskModel(mirroredMarkets(400), { horizonIntervals: 1 });
    expect(model.correlation[0][1]).toBeCloseTo(1, 12);
    expect(model.correlation[0][2]).toBeCloseTo(-1, 12);
    const unhedged = parametricVarEs([1e6, 0, 0], model.covariance, 1, 0.99, 0.975).var;
    expect(unhedged).toBeGreaterThan(1e4);
    // Long A, short B; long A, long C: the parametric figure is zero to rounding.
    expect(parametricVarEs([1e6, -1e6, 0], model.covariance, 1, 0.99, 0.975).var).toBeLessThan(unhedged * 1e-9);
    expect(parametricVarEs([1e6, 0, 1e6], model.covariance, 1, 0.99, 0.975).var).toBeLessThan(unhedged * 1e-9);
    // The scenarios keep the pairing: long A + short B loses nothing in any of them; long A + long C
    // only gains the convexity of e^r + e^-r − 2 ≥ 0.
    const pnl = (w: number[]) => model.scenarios.map((r) => w.reduce((s, x, i) => s + x * (Math.exp(r[i]) - 1), 0));
    const single = empiricalVarEs(pnl([1e6, 0, 0]), 0.99, 0.975).var;
    expect(single).toBeGreaterThan(1e4);
    expect(Math.abs(empiricalVarEs(pnl([1e6, -1e6, 0]), 0.99, 0.975).var)).toBeLessThan(single * 1e-9);
    expect(empiricalVarEs(pnl([1e6, 0, 1e6]), 0.99, 0.975).var).toBeLessThanOrEqual(0);
  });
});

/** GARCH(1,1): σ²ₜ = ω + α r²ₜ₋₁ + β σ²ₜ₋₁, innovations Student-t(5) scaled to unit variance. */
function garchPath(n: number, seed: number): number[] {
  const g = gaussian(rng(seed));
  const nu = 5;
  const [alpha, beta] = [0.08, 0.9];
  const omega = 0.02 ** 2 * (1 - alpha - beta); // 2% a day unconditionally
  let v = 0.02 ** 2;
  let r = 0;
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    v = omega + alpha * r * r + beta * v;
    let chi = 0;
    for (let k = 0; k < nu; k++) chi += g() ** 2;
    const tDraw = g() / Math.sqrt(chi / nu);
    r = Math.sqrt(v) * tDraw * Math.sqrt((nu - 2) / nu);
    out.push(r);
  }
  return out;
}

describe("backtest", () => {
  it("filtered historical 99% VaR passes Kupiec's test at 5% on a GARCH(1,1)-t path; plain HS is shown beside it", () => {
    const WINDOW = 500;
    const path = garchPath(3_000, 20_240_611);
    const matrix = (rows: number[]): ReturnMatrix => ({
      markets: ["X"],
      intervalS: 86_400,
      times: rows.map((_, k) => k),
      rows: rows.map((x) => Float64Array.of(x)),
    });
    let filtered = 0;
    let plain = 0;
    let days = 0;
    const loss = (r: number) => -(Math.exp(r) - 1);
    for (let t = WINDOW; t < path.length; t++) {
      const m = matrix(path.slice(t - WINDOW, t));
      const fhs = buildRiskModel(m, { horizonIntervals: 1 }).scenarios.map((s) => Math.exp(s[0]) - 1);
      const hs = historicalScenarios(m, 1).map((s) => Math.exp(s[0]) - 1);
      if (loss(path[t]) > empiricalVarEs(fhs, 0.99, 0.975).var) filtered++;
      if (loss(path[t]) > empiricalVarEs(hs, 0.99, 0.975).var) plain++;
      days++;
    }
    const kf = kupiecPof(filtered, days, 0.99);
    const kp = kupiecPof(plain, days, 0.99);
    console.info(
      `backtest over ${days} days, expected ${kf.expected.toFixed(1)} exceptions: ` +
        `filtered HS ${kf.exceptions} (LR ${kf.lr.toFixed(2)}, p ${kf.pValue.toFixed(3)}); ` +
        `plain HS ${kp.exceptions} (LR ${kp.lr.toFixed(2)}, p ${kp.pValue.toFixed(3)})`,
    );
    expect(kf.pValue).toBeGreaterThan(0.05);
    expect(kf.lr).toBeLessThan(3.841);
  });

  it("Kupiec's statistic follows its closed form and rejects a VaR with too many exceptions", () => {
    // 10 exceptions in 250 days at 1%: LR = −2[240 ln .99 + 10 ln .01 − 240 ln .96 − 10 ln .04].
    const lr = -2 * (240 * Math.log(0.99) + 10 * Math.log(0.01) - 240 * Math.log(0.96) - 10 * Math.log(0.04));
    const k = kupiecPof(10, 250, 0.99);
    expect(k.lr).toBeCloseTo(lr, 10);
    expect(k.pValue).toBeLessThan(0.05);
    expect(kupiecPof(2, 250, 0.99).pValue).toBeGreaterThan(0.05);
    // No exception at all: LR = −2·n·ln(1 − p).
    expect(kupiecPof(0, 250, 0.99).lr).toBeCloseTo(-2 * 250 * Math.log(0.99), 10);
  });
});

describe("return histories", () => {
  it("computes log returns per interval from the last price at or before each grid point", () => {
    const series = parseHistoryCsv(
      ["timestamp,SOL,BTC", "0,100,50000", "30,101,", "60,102,51000", "130,,52000", "180,99,52000"].join("\n"),
    );
    const m = intervalReturns(series, 60);
    expect(m.times).toEqual([60, 120, 180]);
    expect(m.rows[0][0]).toBeCloseTo(Math.log(102 / 100), 15);
    expect(m.rows[1][0]).toBe(0); // no SOL print in (60, 120]
    expect(m.rows[2][1]).toBeCloseTo(Math.log(52000 / 51000), 15);
  });

  it("refuses a CSV with bad rows, naming the line", () => {
    const bad = (text: string) => () => parseHistoryCsv(text, "h.csv");
    expect(bad("time,SOL\n0,1")).toThrow(/h\.csv:1: the header/);
    expect(bad("timestamp,SOL\n0,1\n0,2")).toThrow(/h\.csv:3: timestamp 0 is not after/);
    expect(bad("timestamp,SOL\n0,1\n5,-2")).toThrow(/h\.csv:3: SOL price "-2" is not a number > 0/);
    expect(bad("timestamp,SOL\n0,1\nyesterday,2")).toThrow(/h\.csv:3: "yesterday" is not a timestamp/);
    expect(bad("timestamp,SOL,BTC\n0,1")).toThrow(/h\.csv:2: 2 columns, the header has 3/);
    expect(bad("timestamp,SOL,SOL\n0,1,1")).toThrow(/appears twice/);
    expect(() => intervalReturns(parseHistoryCsv("timestamp,SOL\n0,1\n10,2"), 60)).toThrow(HistoryError);
    // ISO 8601 works as well as unix seconds.
    expect(parseHistoryCsv("timestamp,SOL\n2024-01-01T00:00:00Z,1")[0].times).toEqual([1_704_067_200]);
  });

  it("standardises by the volatility forecast made before each return", () => {
    const f = ewmaFilter([0.01, -0.02, 0.03], 0.9);
    const v0 = (0.01 ** 2 + 0.02 ** 2 + 0.03 ** 2) / 3;
    const v1 = 0.9 * v0 + 0.1 * 0.01 ** 2;
    expect(f.sigma[1]).toBeCloseTo(Math.sqrt(v1), 15);
    expect(f.z[1]).toBeCloseTo(-0.02 / Math.sqrt(v1), 12);
    expect(f.sigmaNext).toBeCloseTo(Math.sqrt(0.9 * (0.9 * v1 + 0.1 * 0.02 ** 2) + 0.1 * 0.03 ** 2), 15);
  });
});
