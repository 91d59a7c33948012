// A bounded history: the dashboard keeps the last `capacity` samples of each series in memory, so
// an orchestrator that runs for weeks holds the same few kilobytes as one that just started.
export class Ring<T> {
  private items: T[] = [];

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items];
  }

  get size(): number {
    return this.items.length;
  }
}
