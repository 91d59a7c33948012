// A floating-point screen of the accounts the trigger index does not cover: those at risk, and
// healthy ones whose bands are waiting to be redrawn. A price tick sweeps the screened holders of
// its market in float. Where every threshold lies farther from the account's equity than the float
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

/** What the screen holds an account to: the state on record, or "exact" to evaluate it exactly on every tick. */
export type ScreenState = RiskState | "exact";

const STATES: ScreenState[] = ["healthy", "margin-call", "partial-liquidation", "bankrupt"];
const HEALTHY = 0;
const MARGIN_CALL = 1;
const LIQUIDATABLE = 2;
const BANKRUPT = 3;
const EXACT = -1;
const codeOf = (s: ScreenState) => (s === "exact" ? EXACT : STATES.indexOf(s));

/** Units of rounding allowed per position, and once per account. */
const ROUNDING_UNITS = 16;
const RELATIVE_ERROR = 1e-12;

// Each screened account is one row of a Float64Array: a sweep reads one contiguous stretch per
// account instead of chasing objects across the heap (at 100k+ accounts the cache misses cost
// several times the arithmetic).
/** Positions per row: the program's MAX_POSITIONS (the account layout holds no more). */
const LEGS = 8;
/** Field 0 is unused: the state is kept per id (`states`), not in the rows and their copies. */
const STATUS = 1;
const COLLATERAL = 2;
const SLOT = 3;
const COUNT = 4;
/** Then per position: market id, base (1e9), quote entry. */
const LEG0 = 5;
const ROW = LEG0 + 3 * LEGS;
/** Rows allocated at first, and never given back below. */
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
  /** A copy of each holder's row, in the order of `holders`: the sweep reads one stretch of memory. */
  table: Float64Array;
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
  // Accounts are small integers inside, so the sweep walks arrays, not maps of strings.
  private readonly ids = new Map<string, number>();
  private names: (string | undefined)[] = [];
  private freeIds: number[] = [];
  private rows = new Float64Array(ROW * MIN_ROWS);
  /** State code per id (the rows' STATE field is not used: copies would have to agree). */
  private states = new Int8Array(MIN_ROWS);
  /**
   * Healthy accounts whose bands are due to be redrawn: a flag per id, and the ids in the order
   * they became due (an id whose flag was cleared since, by `remove` or `takeDue`, is skipped).
   */
  private due = new Uint8Array(MIN_ROWS);
  private dueOrder: number[] = [];
  private dueHead = 0;
  private dueCount = 0;
  /** Per account and position: where the account sits in that market's holder list. */
  private at = new Int32Array(LEGS * MIN_ROWS);
  /** A row for `decide`, outside the table, and the account it holds (`put` copies it). */
  private readonly probe = new Float64Array(ROW);
  private probed: AccountState | null = null;
  private readonly marketIds = new Map<string, number>();
  private readonly floats: MarketFloat[] = [];
  private readonly bandPpm: number;
  /** Scratch for the sweep: no allocation per account. */
  private readonly h: FloatHealth = { equity: 0, maintenance: 0, liquidationEnd: 0, call: 0, bound: 0 };

  constructor(marginCallBandPpm: bigint) {
    this.bandPpm = Number(marginCallBandPpm);
  }

  get size(): number {
    return this.ids.size;
  }

  /** Bytes held in the screen's typed arrays (rows, their per-market copies, per-id fields). */
  get allocatedBytes(): number {
    let n = this.rows.byteLength + this.at.byteLength + this.states.byteLength + this.due.byteLength;
    for (const f of this.floats) n += f.table.byteLength;
    return n;
  }

  /** How many screened accounts have their bands due (`put` with `due`, or healed by a sweep). */
  get dueSize(): number {
    return this.dueCount;
  }

  /** Up to `max` accounts whose bands are due, the longest due first; each is due no more. */
  takeDue(max: number): string[] {
    const out: string[] = [];
    const order = this.dueOrder;
    while (out.length < max && this.dueHead < order.length) {
      const id = order[this.dueHead++];
      if (this.due[id] === 0) continue;
      this.due[id] = 0;
      this.dueCount--;
      out.push(this.names[id]!);
    }
    if (this.dueHead === order.length) {
      order.length = 0;
      this.dueHead = 0;
    } else if (this.dueHead > 1024 && this.dueHead * 2 > order.length) {
      this.dueOrder = order.slice(this.dueHead);
      this.dueHead = 0;
    }
    return out;
  }

  /** Makes the bands of every screened holder of `market` held healthy due. */
  healthyDue(market: string): void {
    const m = this.marketIds.get(market);
    if (m === undefined) return;
    for (const id of this.floats[m].holders) if (this.states[id] === HEALTHY) this.markDue(id);
  }

  private markDue(id: number): void {
    if (this.due[id] !== 0) return;
    this.due[id] = 1;
    this.dueCount++;
    this.dueOrder.push(id);
  }

  has(account: string): boolean {
    return this.ids.has(account);
  }

  state(account: string): ScreenState | undefined {
    const id = this.ids.get(account);
    if (id === undefined) return undefined;
    const code = this.states[id];
    return code === EXACT ? "exact" : STATES[code];
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
    for (const id of this.ids.values()) if (this.states[id] === code) n++;
    return n;
  }

  /** Screened holders of `market`. */
  holdersOf(market: string): string[] {
    const m = this.marketIds.get(market);
    return m === undefined ? [] : this.floats[m].holders.map((id) => this.names[id]!);
  }

  /** Screens `a` at `state` (what an exact evaluation just decided, or "exact"); `due`: its bands are to be redrawn. */
  put(a: AccountState, state: ScreenState, due = false): void {
    if (a.positions.length > LEGS) throw new RangeError(`${a.address} has more than ${LEGS} positions`);
    this.remove(a.address);
    const id = this.freeIds.pop() ?? this.names.length;
    this.grow(id);
    this.names[id] = a.address;
    this.ids.set(a.address, id);
    const r = id * ROW;
    const n = a.positions.length;
    // Decided just before (a tick's crossed account): its row is filled already.
    if (this.probed === a) this.rows.set(this.probe, r);
    else this.fill(this.rows, r, a, n);
    this.probed = null;
    this.states[id] = codeOf(state);
    const row = this.rows.subarray(r, r + ROW);
    for (let i = 0; i < n; i++) {
      const f = this.floats[this.rows[r + LEG0 + i * 3]];
      const slot = f.holders.push(id) - 1;
      if ((slot + 1) * ROW > f.table.length) f.table = grown(f.table, Math.max(f.table.length * 2, ROW * 64));
      f.table.set(row, slot * ROW);
      this.at[id * LEGS + i] = slot;
    }
    if (due) this.markDue(id);
  }

  remove(account: string): boolean {
    const id = this.ids.get(account);
    if (id === undefined) return false;
    const rows = this.rows;
    const r = id * ROW;
    for (let i = 0; i < rows[r + COUNT]; i++) {
      const m = rows[r + LEG0 + i * 3];
      const f = this.floats[m];
      const list = f.holders;
      const slot = this.at[id * LEGS + i];
      const moved = list.pop()!;
      if (moved !== id) {
        list[slot] = moved;
        const last = list.length;
        f.table.copyWithin(slot * ROW, last * ROW, last * ROW + ROW);
      }
      // Emptied (after a wave, or a start that screened the book): give the table back.
      if (f.table.length > ROW * MIN_ROWS && list.length * ROW * 8 < f.table.length) {
        f.table = f.table.slice(0, f.table.length / 4);
      }
      if (moved === id) continue;
      const o = moved * ROW;
      for (let j = 0; j < rows[o + COUNT]; j++) if (rows[o + LEG0 + j * 3] === m) this.at[moved * LEGS + j] = slot;
    }
    this.ids.delete(account);
    this.names[id] = undefined;
    if (this.due[id] !== 0) {
      this.due[id] = 0;
      this.dueCount--;
    }
    this.freeIds.push(id);
    // Emptied after a wave (or a start that screened the book): give the rows back.
    if (this.names.length > MIN_ROWS * 4 && this.ids.size * 8 < this.names.length) this.compact();
    return true;
  }

  /** Renumbers the screened accounts 0..n−1 into tables sized for them; holder lists keep their order. */
  private compact(): void {
    let capacity = MIN_ROWS;
    while (capacity < this.ids.size * 2) capacity *= 2;
    const rows = new Float64Array(ROW * capacity);
    const at = new Int32Array(LEGS * capacity);
    const states = new Int8Array(capacity);
    const due = new Uint8Array(capacity);
    const names: string[] = [];
    const renumbered = new Int32Array(this.names.length);
    for (const [name, id] of this.ids) {
      const next = names.push(name) - 1;
      rows.set(this.rows.subarray(id * ROW, id * ROW + ROW), next * ROW);
      at.set(this.at.subarray(id * LEGS, id * LEGS + LEGS), next * LEGS);
      states[next] = this.states[id];
      due[next] = this.due[id];
      renumbered[id] = next;
      this.ids.set(name, next);
    }
    for (const f of this.floats) for (let i = 0; i < f.holders.length; i++) f.holders[i] = renumbered[f.holders[i]];
    // Still due, in the order they became due.
    const order: number[] = [];
    for (let i = this.dueHead; i < this.dueOrder.length; i++) {
      const id = this.dueOrder[i];
      if (this.due[id] !== 0 && this.names[id] !== undefined) order.push(renumbered[id]);
    }
    this.dueOrder = order;
    this.dueHead = 0;
    this.rows = rows;
    this.at = at;
    this.states = states;
    this.due = due;
    this.names = names;
    this.freeIds = [];
  }

  /** Writes `a` into the row at `r`; false (the row unfinished) on a market not registered, unless `register`. */
  private fill(rows: Float64Array, r: number, a: AccountState, n: number, register = true): boolean {
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
      rows[r + LEG0 + i * 3] = m;
      rows[r + LEG0 + i * 3 + 1] = Number(p.base);
      rows[r + LEG0 + i * 3 + 2] = Number(p.quoteEntry);
    }
    return true;
  }

  private grow(id: number): void {
    if ((id + 1) * ROW <= this.rows.length) return;
    this.rows = grown(this.rows, this.rows.length * 2);
    this.at = grown(this.at, this.at.length * 2);
    this.states = grown(this.states, this.states.length * 2);
    this.due = grown(this.due, this.due.length * 2);
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
        exact.push(this.names[id]!);
        continue;
      }
      const now = this.screened(table, i * ROW, fresh);
      if (now === state) continue;
      if (now === EXACT) exact.push(this.names[id]!);
      else {
        states[id] = now;
        changed.push(this.names[id]!);
        if (now === HEALTHY && healDue) this.markDue(id);
      }
    }
  }

  /**
   * The state the exact math gives `a` at the prices of the last `price` call when the float
   * health decides it beyond doubt, else null. For a crossed account, healthy means only its
   * bands need redrawing.
   */
  decide(a: AccountState, fresh: Freshness): RiskState | null {
    this.probed = null;
    if (a.positions.length > LEGS) return null;
    // A market not registered by `price` has no price of this tick.
    if (!this.fill(this.probe, 0, a, a.positions.length, false)) return null;
    this.probed = a;
    const code = this.screened(this.probe, 0, fresh);
    return code === EXACT ? null : (STATES[code] as RiskState);
  }

  /** The float health of a screened account at the prices of the last `price` call (tests compare it with the exact math). */
  floatHealth(account: string): FloatHealth | null {
    const id = this.ids.get(account);
    return id !== undefined && this.health(this.rows, id * ROW) ? { ...this.h } : null;
  }

  /** State code decided in float, or -1 when the exact math must decide. */
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
      const leg = r + LEG0 + i * 3;
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

/** A copy of `a` at `length` (≥ its own), zero-filled beyond it. */
function grown<T extends Float64Array | Int32Array | Int8Array | Uint8Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}
