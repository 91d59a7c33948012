// Per-account VaR / ES. Each scenario's market prices are today's prices moved by the scenario's
// returns; every position is valued at them with the program's own valuation (the math mirror:
// confidence-adjusted price against the holder, tiered maintenance with the market's add-on), so a
// scenario's equity is exactly what the program would compute at those prices.
import { BASE_TO_QUOTE } from "../../math/constants.js";
import { positionRequirement, ratioOf } from "../../math/margin.js";
import { confidenceRatio, valuationPrice } from "../../math/oracle_price.js";
import { baseValue, notional } from "../../math/position.js";
import { marketRisk } from "../evaluate.js";
import { accountHealth, type MarketRisk } from "../health.js";
import { ChainStatus, type AccountState, type MarketState, type PriceState } from "../types.js";
import type { RiskModel } from "./fhs.js";
import { parametricVarEs } from "./parametric.js";
import { tailMean } from "./stats.js";
import { maintenanceF, tiersF, type TiersF } from "../float-margin.js";

export interface Levels {
  varLevel: number;
  esLevel: number;
}

export const DEFAULT_LEVELS: Levels = { varLevel: 0.99, esLevel: 0.975 };

/** One market under every scenario, prices in the program's precision. */
export interface MarketScenarios {
  market: string;
  /** Column of the risk model. */
  column: number;
  price: bigint;
  conf: bigint;
  /** conf / price, kept at each scenario price. */
  confRatio: bigint;
  risk: MarketRisk;
  prices: bigint[];
  /** Valuation prices of a long and of a short at each scenario price. */
  valLong: bigint[];
  valShort: bigint[];
  /** The same as floats, for the first pass. */
  pricesF: Float64Array;
  valLongF: Float64Array;
  valShortF: Float64Array;
  tiersF: TiersF;
  addonF: number;
}

export interface ScenarioBook {
  model: RiskModel;
  levels: Levels;
  markets: Map<string, MarketScenarios>;
  /** Markets with positions the model has no history for, or no price now. */
  missing: Map<string, string>;
}

/** Scenario prices for every market of the exchange the model covers, from today's accepted prices. */
export function scenarioBook(
  model: RiskModel,
  markets: Iterable<MarketState>,
  prices: ReadonlyMap<string, PriceState>,
  levels: Levels = DEFAULT_LEVELS,
): ScenarioBook {
  const book: ScenarioBook = { model, levels, markets: new Map(), missing: new Map() };
  const columns = new Map(model.markets.map((m, i) => [m, i]));
  for (const m of markets) {
    const settled = m.settlementPrice > 0n;
    const r = settled ? { price: m.settlementPrice, conf: 0n } : prices.get(m.oracle);
    const column = columns.get(m.address);
    if (!r || r.price <= 0n) {
      book.missing.set(m.address, "no accepted price");
      continue;
    }
    if (column === undefined && !settled) {
      book.missing.set(m.address, "no return history");
      continue;
    }
    const confRatio = confidenceRatio(r.price, r.conf);
    const p0 = Number(r.price);
    // A settled market no longer moves.
    const scenarioPrices = model.scenarios.map((s) =>
      settled ? r.price : BigInt(Math.max(1, Math.round(p0 * Math.exp(s[column!])))),
    );
    const conf = (p: bigint) => (settled ? 0n : ratioOf(p, confRatio));
    const valLong = scenarioPrices.map((p) => valuationPrice(1n, p, conf(p)));
    const valShort = scenarioPrices.map((p) => valuationPrice(-1n, p, conf(p)));
    book.markets.set(m.address, {
      market: m.address,
      column: column ?? -1,
      price: r.price,
      conf: r.conf,
      confRatio,
      risk: marketRisk(m),
      prices: scenarioPrices,
      valLong,
      valShort,
      pricesF: Float64Array.from(scenarioPrices, Number),
      valLongF: Float64Array.from(valLong, Number),
      valShortF: Float64Array.from(valShort, Number),
      tiersF: tiersF(m.tiers),
      addonF: Number(m.addonRatio),
    });
  }
  return book;
}

