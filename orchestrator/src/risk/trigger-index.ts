// Band edges by market, so a price tick finds the accounts whose band it left without looking at the
// others. Edges sit in buckets on a log-price grid; a tick visits only the buckets between the old
// and the new price (plus one either side, so float rounding of the logarithm cannot hide an edge)
// and checks each candidate's edge exactly.
//
// Contract with the caller: bands must contain the market's price at upsert; every tick of a market
// is passed in, with `oldPrice` the price of the previous call; an account returned by `crossed` is
// upserted, removed or suspended before the next tick (the tick path suspends it and watches it in
// its float screen until its bands are redrawn). Accounts at risk are not indexed: the caller
// watches them on every tick of their markets. When a market's risk parameters change, the bands
// of `accountsOn(market)` are to be recomputed.
import { AccountIds, HELD_BY_INDEX, grown, lengthFor } from "./account-ids.js";
import { NO_LOWER, NO_UPPER, type Band } from "./bands.js";

export interface TriggerIndexOptions {
  /** Width of a bucket in basis points of price (default 10). */
  bucketBps?: number;
}

/** A bucket: (id, edge) pairs, so a tick reads each candidate's edge where it finds the candidate. */
type Bucket = number[];

interface MarketEdges {
  lower: Map<number, Bucket>;
  upper: Map<number, Bucket>;
}

/** Per band in an account's record: market, lo, hi, and where its lower and upper edges sit in their buckets (−1: none). */
const REC = 5;

const EXACT = Number.MAX_SAFE_INTEGER;

export class TriggerIndex {
  readonly bucketBps: number;
  private readonly perLog: number;
  // Accounts are small integers inside (shared with the float screen when the tick path passes its
  // ids): sets of small integers and flat number arrays cost far less than sets of strings and
  // band objects.
  /** Per id while its edges are in the buckets: REC numbers per band; lo 0 = open downwards, hi Infinity = open upwards. */
  private readonly edges: (number[] | undefined)[] = [];
  /** Per id: 1 while indexed (a suspended id keeps its edges in the buckets until `reclaim`). */
  private indexed = new Uint8Array(1024);
  private count = 0;
  private readonly marketIds = new Map<string, number>();
  private readonly markets: MarketEdges[] = [];
  /** Ids taken out by `suspend`, their edges still in the buckets until `reclaim`. */
  private readonly suspended: number[] = [];

  constructor(
    opts: TriggerIndexOptions = {},
    readonly ids: AccountIds = new AccountIds(),
  ) {
    this.bucketBps = opts.bucketBps ?? 10;
    if (!(this.bucketBps > 0)) throw new RangeError("bucket width must be positive");
    this.perLog = 1 / Math.log1p(this.bucketBps / 10_000);
  }

  get size(): number {
    return this.count;
  }

  has(account: string): boolean {
    const id = this.ids.get(account);
    return id !== undefined && this.indexed[id] === 1;
  }

  upsert(account: string, bands: readonly Band[]): void {
    const merged: number[] = [];
    for (const b of bands) {
      if (b.lo > b.hi) throw new RangeError(`empty band on ${b.market} for ${account}`);
      const m = this.marketId(b.market);
      const lo = b.lo > NO_LOWER ? Number(b.lo) : 0;
      const hi = b.hi < NO_UPPER ? Number(b.hi) : Infinity;
      const at = slotOf(merged, m);
      if (at < 0) merged.push(m, lo, hi, -1, -1);
      else {
        merged[at + 1] = Math.max(merged[at + 1], lo);
        merged[at + 2] = Math.min(merged[at + 2], hi);
      }
    }
    // A copy is allocated at its exact length; the pushed-to array keeps room for more.
    const rec = merged.slice();
    const id = this.ids.acquire(account, HELD_BY_INDEX);
    if (id >= this.indexed.length) this.indexed = grown(this.indexed, lengthFor(this.indexed.length, id));
    this.unlink(id);
    if (this.indexed[id] === 0) {
      this.indexed[id] = 1;
      this.count++;
    }
    this.edges[id] = rec;
    for (let i = 0; i < rec.length; i += REC) {
      const e = this.markets[rec[i]];
      if (rec[i + 1] > 0) rec[i + 3] = add(e.lower, this.bucket(rec[i + 1]), id, rec[i + 1]);
      if (rec[i + 2] !== Infinity) rec[i + 4] = add(e.upper, this.bucket(rec[i + 2]), id, rec[i + 2]);
    }
  }

  /** Takes `account` out with its edges; false if it was not indexed. */
  remove(account: string): boolean {
    const id = this.ids.get(account);
    if (id === undefined || !this.ids.holds(id, HELD_BY_INDEX)) return false;
    const was = this.indexed[id] === 1;
    if (was) {
      this.indexed[id] = 0;
      this.count--;
    }
    this.drop(id);
    return was;
  }

  /**
   * Takes `account` out at once and its edges later (`reclaim`): what a tick does with each
   * account it finds outside its band, so the tick pays a flag instead of the unlinking.
   */
  suspend(account: string): boolean {
    const id = this.ids.get(account);
    return id !== undefined && this.suspendId(id);
  }

