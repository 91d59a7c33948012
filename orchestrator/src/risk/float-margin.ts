// The maintenance requirement of math/margin.ts (tiers plus the volatility add-on) in floating point,
// for the screens that run it over many accounts or scenarios (risk/screen.ts, risk/var/score.ts)
// and check it against an error bound instead of computing it exactly.
import type { Tier } from "../math/margin.js";

/** A market's maintenance tiers as floats. */
export interface TiersF {
  uppers: Float64Array;
  ratios: Float64Array;
  /** Tier k: Σ_{j<k} upper_j (ratio_{j+1} − ratio_j), as in tierRequirement. */
  deductions: Float64Array;
}

export function tiersF(tiers: Tier[]): TiersF {
  const out = {
    uppers: Float64Array.from(tiers, (t) => Number(t.notionalUpper)),
    ratios: Float64Array.from(tiers, (t) => Number(t.maintenanceRatio)),
    deductions: new Float64Array(tiers.length),
  };
  for (let k = 1; k < tiers.length; k++)
    out.deductions[k] = out.deductions[k - 1] + out.uppers[k - 1] * (out.ratios[k] - out.ratios[k - 1]);
  return out;
}

/** `positionRequirement(n, tiers, "maintenance", addon)` in floating point (the same tier walk). */
export function maintenanceF(n: number, t: TiersF, addon: number): number {
  let k = 0;
  while (k + 1 < t.uppers.length && n >= t.uppers[k]) k++;
  return (n * t.ratios[k] - t.deductions[k]) / 1e6 + (n * addon) / 1e6;
}
