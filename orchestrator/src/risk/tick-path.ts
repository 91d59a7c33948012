// Price tick → the accounts to evaluate exactly, as the supervisor and bench:risk run it. Healthy
// accounts sit in the trigger index by their bands; every other account sits in the float screen
// at the state its last exact evaluation gave. Both know an account by the same small id, and the
// screen keeps the row of every account, so a tick passes the accounts it finds from one to the
// other as numbers. A tick sweeps the screened holders of its market in float, then screens the
// accounts whose band it left: the plainly healthy ones only need new bands, which are redrawn off
// the tick path (`takePending`); they leave the index after the tick, and the screen watches them
// until then. What is left (a state that may change, a price or account the float path does not
// model) is evaluated exactly by the caller, who then `place`s each account again.
import { AccountIds, IdQueue } from "./account-ids.js";
import { bandsFor } from "./bands.js";
import type { Freshness } from "./evaluate.js";
import { HealthScreen, type ScreenState } from "./screen.js";
import { TriggerIndex } from "./trigger-index.js";
import type { AccountState, MarketState, PriceState, RiskState } from "./types.js";

/** What a tick found: accounts whose state changed beyond doubt, and those the exact math must decide. */
export interface TickResult {
  changed: string[];
  exact: string[];
}

export interface TickWorld {
  markets: ReadonlyMap<string, MarketState>;
  prices: ReadonlyMap<string, PriceState>;
  fresh: Freshness;
}

export class TickPath {
  readonly ids = new AccountIds();
  readonly index = new TriggerIndex({}, this.ids);
  readonly screen: HealthScreen;
  /** Scratch for the ids a tick finds outside their band. */
  private readonly crossedIds: number[] = [];
  private readonly decided: (RiskState | null)[] = [];
  /**
   * Healthy accounts a tick found outside their bands, still in the index: they leave it and are
   * screened after the tick (`join`), at the next `takePending` or tick.
   */
  private readonly joining = new IdQueue();
  /** Markets whose price the program refused at the last tick: their holders are not indexed. */
  private readonly refused = new Set<string>();

  constructor(private readonly marginCallBandPpm: bigint) {
    this.screen = new HealthScreen(marginCallBandPpm, this.ids);
  }

  /** Healthy accounts taken out of the index by a tick (screened meanwhile), their bands not yet redrawn. */
  get pendingCount(): number {
    return this.screen.dueSize + this.joining.size;
  }

  /** Indexed, or screened at some state. */
  tracks(address: string): boolean {
    return this.index.has(address) || this.screen.has(address);
  }

  /**
   * After an exact evaluation: `indexable` (healthy, no actor) accounts get bands, unless none
   * can be drawn; the others are screened at `state`. On a tick (`deferBands`) a healthy account
   * is screened and its bands are left for `takePending`: drawing them costs several exact
   * evaluations.
   */
  place(
    a: AccountState,
    state: ScreenState,
    indexable: boolean,
    world: Omit<TickWorld, "fresh">,
    deferBands = false,
  ): void {
    // Whatever follows (bands, or the screen) settles any bands due for it.
    this.unjoin(a.address);
    if (indexable && a.positions.some((p) => this.refused.has(p.market))) indexable = false;
    if (indexable && deferBands) {
      this.index.remove(a.address);
      this.screen.put(a, "healthy", true);
      return;
    }
    if (indexable) {
      const bands = bandsFor(a, world.markets, world.prices, this.marginCallBandPpm);
      if (bands) {
        this.index.upsert(a.address, bands);
        // Its row, for the tick that finds it outside a band.
        this.screen.record(a);
        return;
      }
    }
    this.index.remove(a.address);
    this.screen.put(a, state);
  }

  forget(address: string): void {
    this.unjoin(address);
    this.index.remove(address);
    this.screen.remove(address);
  }

