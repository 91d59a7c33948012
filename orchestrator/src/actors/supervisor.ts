// Keeps one actor per account that is not plainly healthy and routes evaluations to it. Healthy
// accounts live only in the trigger index, the others in the float screen (risk/tick-path.ts): a
// price tick evaluates exactly just the accounts whose band it left and whose state the screen
// cannot vouch for; the bands of crossed accounts that stayed plainly healthy are redrawn between
// ticks. The actors' effects are provided here; snapshots go to Redis after every transition so a
// restarted orchestrator resumes where it stopped.
import { createActor, type Actor, type AnyActorRef, type Snapshot } from "xstate";
import { claimDue, evaluate, settlementDue, type Evaluation, type Freshness } from "../risk/evaluate.js";
import { TickPath } from "../risk/tick-path.js";
import type { TriggerIndex } from "../risk/trigger-index.js";
import type { AccountState, MarketState, PriceState, RiskState } from "../risk/types.js";
import { accountMachine, type AccountContext, type Observation } from "./account-machine.js";

export interface Effects {
  enqueue(
    kind: "liquidate" | "resolve" | "unflag",
    ctx: AccountContext,
    evaluation: Evaluation | undefined,
    detectedAtMs: number,
  ): void;
  notifyMarginCall(ctx: AccountContext, evaluation: Evaluation | undefined): void;
  /** `afterSlot`: a step landed in that slot; nothing to read if the feed already has the account at or after it. */
  reread(account: string, afterSlot?: number): void;
  recordWait(account: string, reason: string): void;
  /** The account covered its recorded shortfalls: settle them to their pools (one resolve job per on-chain state). */
  settle(account: AccountState, evaluation: Evaluation): void;
  /** The account holds a claim on `market`'s pool and the pool has money: pay it (one claim job per state). */
  claim(account: AccountState, evaluation: Evaluation, market: string): void;
  persist(account: string, snapshot: unknown | null): void;
  transition(account: string, from: RiskState | null, to: RiskState): void;
}

export interface World {
  accounts: ReadonlyMap<string, AccountState>;
  markets: ReadonlyMap<string, MarketState>;
  prices: ReadonlyMap<string, PriceState>;
  freshness(): Freshness;
}

type AccountActor = Actor<typeof accountMachine>;

export const observation = (e: Evaluation, a: AccountState): Observation => ({
  state: e.state,
  waitReason: e.waitReason,
  chainStatus: e.chainStatus,
  liquidationId: a.liquidationId.toString(),
  stepKey: e.stepKey,
  shortfall: e.shortfall.toString(),
  liquidationMarket: e.liquidationMarket,
  unflagDue: e.unflagDue,
});

/** The machine already holds exactly this observation: sending it again changes nothing (no guard, target or context differs). */
function holds(actor: AccountActor, o: Observation): boolean {
  const c = actor.getSnapshot().context;
  return (
    o.state !== null &&
    c.state === o.state &&
    c.stepKey === o.stepKey &&
    c.shortfall === o.shortfall &&
    c.chainStatus === o.chainStatus &&
    c.liquidationId === o.liquidationId &&
    c.liquidationMarket === o.liquidationMarket &&
    c.unflagDue === o.unflagDue &&
    c.waitReason === o.waitReason
  );
}

const riskKey = (m: MarketState) =>
  `${m.addonRatio}|${m.bufferRatio}|${m.maxConfRatioLiquidate}|${m.settlementPrice}|${m.tiers.map((t) => `${t.notionalUpper}/${t.initialRatio}/${t.maintenanceRatio}`).join(",")}`;

/** Redrawing bands between ticks yields to the event loop after this long. */
const REDRAW_SLICE_MS = 5;

export class Supervisor {
  readonly actors = new Map<string, AccountActor>();
  readonly lastEvaluation = new Map<string, Evaluation>();
  readonly path: TickPath;
  private redrawScheduled = false;
  /** Inside a price tick: bands are drawn after it (TickPath.place). */
  private ticking = false;
  /** The evaluation `observe` just made, for the request its actor builds in the same call. */
  private justEvaluated: { account: AccountState; evaluation: Evaluation } | null = null;
  private readonly episodeStart = new Map<string, number>();
  private readonly marketRisk = new Map<string, string>();
  /** The account state a settlement was last asked for, per account. */
  private readonly settleRequested = new Map<string, string>();
  /** The account, market and pool state a claim was last asked for, per account. */
  private readonly claimRequested = new Map<string, string>();
  /** Accounts holding a claim, by market index: a pool that receives money pays them. */
  private readonly claimants = new Map<number, Set<string>>();
  private readonly poolBalance = new Map<string, bigint>();
  private stopped = false;

