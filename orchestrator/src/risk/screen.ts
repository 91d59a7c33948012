// A floating-point screen of the accounts the trigger index does not cover: those at risk, and
// healthy ones whose bands are waiting to be redrawn. A price tick sweeps the screened holders of
// its market in float. The screen also keeps the row of each indexed account (`record`), so a tick
// screens the accounts the index hands it by id, without looking their data up. Where every threshold lies farther from the account's equity than the float
// error bound, the float decides its state beyond doubt: a state other than the one on record is
// held from then on and reported as changed. Anything nearer, and everything the float path does
// not model (a refused, stale or missing price, old account data, an unknown market; a settled
// market's price is modelled), is left to the exact math (evaluate.ts).
//
// The float health follows risk/health.ts term by term: equity at the confidence-adjusted price,
// tiered maintenance plus the volatility add-on, the liquidation-end buffer, the margin-call band.
// Error bound: each integer operation of the exact math rounds by less than one unit (a handful
// per position), and the float evaluation of the same real-valued terms errs by far less than
// 1e-12 of their summed magnitude; the bound below takes both with a wide margin.
import { check } from "./oracle_guard.js";
import type { Freshness } from "./evaluate.js";
import { ChainStatus, type AccountState, type MarketState, type PriceState, type RiskState } from "./types.js";
import { maintenanceF, tiersF, type TiersF } from "./float-margin.js";
import { AccountIds, HELD_BY_SCREEN, IdQueue, grown, lengthFor } from "./account-ids.js";

/** What the screen holds an account to: the state on record, or "exact" to evaluate it exactly on every tick. */
export type ScreenState = RiskState | "exact";

// State codes per id; 0 (what a new array holds): a row recorded, the account not screened.
const NONE = 0;
const EXACT = 1;
const HEALTHY = 2;
const MARGIN_CALL = 3;
const LIQUIDATABLE = 4;
const BANKRUPT = 5;
/** Healthy with its bands due, kept out of the tables (`loose`): only until its bands are redrawn. */
const LOOSE = 6;
const NAMES: (ScreenState | undefined)[] = [
  undefined,
  "exact",
  "healthy",
  "margin-call",
  "partial-liquidation",
  "bankrupt",
  "healthy",
];
const codeOf = (s: ScreenState) => NAMES.indexOf(s);

/** Units of rounding allowed per position, and once per account. */
const ROUNDING_UNITS = 16;
const RELATIVE_ERROR = 1e-12;

// Each account is one row of a Float64Array: a sweep reads one contiguous stretch per account
// instead of chasing objects across the heap (at 100k+ accounts the cache misses cost several times
// the arithmetic). The rows of all accounts share one array (`rows`), each sized to its positions
// (room for its positions, at least 1); each market keeps a copy of its screened holders' rows at a fixed stride.
/** Positions per row: the program's MAX_POSITIONS (the account layout holds no more). */
const LEGS = 8;
const STATUS = 0;
const COLLATERAL = 1;
const SLOT = 2;
const COUNT = 3;
/** Then per position: market id, base (1e9), quote entry, and where the account sits in that market's holders. */
const LEG0 = 4;
const LEG = 4;
const AT = 3;
/** A row's length for `legs` positions; the stride of the markets' copies. */
const rowLength = (legs: number) => LEG0 + LEG * legs;
const TROW = rowLength(LEGS);
const roomFor = (n: number) => Math.max(n, 1);
/** Rows (of the largest room) allocated at first, and never given back below. */
const MIN_ROWS = 1024;

/** A market's risk parameters in float, and its price for the current sweep. */
interface MarketFloat {
  address: string;
  tiers: TiersF;
  addon: number;
  buffer: number;
  source: MarketState | null;
  /** Set per sweep: the price and confidence the exact math would use, or usable = false. */
  usable: boolean;
  price: number;
  conf: number;
  /** Ids of the screened accounts with a position here (dense; removal swaps the last one in). */
  holders: number[];
  /** A copy of each holder's row (stride TROW), in the order of `holders`: the sweep reads one stretch of memory. */
  table: Float64Array;
  /**
   * Ids of the screened accounts with a position here that are healthy with their bands due: a
   * tick's crossed accounts, watched from their rows until redrawn (between ticks), so the tick
   * copies no row for them.
   */
  loose: number[];
}

