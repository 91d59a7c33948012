// The operator's own limits on which liquidations to take (config `liquidateMarkets`,
// `minLiquidationNotional`, `minExpectedFee`), all off by default so that a protocol's own
// deployment liquidates everything. Only liquidation steps are filtered: a bankruptcy's resolution,
// an unflag and a claim are never skipped.
import { min } from "../math/checked.js";
import { ratioOf } from "../math/margin.js";
import { notional } from "../math/position.js";
import type { AccountState, MarketState } from "./types.js";

export interface FilterConfig {
  /** Markets to liquidate in; empty: all. */
  liquidateMarkets: readonly string[];
  /** Smallest position notional (quote native units, at the oracle price) worth a step. */
  minLiquidationNotional: bigint;
  /** Smallest liquidator fee (quote native units) worth a step. */
  minExpectedFee: bigint;
}

/**
 * Why this liquidation step is not taken, or null to take it. The expected fee is the market's
 * liquidator fee on the slice it allows (the position's notional, at most `maxLiquidationNotional`):
 * an upper bound, since the program shrinks the fee to what the account can pay.
 */
export function skipReason(
  f: FilterConfig,
  account: AccountState | undefined,
  market: MarketState | undefined,
  price: bigint | undefined,
): string | null {
  if (f.liquidateMarkets.length === 0 && f.minLiquidationNotional === 0n && f.minExpectedFee === 0n) return null;
  if (!account || !market) return null;
  if (f.liquidateMarkets.length > 0 && !f.liquidateMarkets.includes(market.address))
    return `market ${market.address} is not in liquidateMarkets`;
  const position = account.positions.find((p) => p.market === market.address);
  if (!position || price === undefined) return null;
  const size = notional(position.base, price);
  if (size < f.minLiquidationNotional)
    return `position notional ${size} is below minLiquidationNotional ${f.minLiquidationNotional}`;
  const slice = market.maxLiquidationNotional > 0n ? min(size, market.maxLiquidationNotional) : size;
  const fee = ratioOf(slice, market.liquidatorFeeRatio);
  if (fee < f.minExpectedFee) return `expected liquidator fee ${fee} is below minExpectedFee ${f.minExpectedFee}`;
  return null;
}
