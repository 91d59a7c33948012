// The dashboard's state beside the orchestrator: a sampler that records accounts by state and the
// insurance funds and bad debt once per `sampleMs` (bounded rings), the program events seen, and a
// view built at most once per `viewMs` however many pages poll or listen, so the page costs the
// tick path one bounded build per second at most. Histograms price every position's liquidation
// point, so they are rebuilt only when a price moved or every few seconds.
import { ProgramEvents } from "./program-events.js";
import { Ring } from "./ring.js";
import { atRiskRows, histograms, marketRows, type ViewSources } from "./view.js";

export interface DashboardOptions {
  sources: () => ViewSources | null;
  countsByState: () => Record<string, number>;
  /** The queues' last counts per queue and job state. */
  queues: () => Record<string, Record<string, number>> | null;
  /** The kill switch's cached pauses: "*" for all markets, or market addresses. */
  paused: () => string[];
  instance: { id: string; dryRun: boolean; exchange: string };
  sampleMs?: number;
  historySamples?: number;
  viewMs?: number;
  histogramMs?: number;
  atRiskLimit?: number;
}

interface Sample {
  t: number;
  counts: Record<string, number>;
  insuranceUsd: number;
  badDebtUsd: number;
}

export type DashboardView = ReturnType<Dashboard["build"]>;

export class Dashboard {
  readonly events = new ProgramEvents();
  private readonly history: Ring<Sample>;
  private readonly names = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private cached: { at: number; view: DashboardView } | undefined;
  private hist: { at: number; prices: string; value: ReturnType<typeof histograms> } | undefined;

  constructor(private readonly opts: DashboardOptions) {
    this.history = new Ring(opts.historySamples ?? 900);
  }

  /** Human names for markets (the chain has only addresses and indexes). */
  setMarketNames(names: Record<string, string>): void {
    for (const [address, name] of Object.entries(names)) this.names.set(address, name);
  }

  marketName = (address: string): string => {
    const known = this.names.get(address);
    if (known) return known;
    const m = this.opts.sources()?.markets.get(address);
    return m ? `market ${m.index}` : `${address.slice(0, 6)}…`;
  };

  start(): void {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), this.opts.sampleMs ?? 1_000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const s = this.opts.sources();
    if (!s) return;
    let insurance = 0n;
    let badDebt = 0n;
    for (const m of s.markets.values()) {
      insurance += m.insuranceBalance;
      badDebt += m.totalSocializedLoss;
    }
    this.history.push({
      t: Date.now(),
      counts: this.opts.countsByState(),
      insuranceUsd: Number(insurance) / 1e6,
      badDebtUsd: Number(badDebt) / 1e6,
    });
  }

  /** The view, at most `viewMs` old. */
  view(now = Date.now()): DashboardView | null {
    if (this.cached && now - this.cached.at < (this.opts.viewMs ?? 1_000)) return this.cached.view;
    const s = this.opts.sources();
    if (!s) return null;
    const view = this.build({ ...s, marketName: this.marketName }, now);
    this.cached = { at: now, view };
    return view;
  }

  build(s: ViewSources, now: number) {
    const nowS = Math.floor(now / 1000);
    // Rebuilt when a price moved (the page marks the current price on it), else every histogramMs.
    const prices = [...s.prices.values()].map((p) => p.price).join(",");
    if (!this.hist || this.hist.prices !== prices || now - this.hist.at >= (this.opts.histogramMs ?? 5_000))
      this.hist = { at: now, prices, value: histograms(s, nowS) };
    const paused = this.opts.paused();
    return {
      generatedAtMs: now,
      instance: this.opts.instance,
      slot: s.currentSlot,
      accounts: s.accounts.size,
      countsByState: this.opts.countsByState(),
      killSwitch: { all: paused.includes("*"), markets: paused.filter((m) => m !== "*").map(this.marketName) },
      queues: this.opts.queues(),
      markets: marketRows(s, nowS),
      atRisk: atRiskRows(s, nowS, this.opts.atRiskLimit ?? 200),
      histograms: this.hist.value,
      history: this.history.toArray(),
      liquidations: this.events.liquidations
        .toArray()
        .slice(-50)
        .reverse()
        .map((r) => ({ ...r, market: this.marketName(r.market) })),
      bankruptcies: this.events.bankruptcies
        .toArray()
        .slice(-50)
        .reverse()
        .map((r) => ({ ...r, market: this.marketName(r.market) })),
    };
  }
}