export interface ScreenWorld {
  markets: ReadonlyMap<string, MarketState>;
  prices: ReadonlyMap<string, PriceState>;
  fresh: Freshness;
}

/** Float health of an account: equity and its three thresholds, in quote units, with the error bound. */
export interface FloatHealth {
  equity: number;
  maintenance: number;
  liquidationEnd: number;
  call: number;
  bound: number;
}

export class HealthScreen {
  /** Rows of every account recorded, by offset (`off` per id). */
  private rows = new Float64Array(TROW * MIN_ROWS);
  private top = 0;
  /** Doubles in rows in use, and the offsets of free rows by room (positions). */
  private live = 0;
  private freeRows: number[][] = Array.from({ length: LEGS + 1 }, () => []);
  private off = new Int32Array(MIN_ROWS);
  private room = new Int8Array(MIN_ROWS);
  /** State code per id (NONE: recorded, not screened). */
  private states = new Int8Array(MIN_ROWS);
  private screenedCount = 0;
  /** Healthy accounts whose bands are due to be redrawn, in the order they became due. */
  private readonly due = new IdQueue();
  /** A row for `decide`, outside the table. */
  private readonly probe = new Float64Array(TROW);
  private readonly marketIds = new Map<string, number>();
  private readonly floats: MarketFloat[] = [];
  private readonly bandPpm: number;
  /** Accounts no row can hold (`put`), by address with their markets: held "exact". */
  private readonly unfit = new Map<string, string[]>();
  /** Scratch for the sweep: no allocation per account. */
  private readonly h: FloatHealth = { equity: 0, maintenance: 0, liquidationEnd: 0, call: 0, bound: 0 };

  constructor(
    marginCallBandPpm: bigint,
    readonly ids: AccountIds = new AccountIds(),
  ) {
    this.bandPpm = Number(marginCallBandPpm);
  }

  /** Accounts screened (at any state). */
  get size(): number {
    return this.screenedCount + this.unfit.size;
  }

  /** Bytes held in the screen's typed arrays (rows, their per-market copies, per-id fields). */
  get allocatedBytes(): number {
    let n = this.rows.byteLength + this.off.byteLength + this.room.byteLength;
    n += this.states.byteLength + this.due.allocatedBytes;
    for (const f of this.floats) n += f.table.byteLength;
    return n;
  }

  /** How many screened accounts have their bands due (`put` with `due`, or healed by a sweep). */
  get dueSize(): number {
    return this.due.size;
  }

  /** Up to `max` accounts whose bands are due, the longest due first; each is due no more. */
  takeDue(max: number): string[] {
    return this.due.take(max).map((id) => this.ids.name(id));
  }

  /** Makes the bands of every screened holder of `market` held healthy due. */
  healthyDue(market: string): void {
    const m = this.marketIds.get(market);
    if (m === undefined) return;
    const { holders, loose } = this.floats[m];
    for (const id of holders) if (this.states[id] === HEALTHY) this.markDue(id);
    // Due already, unless handed out by `takeDue` and not placed since.
    for (const id of loose) this.markDue(id);
  }

  private markDue(id: number): void {
    this.due.add(id);
  }

  /** Screened (at any state); an account only recorded is not. */
  has(account: string): boolean {
    return this.state(account) !== undefined;
  }

  state(account: string): ScreenState | undefined {
    if (this.unfit.has(account)) return "exact";
    const id = this.ids.get(account);
    return id === undefined ? undefined : NAMES[this.states[id] ?? NONE];
  }

  /** Whether `market` had a price the program accepts at the last `price` call. */
  usable(market: string): boolean {
    const m = this.marketIds.get(market);
    return m !== undefined && this.floats[m].usable;
  }

  /** How many accounts are screened at `state`. */
  countOf(state: ScreenState): number {
    const code = codeOf(state);
    let n = 0;
    const end = Math.min(this.states.length, this.ids.extent);
    const also = code === HEALTHY ? LOOSE : code;
    for (let id = 0; id < end; id++) if (this.states[id] === code || this.states[id] === also) n++;
    return code === EXACT ? n + this.unfit.size : n;
  }

  /** Screened holders of `market`. */
  holdersOf(market: string): string[] {
    const m = this.marketIds.get(market);
    if (m === undefined) return [];
    const { holders, loose } = this.floats[m];
    const out = [...holders, ...loose].map((id) => this.ids.name(id));
    for (const [address, markets] of this.unfit) if (markets.includes(market)) out.push(address);
    return out;
  }

