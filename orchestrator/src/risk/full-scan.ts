// The naive way to find accounts to act on: evaluate every account exactly on every tick. It is the
// baseline the trigger index is measured against, and, run now and then, the audit that the index
// missed nothing.
import { evaluate, type Evaluation, type Freshness } from "./evaluate.js";
import type { AccountState, MarketState, PriceState, RiskState } from "./types.js";

/**
 * Evaluations of the accounts that are not healthy (including those no state could be decided for)
 * or whose state differs from `previous` (an account missing there counts as healthy).
 */
export function fullScan(
  accounts: Iterable<AccountState>,
  markets: ReadonlyMap<string, MarketState>,
  prices: ReadonlyMap<string, PriceState>,
  fresh: Freshness,
  marginCallBandPpm: bigint,
  previous?: ReadonlyMap<string, RiskState | null>,
): Evaluation[] {
  const out: Evaluation[] = [];
  for (const a of accounts) {
    const ev = evaluate(a, markets, prices, fresh, marginCallBandPpm);
    const before = previous?.get(a.address) ?? "healthy";
    if (ev.state !== "healthy" || before !== ev.state) out.push(ev);
  }
  return out;
}

/** Accounts the scan found needing action that the caller was not tracking: what the index missed. */
export const missedBy = (scan: readonly Evaluation[], tracked: (account: string) => boolean): Evaluation[] =>
  scan.filter((ev) => ev.state !== null && ev.state !== "healthy" && !tracked(ev.account));
