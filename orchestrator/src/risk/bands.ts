// Price bands for the trigger index (DESIGN.md, "Trigger index"). The account's free margin above its
// margin-call level is split across its positions in proportion to their maintenance requirement;
// a position's band is the price range in which that position alone cannot use up its share. While
// every price stays inside its band the shares cover every loss, so the account stays at or above its
// call level whatever its other markets do.
//
// Soundness rests on three conservative choices: positions are valued at the widest confidence the
// program accepts for liquidation (a reading it would refuse decides nothing anyway); the call level
// is taken per position, and a sum of ceilings is at least the ceiling of the sum; and rounding is
// bounded explicitly (see `slack`), so an edge checked with the exact math at a few points holds for
// every integer price between it and the current price.
//
// Bands depend on the market's risk parameters as stored (tiers, volatility add-on, confidence limit):
// when they change, recompute the bands of every account with a position there
// (`TriggerIndex.accountsOn`). Bands must be recomputed when the account itself changes.
import { MathError, divCeil, mulDivCeil } from "../math/checked.js";
import { BASE_TO_QUOTE, RATIO_PRECISION } from "../math/constants.js";
import { positionRequirement, ratioOf, type Tier } from "../math/margin.js";
import { valuationPrice } from "../math/oracle_price.js";
import { baseValue, notional } from "../math/position.js";
import { ChainStatus, type AccountState, type MarketState, type PriceState } from "./types.js";

/** Inclusive price range [lo, hi] (price precision 1e6) of one market. */
export interface Band {
  market: string;
  lo: bigint;
  hi: bigint;
}

/** `lo` of a band open downwards: the program refuses prices at or below 0. */
export const NO_LOWER = 0n;
/** `hi` of a band open upwards. */
export const NO_UPPER = (1n << 63n) - 1n;

export const inBand = (b: Band, price: bigint) => price >= b.lo && price <= b.hi;

/** How often the floating-point edge failed its exact check and a bisection took over. */
export const bandSolverStats = { edges: 0, fallbacks: 0 };

interface Leg {
  market: string;
  base: bigint;
  absBase: bigint;
  quoteEntry: bigint;
  price: bigint;
  tiers: Tier[];
  addon: bigint;
  confRatio: bigint;
  callBand: bigint;
  /** Contribution at the current price and the maintenance requirement there. */
  c0: bigint;
  req: bigint;
}

/** The position's part of (equity − call level), valued at the widest accepted confidence. */
function contribution(l: Leg, p: bigint): bigint {
  const req = positionRequirement(notional(l.base, p), l.tiers, "maintenance", l.addon);
  const val = valuationPrice(l.base, p, mulDivCeil(p, l.confRatio, RATIO_PRECISION));
  return baseValue(l.base, val) + l.quoteEntry - req - ratioOf(req, l.callBand);
}

function contributionOrNull(l: Leg, p: bigint): bigint | null {
  try {
    return contribution(l, p);
  } catch (e) {
    if (e instanceof MathError) return null;
    throw e;
  }
}

// With γ the contribution in exact real arithmetic (continuous, linear between tier boundaries),
// γ − J < c ≤ γ: valuation floors lose under |base| + 1, and the requirement's ceilings (notional,
// tier, add-on, call band) add under ((m_max + addon)/1e6 + 2)(1 + band/1e6) + 1.
function slack(l: Leg): bigint {
  let mMax = 0n;
  for (const t of l.tiers) if (t.maintenanceRatio > mMax) mMax = t.maintenanceRatio;
  const req = divCeil(
    (mMax + l.addon + 2n * RATIO_PRECISION) * (RATIO_PRECISION + l.callBand),
    RATIO_PRECISION * RATIO_PRECISION,
  );
  return divCeil(l.absBase, BASE_TO_QUOTE) + 2n + req + 1n;
}

/** Sign of dγ/dp in tier k: shorts always lose as the price rises; a long can too when requirement ratios are high. */
function slopeSign(l: Leg, k: number): number {
  if (l.base < 0n) return -1;
  const t = l.tiers[k];
  const s =
    (RATIO_PRECISION - l.confRatio) * RATIO_PRECISION - (t.maintenanceRatio + l.addon) * (RATIO_PRECISION + l.callBand);
  return s > 0n ? 1 : s < 0n ? -1 : 0;
}

