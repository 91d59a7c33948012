// The stress simulator's pure parts: the controller mirror on the Rust tests' own cases, and the
// named scenarios' prices, betas, volatility refreshes and spikes.
import { describe, expect, it } from "vitest";
import { RATIO_PRECISION } from "../../orchestrator/src/math/constants.js";
import { volatilityAddonRatio } from "../../orchestrator/src/math/volatility.js";
import {
  MAX_ADDON_RISE_PER_S,
  allocate,
  charge,
  keepBacked,
  observe,
  settleEntry,
  type SimAccount,
  type SimMarket,
} from "../../orchestrator/src/risk/stress/controller.js";
import { betas, movePrice, namedScenario } from "../../orchestrator/src/risk/stress/scenarios.js";
import { simulate, type SimBook } from "../../orchestrator/src/risk/stress/simulate.js";
import { ChainStatus } from "../../orchestrator/src/risk/types.js";
import type { RiskModel } from "../../orchestrator/src/risk/var/fhs.js";

const USD = 1_000_000n;
const ONE = 1_000_000_000n;

const market = (address: string, index: number, vol: Partial<NonNullable<SimMarket["vol"]>> = {}): SimMarket => ({
  address,
  index,
  tiers: [{ notionalUpper: (1n << 127n) - 1n, initialRatio: 100_000n, maintenanceRatio: 50_000n }],
  addonRatio: 0n,
  bufferRatio: 10_000n,
  liquidatorFeeRatio: 5_000n,
  insuranceFeeRatio: 2_500n,
  maxLiquidationNotional: 25_000n * USD,
  minRemainderNotional: 50n * USD,
  baseImpactRatio: 500n,
  impactRatioPerMillion: 1_000n,
  maxImpactRatio: 10_000n,
  maxConfRatioLiquidate: 20_000n,
  poolBalance: 1_000_000n * USD,
  totalClaims: 0n,
  insuranceBalance: 100n * USD,
  longOpenInterest: 0n,
  shortOpenInterest: 0n,
  quoteEntrySumLong: 0n,
  quoteEntrySumShort: 0n,
  totalLiquidations: 0n,
  totalLiquidatedNotional: 0n,
  totalLiquidationFees: 0n,
  totalInsurancePaid: 0n,
  totalSocializedLoss: 0n,
  totalHaircut: 0n,
  vol: {
    variance: 0n,
    lastPrice: 0n,
    lastPublishTime: 0,
    lambda: 999_000n,
    multiplier: 15_000_000n,
    cap: 100_000n,
    ...vol,
  },
});

describe("the controller mirror", () => {
  it("allocates, settles and charges deficits as controller/bankruptcy.rs's tests say", () => {
    expect(allocate(100n, [])).toBeNull();
    expect(allocate(100n, [0n, 0n])).toBeNull();
    expect(allocate(100n, [300n, 100n])).toEqual([0n, 100n]);
    expect(allocate(350n, [300n, 100n])).toEqual([250n, 100n]);
    expect(allocate(50n, [10n, 20n])).toEqual([10n, 20n]);
    expect(settleEntry(400n, [500n, 300n], 0)).toEqual([400n, 100n]);
    expect(settleEntry(400n, [500n, 300n], 1)).toEqual([0n, 300n]);
    expect(settleEntry(0n, [500n, 300n], 1)).toEqual([300n, 0n]);
    expect(keepBacked([250n, 100n], 150n)).toEqual([50n, 100n]);
    expect(charge(500n, 300n, 100n)).toEqual({
      deficit: 300n,
      insurancePaid: 100n,
      socializedLoss: 200n,
      poolCredit: 300n,
    });
    expect(charge(300n, 300n, 0n)).toEqual({ deficit: 300n, insurancePaid: 0n, socializedLoss: 300n, poolCredit: 0n });
  });

  it("phases a volatility add-on in as controller/volatility.rs's tests say", () => {
    const m = market("M", 0);
    observe(m, 100_000_000n, 10);
    expect([m.vol!.variance, m.addonRatio]).toEqual([0n, 0n]);
    // 10% in 1 s: variance 1e7, target 47,445, none of it in force at the observation that raised it.
    observe(m, 110_000_000n, 11);
    expect(m.vol!.variance).toBe(10_000_000n);
    expect(volatilityAddonRatio(m.vol!.variance, 15_000_000n, 100_000n)).toBe(47_445n);
    expect(m.addonRatio).toBe(0n);
    expect(() => observe(m, 1n, 11)).toThrow(/OracleNotUpdated/);
    observe(m, 110_000_000n, 71);
    expect(m.addonRatio).toBe(60n * MAX_ADDON_RISE_PER_S);
  });
});

