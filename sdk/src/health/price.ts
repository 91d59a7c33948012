// Pricing an account's positions the way the program does for flagging, liquidating and unflagging
// (`other_positions` in programs/margin/src/instructions/common.rs): a settled market at its
// settlement price, a usable oracle at its reading, an unusable one valued against the holder
// (`unpricedPosition`), which the program never liquidates.
import { type MarketRisk, type PricedPosition, unpricedPosition } from "../controller/health.js";
import { type OracleRefusal, check } from "../controller/oracle_guard.js";
import type { AccountState, Address, MarketState, OracleReading, PositionState } from "../state/types.js";

/** A market's risk parameters as the math needs them. */
export const marketRisk = (m: Pick<MarketState, "tiers" | "addonRatio" | "bufferRatio">): MarketRisk => ({
  tiers: m.tiers,
  addonRatio: m.addonRatio,
  bufferRatio: m.bufferRatio,
});

/** One position priced for liquidation purposes. */
export interface PositionPrice {
  position: PositionState;
  market: MarketState;
  priced: PricedPosition;
  /** Null when the price is usable (a liquidation can close this position); else why the oracle is refused. */
  refusal: OracleRefusal | null;
}

/** Why an account cannot be priced at all (the program would refuse every step on it). */
export class UnpricedError extends Error {}

/**
 * `position` priced as the program prices it for a liquidation at unix time `nowS`. `reading` is
 * the market's oracle as `readOracle` parses it, null when it does not parse.
 */
export function pricePosition(
  position: PositionState,
  market: MarketState,
  reading: OracleReading | null,
  nowS: number,
): PositionPrice {
  const risk = marketRisk(market);
  const at = (price: bigint, conf: bigint): PricedPosition => ({ ...position, price, conf, risk });
  if (market.settlementPrice > 0n) return { position, market, priced: at(market.settlementPrice, 0n), refusal: null };
  const refusal = reading
    ? check(reading, nowS, { maxAgeS: market.maxOracleAgeLiquidateS, maxConfRatio: market.maxConfRatioLiquidate })
    : "invalid-oracle-price";
  if (reading && !refusal) return { position, market, priced: at(reading.price, reading.conf), refusal: null };
  const fallback = unpricedPosition(
    position.base,
    position.quoteEntry,
    market.lastOraclePrice,
    market.maxConfRatioLiquidate,
    reading ? { price: reading.price, conf: reading.conf } : null,
    risk,
  );
  if (!fallback) throw new UnpricedError(`${refusal} on ${market.oracle}, and the market has no last price`);
  return { position, market, priced: fallback, refusal };
}

/**
 * Every open position of `account` priced for a liquidation. `readings` are by oracle address
 * (a missing one counts as unparseable); throws `UnpricedError` when the program could price none.
 */
export function priceAccount(
  account: AccountState,
  markets: ReadonlyMap<Address, MarketState>,
  readings: ReadonlyMap<Address, OracleReading | null>,
  nowS: number,
): PositionPrice[] {
  const out = account.positions.map((p) => {
    const m = markets.get(p.market);
    if (!m) throw new UnpricedError(`market ${p.market} of ${account.address} is not loaded`);
    return pricePosition(p, m, readings.get(m.oracle) ?? null, nowS);
  });
  const first = out.find((p) => p.refusal);
  if (first && out.every((p) => p.refusal)) throw new UnpricedError(`${first.refusal} on ${first.market.oracle}`);
  return out;
}
