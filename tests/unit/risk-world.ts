// A small exchange for the risk-path tests: three markets with different tiers and add-ons, and
// random cross-margined accounts placed near their maintenance requirement.
import { BASE_PRECISION } from "../../orchestrator/src/math/constants.js";
import type { Tier } from "../../orchestrator/src/math/margin.js";
import { baseValue } from "../../orchestrator/src/math/position.js";
import { bandsFor, type Band } from "../../orchestrator/src/risk/bands.js";
import { evaluate, type Freshness } from "../../orchestrator/src/risk/evaluate.js";
import { accountHealth } from "../../orchestrator/src/risk/health.js";
import {
  ChainStatus,
  OracleLayout,
  type AccountState,
  type MarketState,
  type PositionState,
  type PriceState,
} from "../../orchestrator/src/risk/types.js";

export const USD = 1_000_000n;
export const UNBOUNDED = (1n << 127n) - 1n;
export const CALL_BAND = 100_000n;
export const FRESH: Freshness = { currentSlot: 100, nowS: 1_000, maxAccountAgeSlots: 1_000, maxOracleAgeSlots: 1_000 };

export const tier = (upperUsd: bigint | null, initialRatio: bigint, maintenanceRatio: bigint): Tier => ({
  notionalUpper: upperUsd === null ? UNBOUNDED : upperUsd * USD,
  initialRatio,
  maintenanceRatio,
});
export const TWO_TIERS = [tier(100_000n, 100_000n, 50_000n), tier(null, 200_000n, 100_000n)];
export const THREE_TIERS = [
  tier(20_000n, 60_000n, 30_000n),
  tier(1_000_000n, 150_000n, 80_000n),
  tier(null, 300_000n, 200_000n),
];
export const FOUR_TIERS = [
  tier(5_000n, 50_000n, 25_000n),
  tier(50_000n, 100_000n, 50_000n),
  tier(2_000_000n, 200_000n, 120_000n),
  tier(null, 400_000n, 250_000n),
];
// Above $1M a long's requirement grows faster than its value.
export const STEEP_TIERS = [tier(1_000_000n, 100_000n, 50_000n), tier(null, 600_000n, 500_000n)];

export function market(address: string, tiers: Tier[], addonRatio: bigint): MarketState {
  return {
    address,
    exchange: "exchange",
    index: 0,
    oracle: `${address}-oracle`,
    oracleOwner: "pyth",
    oracleLayout: OracleLayout.PriceUpdateV2,
    feedId: Buffer.alloc(32),
    tiers,
    addonRatio,
    bufferRatio: 10_000n,
    liquidatorFeeRatio: 5_000n,
    insuranceFeeRatio: 2_000n,
    maxLiquidationNotional: 1_000_000n * USD,
    minRemainderNotional: 0n,
    baseImpactRatio: 0n,
    impactRatioPerMillion: 0n,
    maxImpactRatio: 0n,
    maxOracleAgeLiquidateS: 60,
    maxConfRatioLiquidate: 20_000n,
    lastOraclePrice: 0n,
    settlementPrice: 0n,
    paused: false,
    poolBalance: 0n,
    insuranceBalance: 0n,
    totalLiquidations: 0n,
    totalLiquidatedNotional: 0n,
    totalLiquidationFees: 0n,
    totalInsurancePaid: 0n,
    totalSocializedLoss: 0n,
    slot: 100,
  };
}

export const reading = (m: MarketState, price: bigint, conf: bigint): PriceState => ({
  oracle: m.oracle,
  price,
  conf,
  publishTime: FRESH.nowS,
  slot: FRESH.currentSlot,
});
/** The widest confidence the program still accepts for a liquidation at this price. */
export const worstConf = (m: MarketState, price: bigint) => (price * m.maxConfRatioLiquidate) / 1_000_000n;

export function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class World {
  readonly markets = new Map<string, MarketState>();
  readonly prices = new Map<string, PriceState>();
  constructor(list: [MarketState, bigint][]) {
    for (const [m, p] of list) {
      this.markets.set(m.address, m);
      this.prices.set(m.oracle, reading(m, p, 0n));
    }
  }
  price(market: string): bigint {
    return this.prices.get(this.markets.get(market)!.oracle)!.price;
  }
  set(market: string, price: bigint, conf: bigint): void {
    const m = this.markets.get(market)!;
    this.prices.set(m.oracle, reading(m, price, conf));
  }
  bands(a: AccountState): Band[] | null {
    return bandsFor(a, this.markets, this.prices, CALL_BAND);
  }
  state(a: AccountState) {
    return evaluate(a, this.markets, this.prices, FRESH, CALL_BAND).state;
  }
}

export function account(address: string, collateral: bigint, positions: PositionState[]): AccountState {
  return {
    address,
    owner: "owner",
    exchange: "exchange",
    collateral,
    lastActiveSlot: 0n,
    liquidationId: 0n,
    status: ChainStatus.Healthy,
    positions,
    shortfallMarkets: [],
    slot: FRESH.currentSlot,
  };
}

/** A position of `usd` notional opened at `entry`. */
export function position(market: string, usd: number, price: bigint, long: boolean, entry: bigint): PositionState {
  const size = (BigInt(Math.round(usd * 1e6)) * BASE_PRECISION) / price;
  const base = long ? size : -size;
  return { market, base, quoteEntry: -baseValue(base, entry) };
}

/** Collateral that puts the account at `factor` × its maintenance requirement, valued at the worst accepted confidence. */
export function withHealth(w: World, address: string, positions: PositionState[], factor: number): AccountState {
  const priced = positions.map((p) => {
    const m = w.markets.get(p.market)!;
    const price = w.price(p.market);
    return { base: p.base, quoteEntry: p.quoteEntry, price, conf: worstConf(m, price) + 1n, risk: m };
  });
  const h = accountHealth(0n, priced);
  const collateral = (h.maintenance * BigInt(Math.round(factor * 1e6))) / 1_000_000n - h.equity;
  return account(address, collateral, positions);
}

export function randomAccounts(w: World, n: number, rnd: () => number): AccountState[] {
  const names = [...w.markets.keys()];
  const out: AccountState[] = [];
  for (let i = 0; i < n; i++) {
    const picked = names.filter(() => rnd() < 0.6);
    if (picked.length === 0) picked.push(names[Math.floor(rnd() * names.length)]);
    const positions = picked.map((m) => {
      const price = w.price(m);
      const entry = (price * BigInt(Math.round((0.95 + rnd() * 0.1) * 1e6))) / 1_000_000n;
      return position(m, Math.exp(Math.log(20) + rnd() * Math.log(5e6 / 20)), price, rnd() < 0.5, entry);
    });
    out.push(withHealth(w, `acct${i}`, positions, 0.97 + 2.5 * rnd() ** 2));
  }
  return out;
}

export const world = () =>
  new World([
    [market("SOL", TWO_TIERS, 30_000n), 150n * USD],
    [market("ETH", THREE_TIERS, 80_000n), 2_500n * USD],
    [market("BTC", FOUR_TIERS, 150_000n), 60_000n * USD],
  ]);