/** Tier of the real notional just beyond price p in direction d. */
function tierNear(l: Leg, p: bigint, d: number): number {
  const scaled = l.absBase * p;
  const last = l.tiers.length - 1;
  for (let k = 0; k < last; k++) {
    const edge = l.tiers[k].notionalUpper * BASE_TO_QUOTE;
    if (d > 0 ? scaled < edge : scaled <= edge) return k;
  }
  return last;
}

/**
 * Whether every integer price between the current one and `e` (inclusive; `e` null: to +∞) keeps the
 * contribution at or above `target`, given c0 ≥ target + J. Between tier boundaries γ is linear, so
 * its minimum over a stretch sits at an end; checking c ≥ target + J at those ends (and at the
 * integers around each boundary) bounds c above target everywhere in between.
 */
function holds(l: Leg, d: number, e: bigint | null, target: bigint, J: bigint): boolean {
  const need = target + J;
  const kFrom = tierNear(l, l.price, d);
  const kTo = e === null ? (d > 0 ? l.tiers.length - 1 : 0) : tierNear(l, e, -d);
  const [k0, k1] = kFrom <= kTo ? [kFrom, kTo] : [kTo, kFrom];
  let rises = true;
  let falls = true;
  for (let k = k0; k <= k1; k++) {
    const s = d * slopeSign(l, k);
    if (s < 0) rises = false;
    if (s > 0) falls = false;
  }
  if (rises) return true;
  if (e === null) {
    if (d * slopeSign(l, d > 0 ? l.tiers.length - 1 : 0) < 0) return false;
  } else if (falls) {
    const c = contributionOrNull(l, e);
    return c !== null && c >= need;
  }
  const points: bigint[] = e === null ? [] : [e];
  for (let k = k0; k < k1; k++) {
    const num = l.tiers[k].notionalUpper * BASE_TO_QUOTE;
    const f = num / l.absBase;
    points.push(f, num % l.absBase === 0n ? f : f + 1n);
  }
  const lo = d > 0 ? l.price : (e ?? 0n);
  const hi = d > 0 ? e : l.price;
  for (const x of points) {
    if (x < lo || (hi !== null && x > hi)) continue;
    const c = contributionOrNull(l, x);
    if (c === null || c < need) return false;
  }
  return true;
}

/** γ in floating point, for a first guess of the edge. */
function gamma(l: Leg, p: number): number {
  const B = Number(l.base) / 1e9;
  const absB = Math.abs(B);
  const n = absB * p;
  const tiers = l.tiers;
  let k = 0;
  let ded = 0;
  while (k + 1 < tiers.length && n >= Number(tiers[k].notionalUpper)) {
    ded += Number(tiers[k].notionalUpper) * Number(tiers[k + 1].maintenanceRatio - tiers[k].maintenanceRatio);
    k++;
  }
  const req = (n * Number(tiers[k].maintenanceRatio) - ded) / 1e6 + (n * Number(l.addon)) / 1e6;
  const conf = l.base > 0n ? -Number(l.confRatio) : Number(l.confRatio);
  return (B * p * (1e6 + conf)) / 1e6 + Number(l.quoteEntry) - req * (1 + Number(l.callBand) / 1e6);
}

/** Real price where γ first falls to `goal` going from the current price in direction d; null if never. */
function guessEdge(l: Leg, d: number, goal: number): number | null {
  const absB = Math.abs(Number(l.base) / 1e9);
  const last = l.tiers.length - 1;
  let k = tierNear(l, l.price, d);
  let x = Number(l.price);
  let gx = gamma(l, x);
  if (gx < goal) return x;
  for (;;) {
    const end =
      d > 0
        ? k < last
          ? Number(l.tiers[k].notionalUpper) / absB
          : Infinity
        : k > 0
          ? Number(l.tiers[k - 1].notionalUpper) / absB
          : 0;
    const probe = Number.isFinite(end) ? end : x * 2 + 1;
    const drop = (gx - gamma(l, probe)) / Math.abs(probe - x);
    if (drop > 0) {
      const t = (gx - goal) / drop;
      if (d > 0 ? x + t <= end : x - t >= end) return x + d * t;
    }
    if (!Number.isFinite(end) || end <= 0) return null;
    x = end;
    gx = gamma(l, x);
    if (gx < goal) return x;
    k += d;
  }
}

function bisect(l: Leg, d: number, good: bigint, bad: bigint, target: bigint, J: bigint): bigint {
  bandSolverStats.fallbacks++;
  while (bad - good > 1n || good - bad > 1n) {
    const mid = (good + bad) / 2n;
    if (holds(l, d, mid, target, J)) good = mid;
    else bad = mid;
  }
  return good;
}

