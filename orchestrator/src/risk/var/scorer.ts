// Scores every account in the background: the book is walked in slices of a few milliseconds, each
// followed by a turn of the event loop (setImmediate), so price ticks and job events are never held
// up by more than one slice. A run's results replace the previous run's at its end, whole.
import type { AccountState, MarketState, PriceState } from "../types.js";
import type { RiskModel } from "./fhs.js";
import {
  DEFAULT_LEVELS,
  exchangeAccumulator,
  isScored,
  scenarioBook,
  scoreAccount,
  type AccountScore,
  type Levels,
} from "./score.js";
import { empiricalVarEs, type VarEs } from "./stats.js";

export interface ScorerSource {
  accounts: ReadonlyMap<string, AccountState>;
  markets: ReadonlyMap<string, MarketState>;
  /** By oracle address. */
  prices: ReadonlyMap<string, PriceState>;
}

export interface ExchangeRisk {
  scenarios: number;
  /** What collateral cannot pay (bad debt before any liquidation), quote native units. */
  shortfallNow: number;
  shortfall: VarEs;
  /** The pools' loss as counterparty: traders' gains less the losses their collateral pays. */
  poolLoss: VarEs;
}

export interface ScoreRun {
  accounts: number;
  scored: number;
  unscored: number;
  ms: number;
  accountsPerSecond: number;
  /** Longest stretch the run held the event loop, ms. */
  longestSliceMs: number;
  slices: number;
  exchange: ExchangeRisk;
  finishedAt: number;
}

export interface ScorerOptions {
  levels?: Levels;
  /** Yield to the event loop after this long, ms. */
  sliceMs?: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A run stopped by `abort()`: its partial results are dropped. */
export class ScoringAborted extends Error {}

export class RiskScorer {
  scores = new Map<string, AccountScore>();
  unscored = new Map<string, string>();
  lastRun: ScoreRun | null = null;
  private running: Promise<ScoreRun> | null = null;
  private aborted = false;
  private readonly levels: Levels;
  private readonly sliceMs: number;

  constructor(
    private readonly source: ScorerSource,
    opts: ScorerOptions = {},
  ) {
    this.levels = opts.levels ?? DEFAULT_LEVELS;
    this.sliceMs = opts.sliceMs ?? 10;
  }

  /** Scores the whole book with `model`; a call while a run is going returns that run. */
  scoreAll(model: RiskModel): Promise<ScoreRun> {
    this.running ??= this.run(model).finally(() => (this.running = null));
    return this.running;
  }

  /** Stops a run in progress at its next slice (it rejects with ScoringAborted) and every later one. */
  abort(): void {
    this.aborted = true;
  }

  /** The accounts with the highest VaR / equity, highest first. */
  top(n: number): AccountScore[] {
    return [...this.scores.values()].sort((a, b) => b.riskScore - a.riskScore || b.var - a.var).slice(0, n);
  }

  private async run(model: RiskModel): Promise<ScoreRun> {
    if (this.aborted) throw new ScoringAborted("scoring aborted");
    const started = performance.now();
    const book = scenarioBook(model, this.source.markets.values(), this.source.prices, this.levels);
    const acc = exchangeAccumulator(model.scenarios.length);
    const scores = new Map<string, AccountScore>();
    const unscored = new Map<string, string>();
    // A copy of the keys: accounts that arrive during the run are scored by the next one.
    const keys = [...this.source.accounts.keys()];
    let sliceStart = performance.now();
    let longest = 0;
    let slices = 1;
    for (const key of keys) {
      const a = this.source.accounts.get(key);
      if (a) {
        const s = scoreAccount(a, book, acc);
        if (isScored(s)) scores.set(key, s);
        else unscored.set(key, s.reason);
      }
      const held = performance.now() - sliceStart;
      if (held >= this.sliceMs) {
        longest = Math.max(longest, held);
        await nextTurn();
        if (this.aborted) throw new ScoringAborted("scoring aborted");
        sliceStart = performance.now();
        slices++;
      }
    }
    longest = Math.max(longest, performance.now() - sliceStart);
    const poolLoss = Float64Array.from(acc.traderPnl, (p, s) => p + (acc.shortfall[s] - acc.shortfallNow));
    const exchange: ExchangeRisk = {
      scenarios: model.scenarios.length,
      shortfallNow: acc.shortfallNow,
      // empiricalVarEs takes P&L: a shortfall is a loss.
      shortfall: empiricalVarEs(
        Float64Array.from(acc.shortfall, (x) => -x),
        this.levels.varLevel,
        this.levels.esLevel,
      ),
      poolLoss: empiricalVarEs(
        Float64Array.from(poolLoss, (x) => -x),
        this.levels.varLevel,
        this.levels.esLevel,
      ),
    };
    const ms = performance.now() - started;
    this.scores = scores;
    this.unscored = unscored;
    this.lastRun = {
      accounts: keys.length,
      scored: scores.size,
      unscored: unscored.size,
      ms,
      accountsPerSecond: keys.length / (ms / 1000),
      longestSliceMs: longest,
      slices,
      exchange,
      finishedAt: Date.now(),
    };
    return this.lastRun;
  }
}