  /**
   * Keeps the row of `a` without screening it (an indexed account: a tick that finds it outside
   * its band screens it by id); a screened account is screened no more. An account with more
   * positions than a row holds is not kept (a tick hands it to the exact math).
   */
  record(a: AccountState): void {
    if (!fits(a)) {
      this.remove(a.address);
      return;
    }
    this.unfit.delete(a.address);
    this.write(a);
  }

  /**
   * Screens `a` at `state` (what an exact evaluation just decided, or "exact"); `due`: its bands are
   * to be redrawn. An account no row can hold (more positions than the layout's, a market twice:
   * data the program does not write) is held "exact", whatever `state`.
   */
  put(a: AccountState, state: ScreenState, due = false): void {
    if (!fits(a)) {
      this.remove(a.address);
      for (const p of a.positions) this.marketId(p.market);
      this.unfit.set(a.address, [...new Set(a.positions.map((p) => p.market))]);
      return;
    }
    this.unfit.delete(a.address);
    this.join(this.write(a), codeOf(state), due);
  }

  /** Screens a recorded account by id at a state `decideIds` gave it. */
  screenId(id: number, state: RiskState, due: boolean): void {
    this.join(id, codeOf(state), due);
  }

  /** Forgets `a`: not screened, its row given back; false if it was not screened. */
  remove(account: string): boolean {
    if (this.unfit.delete(account)) return true;
    const id = this.ids.get(account);
    if (id === undefined || !this.ids.holds(id, HELD_BY_SCREEN)) return false;
    const was = this.states[id] !== NONE;
    if (was) this.leave(id);
    this.freeRow(id);
    this.ids.release(id, HELD_BY_SCREEN);
    // Emptied (the book shrank): give the rows back.
    if (this.rows.length > TROW * MIN_ROWS && this.live * 4 < this.rows.length) this.compact();
    return was;
  }

  /** Writes the row of `a` (screened no more, its bands not due) and returns its id. */
  private write(a: AccountState): number {
    const id = this.ids.acquire(a.address, HELD_BY_SCREEN);
    this.grow(id);
    const n = a.positions.length;
    // Registered first: a market registered later would not be in the row.
    for (const p of a.positions) this.marketId(p.market);
    if (this.states[id] !== NONE) this.leave(id);
    const room = roomFor(n);
    if (this.off[id] > 0 && this.room[id] !== room) this.freeRow(id);
    if (this.off[id] === 0) this.allocRow(id, room);
    this.fill(this.rows, this.off[id] - 1, a, n, true);
    return id;
  }

  private allocRow(id: number, room: number): void {
    // Rows freed as accounts change their number of positions: moved together now and then.
    if (this.rows.length > TROW * MIN_ROWS && this.live * 4 < this.rows.length) this.compact();
    const length = rowLength(room);
    let o = this.freeRows[room].pop();
    if (o === undefined) {
      // By half again: the rows are most of the screen's memory.
      if (this.top + length > this.rows.length) this.rows = grown(this.rows, Math.ceil(this.rows.length * 1.5));
      o = this.top;
      this.top += length;
    }
    // Stored plus one: 0 is no row.
    this.off[id] = o + 1;
    this.room[id] = room;
    this.live += length;
  }

  private freeRow(id: number): void {
    if (this.off[id] === 0) return;
    this.freeRows[this.room[id]].push(this.off[id] - 1);
    this.live -= rowLength(this.room[id]);
    this.off[id] = 0;
  }

  /** Moves the rows in use into an array sized for them; ids keep their numbers. */
  private compact(): void {
    let length = TROW * MIN_ROWS;
    while (length < this.live * 2) length *= 2;
    const rows = new Float64Array(length);
    let top = 0;
    for (let id = 0; id < this.off.length; id++) {
      if (this.off[id] === 0) continue;
      const o = this.off[id] - 1;
      const n = rowLength(this.room[id]);
      rows.set(this.rows.subarray(o, o + n), top);
      this.off[id] = top + 1;
      top += n;
    }
    this.rows = rows;
    this.top = top;
    this.freeRows = Array.from({ length: LEGS + 1 }, () => []);
  }

