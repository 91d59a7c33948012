// Mirror of programs/margin/src/controller/health.rs: an account's equity and requirements across
// all its positions (cross-margin).
import { liquidationEndRequirement, positionRequirement, ratioOf, type Tier } from "../math/margin.js";
import { valuationPrice } from "../math/oracle_price.js";
import { baseValue, notional } from "../math/position.js";

export interface MarketRisk {
  tiers: Tier[];
  addonRatio: bigint;
  bufferRatio: bigint;
}

export interface PricedPosition {
  base: bigint;
  quoteEntry: bigint;
  price: bigint;
  conf: bigint;
  risk: MarketRisk;
}

export interface Health {
  equity: bigint;
  initial: bigint;
  maintenance: bigint;
  liquidationEnd: bigint;
}

export const belowMaintenance = (h: Health) => h.equity < h.maintenance;
export const belowLiquidationEnd = (h: Health) => h.equity < h.liquidationEnd;

/**
 * A position whose oracle a liquidation cannot use, valued against its holder: the worse of the
 * market's last accepted price and the refused reading's price, with the wider of the liquidation
 * confidence limit and the reading's confidence, under the market's normal margin; null with no
 * price to go on.
 */
export function unpricedPosition(
  base: bigint,
  quoteEntry: bigint,
  lastPrice: bigint,
  confRatio: bigint,
  refused: { price: bigint; conf: bigint } | null,
  risk: MarketRisk,
): PricedPosition | null {
  const prices = [lastPrice, refused?.price ?? 0n].filter((p) => p > 0n);
  if (prices.length === 0) return null;
  const price = prices.reduce((worst, p) => (base >= 0n ? (p < worst ? p : worst) : p > worst ? p : worst));
  const limit = ratioOf(price, confRatio);
  const conf = refused && refused.conf > limit ? refused.conf : limit;
  return { base, quoteEntry, price, conf, risk };
}

export function accountHealth(collateral: bigint, positions: PricedPosition[]): Health {
  const h: Health = { equity: collateral, initial: 0n, maintenance: 0n, liquidationEnd: 0n };
  for (const p of positions) {
    const val = valuationPrice(p.base, p.price, p.conf);
    h.equity += baseValue(p.base, val) + p.quoteEntry;
    const n = notional(p.base, p.price);
    h.initial += positionRequirement(n, p.risk.tiers, "initial", p.risk.addonRatio);
    h.maintenance += positionRequirement(n, p.risk.tiers, "maintenance", p.risk.addonRatio);
    h.liquidationEnd += liquidationEndRequirement(n, p.risk.tiers, p.risk.addonRatio, p.risk.bufferRatio);
  }
  return h;
}
