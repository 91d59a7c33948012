// Mirror of programs/margin/src/controller/health.rs: an account's equity and requirements across
// all its positions (cross-margin).
import { mulDivFloor } from "../math/checked.js";
import { liquidationEndRequirement, positionRequirement, ratioOf, type Tier } from "../math/margin.js";
import { valuationPrice } from "../math/oracle_price.js";
import { baseValue, notional } from "../math/position.js";

/** A market's risk parameters as the math needs them. */
export interface MarketRisk {
  tiers: Tier[];
  addonRatio: bigint;
  bufferRatio: bigint;
}

/** What a market's pool holds against what it owes its traders as a group. */
export interface Backing {
  poolBalance: bigint;
  liability: bigint;
}

/** A position with the oracle price (and confidence) it is evaluated at. */
export interface PricedPosition {
  base: bigint;
  quoteEntry: bigint;
  price: bigint;
  conf: bigint;
  risk: MarketRisk;
  /** Set for adding risk and withdrawing: a gain counts only as far as the pool backs it. */
  backing?: Backing | null;
  /** Set for a position valued without a usable oracle: the view eligibility is judged on. */
  holderView?: { price: bigint; conf: bigint } | null;
}

/**
 * A gain in a market whose pool owes more than it holds counts at poolBalance / liability of it,
 * rounded down, and never more than the pool holds; a loss in full.
 */
export function backedPnl(pnl: bigint, backing: Backing | null | undefined): bigint {
  if (!backing || pnl <= 0n) return pnl;
  const pool = backing.poolBalance > 0n ? backing.poolBalance : 0n;
  const share = backing.liability > backing.poolBalance ? mulDivFloor(pnl, pool, backing.liability) : pnl;
  return share < pool ? share : pool;
}

/** Equity and the three requirement levels, quote native units. */
export interface Health {
  equity: bigint;
  initial: bigint;
  maintenance: bigint;
  liquidationEnd: bigint;
}

/** Below initial: the account may not add risk or withdraw. */
export const belowInitial = (h: Health) => h.equity < h.initial;
/** Liquidation may start: equity below maintenance. */
export const belowMaintenance = (h: Health) => h.equity < h.maintenance;
/** A liquidation continues: equity below the liquidation-end level. */
export const belowLiquidationEnd = (h: Health) => h.equity < h.liquidationEnd;

/**
 * A position whose oracle a liquidation cannot use, valued against its holder: the worse of the
 * market's last accepted price and the refused reading's price, with the wider of the liquidation
 * confidence limit and the reading's confidence, under the market's normal margin; null with no
 * price to go on. Its `holderView` is what flagging, liquidating and unflagging are judged on
 * (`eligibilityHealth`), so the widening never makes an account liquidatable by itself.
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
  // Eligibility: the same worse price with only the reading's own confidence, not the limit's floor.
  const holderView = { price, conf: refused && refused.price > 0n ? refused.conf : 0n };
  return { base, quoteEntry, price, conf, risk, holderView };
}

/**
 * Equity = collateral + Σ PnL at confidence-adjusted prices (gains as far as their pool backs
 * them, when `backing` is set); requirements on notionals at the oracle price.
 */
export function accountHealth(collateral: bigint, positions: PricedPosition[]): Health {
  const h: Health = { equity: collateral, initial: 0n, maintenance: 0n, liquidationEnd: 0n };
  for (const p of positions) {
    const val = valuationPrice(p.base, p.price, p.conf);
    h.equity += backedPnl(baseValue(p.base, val) + p.quoteEntry, p.backing);
    const n = notional(p.base, p.price);
    h.initial += positionRequirement(n, p.risk.tiers, "initial", p.risk.addonRatio);
    h.maintenance += positionRequirement(n, p.risk.tiers, "maintenance", p.risk.addonRatio);
    h.liquidationEnd += liquidationEndRequirement(n, p.risk.tiers, p.risk.addonRatio, p.risk.bufferRatio);
  }
  return h;
}

/** `accountHealth` with every position that has a `holderView` valued at it: what eligibility is judged on. */
export function eligibilityHealth(collateral: bigint, positions: PricedPosition[]): Health {
  if (positions.every((p) => !p.holderView)) return accountHealth(collateral, positions);
  return accountHealth(
    collateral,
    positions.map((p) =>
      p.holderView ? { ...p, price: p.holderView.price, conf: p.holderView.conf, holderView: null } : p,
    ),
  );
}
