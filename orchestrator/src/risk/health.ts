// Mirror of programs/margin/src/controller/health.rs: an account's equity and requirements across
// all its positions (cross-margin).
import { RATIO_PRECISION } from "../math/constants.js";
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

const FULL_MARGIN: Tier[] = [{ notionalUpper: (1n << 127n) - 1n, initialRatio: RATIO_PRECISION, maintenanceRatio: RATIO_PRECISION }];

/** A position whose oracle the program cannot use: the market's last accepted price widened by the liquidation confidence limit, margined at 100%; null without an accepted price. */
export function unpricedPosition(base: bigint, quoteEntry: bigint, lastPrice: bigint, confRatio: bigint): PricedPosition | null {
  if (lastPrice <= 0n) return null;
  return { base, quoteEntry, price: lastPrice, conf: ratioOf(lastPrice, confRatio), risk: { tiers: FULL_MARGIN, addonRatio: 0n, bufferRatio: 0n } };
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
