// The question a risk dashboard asks first: which accounts of an exchange are close to liquidation,
// and at what prices.
import { type AccountHealthSummary, accountHealthSummary } from "../health/summary.js";
import { UnpricedError, priceAccount } from "../health/price.js";
import { ChainStatus } from "../state/types.js";
import type { ExchangeSnapshot } from "./load.js";

/** Options of `accountsAtRisk`. */
export interface AtRiskOptions {
  /** Unix seconds the oracle ages are judged at (the program's clock); now by default. */
  nowS?: number;
  /** Include accounts whose nearest liquidation price is within this ratio of the price (RATIO_PRECISION; 100_000 = 10%). */
  withinRatio?: bigint;
}

/**
 * Every account of the snapshot with open positions that is liquidatable, flagged, or within
 * `withinRatio` of a liquidation price, nearest first. Accounts the program could not price are left out.
 */
export function accountsAtRisk(snapshot: ExchangeSnapshot, opts: AtRiskOptions = {}): AccountHealthSummary[] {
  const nowS = opts.nowS ?? Math.floor(Date.now() / 1000);
  const within = opts.withinRatio ?? 100_000n;
  const out: AccountHealthSummary[] = [];
  for (const a of snapshot.accounts) {
    if (a.positions.length === 0) continue;
    let s: AccountHealthSummary;
    try {
      s = accountHealthSummary(a, priceAccount(a, snapshot.markets, snapshot.readings, nowS));
    } catch (e) {
      if (e instanceof UnpricedError) continue;
      throw e;
    }
    const near = s.distanceToLiquidation !== null && s.distanceToLiquidation <= within;
    if (s.liquidatable || a.status !== ChainStatus.Healthy || near) out.push(s);
  }
  const key = (s: AccountHealthSummary) => (s.liquidatable ? -1n : (s.distanceToLiquidation ?? 1n << 64n));
  return out.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}
