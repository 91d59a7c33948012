// Actor snapshots change on every transition; Redis gets the latest per account, written in order
// and coalesced, so a burst of ticks costs one write per account and one round trip per batch.
import type { Control } from "../ops/control.js";

export class SnapshotWriter {
  private pending = new Map<string, unknown | null>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly control: Control,
    private readonly onError: (e: Error) => void,
  ) {}

  write(account: string, snapshot: unknown | null): void {
    this.pending.set(account, snapshot);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    await Promise.resolve();
    while (this.pending.size > 0) {
      const batch = [...this.pending];
      this.pending.clear();
      try {
        await this.control.writeActorSnapshots(batch);
      } catch (e) {
        this.onError(e as Error);
      }
    }
    this.running = null;
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
  }
}