  constructor(
    private readonly world: World,
    private readonly effects: Effects,
    private readonly opts: {
      marginCallBandPpm: bigint;
      confirmTimeoutMs: number;
      clock?: unknown;
      /** An observation that threw (the account is evaluated again on its markets' next tick); without it the error is raised. */
      onError?: (error: unknown, account: string) => void;
    },
  ) {
    this.path = new TickPath(opts.marginCallBandPpm);
  }

  get index(): TriggerIndex {
    return this.path.index;
  }

  /** The machine with this supervisor's effects, built once: providing it per actor costs more than the actor. */
  private provided: ReturnType<typeof accountMachine.provide> | undefined;

  private machine() {
    return (this.provided ??= accountMachine.provide({
      actions: {
        enqueueLiquidation: ({ context }) => {
          const now = this.current(context);
          this.effects.enqueue("liquidate", now.context, now.evaluation, this.detected(context.account));
        },
        enqueueResolution: ({ context }) => {
          const now = this.current(context);
          this.effects.enqueue("resolve", now.context, now.evaluation, this.detected(context.account));
        },
        enqueueUnflag: ({ context }) => {
          const now = this.current(context);
          this.effects.enqueue("unflag", now.context, now.evaluation, this.detected(context.account));
        },
        notifyMarginCall: ({ context }) =>
          this.effects.notifyMarginCall(context, this.lastEvaluation.get(context.account)),
        rereadAccount: ({ context, event }) =>
          this.effects.reread(context.account, event.type === "STEP_SETTLED" ? event.slot : undefined),
        recordWait: ({ context, event }) =>
          event.type === "OBSERVED" &&
          this.effects.recordWait(context.account, event.observation.waitReason ?? "unknown"),
      },
      delays: { confirmTimeout: this.opts.confirmTimeoutMs },
    }));
  }

  /**
   * What a request is built from: the account evaluated now. The screen spares an account at risk
   * the exact evaluation of a tick that changes none of its states, so its last evaluation's
   * shortfall, target market and prices may be older than the current prices. A request asked for
   * in the same state and on-chain data takes the fresh figures; otherwise the observation that
   * follows decides.
   */
  private current(context: AccountContext): { context: AccountContext; evaluation: Evaluation | undefined } {
    const last = this.lastEvaluation.get(context.account);
    const a = this.world.accounts.get(context.account);
    if (!a) return { context, evaluation: last };
    // Within the observation that made it, nothing has moved since: no second evaluation.
    const ev =
      this.justEvaluated?.account === a
        ? this.justEvaluated.evaluation
        : evaluate(a, this.world.markets, this.world.prices, this.world.freshness(), this.opts.marginCallBandPpm);
    if (ev.state !== context.state || ev.stepKey !== context.stepKey) return { context, evaluation: last };
    this.lastEvaluation.set(context.account, ev);
    return {
      context: {
        ...context,
        shortfall: ev.shortfall.toString(),
        liquidationMarket: ev.liquidationMarket,
        unflagDue: ev.unflagDue,
      },
      evaluation: ev,
    };
  }

  private detected(account: string): number {
    return this.episodeStart.get(account) ?? Date.now();
  }

  /** Restores actors persisted by an earlier run; each is told it resumed so it asks again (idempotently). */
  restore(snapshots: Map<string, unknown>): void {
    for (const [account, snapshot] of snapshots) {
      const actor = this.spawn(account, snapshot as Snapshot<unknown>);
      actor.send({ type: "RESUMED" });
    }
  }

  private spawn(account: string, snapshot?: Snapshot<unknown>): AccountActor {
    const actor = createActor(this.machine(), {
      input: { account },
      ...(snapshot ? { snapshot: snapshot as never } : {}),
      ...(this.opts.clock ? { clock: this.opts.clock as never } : {}),
    });
    this.actors.set(account, actor);
    actor.subscribe((s) => {
      if (s.status === "done") {
        this.actors.delete(account);
        this.episodeStart.delete(account);
        this.effects.persist(account, null);
        return;
      }
      // A stopped actor (shutdown) keeps its last active snapshot, so the next run resumes it.
      if (s.status === "active") this.effects.persist(account, actor.getPersistedSnapshot());
    });
    actor.start();
    return actor;
  }