  /** `suspend` by id (from `crossedIds`). */
  suspendId(id: number): boolean {
    if (this.indexed[id] !== 1) return false;
    this.indexed[id] = 0;
    this.count--;
    this.suspended.push(id);
    return true;
  }

  /** Suspended accounts whose edges may still be in the buckets. */
  get suspendedCount(): number {
    return this.suspended.length;
  }

  /** Unlinks the edges of up to `max` suspended accounts, freeing their ids. */
  reclaim(max: number): void {
    for (let n = 0; n < max && this.suspended.length > 0; n++) {
      const id = this.suspended.pop()!;
      // Indexed again since, or removed (and its id perhaps another account's): nothing to do.
      if (this.indexed[id] === 0 && this.ids.holds(id, HELD_BY_INDEX)) this.drop(id);
    }
  }

  /** Accounts whose band on `market` does not contain `newPrice` among those it reached from `oldPrice`. */
  crossed(market: string, oldPrice: bigint, newPrice: bigint): string[] {
    const out: number[] = [];
    this.crossedIds(market, oldPrice, newPrice, out);
    return out.map((id) => this.ids.name(id));
  }

  /** `crossed`, the ids pushed to `out`. */
  crossedIds(market: string, oldPrice: bigint, newPrice: bigint, out: number[]): void {
    const m = this.marketIds.get(market);
    if (m === undefined || oldPrice === newPrice) return;
    const down = newPrice < oldPrice;
    const np = Number(newPrice);
    const bNew = this.bucket(Math.max(np, 1));
    const bOld = this.bucket(Math.max(Number(oldPrice), 1));
    const indexed = this.indexed;
    const visit = (pairs: Bucket) => {
      for (let k = 0; k < pairs.length; k += 2) {
        const id = pairs[k];
        // Suspended: out of the index, its edges not yet unlinked.
        if (indexed[id] === 0) continue;
        const edge = pairs[k + 1];
        // Number() is monotone, so an edge past the new price never compares as inside it.
        const outside = down ? edge > np || (edge === np && np > EXACT) : edge < np || (edge === np && np > EXACT);
        if (outside) out.push(id);
      }
    };
    const buckets = down ? this.markets[m].lower : this.markets[m].upper;
    const from = Math.min(bNew, bOld) - 1;
    const to = Math.max(bNew, bOld) + 1;
    if (to - from + 1 <= buckets.size) {
      for (let b = from; b <= to; b++) {
        const ids = buckets.get(b);
        if (ids) visit(ids);
      }
    } else {
      for (const [b, ids] of buckets) if (b >= from && b <= to) visit(ids);
    }
  }

  /** Every indexed account with a band on `market` (a scan: for the rare change of a market's parameters). */
  accountsOn(market: string): string[] {
    const m = this.marketIds.get(market);
    const out: string[] = [];
    if (m === undefined) return out;
    for (let id = 0; id < this.edges.length; id++) {
      const rec = this.edges[id];
      if (rec && this.indexed[id] === 1 && slotOf(rec, m) >= 0) out.push(this.ids.name(id));
    }
    return out;
  }

  private bucket(price: number): number {
    return Math.floor(Math.log(price) * this.perLog);
  }

  private marketId(market: string): number {
    let m = this.marketIds.get(market);
    if (m === undefined) {
      m = this.markets.length;
      this.marketIds.set(market, m);
      this.markets.push({ lower: new Map(), upper: new Map() });
    }
    return m;
  }

  /** Unlinks the edges of `id` and lets its id go. */
  private drop(id: number): void {
    this.unlink(id);
    this.edges[id] = undefined;
    this.ids.release(id, HELD_BY_INDEX);
  }

  private unlink(id: number): void {
    const rec = this.edges[id];
    if (!rec) return;
    for (let i = 0; i < rec.length; i += REC) {
      const m = rec[i];
      const e = this.markets[m];
      if (rec[i + 3] >= 0) this.dropEdge(e.lower, this.bucket(rec[i + 1]), rec[i + 3], m, 3);
      if (rec[i + 4] >= 0) this.dropEdge(e.upper, this.bucket(rec[i + 2]), rec[i + 4], m, 4);
      rec[i + 3] = -1;
      rec[i + 4] = -1;
    }
  }

  /** Takes the pair at `pos` out of bucket `b`: the last pair moves in, and its record learns where (field `side` of its band on `m`). */
  private dropEdge(buckets: Map<number, Bucket>, b: number, pos: number, m: number, side: 3 | 4): void {
    const pairs = buckets.get(b)!;
    const last = pairs.length - 2;
    if (pos !== last) {
      const moved = pairs[last];
      pairs[pos] = moved;
      pairs[pos + 1] = pairs[last + 1];
      const rec = this.edges[moved]!;
      rec[slotOf(rec, m) + side] = pos;
    }
    pairs.length = last;
    if (last === 0) buckets.delete(b);
  }
}

function slotOf(rec: number[], market: number): number {
  for (let i = 0; i < rec.length; i += REC) if (rec[i] === market) return i;
  return -1;
}

/** Adds the pair (id, edge) to bucket `b`; where it sits. */
function add(buckets: Map<number, Bucket>, b: number, id: number, edge: number): number {
  let pairs = buckets.get(b);
  if (!pairs) buckets.set(b, (pairs = []));
  pairs.push(id, edge);
  return pairs.length - 2;
}