  /** Screens a recorded account at `code`: a copy of its row in each of its markets' tables. */
  private join(id: number, code: number, due: boolean): void {
    if (this.states[id] !== NONE) this.leave(id);
    this.screenedCount++;
    const rows = this.rows;
    const r = this.off[id] - 1;
    if (code === HEALTHY && due) {
      this.states[id] = LOOSE;
      for (let i = 0; i < rows[r + COUNT]; i++) {
        const leg = r + LEG0 + i * LEG;
        rows[leg + AT] = this.floats[rows[leg]].loose.push(id) - 1;
      }
      this.markDue(id);
      return;
    }
    this.states[id] = code;
    const length = rowLength(rows[r + COUNT]);
    for (let i = 0; i < rows[r + COUNT]; i++) {
      const leg = r + LEG0 + i * LEG;
      const f = this.floats[rows[leg]];
      const slot = f.holders.push(id) - 1;
      if ((slot + 1) * TROW > f.table.length) f.table = grown(f.table, Math.max(f.table.length * 2, TROW * 64));
      const table = f.table;
      const t = slot * TROW;
      for (let k = 0; k < length; k++) table[t + k] = rows[r + k];
      rows[leg + AT] = slot;
    }
    if (due) this.markDue(id);
  }

  /** Takes a screened account out of its markets' tables (or loose lists); its row stays. */
  private leave(id: number): void {
    const rows = this.rows;
    const r = this.off[id] - 1;
    const loose = this.states[id] === LOOSE;
    for (let i = 0; loose && i < rows[r + COUNT]; i++) {
      const leg = r + LEG0 + i * LEG;
      const m = rows[leg];
      const list = this.floats[m].loose;
      const slot = rows[leg + AT];
      const moved = list.pop()!;
      if (moved === id) continue;
      list[slot] = moved;
      const o = this.off[moved] - 1;
      for (let j = 0; j < rows[o + COUNT]; j++)
        if (rows[o + LEG0 + j * LEG] === m) rows[o + LEG0 + j * LEG + AT] = slot;
    }
    for (let i = 0; !loose && i < rows[r + COUNT]; i++) {
      const leg = r + LEG0 + i * LEG;
      const m = rows[leg];
      const f = this.floats[m];
      const list = f.holders;
      const slot = rows[leg + AT];
      const moved = list.pop()!;
      if (moved !== id) {
        list[slot] = moved;
        const last = list.length;
        f.table.copyWithin(slot * TROW, last * TROW, last * TROW + TROW);
        const o = this.off[moved] - 1;
        for (let j = 0; j < rows[o + COUNT]; j++)
          if (rows[o + LEG0 + j * LEG] === m) rows[o + LEG0 + j * LEG + AT] = slot;
      }
      // Emptied (after a wave, or a start that screened the book): give the table back.
      if (f.table.length > TROW * MIN_ROWS && list.length * TROW * 8 < f.table.length) {
        f.table = f.table.slice(0, f.table.length / 4);
      }
    }
    this.states[id] = NONE;
    this.screenedCount--;
    this.due.delete(id);
  }

  /** Writes `a` into the row at `r`; false (the row unfinished) on a market not registered, unless `register`. */
  private fill(rows: Float64Array, r: number, a: AccountState, n: number, register: boolean): boolean {
    rows[r + STATUS] = a.status;
    rows[r + COLLATERAL] = Number(a.collateral);
    rows[r + SLOT] = a.slot;
    rows[r + COUNT] = n;
    for (let i = 0; i < n; i++) {
      const p = a.positions[i];
      let m = this.marketIds.get(p.market);
      if (m === undefined) {
        if (!register) return false;
        m = this.marketId(p.market);
      }
      const leg = r + LEG0 + i * LEG;
      rows[leg] = m;
      rows[leg + 1] = Number(p.base);
      rows[leg + 2] = Number(p.quoteEntry);
    }
    return true;
  }

  private grow(id: number): void {
    if (id < this.off.length) return;
    const n = lengthFor(this.off.length, id);
    this.off = grown(this.off, n);
    this.room = grown(this.room, n);
    this.states = grown(this.states, n);
  }