export interface AccountScore {
  account: string;
  /** Equity and maintenance now, quote native units. */
  equity: bigint;
  maintenance: bigint;
  /** Filtered historical simulation, quote native units (VaR exact: one scenario's loss). */
  var: number;
  es: number;
  /** Variance–covariance figures from the same model. */
  parametricVar: number;
  parametricEs: number;
  /** Share of scenarios ending below maintenance at the horizon. */
  pBelowMaintenance: number;
  /** P(crossing maintenance within the horizon): 1 when already below, else 2 × pBelowMaintenance (reflection principle), at most 1. */
  pCrossMaintenance: number;
  /** VaR / equity; Infinity when equity ≤ 0 and there is risk. */
  riskScore: number;
}

export interface Unscored {
  account: string;
  reason: string;
}

/** Sums over accounts per scenario, for the exchange's figures. */
export interface ExchangeAccumulator {
  /** Σ traders' P&L per scenario (the pools' P&L is its negative). */
  traderPnl: Float64Array;
  /** Σ max(0, −equity) per scenario: what collateral cannot pay, before any liquidation. */
  shortfall: Float64Array;
  /** The same now. */
  shortfallNow: number;
}

export const exchangeAccumulator = (scenarios: number): ExchangeAccumulator => ({
  traderPnl: new Float64Array(scenarios),
  shortfall: new Float64Array(scenarios),
  shortfallNow: 0,
});

const EMPTY_SCORE = (a: AccountState, equity: bigint): AccountScore => ({
  account: a.address,
  equity,
  maintenance: 0n,
  var: 0,
  es: 0,
  parametricVar: 0,
  parametricEs: 0,
  pBelowMaintenance: equity < 0n ? 1 : 0,
  pCrossMaintenance: equity < 0n ? 1 : 0,
  riskScore: 0,
});

/**
 * Scores one account. Every scenario is first valued in floating point, then each scenario the
 * figures depend on (the loss tail VaR and ES read, an equity near zero, a health near maintenance)
 * is valued again exactly with the mirror; the float error is bounded (`floatBound`), so the
 * results equal an exact valuation of every scenario. `acc` receives the exchange's sums.
 */
