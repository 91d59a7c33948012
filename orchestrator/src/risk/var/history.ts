// The return history the risk model is built from: each market's accepted oracle prices, recorded
// in Redis (a list per market, at most one sample per interval, the newest `maxSamples` kept), or a
// CSV file for backtests and the demo.
import type { Redis } from "ioredis";
import { check } from "../oracle_guard.js";
import type { MarketState, PriceState } from "../types.js";
import { buildRiskModel, type RiskModel } from "./fhs.js";
import { intervalReturns, loadHistoryCsv, type PriceSeries } from "./returns.js";

export const historyKey = (prefix: string, market: string) => `${prefix}:risk:prices:${market}`;

export interface RecorderOptions {
  intervalS: number;
  maxSamples: number;
  onError?(e: Error): void;
}

/** Records accepted prices; `observe` never waits on Redis (the tick path calls it). */
export class PriceHistoryRecorder {
  private readonly last = new Map<string, number>();
  recorded = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: RecorderOptions,
  ) {}

  /** A reading of `m`'s oracle: kept when the program would accept it and its interval has no sample yet. */
  observe(m: MarketState, r: PriceState): void {
    if (r.price <= 0n) return;
    if (check(r, r.publishTime, { maxAgeS: m.maxOracleAgeLiquidateS, maxConfRatio: m.maxConfRatioLiquidate })) return;
    const bucket = Math.floor(r.publishTime / this.opts.intervalS);
    if ((this.last.get(m.address) ?? -1) >= bucket) return;
    this.last.set(m.address, bucket);
    const key = historyKey(this.prefix, m.address);
    this.recorded++;
    this.redis
      .multi()
      .rpush(key, `${r.publishTime},${r.price}`)
      .ltrim(key, -this.opts.maxSamples, -1)
      .exec()
      .catch((e: Error) => this.opts.onError?.(e));
  }
}

/** The recorded history of `markets` (prices in the program's precision, as numbers). */
export async function loadRecordedHistory(redis: Redis, prefix: string, markets: string[]): Promise<PriceSeries[]> {
  const rows = await Promise.all(markets.map((m) => redis.lrange(historyKey(prefix, m), 0, -1)));
  return markets.map((market, i) => {
    const s: PriceSeries = { market, times: [], prices: [] };
    for (const row of rows[i]) {
      const [t, p] = row.split(",").map(Number);
      // A restart can record the same interval twice: keep the later sample only.
      if (s.times.length > 0 && t <= s.times.at(-1)!) continue;
      s.times.push(t);
      s.prices.push(p);
    }
    return s;
  });
}

export interface ModelSettings {
  returnIntervalS: number;
  horizonS: number;
  lambda: number;
  minReturns: number;
}

export type ModelResult = { model: RiskModel; returns: number } | { model: null; reason: string };

/** The risk model of the markets with history; markets without any are left out (their accounts go unscored). */
export function modelFrom(series: PriceSeries[], s: ModelSettings): ModelResult {
  const usable = series.filter((x) => x.times.length >= 2);
  if (usable.length === 0) return { model: null, reason: "no market has two recorded prices yet" };
  let returns: ReturnType<typeof intervalReturns>;
  try {
    returns = intervalReturns(usable, s.returnIntervalS);
  } catch (e) {
    return { model: null, reason: (e as Error).message };
  }
  if (returns.rows.length < s.minReturns)
    return {
      model: null,
      reason: `${returns.rows.length} returns of ${s.returnIntervalS} s in the history, ${s.minReturns} needed`,
    };
  const model = buildRiskModel(returns, { lambda: s.lambda, horizonIntervals: s.horizonS / s.returnIntervalS });
  return { model, returns: returns.rows.length };
}

export interface HistoryConfig {
  riskReturnIntervalS: number;
  riskHorizonS: number;
  riskEwmaLambdaPpm: number;
  riskMinReturns: number;
  riskHistoryCsv?: string;
}

export const modelSettings = (c: HistoryConfig): ModelSettings => ({
  returnIntervalS: c.riskReturnIntervalS,
  horizonS: c.riskHorizonS,
  lambda: c.riskEwmaLambdaPpm / 1e6,
  minReturns: c.riskMinReturns,
});

/** The configured history: the CSV file when one is set, else what Redis recorded. */
export async function configuredHistory(
  c: HistoryConfig,
  redis: Redis | null,
  prefix: string,
  markets: string[],
): Promise<PriceSeries[]> {
  if (c.riskHistoryCsv) return loadHistoryCsv(c.riskHistoryCsv);
  if (!redis) throw new Error("no riskHistoryCsv and no Redis to read the recorded history from");
  return loadRecordedHistory(redis, prefix, markets);
}