/** The band's edge in direction d: NO_LOWER/NO_UPPER when the position can never use up its share there. */
function edge(l: Leg, d: number, target: bigint, J: bigint): bigint {
  bandSolverStats.edges++;
  const far = d > 0 ? NO_UPPER : 1n;
  const open = d > 0 ? NO_UPPER : NO_LOWER;
  if (d < 0 && l.price <= 1n) return open;
  const scale =
    Math.abs(Number(l.quoteEntry)) + Math.abs(Number(l.c0)) + (Math.abs(Number(l.base)) / 1e9) * Number(l.price) * 4;
  const guess = guessEdge(l, d, Number(target + 2n * J) + 1 + scale * 1e-12);
  if (guess === null || (d < 0 && guess < 1) || (d > 0 && guess >= Number(NO_UPPER))) {
    if (holds(l, d, d > 0 ? null : 1n, target, J)) return open;
    return bisect(l, d, l.price, far, target, J);
  }
  const e = BigInt(d > 0 ? Math.floor(guess) : Math.ceil(guess));
  if (d * Number(e - l.price) <= 0) return l.price;
  if (holds(l, d, e, target, J)) return e;
  return bisect(l, d, l.price, e, target, J);
}

/**
 * Per-market bands of a healthy account, or null when it is at or below its margin-call level (or too
 * close to tell, valued conservatively), not healthy on chain, or not priceable: then the caller keeps
 * evaluating it on every tick. An account without price exposure gets no bands.
 *
 * `confRatioPpm` overrides each market's `maxConfRatioLiquidate`; it must be at least the confidence
 * ratio of any reading the account will be evaluated with.
 */
export function bandsFor(
  account: AccountState,
  markets: ReadonlyMap<string, MarketState>,
  prices: ReadonlyMap<string, PriceState>,
  marginCallBandPpm: bigint,
  confRatioPpm?: bigint,
): Band[] | null {
  if (account.status !== ChainStatus.Healthy) return null;
  try {
    return bandsOf(account, markets, prices, marginCallBandPpm, confRatioPpm);
  } catch (e) {
    // Positions beyond the program's i128 range: the program cannot value them either.
    if (e instanceof MathError) return null;
    throw e;
  }
}

function bandsOf(
  account: AccountState,
  markets: ReadonlyMap<string, MarketState>,
  prices: ReadonlyMap<string, PriceState>,
  marginCallBandPpm: bigint,
  confRatioPpm: bigint | undefined,
): Band[] | null {
  const legs: Leg[] = [];
  let free = account.collateral;
  let totalReq = 0n;
  for (const p of account.positions) {
    const m = markets.get(p.market);
    const r = m && prices.get(m.oracle);
    if (!m || !r || r.price <= 0n) return null;
    if (p.base === 0n) {
      free += p.quoteEntry;
      continue;
    }
    const confRatio = confRatioPpm ?? m.maxConfRatioLiquidate;
    if (confRatio < 0n || confRatio >= RATIO_PRECISION) return null;
    const leg: Leg = {
      market: p.market,
      base: p.base,
      absBase: p.base < 0n ? -p.base : p.base,
      quoteEntry: p.quoteEntry,
      price: r.price,
      tiers: m.tiers,
      addon: m.addonRatio,
      confRatio,
      callBand: marginCallBandPpm,
      c0: 0n,
      req: positionRequirement(notional(p.base, r.price), m.tiers, "maintenance", m.addonRatio),
    };
    leg.c0 = contribution(leg, r.price);
    free += leg.c0;
    totalReq += leg.req;
    legs.push(leg);
  }
  if (legs.length === 0) return free >= 0n ? [] : null;
  if (free <= 0n) return null;

  const byMarket = new Map<string, Band>();
  for (const l of legs) {
    const share = totalReq > 0n ? (free * l.req) / totalReq : free / BigInt(legs.length);
    const J = slack(l);
    const target = l.c0 - share;
    const band: Band =
      share < J
        ? { market: l.market, lo: l.price, hi: l.price }
        : { market: l.market, lo: edge(l, -1, target, J), hi: edge(l, 1, target, J) };
    const seen = byMarket.get(l.market);
    if (seen) {
      if (band.lo > seen.lo) seen.lo = band.lo;
      if (band.hi < seen.hi) seen.hi = band.hi;
    } else byMarket.set(l.market, band);
  }
  return [...byMarket.values()];
}
