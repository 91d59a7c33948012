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
