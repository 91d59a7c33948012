// The evaluator decides as the program would: a position whose oracle the program refuses is valued
// against its holder (the worse of the last accepted and the refused price, normal margin), and the
// account's other markets are still liquidated; with no price to go on, or no position with a
// usable price, it waits. A flagged account
// back at its liquidation-end level is due an unflag.
import { describe, expect, it } from "vitest";
import { BASE_PRECISION } from "../../orchestrator/src/math/constants.js";
import { baseValue } from "../../orchestrator/src/math/position.js";
import { evaluate, type Freshness } from "../../orchestrator/src/risk/evaluate.js";
import {
  ChainStatus,
  type AccountState,
  type MarketState,
  type PriceState,
} from "../../orchestrator/src/risk/types.js";

const USD = 1_000_000n;
const FRESH: Freshness = { currentSlot: 100, nowS: 10_000, maxAccountAgeSlots: 1_000, maxOracleAgeSlots: 1_000 };

function market(address: string, lastOraclePrice: bigint): MarketState {
  return {
    address,
    oracle: `${address}-oracle`,
    tiers: [{ notionalUpper: (1n << 127n) - 1n, initialRatio: 100_000n, maintenanceRatio: 50_000n }],
    addonRatio: 0n,
    bufferRatio: 10_000n,
    maxOracleAgeLiquidateS: 120,
    maxConfRatioLiquidate: 20_000n,
    lastOraclePrice,
    settlementPrice: 0n,
  } as MarketState;
}

const price = (m: MarketState, p: bigint, ageS = 0): PriceState => ({
  oracle: m.oracle,
  price: p,
  conf: p / 1_000n,
  publishTime: FRESH.nowS - ageS,
  slot: FRESH.currentSlot,
});
const base = (usd: bigint, p: bigint) => (usd * BASE_PRECISION) / p;

/** $1,000 of collateral, 9× long SOL bought at $100 and a $3 ETH long bought at $3,000. */
function trader(status = ChainStatus.Healthy): AccountState {
  const sol = base(9_000n * USD, 100n * USD);
  const eth = base(3n * USD, 3_000n * USD);
  return {
    address: "trader",
    owner: "o",
    exchange: "e",
    collateral: 1_000n * USD,
    lastActiveSlot: 0n,
    liquidationId: status === ChainStatus.Healthy ? 0n : 1n,
    status,
    positions: [
      { market: "SOL", base: sol, quoteEntry: -baseValue(sol, 100n * USD) },
      { market: "ETH", base: eth, quoteEntry: -baseValue(eth, 3_000n * USD) },
    ],
    shortfallMarkets: [],
    slot: FRESH.currentSlot,
  };
}

function world(ethLastPrice: bigint, solPrice: bigint, ethAgeS: number, ethPrice = 3_000n * USD) {
  const sol = market("SOL", 100n * USD);
  const eth = market("ETH", ethLastPrice);
  const markets = new Map([sol, eth].map((m) => [m.address, m]));
  const prices = new Map([price(sol, solPrice), price(eth, ethPrice, ethAgeS)].map((r) => [r.oracle, r]));
  return { markets, prices };
}

