// The dashboard's JSON view, built from what the orchestrator already holds: the feed's copy of the
// chain, the supervisor's evaluations and actors, the queues' last counts, the kill switch's cache
// and the program events seen. Money is sent as USD numbers (fields ending in `Usd`), prices as
// USD numbers, ratios as fractions (0.05 = 5%): the page only formats them.
import { accountHealthSummary } from "../../../../sdk/src/health/summary.js";
import { UnpricedError, priceAccount } from "../../../../sdk/src/health/price.js";
import type { AccountContext } from "../../actors/account-machine.js";
import { jobId, type StepKind } from "../../jobs/steps.js";
import type { Evaluation } from "../../risk/evaluate.js";
import type { AccountState, MarketState, PriceState } from "../../risk/types.js";
import { usd } from "./program-events.js";

export interface ActorLike {
  getSnapshot(): { value: unknown; context: AccountContext };
}

export interface ViewSources {
  accounts: ReadonlyMap<string, AccountState>;
  markets: ReadonlyMap<string, MarketState>;
  /** By oracle address. */
  prices: ReadonlyMap<string, PriceState>;
  currentSlot: number;
  lastEvaluation: ReadonlyMap<string, Evaluation>;
  actors: ReadonlyMap<string, ActorLike>;
  marketName(address: string): string;
}

const ratio = (v: bigint) => Number(v) / 1e6;
const BASE = 1e9;

/** "partialLiquidation.awaitingChain" from an XState state value. */
export function stepName(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const [k, v] = Object.entries(value)[0] ?? [];
    return k === undefined ? "" : `${k}.${stepName(v)}`;
  }
  return "";
}

/** The job an actor last asked for, named as the queue names it; null when it asked for none in this state. */
export function currentJob(step: string, c: AccountContext): string | null {
  if (c.requestedStep === null) return null;
  const kind: StepKind | null = step.startsWith("partialLiquidation")
    ? "liquidate"
    : step.startsWith("bankrupt")
      ? "resolve"
      : step.includes("unflagging")
        ? "unflag"
        : null;
  return kind && jobId({ kind, account: c.account, liquidationId: c.liquidationId, stepKey: c.requestedStep });
}

export function marketRows(s: ViewSources, nowS: number) {
  const oi = new Map<string, { long: bigint; short: bigint }>();
  for (const a of s.accounts.values()) {
    for (const p of a.positions) {
      const o = oi.get(p.market) ?? { long: 0n, short: 0n };
      if (p.base > 0n) o.long += p.base;
      else o.short -= p.base;
      oi.set(p.market, o);
    }
  }
  return [...s.markets.values()]
    .sort((a, b) => a.index - b.index)
    .map((m) => {
      const p = s.prices.get(m.oracle);
      const price = p ? usd(p.price) : null;
      const o = oi.get(m.address) ?? { long: 0n, short: 0n };
      return {
        address: m.address,
        name: s.marketName(m.address),
        price,
        confidence: p ? usd(p.conf) : null,
        confidenceRatio: p && p.price > 0n ? Number(p.conf) / Number(p.price) : null,
        oracleAgeS: p ? Math.max(0, nowS - p.publishTime) : null,
        oracleAgeSlots: p ? Math.max(0, s.currentSlot - p.slot) : null,
        volatilityAddon: ratio(m.addonRatio),
        maintenanceRatio: ratio(m.tiers[0]?.maintenanceRatio ?? 0n),
        openInterestLongBase: Number(o.long) / BASE,
        openInterestShortBase: Number(o.short) / BASE,
        openInterestUsd: price === null ? null : (Number(o.long + o.short) / BASE) * price,
        poolUsd: usd(m.poolBalance),
        insuranceUsd: usd(m.insuranceBalance),
        insurancePaidUsd: usd(m.totalInsurancePaid),
        badDebtUsd: usd(m.totalSocializedLoss),
        liquidations: Number(m.totalLiquidations),
        paused: m.paused,
        settled: m.settlementPrice > 0n,
      };
    });
}