  /**
   * Sweeps the screened holders of `market` at the prices of the last `price` call. An account
   * whose state the float health decides beyond doubt to be another than the one on record is
   * screened at that state from now on and pushed to `changed`; one the float health cannot
   * decide (near a threshold, a price or account it does not model, or screened "exact") is
   * pushed to `exact`, its state left for the exact math to settle. With `healDue`, a change to
   * healthy also makes the account's bands due (`takeDue`).
   */
  sweep(market: string, fresh: Freshness, changed: string[], exact: string[], healDue = false): void {
    const m = this.marketIds.get(market);
    if (m === undefined) return;
    const { holders, table } = this.floats[m];
    const states = this.states;
    for (let i = 0; i < holders.length; i++) {
      const id = holders[i];
      const state = states[id];
      if (state === BANKRUPT) continue;
      if (state === EXACT) {
        exact.push(this.ids.name(id));
        continue;
      }
      const now = this.screened(table, i * TROW, fresh);
      if (now === state) continue;
      if (now === EXACT) exact.push(this.ids.name(id));
      else {
        states[id] = now;
        changed.push(this.ids.name(id));
        if (now === HEALTHY && healDue) this.markDue(id);
      }
    }
    this.sweepLoose(this.floats[m].loose, fresh, changed, exact);
    for (const [address, markets] of this.unfit) if (markets.includes(market)) exact.push(address);
  }

  /** The sweep of a market's loose holders, from their rows; one that is healthy no more joins the tables. */
  private sweepLoose(loose: number[], fresh: Freshness, changed: string[], exact: string[]): void {
    const rows = this.rows;
    const off = this.off;
    let touched = 0;
    for (let i = 0; i < loose.length; i++) touched += rows[off[loose[i]] - 1 + COUNT];
    // Backwards: a holder that joins the tables leaves the list, the last one (seen already) taking its place.
    for (let i = loose.length - 1; i >= 0; i--) {
      const id = loose[i];
      const now = this.screened(rows, off[id] - 1, fresh);
      if (now === HEALTHY) continue;
      if (now === EXACT) exact.push(this.ids.name(id));
      else {
        this.join(id, now, false);
        changed.push(this.ids.name(id));
      }
    }
    // Keeps the touching loop from being dropped as dead code.
    if (touched < 0) this.probe[0] = touched;
  }

  /**
   * The state the exact math gives `a` at the prices of the last `price` call when the float
   * health decides it beyond doubt, else null: the decision a tick makes from a recorded row
   * (`decideIds`), for an account given whole (the tests hold it against the exact math).
   */
  decide(a: AccountState, fresh: Freshness): RiskState | null {
    if (!fits(a)) return null;
    // A market not registered by `price` has no price of this tick.
    if (!this.fill(this.probe, 0, a, a.positions.length, false)) return null;
    const code = this.screened(this.probe, 0, fresh);
    return code === EXACT ? null : (NAMES[code] as RiskState);
  }

  /**
   * `decide` for accounts by id from their recorded rows (null without one), into `out`. The rows
   * are touched first in a loop of independent reads, so their cache misses overlap instead of
   * coming one per account.
   */
  decideIds(ids: readonly number[], fresh: Freshness, out: (RiskState | null)[]): void {
    const rows = this.rows;
    const off = this.off;
    let touched = 0;
    for (let i = 0; i < ids.length; i++) {
      const o = (off[ids[i]] || 1) - 1;
      touched += rows[o + COUNT] + rows[o + COUNT + 8];
    }
    out.length = 0;
    for (let i = 0; i < ids.length; i++) {
      const o = off[ids[i]];
      const code = o ? this.screened(rows, o - 1, fresh) : EXACT;
      out.push(code === EXACT ? null : (NAMES[code] as RiskState));
    }
    // Keeps the touching loop from being dropped as dead code.
    if (touched < 0) out.length = 0;
  }

  /** The float health of a recorded account at the prices of the last `price` call (tests compare it with the exact math). */
  floatHealth(account: string): FloatHealth | null {
    const id = this.ids.get(account);
    // A row while the screen holds the id (an id the index alone holds may lie past `off`).
    if (id === undefined || !this.off[id]) return null;
    return this.health(this.rows, this.off[id] - 1) ? { ...this.h } : null;
  }