describe("evaluating with an oracle the program refuses", () => {
  it("values the dead market against its holder under its normal margin and liquidates the live one", () => {
    // ETH last accepted at $2,900, its stale oracle reads $3,000: the long is valued at $2,900.
    const { markets, prices } = world(2_900n * USD, 93_500_000n, 200);
    const ev = evaluate(trader(), markets, prices, FRESH, 0n);
    expect(ev.waitReason).toBeNull();
    expect(ev.state).toBe("partial-liquidation");
    expect(ev.liquidationMarket).toBe("SOL");
    // 5% of SOL's $8,415 and of ETH's $2.90.
    expect(ev.health!.maintenance).toBe(420_750_000n + 145_000n);
  });

  it("waits with no price to go on", () => {
    // Nothing accepted, and the oracle reads zero.
    const { markets, prices } = world(0n, 93_500_000n, 0, 0n);
    const ev = evaluate(trader(), markets, prices, FRESH, 0n);
    expect([ev.state, ev.waitReason]).toEqual([null, "invalid-oracle-price on ETH-oracle"]);
  });

  it("waits when no position of the account has a usable price", () => {
    const { markets, prices } = world(3_000n * USD, 93_500_000n, 200);
    const a = trader();
    a.positions = a.positions.filter((p) => p.market === "ETH");
    const ev = evaluate(a, markets, prices, FRESH, 0n);
    expect([ev.state, ev.liquidationMarket, ev.waitReason]).toEqual([null, null, "stale-oracle on ETH-oracle"]);
  });

  it("marks a flagged account back at its liquidation-end level as due an unflag, and only that one", () => {
    const { markets, prices } = world(3_000n * USD, 100n * USD, 0);
    const recovered = evaluate(trader(ChainStatus.BeingLiquidated), markets, prices, FRESH, 0n);
    expect([recovered.state, recovered.unflagDue]).toEqual(["margin-call", true]);
    expect(evaluate(trader(), markets, prices, FRESH, 0n).unflagDue).toBe(false);
    const { markets: m2, prices: p2 } = world(3_000n * USD, 94_500_000n, 0);
    const stillBelow = evaluate(trader(ChainStatus.BeingLiquidated), m2, p2, FRESH, 0n);
    expect([stillBelow.state, stillBelow.unflagDue]).toEqual(["partial-liquidation", false]);
  });

  it("never liquidates an account that only the stale oracle's widened confidence puts below maintenance", () => {
    // $9,000 of ETH whose oracle goes stale at an unchanged price: the 2% floor takes ~$180 off it.
    const a = trader();
    const eth = base(9_000n * USD, 3_000n * USD);
    a.collateral = 2_000n * USD;
    a.positions[1] = { market: "ETH", base: eth, quoteEntry: -baseValue(eth, 3_000n * USD) };
    let solPrice = 100n * USD;
    for (;;) {
      solPrice -= USD / 10n;
      const { markets, prices } = world(3_000n * USD, solPrice, 0);
      const h = evaluate(a, markets, prices, FRESH, 0n).health!;
      if (h.equity - h.maintenance < 100n * USD) {
        expect(h.equity > h.maintenance).toBe(true);
        break;
      }
    }
    const { markets, prices } = world(3_000n * USD, solPrice, 200);
    const ev = evaluate(a, markets, prices, FRESH, 0n);
    expect(ev.health!.equity < ev.health!.maintenance).toBe(true);
    expect(ev.eligibility!.equity > ev.eligibility!.maintenance).toBe(true);
    expect([ev.state, ev.shortfall]).toEqual(["healthy", 0n]);
    // A real fall in SOL is liquidated while ETH's oracle is stale.
    const { markets: m2, prices: p2 } = world(3_000n * USD, solPrice - 5n * USD, 200);
    expect(evaluate(a, m2, p2, FRESH, 0n)).toMatchObject({ state: "partial-liquidation", liquidationMarket: "SOL" });
  });

  it("closes the winning leg first when closing the largest would realize a loss the collateral cannot pay", () => {
    // $1,000 on $9,000 of SOL from $100 and $3,000 of ETH from $3,000: SOL at $88 is −$1,080
    // (beyond the collateral), ETH at $3,300 +$300.
    const a = trader();
    const eth = base(3_000n * USD, 3_000n * USD);
    a.positions[1] = { market: "ETH", base: eth, quoteEntry: -baseValue(eth, 3_000n * USD) };
    const { markets, prices } = world(3_000n * USD, 88n * USD, 0, 3_300n * USD);
    expect(evaluate(a, markets, prices, FRESH, 0n)).toMatchObject({
      state: "partial-liquidation",
      liquidationMarket: "ETH",
    });
    // With the collateral to pay the loss, the largest position goes first, as before.
    a.collateral = 1_500n * USD;
    const { markets: m2, prices: p2 } = world(3_000n * USD, 85n * USD, 0, 3_300n * USD);
    expect(evaluate(a, m2, p2, FRESH, 0n)).toMatchObject({ state: "partial-liquidation", liquidationMarket: "SOL" });
  });

  it("prices a settled market at its settlement, whatever its oracle says", () => {
    const { markets, prices } = world(3_000n * USD, 100n * USD, 200);
    markets.get("ETH")!.settlementPrice = 2_000n * USD;
    const ev = evaluate(trader(), markets, prices, FRESH, 0n);
    expect(ev.waitReason).toBeNull();
    expect(ev.prices.ETH).toMatchObject({ price: 2_000n * USD, conf: 0n });
  });
});

describe("step keys", () => {
  it("names an account's on-chain state the same whether it is healthy or at risk, in copies too", () => {
    const { markets, prices } = world(3_000n * USD, 100n * USD, 0);
    const a = trader();
    const healthy = evaluate(a, markets, prices, FRESH, 0n);
    const crash = world(3_000n * USD, 93_500_000n, 0);
    const crashed = evaluate(a, crash.markets, crash.prices, FRESH, 0n);
    expect(healthy.state).toBe("healthy");
    expect(crashed.state).toBe("partial-liquidation");
    expect(healthy.stepKey).toMatch(/^[0-9a-f]{16}$/);
    expect(healthy.stepKey).toBe(crashed.stepKey);
    expect({ ...healthy }.stepKey).toBe(crashed.stepKey);
    expect(JSON.parse(JSON.stringify(healthy, (_k, v) => (typeof v === "bigint" ? String(v) : v))).stepKey).toBe(
      crashed.stepKey,
    );
    // Waiting (here on account data too old to act on), the key is the same too.
    const waiting = evaluate(a, markets, prices, { ...FRESH, currentSlot: a.slot + FRESH.maxAccountAgeSlots + 1 }, 0n);
    expect(waiting.state).toBeNull();
    expect(waiting.stepKey).toBe(crashed.stepKey);
    expect({ ...waiting }.stepKey).toBe(crashed.stepKey);
    // Another on-chain state, another key.
    const moved = { ...a, collateral: a.collateral - 1n };
    expect(evaluate(moved, markets, prices, FRESH, 0n).stepKey).not.toBe(healthy.stepKey);
  });
});
