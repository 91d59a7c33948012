// Small integer ids for account addresses, shared by the trigger index and the float screen, so a
// tick hands the accounts it finds from one to the other as numbers: no address is looked up or
// moved between maps on the tick path. Each holder of an id (the index while the account's edges are
// in its buckets, the screen while it keeps the account's row) sets its bit; the id is free again
// once no bit is set.

/** The bit of each holder of an id. */
export const HELD_BY_INDEX = 1;
export const HELD_BY_SCREEN = 2;

export class AccountIds {
  private readonly ids = new Map<string, number>();
  private readonly names: (string | undefined)[] = [];
  private readonly free: number[] = [];
  private held = new Uint8Array(1024);

  /** Ids in use. */
  get size(): number {
    return this.ids.size;
  }

  /** One more than the highest id ever handed out: per-id arrays sized to it hold every id. */
  get extent(): number {
    return this.names.length;
  }

  get(address: string): number | undefined {
    return this.ids.get(address);
  }

  /** The address of a live id. */
  name(id: number): string {
    return this.names[id]!;
  }

  /** The id of `address` (a new one if it has none), held by `bit` from now on. */
  acquire(address: string, bit: number): number {
    let id = this.ids.get(address);
    if (id === undefined) {
      id = this.free.pop() ?? this.names.length;
      this.ids.set(address, id);
      this.names[id] = address;
      if (id >= this.held.length) this.held = grown(this.held, lengthFor(this.held.length, id));
    }
    this.held[id] |= bit;
    return id;
  }

  holds(id: number, bit: number): boolean {
    return (this.held[id] & bit) !== 0;
  }

  /** `bit` no longer holds `id`; with no holder left the id is free for another address. */
  release(id: number, bit: number): void {
    if ((this.held[id] & bit) === 0) return;
    this.held[id] &= ~bit;
    if (this.held[id] !== 0) return;
    this.ids.delete(this.names[id]!);
    this.names[id] = undefined;
    this.free.push(id);
  }
}

/** A copy of `a` at `length` (≥ its own), zero-filled beyond it. */
export function grown<T extends Float64Array | Int32Array | Int8Array | Uint8Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}

/** `length` doubled until an array of it holds index `id`. */
export function lengthFor(length: number, id: number): number {
  let n = Math.max(length, 1);
  while (n <= id) n *= 2;
  return n;
}

/**
 * Ids in the order they were added, each at most once: a flag per id and a queue of ids (an entry
 * whose id was deleted since is skipped).
 */
export class IdQueue {
  private flags = new Uint8Array(1024);
  private order: number[] = [];
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get allocatedBytes(): number {
    return this.flags.byteLength;
  }

  add(id: number): void {
    if (id >= this.flags.length) this.flags = grown(this.flags, lengthFor(this.flags.length, id));
    if (this.flags[id] === 1) return;
    this.flags[id] = 1;
    this.count++;
    this.order.push(id);
  }

  /** False if `id` was not queued. */
  delete(id: number): boolean {
    if (this.flags[id] !== 1) return false;
    this.flags[id] = 0;
    this.count--;
    return true;
  }

  /** Up to `max` ids, the longest queued first, each taken out; pushed to `out`, which is returned. */
  take(max: number, out: number[] = []): number[] {
    const order = this.order;
    let taken = 0;
    while (taken < max && this.head < order.length) {
      const id = order[this.head++];
      if (!this.delete(id)) continue;
      out.push(id);
      taken++;
    }
    if (this.head === order.length) {
      order.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}
