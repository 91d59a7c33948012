// The orchestrator's risk analytics, off the tick path: records each market's accepted prices,
// and every riskScoreIntervalMs builds the model from the history, re-scores every account in
// slices (var/scorer.ts), runs the instant stress scenarios on the live book, sets the gauges and
// publishes the scores to Redis for the CLI (`accounts --at-risk`, `risk report --live`).
import type { Connection, PublicKey } from "@solana/web3.js";
import type { Redis } from "ioredis";
import type { Logger } from "../ops/log.js";
import type { Metrics } from "../ops/metrics.js";
import { insuranceCoverage, summarizeStress, type StressSummary } from "./report.js";
import { bookFromFeed, type FeedView } from "./stress/load.js";
import { namedScenario, type ScenarioName } from "./stress/scenarios.js";
import { runScenarioInSlices } from "./stress/simulate.js";
import type { RiskModel } from "./var/fhs.js";
import {
  configuredHistory,
  modelFrom,
  modelSettings,
  PriceHistoryRecorder,
  type HistoryConfig,
} from "./var/history.js";
import type { AccountScore, Levels } from "./var/score.js";
import { RiskScorer, ScoringAborted, type ScoreRun } from "./var/scorer.js";

export interface RiskConfig extends HistoryConfig {
  riskRecordIntervalS: number;
  riskHistoryMaxSamples: number;
  riskVarLevelPpm: number;
  riskEsLevelPpm: number;
  riskScoreIntervalMs: number;
}

/** Scenarios cheap enough for every scoring run (one pass over the book each); the paths run from the CLI. */
export const BACKGROUND_SCENARIOS: ScenarioName[] = ["all-20", "lead-30-beta", "vol-spike-3x"];
const TOP_ACCOUNTS = 10;

export const scoresKey = (prefix: string) => `${prefix}:risk:scores`;
export const summaryKey = (prefix: string) => `${prefix}:risk:summary`;

/** What the CLI shows of an account's score. */
export interface PublishedScore {
  var: number;
  es: number;
  pCross: number;
  score: number | null;
}

export const levelsOf = (c: RiskConfig): Levels => ({
  varLevel: c.riskVarLevelPpm / 1e6,
  esLevel: c.riskEsLevelPpm / 1e6,
});

export class RiskService {
  readonly recorder: PriceHistoryRecorder;
  readonly scorer: RiskScorer;
  model: RiskModel | null = null;
  lastRun: ScoreRun | null = null;
  stress: StressSummary[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private lastReason = "";
  private stopped = false;

  constructor(
    private readonly c: RiskConfig,
    private readonly deps: {
      redis: Redis;
      prefix: string;
      feed: FeedView;
      connection: Connection;
      exchange: PublicKey;
      metrics: Metrics;
      log: Logger;
    },
  ) {
    this.recorder = new PriceHistoryRecorder(deps.redis, deps.prefix, {
      intervalS: c.riskRecordIntervalS,
      maxSamples: c.riskHistoryMaxSamples,
      onError: (e) => deps.log.warn("price history write failed", { error: e.message }),
    });
    this.scorer = new RiskScorer(deps.feed, { levels: levelsOf(c) });
  }

  start(): void {
    if (this.c.riskScoreIntervalMs === 0) return;
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((e: Error) => {
          if (!(e instanceof ScoringAborted)) this.deps.log.warn("risk scoring failed", { error: e.message });
        })
        .finally(() => {
          this.running = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.c.riskScoreIntervalMs);
        });
    };
    this.timer = setTimeout(tick, Math.min(this.c.riskScoreIntervalMs, 5_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.scorer.abort();
    await this.running;
  }

  /** One scoring run: model, scores, stress, gauges, published scores. */
  async runOnce(): Promise<void> {
    const { feed, redis, prefix, metrics, log } = this.deps;
    const markets = [...feed.markets.keys()];
    const result = modelFrom(await configuredHistory(this.c, redis, prefix, markets), modelSettings(this.c));
    if (!result.model) {
      if (result.reason !== this.lastReason) log.info("risk model not available yet", { reason: result.reason });
      this.lastReason = result.reason;
      return;
    }
    this.lastReason = "";
    this.model = result.model;
    const run = await this.scorer.scoreAll(result.model);
    this.lastRun = run;
    const book = await bookFromFeed(this.deps.connection, this.deps.exchange, feed);
    const stress: StressSummary[] = [];
    for (const name of BACKGROUND_SCENARIOS) {
      if (this.stopped) return;
      const { report } = await runScenarioInSlices(book, namedScenario(name, { book, model: result.model }));
      stress.push(summarizeStress(report));
    }
    this.stress = stress;

    metrics.riskAccountsScored.set(run.scored);
    for (const [measure, v] of [
      ["shortfall", run.exchange.shortfall],
      ["pool_loss", run.exchange.poolLoss],
    ] as const) {
      metrics.riskExchangeVar.set({ measure }, v.var);
      metrics.riskExchangeEs.set({ measure }, v.es);
    }
    metrics.riskTopVarToEquity.reset();
    for (const s of this.scorer.top(TOP_ACCOUNTS)) metrics.riskTopVarToEquity.set({ account: s.account }, s.riskScore);
    for (const s of stress)
      metrics.riskInsuranceCoverage.set({ scenario: s.scenario }, insuranceCoverage(s.insuranceBefore, s.badDebt));
    await this.publish(this.scorer.scores.values(), run, stress);
    log.info("risk scored", {
      accounts: run.accounts,
      scored: run.scored,
      unscored: run.unscored,
      ms: Math.round(run.ms),
      exchangeShortfallVar: run.exchange.shortfall.var,
      poolLossVar: run.exchange.poolLoss.var,
    });
  }

  /** Replaces the published scores whole (written under a temporary key, then renamed). */
  private async publish(scores: Iterable<AccountScore>, run: ScoreRun, stress: StressSummary[]): Promise<void> {
    const { redis, prefix } = this.deps;
    const tmp = `${scoresKey(prefix)}:next`;
    await redis.del(tmp);
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length > 0) await redis.hset(tmp, ...batch);
      batch = [];
    };
    for (const s of scores) {
      const p: PublishedScore = {
        var: s.var,
        es: s.es,
        pCross: s.pCrossMaintenance,
        score: Number.isFinite(s.riskScore) ? s.riskScore : null,
      };
      batch.push(s.account, JSON.stringify(p));
      if (batch.length >= 2_000) await flush();
    }
    await flush();
    if ((await redis.exists(tmp)) === 1) await redis.rename(tmp, scoresKey(prefix));
    else await redis.del(scoresKey(prefix));
    const summary = { at: Date.now(), run, stress, top: this.scorer.top(TOP_ACCOUNTS) };
    await redis.set(
      summaryKey(prefix),
      JSON.stringify(summary, (_k, v) =>
        typeof v === "bigint" ? v.toString() : v === Number.POSITIVE_INFINITY ? "Infinity" : v,
      ),
    );
  }
}
