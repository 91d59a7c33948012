// The synthetic exchange bench:risk and bench:var build their books on: 8 markets from $0.50 to
// $60,000 with the program's example tiers and add-ons of 0–3.5%, and a seeded PRNG.
import type { Tier } from "../src/math/margin.js";
import { OracleLayout, type MarketState } from "../src/risk/types.js";

const USD = 1_000_000n;

/** mulberry32: the same book on every run. */
export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The program's example tiers: 5% to $100k, 10% to $1M, 20% beyond. */
export const TIERS: Tier[] = [
  { notionalUpper: 100_000n * USD, initialRatio: 100_000n, maintenanceRatio: 50_000n },
  { notionalUpper: 1_000_000n * USD, initialRatio: 200_000n, maintenanceRatio: 100_000n },
  { notionalUpper: (1n << 127n) - 1n, initialRatio: 330_000n, maintenanceRatio: 200_000n },
];
export const START_USD = [0.5, 1.2, 20, 150, 700, 2_500, 30_000, 60_000];

export function syntheticMarket(i: number, slot: number): MarketState {
  const address = `MARKET${i}`;
  return {
    address,
    exchange: "EXCHANGE",
    index: i,
    oracle: `ORACLE${i}`,
    oracleOwner: "PYTH",
    oracleLayout: OracleLayout.PriceUpdateV2,
    feedId: Buffer.alloc(32),
    tiers: TIERS,
    addonRatio: BigInt(5_000 * i),
    bufferRatio: 10_000n,
    liquidatorFeeRatio: 5_000n,
    insuranceFeeRatio: 2_500n,
    maxLiquidationNotional: 100_000n * USD,
    minRemainderNotional: 100n * USD,
    baseImpactRatio: 500n,
    impactRatioPerMillion: 1_000n,
    maxImpactRatio: 5_000n,
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
    slot,
  };
}
