// Named stress scenarios on a book: an instant correlated shock, a shock led by one market with the
// others moving by their betas to it, a crash path over minutes and a slow grind (both with the
// keepers refreshing the markets' volatility at every step, as they do on chain), and a volatility
// spike (requirements and confidence intervals widen, prices stay).
import { RATIO_PRECISION, VARIANCE_PRECISION } from "../../math/constants.js";
import { max, min, mulDivFloor } from "../../math/checked.js";
import { ratioOf } from "../../math/margin.js";
import { confidenceRatio } from "../../math/oracle_price.js";
import { volatilityAddonRatio } from "../../math/volatility.js";
import type { RiskModel } from "../var/fhs.js";
import type { Reading, SimMarket } from "./controller.js";
import type { Scenario, ScenarioStep, SimBook } from "./simulate.js";

export interface ScenarioContext {
  book: SimBook;
  /** Betas for a led shock come from its covariance (β = 1 for markets it does not cover). */
  model?: RiskModel | null;
  /** The confidence an oracle publishes at `price` (default: today's confidence ratio, kept). */
  confOf?: (m: SimMarket, price: bigint, now: Reading) => bigint;
}

export const SCENARIOS = {
  "all-20": "every market −20% at once",
  "lead-30-beta": "the lead market (--lead, default the largest open interest) −30%, the others by their betas to it",
  "crash-35": "every market −35% in 7 one-minute steps, keepers refreshing volatility at each",
  "grind-25": "every market −25% in 24 hourly steps, keepers refreshing volatility at each",
  "vol-spike-3x":
    "volatility ×3: add-ons at the phased-in target of 9× the variance (the program's, or the model's if higher), confidence ×3 (within the liquidation limit)",
} as const;
export type ScenarioName = keyof typeof SCENARIOS;

const keepRatio = (_m: SimMarket, price: bigint, now: Reading) => ratioOf(price, confidenceRatio(now.price, now.conf));

/** Price × (1 + move) as the demo and the tests move an oracle: the factor to six decimals, rounded down. */
export const movePrice = (price: bigint, move: number) =>
  (price * BigInt(Math.round((1 + move) * 1_000_000))) / 1_000_000n;

export function movedReadings(ctx: ScenarioContext, from: Map<string, Reading>, moves: Map<string, number>) {
  const confOf = ctx.confOf ?? keepRatio;
  const out = new Map<string, Reading>();
  for (const [market, move] of moves) {
    const now = from.get(market);
    const m = ctx.book.markets.get(market);
    if (!now || !m) continue;
    const price = movePrice(now.price, move);
    out.set(market, { price, conf: confOf(m, price, now) });
  }
  return out;
}

const everyMarket = (ctx: ScenarioContext, move: number) => new Map([...ctx.book.markets.keys()].map((k) => [k, move]));

export function instantShock(
  ctx: ScenarioContext,
  moves: Map<string, number>,
  name: string,
  description: string,
): Scenario {
  return {
    name,
    description,
    steps: [{ readings: movedReadings(ctx, ctx.book.readings, moves), elapsedS: 0, refresh: false }],
  };
}

/** β of each market to `lead`: cov(i, lead) / var(lead) from the model, 1 where it has no data. */
export function betas(ctx: ScenarioContext, lead: string): Map<string, number> {
  const out = new Map<string, number>();
  const model = ctx.model;
  const j = model?.markets.indexOf(lead) ?? -1;
  for (const k of ctx.book.markets.keys()) {
    const i = model?.markets.indexOf(k) ?? -1;
    const v = j >= 0 ? model!.covariance[j][j] : 0;
    out.set(k, k === lead ? 1 : i >= 0 && j >= 0 && v > 0 ? model!.covariance[i][j] / v : 1);
  }
  return out;
}

/** The market with the largest open interest at today's price (the default lead). */
export function largestMarket(book: SimBook): string {
  let best = "";
  let bestValue = -1n;
  for (const m of book.markets.values()) {
    const p = book.readings.get(m.address)?.price ?? 0n;
    const v = (m.longOpenInterest + m.shortOpenInterest) * p;
    if (v > bestValue) [best, bestValue] = [m.address, v];
  }
  return best;
}

/** `steps` equal geometric steps to `total`, `stepS` apart, each followed by refreshes. */
export function pathShock(
  ctx: ScenarioContext,
  total: number,
  stepCount: number,
  stepS: number,
  name: string,
  description: string,
): Scenario {
  const per = (1 + total) ** (1 / stepCount) - 1;
  const steps: ScenarioStep[] = [];
  let readings = ctx.book.readings;
  for (let k = 0; k < stepCount; k++) {
    const next = movedReadings(ctx, readings, everyMarket(ctx, per));
    steps.push({ readings: next, elapsedS: stepS, refresh: true });
    readings = new Map([...readings, ...next]);
  }
  return { name, description, steps };
}

export function volSpike(ctx: ScenarioContext, factor: number, name: string, description: string): Scenario {
  const readings = new Map<string, Reading>();
  const addons = new Map<string, bigint>();
  const f = BigInt(Math.round(factor * 1_000));
  for (const m of ctx.book.markets.values()) {
    const r = ctx.book.readings.get(m.address);
    if (!r) continue;
    const limit = mulDivFloor(r.price, m.maxConfRatioLiquidate, RATIO_PRECISION);
    readings.set(m.address, { price: r.price, conf: min((r.conf * f) / 1_000n, limit) });
    if (!m.vol) continue;
    // The program's estimate (per second, in RATIO_PRECISION² units), or the model's volatility
    // today in the same units when that is higher (a market whose keepers rarely refresh).
    const i = ctx.model?.markets.indexOf(m.address) ?? -1;
    const modelVariance =
      i >= 0
        ? BigInt(Math.round((ctx.model!.sigmaNow[i] ** 2 / ctx.model!.intervalS) * Number(VARIANCE_PRECISION)))
        : 0n;
    const base = max(m.vol.variance, modelVariance);
    addons.set(m.address, volatilityAddonRatio((base * f * f) / 1_000_000n, m.vol.multiplier, m.vol.cap));
  }
  return { name, description, steps: [{ readings, elapsedS: 0, refresh: false, addons }] };
}

export interface NamedOptions {
  lead?: string;
}

export function namedScenario(name: ScenarioName, ctx: ScenarioContext, opts: NamedOptions = {}): Scenario {
  const d = SCENARIOS[name];
  switch (name) {
    case "all-20":
      return instantShock(ctx, everyMarket(ctx, -0.2), name, d);
    case "lead-30-beta": {
      const lead = opts.lead ?? largestMarket(ctx.book);
      if (!ctx.book.markets.has(lead)) throw new Error(`lead market ${lead} is not a market of the exchange`);
      const moves = new Map([...betas(ctx, lead)].map(([k, beta]) => [k, Math.max(-0.99, -0.3 * beta)]));
      return instantShock(ctx, moves, name, `${d}; lead ${lead}`);
    }
    case "crash-35":
      return pathShock(ctx, -0.35, 7, 60, name, d);
    case "grind-25":
      return pathShock(ctx, -0.25, 24, 3_600, name, d);
    case "vol-spike-3x":
      return volSpike(ctx, 3, name, d);
  }
}

export const isScenarioName = (s: string): s is ScenarioName => Object.hasOwn(SCENARIOS, s);
