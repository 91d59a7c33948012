// The operator's wallet: SOL (fees) and quote-token (liquidator fees received) balances read every
// `balanceCheckIntervalMs`, exported as gauges. Below `minOperatorLamports` steps are held (like a
// pause) rather than sent to fail for want of fees; a warning says so once per interval. A read
// that succeeds also tells /readyz the RPC answers.
import type { Connection, PublicKey } from "@solana/web3.js";
import type { Logger } from "./log.js";
import { throttledWarning } from "./log.js";
import type { Metrics } from "./metrics.js";

export interface WalletOptions {
  minOperatorLamports: number;
  balanceCheckIntervalMs: number;
}

type BalanceReader = Pick<Connection, "getBalance" | "getTokenAccountBalance">;

export class WalletWatch {
  lamports: number | null = null;
  quote: bigint | null = null;
  /** Wall-clock ms of the last balance read that succeeded. */
  lastReadMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly lowWarning: (fields?: Record<string, unknown>) => void;
  private readonly readWarning: (fields?: Record<string, unknown>) => void;

  constructor(
    private readonly connection: BalanceReader,
    private readonly operator: PublicKey,
    private readonly token: PublicKey,
    private readonly opts: WalletOptions,
    private readonly metrics: Metrics,
    log: Logger,
  ) {
    this.lowWarning = throttledWarning(
      log,
      "operator SOL balance below minOperatorLamports: steps are held until it is topped up",
      opts.balanceCheckIntervalMs * 3,
    );
    this.readWarning = throttledWarning(log, "cannot read the operator's balances", opts.balanceCheckIntervalMs * 3);
  }

  /** Steps wait while this is true: the last known SOL balance is below the floor. */
  get low(): boolean {
    return this.lamports !== null && this.lamports < this.opts.minOperatorLamports;
  }

  /** Whether the RPC answered a balance read within the last three intervals. */
  get rpcAnswering(): boolean {
    return Date.now() - this.lastReadMs < this.opts.balanceCheckIntervalMs * 3;
  }

  async check(): Promise<void> {
    try {
      this.lamports = await this.connection.getBalance(this.operator, "confirmed");
      this.metrics.operatorLamports.set(this.lamports);
      this.lastReadMs = Date.now();
      if (this.low)
        this.lowWarning({
          lamports: this.lamports,
          minOperatorLamports: this.opts.minOperatorLamports,
          operator: this.operator.toBase58(),
        });
    } catch (e) {
      this.readWarning({ error: (e as Error).message });
      return;
    }
    try {
      this.quote = BigInt((await this.connection.getTokenAccountBalance(this.token, "confirmed")).value.amount);
      this.metrics.operatorQuote.set(Number(this.quote));
    } catch {
      // No token account yet (a live run creates it; a dry run does not): no quote balance to show.
      this.quote = null;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.opts.balanceCheckIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