export function scoreAccount(a: AccountState, book: ScenarioBook, acc?: ExchangeAccumulator): AccountScore | Unscored {
  const n = book.model.scenarios.length;
  if (a.status === ChainStatus.Bankrupt || a.positions.length === 0) {
    if (acc && a.collateral < 0n) {
      const d = Number(-a.collateral);
      acc.shortfallNow += d;
      for (let s = 0; s < n; s++) acc.shortfall[s] += d;
    }
    return EMPTY_SCORE(a, a.collateral);
  }
  const legs: Leg[] = [];
  for (const p of a.positions) {
    const m = book.markets.get(p.market);
    if (!m) return { account: a.address, reason: `market ${p.market}: ${book.missing.get(p.market) ?? "unknown"}` };
    legs.push({ base: p.base, quoteEntry: p.quoteEntry, m, baseF: Number(p.base), quoteEntryF: Number(p.quoteEntry) });
  }
  const now = accountHealth(
    a.collateral,
    legs.map(({ base, quoteEntry, m }) => ({ base, quoteEntry, price: m.price, conf: m.conf, risk: m.risk })),
  );
  const e0 = Number(now.equity);
  // Float valuation of every scenario.
  const eqF = new Float64Array(n).fill(Number(a.collateral));
  const mtF = new Float64Array(n);
  let magnitude = Math.abs(Number(a.collateral));
  for (const l of legs) {
    const val = l.base >= 0n ? l.m.valLongF : l.m.valShortF;
    const size = Math.abs(l.baseF) / BASE_TO_QUOTE_F;
    const t = l.m.tiersF;
    let peak = 0;
    for (let s = 0; s < n; s++) {
      const v = (l.baseF * val[s]) / BASE_TO_QUOTE_F;
      eqF[s] += v + l.quoteEntryF;
      const notionalF = size * l.m.pricesF[s];
      mtF[s] += maintenanceF(notionalF, t, l.m.addonF);
      if (notionalF > peak) peak = notionalF;
    }
    magnitude += peak + Math.abs(l.quoteEntryF);
  }
  const bound = floatBound(legs.length, magnitude);
  const exact = (s: number) => {
    let e = a.collateral;
    let mt = 0n;
    for (const l of legs) {
      e += baseValue(l.base, (l.base >= 0n ? l.m.valLong : l.m.valShort)[s]) + l.quoteEntry;
      mt += positionRequirement(notional(l.base, l.m.prices[s]), l.m.risk.tiers, "maintenance", l.m.risk.addonRatio);
    }
    return { equity: e, maintenance: mt };
  };
  // The loss tail: the m largest losses are among the scenarios within 2 bounds of the m-th float loss.
  const kVar = Math.ceil(n * book.levels.varLevel - 1e-9);
  const kEs = Math.ceil(n * book.levels.esLevel - 1e-9);
  const m = n - Math.min(kVar, kEs) + 1;
  const lossF = new Float64Array(n);
  for (let s = 0; s < n; s++) lossF[s] = e0 - eqF[s];
  const threshold = Float64Array.from(lossF).sort()[n - m] - 2 * bound;
  // Scenarios below the threshold keep their float loss: every one of them is below the m-th
  // largest exact loss, so the sorted tail holds exact values only.
  const losses = new Float64Array(n);
  const known = new Map<number, { equity: bigint; maintenance: bigint }>();
  for (let s = 0; s < n; s++) {
    if (lossF[s] >= threshold) {
      const x = exact(s);
      known.set(s, x);
      losses[s] = Number(now.equity - x.equity);
    } else losses[s] = lossF[s];
  }
  losses.sort();
  const v = losses[kVar - 1];
  const es = tailMean(losses, book.levels.esLevel);
  let below = 0;
  for (let s = 0; s < n; s++) {
    const d = eqF[s] - mtF[s];
    const near = Math.abs(d) <= 2 * bound;
    const zeroNear = eqF[s] <= bound;
    let x = known.get(s);
    if (!x && (near || (acc && zeroNear))) known.set(s, (x = exact(s)));
    if (near ? x!.equity < x!.maintenance : d < 0) below++;
    if (acc) {
      acc.traderPnl[s] += eqF[s] - e0;
      if (zeroNear && x!.equity < 0n) acc.shortfall[s] += Number(-x!.equity);
    }
  }
  if (acc && now.equity < 0n) acc.shortfallNow += -e0;
  // Exposures for the parametric figure: each position's value at today's valuation price.
  const exposures = new Float64Array(book.model.markets.length);
  for (const l of legs)
    if (l.m.column >= 0)
      exposures[l.m.column] += Number(baseValue(l.base, valuationPrice(l.base, l.m.price, l.m.conf)));
  const par = parametricVarEs(
    exposures,
    book.model.covariance,
    book.model.horizonIntervals,
    book.levels.varLevel,
    book.levels.esLevel,
  );
  const pBelow = below / n;
  const alreadyBelow = now.equity < now.maintenance;
  return {
    account: a.address,
    equity: now.equity,
    maintenance: now.maintenance,
    var: v,
    es,
    parametricVar: par.var,
    parametricEs: par.es,
    pBelowMaintenance: alreadyBelow ? 1 : pBelow,
    pCrossMaintenance: alreadyBelow ? 1 : Math.min(1, 2 * pBelow),
    riskScore: now.equity > 0n ? v / e0 : v > 0 ? Infinity : 0,
  };
}

interface Leg {
  base: bigint;
  quoteEntry: bigint;
  m: MarketScenarios;
  baseF: number;
  quoteEntryF: number;
}

const BASE_TO_QUOTE_F = Number(BASE_TO_QUOTE);

/**
 * How far a float valuation can be from the exact one: each leg's floor and ceiling roundings
 * (a few units) and the relative error of a handful of float operations on the largest values
 * involved (1e-13 is ~500 ulps).
 */
const floatBound = (legs: number, magnitude: number) => 4 * legs + 2 + 1e-13 * magnitude;

export const isScored = (s: AccountScore | Unscored): s is AccountScore => "var" in s;