  private track(a: AccountState): void {
    for (const c of a.claims ?? []) {
      let set = this.claimants.get(c.marketIndex);
      if (!set) this.claimants.set(c.marketIndex, (set = new Set()));
      set.add(a.address);
    }
  }

  /**
   * Every account holding a position on `market`, by a scan of the book: only a market's first
   * price and a change of its risk parameters need them all, and a set per market would cost every
   * account memory (30–70 bytes) for those events. The scan (about 40 ms at 1M accounts) is less
   * than evaluating the holders it finds unless the market has under about 0.4% of the book.
   */
  private holdersOf(market: string): string[] {
    const out: string[] = [];
    for (const a of this.world.accounts.values()) if (a.positions.some((p) => p.market === market)) out.push(a.address);
    return out;
  }

  /** Evaluates one account and routes the result: index it when healthy, else hand it to its actor. */
  observe(address: string): Evaluation | null {
    const a = this.world.accounts.get(address);
    if (!a || this.stopped) return null;
    this.track(a);
    const ev = evaluate(a, this.world.markets, this.world.prices, this.world.freshness(), this.opts.marginCallBandPpm);
    if (settlementDue(a) && this.settleRequested.get(address) !== ev.stepKey) {
      this.settleRequested.set(address, ev.stepKey);
      this.effects.settle(a, ev);
    }
    const claimFrom = claimDue(a, this.world.markets);
    const claimKey = claimFrom && `${ev.stepKey}|${claimFrom.address}|${claimFrom.slot}`;
    if (claimFrom && claimKey && this.claimRequested.get(address) !== claimKey) {
      this.claimRequested.set(address, claimKey);
      this.effects.claim(a, ev, claimFrom.address);
    }
    const previous = this.lastEvaluation.get(address)?.state ?? "healthy";
    const actor = this.actors.get(address);
    if (ev.state && ev.state !== previous) this.effects.transition(address, previous, ev.state);
    if (ev.state === "healthy" || ev.state === null) {
      if (ev.state === "healthy") this.lastEvaluation.delete(address);
      else this.lastEvaluation.set(address, ev);
      if (actor) actor.send({ type: "OBSERVED", observation: observation(ev, a) });
      // An account with an actor (which a healthy observation just ended) is screened until then.
      const indexable = ev.state === "healthy" && !this.actors.has(address);
      this.path.place(a, ev.state ?? "exact", indexable, this.world, this.ticking);
      return ev;
    }
    this.lastEvaluation.set(address, ev);
    this.path.place(a, ev.state, false, this.world);
    if (ev.state !== "margin-call" && !this.episodeStart.has(address)) this.episodeStart.set(address, Date.now());
    const seen = observation(ev, a);
    if (actor && holds(actor, seen)) return ev;
    this.justEvaluated = { account: a, evaluation: ev };
    try {
      (actor ?? this.spawn(address)).send({ type: "OBSERVED", observation: seen });
    } finally {
      this.justEvaluated = null;
    }
    return ev;
  }

  /**
   * A price tick: the accounts whose state it changed and those whose state the screen cannot
   * vouch for (all holders on a market's first price). An account at risk is evaluated again when its state
   * may have changed, so its last evaluation's shortfall is as of its last change.
   */
  onPrice(market: string, prev: PriceState | undefined, next: PriceState): number {
    let due: Iterable<string>;
    if (!prev) due = this.holdersOf(market);
    else {
      const found = this.path.tick(market, prev.price, next.price, {
        markets: this.world.markets,
        prices: this.world.prices,
        fresh: this.world.freshness(),
      });
      // A change the screen decided is evaluated exactly too: the actor acts on the exact figures.
      due = found.changed.length === 0 ? found.exact : [...found.changed, ...found.exact];
    }
    let count = 0;
    // A market's first price (at start) evaluates every holder: their bands are drawn at once, so
    // the whole book does not pass through the screen.
    this.ticking = prev !== undefined;
    // The tick already holds the screen's new states: every account due is observed even if one
    // of them throws; that one is held for the exact math on its markets' next tick.
    let failure: { error: unknown } | null = null;
    try {
      for (const a of due) {
        const error = this.tryObserve(a);
        if (error) failure ??= error;
        else count++;
      }
    } finally {
      this.ticking = false;
    }
    this.scheduleRedraw();
    if (failure) throw failure.error;
    return count;
  }