function book(): SimBook {
  const markets = new Map([
    ["A", market("A", 0, { variance: 4_000n, lastPrice: 100n * USD, lastPublishTime: 1_000 })],
    ["B", market("B", 1, { variance: 1_000n, lastPrice: 20n * USD, lastPublishTime: 1_000 })],
  ]);
  const account: SimAccount = {
    address: "acct",
    collateral: 1_000n * USD,
    status: ChainStatus.Healthy,
    liquidationId: 0n,
    positions: [{ market: "A", base: 100n * ONE, quoteEntry: -10_000n * USD }],
    shortfalls: [],
    claims: [],
  };
  return {
    accounts: [account],
    markets,
    readings: new Map([
      ["A", { price: 100n * USD, conf: 50_000n }],
      ["B", { price: 20n * USD, conf: 10_000n }],
    ]),
    liquidationCount: 0n,
    nowS: 1_000,
  };
}

describe("named scenarios", () => {
  it("moves every market by 20% and keeps each oracle's confidence ratio", () => {
    const b = book();
    const s = namedScenario("all-20", { book: b });
    expect(s.steps).toHaveLength(1);
    expect(s.steps[0].readings.get("A")).toEqual({ price: 80n * USD, conf: 40_000n });
    expect(s.steps[0].readings.get("B")).toEqual({ price: 16n * USD, conf: 8_000n });
  });

  it("moves the others by their betas to the lead market", () => {
    const b = book();
    // B's variance is a quarter of A's and their correlation 1: β = cov / var(A) = 0.5.
    const model = {
      markets: ["A", "B"],
      covariance: [
        [4e-4, 2e-4],
        [2e-4, 1e-4],
      ],
    } as unknown as RiskModel;
    expect(betas({ book: b, model }, "A")).toEqual(
      new Map([
        ["A", 1],
        ["B", 0.5],
      ]),
    );
    const s = namedScenario("lead-30-beta", { book: b, model }, { lead: "A" });
    expect(s.steps[0].readings.get("A")!.price).toBe(70n * USD);
    expect(s.steps[0].readings.get("B")!.price).toBe(17n * USD);
    expect(() => namedScenario("lead-30-beta", { book: b }, { lead: "Z" })).toThrow(/not a market/);
  });

  it("walks a crash path in refreshed steps that compound to the total move", () => {
    const b = book();
    const s = namedScenario("crash-35", { book: b });
    expect(s.steps).toHaveLength(7);
    expect(s.steps.every((st) => st.refresh && st.elapsedS === 60)).toBe(true);
    const last = s.steps.at(-1)!.readings.get("A")!.price;
    expect(Number(last) / 1e6).toBeCloseTo(65, 0);
    // The refreshes raise the add-on as the program phases it in, and the account is liquidated.
    const r = simulate(b, s);
    expect(r.steps).toBeGreaterThan(0);
    expect(b.markets.get("A")!.addonRatio).toBe(0n); // the input book is left as it was
  });

  it("raises add-ons to the spike's phased-in target and widens confidence within the liquidation limit", () => {
    const b = book();
    const s = namedScenario("vol-spike-3x", { book: b });
    const step = s.steps[0];
    expect(step.addons!.get("A")).toBe(volatilityAddonRatio(36_000n, 15_000_000n, 100_000n));
    expect(step.readings.get("A")).toEqual({ price: 100n * USD, conf: 150_000n });
    const wide = book();
    wide.readings.set("A", { price: 100n * USD, conf: 1_000_000n });
    // 3 × $1 = $3 would pass the 2% limit ($2): capped there.
    expect(namedScenario("vol-spike-3x", { book: wide }).steps[0].readings.get("A")!.conf).toBe(
      (100n * USD * 20_000n) / RATIO_PRECISION,
    );
    expect(movePrice(100n * USD, -0.35)).toBe(65n * USD);
    // A model whose volatility today is above the program's estimate sets the base: 1% an hour is
    // 1e-4 / 3600 per second, 27,778 in RATIO_PRECISION² units, above A's 4,000.
    const model = { markets: ["A"], sigmaNow: Float64Array.of(0.01), intervalS: 3_600 } as unknown as RiskModel;
    expect(namedScenario("vol-spike-3x", { book: book(), model }).steps[0].addons!.get("A")).toBe(
      volatilityAddonRatio(27_778n * 9n, 15_000_000n, 100_000n),
    );
  });
});