  /**
   * A tick of `market` from `oldPrice` to the world's price: the accounts whose state changed
   * beyond doubt (`changed`, screened at their new state from now on) and those the float health
   * cannot decide (`exact`: evaluate each exactly and `place` it).
   */
  tick(market: string, oldPrice: bigint, newPrice: bigint, world: TickWorld): TickResult {
    // The last tick's healthy crossings, if no redraw came between: screened before this sweep.
    this.join();
    this.screen.price(world, world.markets.keys());
    const changed: string[] = [];
    const exact: string[] = [];
    // A price the program refuses values positions against their holders (health.ts
    // unpricedPosition), which neither bands nor the float health model. When a market's price
    // becomes refused, every holder is evaluated exactly (a scan of the index, once) and none is
    // indexed again while it stays refused: screened, the sweep hands each to the exact math on
    // every tick of its markets. Once the price is accepted again the float screen takes over and
    // the healthy ones get bands between ticks.
    let refusedNow: Set<string> | null = null;
    let accepted = false;
    for (const m of world.markets.keys()) {
      if (this.screen.usable(m)) {
        // Accepted again: its screened holders were decided at the refused valuation, so they are
        // swept at the accepted price (a change is reported, a doubt goes to the exact math), and
        // the healthy ones get their bands back between ticks.
        if (this.refused.delete(m)) {
          accepted = true;
          this.screen.sweep(m, world.fresh, changed, exact, true);
          this.screen.healthyDue(m);
        }
      } else if (!this.refused.has(m)) {
        this.refused.add(m);
        refusedNow ??= new Set();
        for (const address of this.index.accountsOn(m)) refusedNow.add(address);
        for (const address of this.screen.holdersOf(m)) refusedNow.add(address);
      }
    }
    if (this.refused.has(market)) this.screen.sweep(market, world.fresh, changed, exact);
    else this.crossedAndSwept(market, oldPrice, newPrice, world, changed, exact);
    // A holder of several markets may have been swept more than once.
    if (!refusedNow && !this.refused.has(market))
      return accepted ? { changed: [...new Set(changed)], exact: [...new Set(exact)] } : { changed, exact };
    // Around a refused price everything goes to the exact math, as it decides those holders.
    const all = refusedNow ?? new Set<string>();
    for (const address of changed) all.add(address);
    for (const address of exact) all.add(address);
    return { changed: [], exact: [...all] };
  }

  /**
   * The sweep of the screened holders of the market, then the accounts whose band the tick left,
   * screened in float: plainly healthy ones are screened until their bands are redrawn, others
   * decided beyond doubt are screened at their new state, the rest go to the exact math.
   */
  private crossedAndSwept(
    market: string,
    oldPrice: bigint,
    newPrice: bigint,
    world: TickWorld,
    changed: string[],
    exact: string[],
  ): void {
    // The screened holders first: the accounts this tick screens are decided at its price already.
    // Back to plainly healthy: only bands to draw, between ticks.
    this.screen.sweep(market, world.fresh, changed, exact, true);
    const ids = this.crossedIds;
    ids.length = 0;
    this.index.crossedIds(market, oldPrice, newPrice, ids);
    // From the rows recorded with their bands: the data the bands were drawn from.
    const states = this.decided;
    this.screen.decideIds(ids, world.fresh, states);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const state = states[i];
      if (state === null) {
        exact.push(this.ids.name(id));
        continue;
      }
      // Plainly healthy: nothing for the caller, so out of the index and screened after the
      // tick (`join`), its bands redrawn between ticks.
      if (state === "healthy") {
        this.joining.add(id);
        continue;
      }
      // Its edges are unlinked between ticks (`takePending`).
      this.index.suspendId(id);
      this.screen.screenId(id, state, false);
      changed.push(this.ids.name(id));
    }
  }

  /** A placed or forgotten account is not joined later: what placed it decided. */
  private unjoin(address: string): void {
    if (this.joining.size === 0) return;
    const id = this.ids.get(address);
    if (id !== undefined) this.joining.delete(id);
  }

  /** The healthy crossings of the last tick leave the index and are screened (healthy, bands due). */
  private join(): void {
    if (this.joining.size === 0) return;
    for (const id of this.joining.take(Number.POSITIVE_INFINITY)) {
      // Still indexed with the bands it crossed (a placement since would have unjoined it).
      this.index.suspendId(id);
      this.screen.screenId(id, "healthy", true);
    }
  }

  /** Bands to redraw or index entries to unlink: work for `takePending` between ticks. */
  get redrawDue(): boolean {
    return this.screen.dueSize > 0 || this.index.suspendedCount > 0 || this.joining.size > 0;
  }

  /**
   * Up to `max` accounts whose bands are due to be redrawn (evaluate and `place` each); first the
   * edges of up to 4 × `max` accounts the ticks took out of the index are unlinked.
   */
  takePending(max: number): string[] {
    this.join();
    this.index.reclaim(max * 4);
    return this.screen.takeDue(max);
  }
}