  /**
   * `observe`, an error reported to `onError` (returned when there is none) with the account held
   * "exact": with its new data, so a tick does not screen it from data older than the feed's.
   */
  tryObserve(address: string): { error: unknown } | null {
    try {
      this.observe(address);
      return null;
    } catch (error) {
      const a = this.world.accounts.get(address);
      if (a) this.path.place(a, "exact", false, this.world);
      if (!this.opts.onError) return { error };
      this.opts.onError(error, address);
      return null;
    }
  }

  /** New bands for the crossed accounts a tick left plainly healthy, a slice at a time between ticks. */
  private scheduleRedraw(): void {
    if (this.redrawScheduled || this.stopped || !this.path.redrawDue) return;
    this.redrawScheduled = true;
    setImmediate(() => {
      this.redrawScheduled = false;
      const until = performance.now() + REDRAW_SLICE_MS;
      // Each account taken is observed even if one throws: taken, it is due no more.
      let failure: { error: unknown } | null = null;
      while (!this.stopped && this.path.redrawDue && performance.now() < until && !failure) {
        for (const a of this.path.takePending(16)) failure ??= this.tryObserve(a);
      }
      this.scheduleRedraw();
      if (failure) throw failure.error;
    });
  }

  /** Risk parameters changed (e.g. the volatility add-on): every band on that market is redrawn. */
  onMarket(m: MarketState): void {
    // A pool that received money pays the claims on it.
    const pool = this.poolBalance.get(m.address);
    this.poolBalance.set(m.address, m.poolBalance);
    if (pool !== undefined && m.poolBalance > pool) for (const a of this.claimants.get(m.index) ?? []) this.observe(a);
    const key = riskKey(m);
    const before = this.marketRisk.get(m.address);
    this.marketRisk.set(m.address, key);
    if (before === undefined || before === key) return;
    for (const a of this.holdersOf(m.address)) this.observe(a);
  }

  /**
   * After a resync: the accounts waiting on old data are evaluated again (the feed keeps an
   * unchanged account as it was, so the resync that vouched for it anew is not an observation).
   */
  observeWaiting(): number {
    const waiting = [...this.lastEvaluation.values()].filter((ev) => ev.state === null).map((ev) => ev.account);
    for (const address of waiting) this.observe(address);
    return waiting.length;
  }

  settled(account: string, stepKey: string, outcome: "confirmed" | "not-needed" | "failed", slot?: number): void {
    if (this.stopped) return;
    this.actors.get(account)?.send({ type: "STEP_SETTLED", stepKey, outcome, slot });
  }

  /** The baseline: evaluate everything. Returns accounts the index had not surfaced (should be none). */
  fullScan(): { evaluated: number; missed: string[] } {
    const missed: string[] = [];
    for (const address of this.world.accounts.keys()) {
      // Not tracked, or held at another state than the exact math gives it (indexed counts as
      // healthy): a miss of the index or of the screen. "exact" accounts are evaluated on every
      // tick of their markets.
      const held = this.path.screen.state(address) ?? (this.path.index.has(address) ? "healthy" : undefined);
      const ev = this.observe(address);
      if (ev?.state && ev.state !== "healthy" && held !== "exact" && held !== ev.state) missed.push(address);
    }
    return { evaluated: this.world.accounts.size, missed };
  }

  countsByState(): Record<RiskState | "waiting", number> {
    const counts = { healthy: 0, "margin-call": 0, "partial-liquidation": 0, bankrupt: 0, waiting: 0 };
    for (const address of this.world.accounts.keys()) {
      const ev = this.lastEvaluation.get(address);
      if (!ev) counts.healthy++;
      else if (ev.state === null) counts.waiting++;
      else counts[ev.state]++;
    }
    return counts;
  }

  stopAll(): void {
    this.stopped = true;
    for (const a of this.actors.values()) (a as AnyActorRef).stop();
  }
}