/** Accounts below maintenance first, then by margin left: the ones a crash reaches next. */
function byUrgency(a: Evaluation, b: Evaluation): number {
  const m = (e: Evaluation) => (e.health ? e.health.equity - e.health.maintenance : 0n);
  const d = m(a) - m(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Every account the supervisor holds at a state other than healthy, the `limit` most urgent, with the SDK's health figures. */
export function atRiskRows(s: ViewSources, nowS: number, limit: number) {
  const candidates = [...s.lastEvaluation.values()].filter((e) => e.state !== "healthy");
  const readings = s.prices as ReadonlyMap<string, PriceState | null>;
  const rows = candidates
    .sort(byUrgency)
    .slice(0, limit)
    .map((e) => {
      const a = s.accounts.get(e.account);
      const actor = s.actors.get(e.account)?.getSnapshot();
      const step = actor ? stepName(actor.value) : "";
      let health: ReturnType<typeof accountHealthSummary> | null = null;
      if (a && a.positions.length > 0) {
        try {
          health = accountHealthSummary(a, priceAccount(a, s.markets, readings, nowS));
        } catch (err) {
          if (!(err instanceof UnpricedError)) throw err;
        }
      }
      const liq = health?.positions.find((p) => p.distanceToLiquidation === health?.distanceToLiquidation);
      return {
        account: e.account,
        owner: a?.owner ?? null,
        state: e.state ?? "waiting",
        waitReason: e.waitReason,
        chainStatus: e.chainStatus,
        equityUsd: health ? usd(health.equity) : e.health ? usd(e.health.equity) : null,
        maintenanceUsd: health ? usd(health.maintenance) : e.health ? usd(e.health.maintenance) : null,
        initialUsd: health ? usd(health.initial) : null,
        liquidationEndUsd: health ? usd(health.liquidationEnd) : null,
        shortfallUsd: usd(e.shortfall),
        distanceToLiquidation: health?.distanceToLiquidation == null ? null : ratio(health.distanceToLiquidation),
        liquidationPrice: liq?.liquidationPrice == null ? null : usd(liq.liquidationPrice),
        liquidationMarket: liq ? s.marketName(liq.market) : null,
        step,
        jobId: actor ? currentJob(step, actor.context) : null,
      };
    });
  return { total: candidates.length, rows };
}

export interface Histogram {
  market: string;
  name: string;
  price: number;
  /** Bin edges in USD, `bins + 1` of them, around the price. */
  edges: number[];
  /** Per bin: longs liquidate when the price falls into it, shorts when it rises into it. */
  longs: number[];
  shorts: number[];
  /** Notional at stake per bin, USD. */
  longNotionalUsd: number[];
  shortNotionalUsd: number[];
  /** Liquidation prices outside the range, each side. */
  below: number;
  above: number;
}

/**
 * Per market, where the liquidation prices of its positions sit within ±`span` of the current price.
 * Each position's price is the SDK's (the account's other positions fixed); the `maxAccounts` first
 * accounts with a position are covered, so a huge book costs a bounded time.
 */
export function histograms(s: ViewSources, nowS: number, opts = { bins: 40, span: 0.5, maxAccounts: 20_000 }) {
  const out = new Map<string, Histogram>();
  for (const m of s.markets.values()) {
    const p = s.prices.get(m.oracle);
    if (!p || p.price <= 0n) continue;
    const price = usd(p.price);
    const lo = price * (1 - opts.span);
    const step = (2 * opts.span * price) / opts.bins;
    const zeros = () => new Array<number>(opts.bins).fill(0);
    out.set(m.address, {
      market: m.address,
      name: s.marketName(m.address),
      price,
      edges: Array.from({ length: opts.bins + 1 }, (_, i) => lo + i * step),
      longs: zeros(),
      shorts: zeros(),
      longNotionalUsd: zeros(),
      shortNotionalUsd: zeros(),
      below: 0,
      above: 0,
    });
  }
  const readings = s.prices as ReadonlyMap<string, PriceState | null>;
  let covered = 0;
  for (const a of s.accounts.values()) {
    if (a.positions.length === 0) continue;
    if (covered++ >= opts.maxAccounts) break;
    let health: ReturnType<typeof accountHealthSummary>;
    try {
      health = accountHealthSummary(a, priceAccount(a, s.markets, readings, nowS));
    } catch {
      continue;
    }
    for (const pos of health.positions) {
      const h = out.get(pos.market);
      if (!h || pos.liquidationPrice === null) continue;
      const liq = usd(pos.liquidationPrice);
      const i = Math.floor((liq - h.edges[0]) / (h.edges[1] - h.edges[0]));
      if (i < 0) h.below++;
      else if (i >= opts.bins) h.above++;
      else if (pos.base > 0n) {
        h.longs[i]++;
        h.longNotionalUsd[i] += usd(pos.notional);
      } else {
        h.shorts[i]++;
        h.shortNotionalUsd[i] += usd(pos.notional);
      }
    }
  }
  return { accountsCovered: Math.min(covered, opts.maxAccounts), markets: [...out.values()] };
}
