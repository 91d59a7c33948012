// Per-account VaR / ES on the program's valuation: the fast two-pass scorer equals a brute-force
// exact valuation of every scenario, hedges carry no risk, and the background scorer yields.
import { describe, expect, it } from "vitest";
import { RATIO_PRECISION } from "../../orchestrator/src/math/constants.js";
import { positionRequirement, type Tier } from "../../orchestrator/src/math/margin.js";
import { baseValue, notional } from "../../orchestrator/src/math/position.js";
import {
  ChainStatus,
  OracleLayout,
  type AccountState,
  type MarketState,
  type PriceState,
} from "../../orchestrator/src/risk/types.js";
import { buildRiskModel } from "../../orchestrator/src/risk/var/fhs.js";
import type { ReturnMatrix } from "../../orchestrator/src/risk/var/returns.js";
import { isScored, scenarioBook, scoreAccount, type AccountScore } from "../../orchestrator/src/risk/var/score.js";
import { RiskScorer, ScoringAborted } from "../../orchestrator/src/risk/var/scorer.js";
import { empiricalVarEs } from "../../orchestrator/src/risk/var/stats.js";

const USD = 1_000_000n;
const ONE = 1_000_000_000n;
const TIERS: Tier[] = [
  { notionalUpper: 100_000n * USD, initialRatio: 100_000n, maintenanceRatio: 50_000n },
  { notionalUpper: 1_000_000n * USD, initialRatio: 200_000n, maintenanceRatio: 100_000n },
  { notionalUpper: (1n << 127n) - 1n, initialRatio: 330_000n, maintenanceRatio: 200_000n },
];

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const market = (i: number, addonRatio = 0n): MarketState =>
  ({
    address: `M${i}`,
    exchange: "X",
    index: i,
    oracle: `O${i}`,
    oracleOwner: "P",
    oracleLayout: OracleLayout.PriceUpdateV2,
    feedId: new Uint8Array(32),
    tiers: TIERS,
    addonRatio,
    bufferRatio: 10_000n,
    settlementPrice: 0n,
  }) as unknown as MarketState;

const price = (m: MarketState, p: bigint, conf = 0n): [string, PriceState] => [
  m.oracle,
  { oracle: m.oracle, price: p, conf, publishTime: 0, slot: 0 },
];

const account = (address: string, collateral: bigint, positions: [MarketState, bigint, bigint][]): AccountState => ({
  address,
  owner: "o",
  exchange: "X",
  collateral,
  lastActiveSlot: 0n,
  liquidationId: 0n,
  status: ChainStatus.Healthy,
  positions: positions.map(([m, base, quoteEntry]) => ({ market: m.address, base, quoteEntry })),
  shortfallMarkets: [],
  slot: 0,
});

/** Three markets: A; B with A's returns (perfectly correlated); C with −A's (anti-correlated). A fourth, D, independent. */
function matrix(n: number): ReturnMatrix {
  const rnd = rng(5);
  const g = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const rows = Array.from({ length: n }, (_, k) => {
    const a = 0.04 * g() * (k % 40 < 8 ? 2.5 : 1);
    return Float64Array.from([a, a, -a, 0.05 * g()]);
  });
  return { markets: ["M0", "M1", "M2", "M3"], intervalS: 86_400, times: rows.map((_, k) => k), rows };
}