  /** State code decided in float, or EXACT when the exact math must decide. */
  private screened(rows: Float64Array, r: number, fresh: Freshness): number {
    const status = rows[r + STATUS];
    if (status === ChainStatus.Bankrupt || rows[r + COUNT] === 0) return EXACT;
    if (fresh.currentSlot - Math.max(rows[r + SLOT], fresh.verifiedSlot ?? 0) > fresh.maxAccountAgeSlots) return EXACT;
    if (!this.health(rows, r)) return EXACT;
    const { equity, maintenance, liquidationEnd, call, bound } = this.h;
    // Parameters the float cannot value (no tiers, an overflow) give NaN or ∞: never a decision.
    if (!Number.isFinite(equity + maintenance + liquidationEnd + call + bound)) return EXACT;
    if (status === ChainStatus.BeingLiquidated) {
      // Below liquidation-end: liquidatable; at or above: a margin call with the flag to clear.
      const d = equity - liquidationEnd;
      if (Math.abs(d) <= bound) return EXACT;
      return d < 0 ? LIQUIDATABLE : MARGIN_CALL;
    }
    const dm = equity - maintenance;
    if (Math.abs(dm) <= bound) return EXACT;
    if (dm < 0) return LIQUIDATABLE;
    const dc = equity - call;
    if (Math.abs(dc) <= bound) return EXACT;
    return dc < 0 ? MARGIN_CALL : HEALTHY;
  }

  /** Fills the scratch health; false when a position's market has no usable price. */
  private health(rows: Float64Array, r: number): boolean {
    const collateral = rows[r + COLLATERAL];
    const positions = rows[r + COUNT];
    let equity = collateral;
    let maintenance = 0;
    let buffer = 0;
    let magnitude = Math.abs(collateral);
    for (let i = 0; i < positions; i++) {
      const leg = r + LEG0 + i * LEG;
      const f = this.floats[rows[leg]];
      if (!f.usable) return false;
      const base = rows[leg + 1];
      const quote = rows[leg + 2];
      const val = base >= 0 ? Math.max(f.price - f.conf, 0) : f.price + f.conf;
      const value = (base * val) / 1e9;
      equity += value + quote;
      const n = (Math.abs(base) * f.price) / 1e9;
      const req = maintenanceF(n, f.tiers, f.addon);
      maintenance += req;
      buffer += (n * f.buffer) / 1e6;
      magnitude += Math.abs(value) + Math.abs(quote) + n * 4;
    }
    const h = this.h;
    h.equity = equity;
    h.maintenance = maintenance;
    h.liquidationEnd = maintenance + buffer;
    h.call = maintenance + (maintenance * this.bandPpm) / 1e6;
    h.bound = RELATIVE_ERROR * magnitude + ROUNDING_UNITS * (positions + 1);
    return true;
  }

  /**
   * Takes each market's price as the exact math would (or marks it unusable): once per tick,
   * before `sweep` and `decide`. Markets are registered by `put` or by naming them here.
   */
  price(world: ScreenWorld, also: Iterable<string> = []): void {
    for (const market of also) this.marketId(market);
    const { fresh } = world;
    for (const f of this.floats) {
      f.usable = false;
      const m = world.markets.get(f.address);
      if (!m) continue;
      // Market states are replaced, never changed in place: a new one may carry new parameters.
      if (f.source !== m) {
        f.source = m;
        f.tiers = tiersF(m.tiers);
        f.addon = Number(m.addonRatio);
        f.buffer = Number(m.bufferRatio);
      }
      if (m.settlementPrice > 0n) {
        f.usable = true;
        f.price = Number(m.settlementPrice);
        f.conf = 0;
        continue;
      }
      const r = world.prices.get(m.oracle);
      if (!r) continue;
      if (fresh.currentSlot - Math.max(r.slot, fresh.verifiedSlot ?? 0) > fresh.maxOracleAgeSlots) continue;
      if (check(r, fresh.nowS, { maxAgeS: m.maxOracleAgeLiquidateS, maxConfRatio: m.maxConfRatioLiquidate })) continue;
      f.usable = true;
      f.price = Number(r.price);
      f.conf = Number(r.conf);
    }
  }

  private marketId(market: string): number {
    let id = this.marketIds.get(market);
    if (id === undefined) {
      id = this.floats.length;
      this.marketIds.set(market, id);
      this.floats.push({
        holders: [],
        loose: [],
        table: new Float64Array(0),
        address: market,
        tiers: tiersF([]),
        addon: 0,
        buffer: 0,
        source: null,
        usable: false,
        price: 0,
        conf: 0,
      });
    }
    return id;
  }
}

/** Whether a row can hold `a`: at most LEGS positions, each on its own market (as the program keeps them). */
function fits(a: AccountState): boolean {
  const ps = a.positions;
  if (ps.length > LEGS) return false;
  for (let i = 1; i < ps.length; i++) for (let j = 0; j < i; j++) if (ps[i].market === ps[j].market) return false;
  return true;
}
