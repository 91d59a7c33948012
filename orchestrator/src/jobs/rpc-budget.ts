// The steps' share of the RPC plan: a token bucket every step call takes from, whatever queue the
// step came from, so a wave of liquidations uses the whole budget instead of a fixed slice per
// queue. Up to one second of calls may go out at once; beyond that, callers wait their turn.
export class RpcBudget {
  private tokens: number;
  private last = Date.now();
  private readonly waiting: { n: number; resolve: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Calls asked for so far. */
  taken = 0;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
  }

  /** Whether one call could go out now without waiting (nobody queued, a token left). */
  ready(): boolean {
    this.refill();
    return this.waiting.length === 0 && this.tokens >= 1;
  }

  /** Resolves once `n` calls may be made; first come, first served. */
  take(calls = 1): Promise<void> {
    const n = Math.min(calls, this.perSecond);
    this.taken += calls;
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= n) {
      this.tokens -= n;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push({ n, resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    const missing = this.waiting[0].n - this.tokens;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.refill();
        while (this.waiting.length > 0 && this.tokens >= this.waiting[0].n) {
          const next = this.waiting.shift()!;
          this.tokens -= next.n;
          next.resolve();
        }
        this.schedule();
      },
      Math.max(1, Math.ceil((missing * 1000) / this.perSecond)),
    );
  }
}
