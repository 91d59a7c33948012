// One account's health as a UI shows it, with the program's exact numbers: equity and the three
// requirement levels, free collateral, leverage, and per position the liquidation price (the
// price at which the account's equity crosses its maintenance requirement, the other positions
// fixed), found by integer bisection on the program's own math.
import { abs, divFloor, max, mulDivFloor } from "../math/checked.js";
import { RATIO_PRECISION } from "../math/constants.js";
import { liquidationPrice } from "../math/liquidation.js";
import { liquidationEndRequirement, positionRequirement } from "../math/margin.js";
import { confidenceRatio, valuationPrice } from "../math/oracle_price.js";
import { baseValue, notional } from "../math/position.js";
import { type Health, accountHealth, eligibilityHealth } from "../controller/health.js";
import { flagEligible, liquidationEligible, unflagEligible } from "../controller/liquidation.js";
import type { AccountState, Address, ChainStatus } from "../state/types.js";
import type { PositionPrice } from "./price.js";

/** One position's share of an account's health. */
export interface PositionHealth {
  market: Address;
  /** BASE_PRECISION, signed. */
  base: bigint;
  quoteEntry: bigint;
  /** Price and confidence it is valued at (PRICE_PRECISION). */
  price: bigint;
  conf: bigint;
  /** |base| × price, quote native. */
  notional: bigint;
  /** PnL at the confidence-adjusted price, quote native. */
  unrealizedPnl: bigint;
  initial: bigint;
  maintenance: bigint;
  liquidationEnd: bigint;
  /** Where the account becomes liquidatable through this market alone; null when no price gets there. */
  liquidationPrice: bigint | null;
  /** |price − liquidationPrice| / price, RATIO_PRECISION (0 when already there); null without a liquidation price. */
  distanceToLiquidation: bigint | null;
  /** Null when the oracle is usable; else why the program refuses it (the position is then valued against its holder and cannot be liquidated). */
  refusal: string | null;
}

/** An account's health, as the program computes it for flagging, liquidating and unflagging. */
export interface AccountHealthSummary {
  address: Address;
  owner: Address;
  status: ChainStatus;
  collateral: bigint;
  /** Collateral + Σ PnL at confidence-adjusted prices, quote native. */
  equity: bigint;
  initial: bigint;
  maintenance: bigint;
  liquidationEnd: bigint;
  /** Equity above the initial requirement (≥ 0): what new risk or a withdrawal may use at these prices, before the program's pool-backing limit on gains. */
  freeCollateral: bigint;
  /** Equity above maintenance, quote native (negative: liquidatable). */
  marginToLiquidation: bigint;
  /** Σ notional / equity, RATIO_PRECISION (1e6 = 1×); null when equity ≤ 0. */
  leverage: bigint | null;
  /** The smallest of the positions' distances to liquidation, RATIO_PRECISION; null when none has a liquidation price. */
  distanceToLiquidation: bigint | null;
  /** What `flag_account`, `liquidate` and `unflag_account` would decide now. */
  flaggable: boolean;
  liquidatable: boolean;
  unflaggable: boolean;
  positions: PositionHealth[];
}

/** The highest price searched for a short's liquidation price (1e6 precision): $1.1M, or 100× the price. */
const maxPriceFor = (price: bigint) => max(1n << 40n, price * 100n);

/** Each position's liquidation price, the others fixed at their prices (the program's `liquidation_price`). */
function positionLiquidationPrice(collateral: bigint, all: PositionPrice[], i: number): bigint | null {
  const self = all[i].priced;
  if (self.price <= 0n) return null;
  let equity = collateral;
  let maintenance = 0n;
  for (const [k, { priced: p }] of all.entries()) {
    if (k === i) continue;
    equity += baseValue(p.base, valuationPrice(p.base, p.price, p.conf)) + p.quoteEntry;
    maintenance += positionRequirement(notional(p.base, p.price), p.risk.tiers, "maintenance", p.risk.addonRatio);
  }
  return liquidationPrice(
    self.base,
    self.quoteEntry,
    confidenceRatio(self.price, self.conf),
    self.risk.tiers,
    self.risk.addonRatio,
    { equity, maintenance },
    maxPriceFor(self.price),
  );
}

const distance = (price: bigint, liq: bigint | null, base: bigint): bigint | null => {
  if (liq === null || price <= 0n) return null;
  const gap = base > 0n ? price - liq : liq - price;
  return gap <= 0n ? 0n : mulDivFloor(abs(gap), RATIO_PRECISION, price);
};

/** The health of `account` with its positions priced (`priceAccount`). */
export function accountHealthSummary(account: AccountState, priced: PositionPrice[]): AccountHealthSummary {
  const positions = priced.map((p) => p.priced);
  const h: Health = accountHealth(account.collateral, positions);
  const eligibility = eligibilityHealth(account.collateral, positions);
  const rows: PositionHealth[] = priced.map((pp, i) => {
    const p = pp.priced;
    const n = notional(p.base, p.price);
    const liq = positionLiquidationPrice(account.collateral, priced, i);
    return {
      market: pp.position.market,
      base: p.base,
      quoteEntry: p.quoteEntry,
      price: p.price,
      conf: p.conf,
      notional: n,
      unrealizedPnl: baseValue(p.base, valuationPrice(p.base, p.price, p.conf)) + p.quoteEntry,
      initial: positionRequirement(n, p.risk.tiers, "initial", p.risk.addonRatio),
      maintenance: positionRequirement(n, p.risk.tiers, "maintenance", p.risk.addonRatio),
      liquidationEnd: liquidationEndRequirement(n, p.risk.tiers, p.risk.addonRatio, p.risk.bufferRatio),
      liquidationPrice: liq,
      distanceToLiquidation: distance(p.price, liq, p.base),
      refusal: pp.refusal,
    };
  });
  const totalNotional = rows.reduce((s, r) => s + r.notional, 0n);
  const distances = rows.map((r) => r.distanceToLiquidation).filter((d): d is bigint => d !== null);
  return {
    address: account.address,
    owner: account.owner,
    status: account.status,
    collateral: account.collateral,
    ...h,
    freeCollateral: max(h.equity - h.initial, 0n),
    marginToLiquidation: h.equity - h.maintenance,
    leverage: h.equity > 0n ? divFloor(totalNotional * RATIO_PRECISION, h.equity) : null,
    distanceToLiquidation: distances.length ? distances.reduce((a, b) => (a < b ? a : b)) : null,
    flaggable: flagEligible(eligibility, account.status),
    liquidatable: liquidationEligible(eligibility, account.status),
    unflaggable: unflagEligible(eligibility, account.status),
    positions: rows,
  };
}