describe("per-account VaR / ES", () => {
  const markets = [market(0), market(1), market(2, 20_000n), market(3, 5_000n)];
  const prices = new Map([
    price(markets[0], 150n * USD),
    price(markets[1], 150n * USD),
    price(markets[2], 150n * USD),
    price(markets[3], 2_500n * USD, 2n * USD),
  ]);
  const model = buildRiskModel(matrix(300), { horizonIntervals: 1 });
  const book = scenarioBook(model, markets, prices);

  it("gives a hedged account (long A, short B with A's returns; long A, long C with −A's) a VaR of about 0", () => {
    const size = 1_000n * ONE; // 1,000 units at $150 = $150k a leg
    const cost = -150_000n * USD;
    const alone = scoreAccount(account("alone", 20_000n * USD, [[markets[0], size, cost]]), book) as AccountScore;
    const pair = scoreAccount(
      account("pair", 20_000n * USD, [
        [markets[0], size, cost],
        [markets[1], -size, -cost],
      ]),
      book,
    ) as AccountScore;
    const mirror = scoreAccount(
      account("mirror", 20_000n * USD, [
        [markets[0], size, cost],
        [markets[2], size, cost],
      ]),
      book,
    ) as AccountScore;
    expect(alone.var).toBeGreaterThan(5_000 * 1e6);
    // Same prices in every scenario: the legs cancel to the rounding unit.
    expect(Math.abs(pair.var)).toBeLessThanOrEqual(2);
    expect(Math.abs(pair.parametricVar)).toBeLessThan(1e-6 * alone.parametricVar);
    // e^r + e^−r ≥ 2: the pair never loses beyond rounding.
    expect(mirror.var).toBeLessThanOrEqual(2);
    expect(mirror.parametricVar).toBeLessThan(1e-6 * alone.parametricVar);
  });

  it("equals a brute-force exact valuation of every scenario, to the unit", () => {
    const rnd = rng(99);
    for (let i = 0; i < 60; i++) {
      const legs: [MarketState, bigint, bigint][] = [];
      for (const m of markets) {
        if (rnd() < 0.45) continue;
        const p = prices.get(m.oracle)!.price;
        const usd = 100 + rnd() * 3_000_000;
        const base = ((BigInt(Math.round(usd * 1e6)) * ONE) / p) * (rnd() < 0.5 ? 1n : -1n);
        const entry = (p * BigInt(Math.round((0.9 + rnd() * 0.2) * 1e6))) / RATIO_PRECISION;
        legs.push([m, base, -baseValue(base, entry)]);
      }
      if (legs.length === 0) continue;
      const a = account(`a${i}`, BigInt(Math.round(rnd() * 300_000)) * USD, legs);
      const s = scoreAccount(a, book);
      expect(isScored(s)).toBe(true);
      const score = s as AccountScore;
      // Brute force: every scenario through the mirror.
      const pnl: number[] = [];
      let below = 0;
      for (let k = 0; k < model.scenarios.length; k++) {
        let e = a.collateral;
        let mt = 0n;
        for (const p of a.positions) {
          const ms = book.markets.get(p.market)!;
          e += baseValue(p.base, (p.base >= 0n ? ms.valLong : ms.valShort)[k]) + p.quoteEntry;
          mt += positionRequirement(notional(p.base, ms.prices[k]), ms.risk.tiers, "maintenance", ms.risk.addonRatio);
        }
        pnl.push(Number(e - score.equity));
        if (e < mt) below++;
      }
      const brute = empiricalVarEs(pnl, 0.99, 0.975);
      expect(score.var).toBe(brute.var);
      expect(score.es).toBeCloseTo(brute.es, 6);
      if (score.equity >= score.maintenance) expect(score.pBelowMaintenance).toBe(below / model.scenarios.length);
      if (score.equity > 0n) expect(score.riskScore).toBeCloseTo(score.var / Number(score.equity), 12);
      else expect(score.riskScore).toBe(Infinity);
    }
  });

  it("leaves an account unscored when one of its markets has no history", () => {
    const unknown = { ...market(7), address: "M7", oracle: "O7" };
    const b = scenarioBook(model, [...markets, unknown], new Map([...prices, price(unknown, USD)]));
    const s = scoreAccount(account("u", USD, [[unknown, ONE, -USD]]), b);
    expect(isScored(s)).toBe(false);
    expect((s as { reason: string }).reason).toMatch(/no return history/);
  });

  it("scores the whole book in slices, yielding to the event loop between them", async () => {
    const accounts = new Map<string, AccountState>();
    for (let i = 0; i < 400; i++) {
      const base = BigInt(1 + (i % 17)) * ONE * (i % 2 ? 1n : -1n);
      accounts.set(`a${i}`, account(`a${i}`, 500n * USD, [[markets[i % 4], base, -baseValue(base, 150n * USD)]]));
    }
    const scorer = new RiskScorer(
      { accounts, markets: new Map(markets.map((m) => [m.address, m])), prices },
      { sliceMs: 0 },
    );
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const run = await scorer.scoreAll(model);
    clearInterval(ticker);
    expect(run.scored).toBe(400);
    expect(scorer.scores.size).toBe(400);
    expect(run.slices).toBeGreaterThan(1);
    expect(turns).toBeGreaterThan(0);
    // The exchange's pool-loss tail is the sum of the accounts' gains in the same scenarios.
    expect(run.exchange.poolLoss.var).toBeGreaterThan(0);
    expect(scorer.top(5).map((s) => s.riskScore)).toEqual(
      [...scorer.scores.values()]
        .map((s) => s.riskScore)
        .sort((x, y) => y - x)
        .slice(0, 5),
    );
    // An aborted run stops at its next slice and keeps the last complete run's scores.
    const next = scorer.scoreAll(model);
    scorer.abort();
    await expect(next).rejects.toBeInstanceOf(ScoringAborted);
    expect(scorer.scores.size).toBe(400);
    expect(scorer.lastRun).toBe(run);
  });
});
