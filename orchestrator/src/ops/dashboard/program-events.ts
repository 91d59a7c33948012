// The program's liquidation records and bankruptcy resolutions as they land, whoever sent them:
// one `logsSubscribe` on the program, decoded with the SDK's event parser. The dashboard lists the
// latest; nothing here is on the decision path, so a dropped notification costs a row, not a step.
// In a wave every step's transaction is notified here too, so a notification with event data only
// keeps its logs (a bounded number of them); they are decoded when the rows are read.
import type { PublicKey } from "@solana/web3.js";
import type { PubSub } from "../../chain/pubsub.js";
import { eventsNamed, parseEvents } from "../../../../sdk/src/events.js";
import type { AnyEvent } from "../../../../sdk/src/idl/types.js";
import { Ring } from "./ring.js";

/** Quote native units (1e6 = $1) as USD. */
export const usd = (v: bigint) => Number(v) / 1e6;

export interface LiquidationRow {
  atMs: number;
  signature: string;
  account: string;
  market: string;
  liquidator: string;
  liquidationId: string;
  closedNotionalUsd: number;
  oraclePrice: number;
  execPrice: number;
  liquidatorFeeUsd: number;
  insuranceFeeUsd: number;
  equityBeforeUsd: number;
  maintenanceBeforeUsd: number;
  equityAfterUsd: number;
  maintenanceAfterUsd: number;
  /** The account's status after the step: 0 healthy, 1 being liquidated, 2 bankrupt. */
  statusAfter: number;
}

export interface BankruptcyRow {
  atMs: number;
  signature: string;
  account: string;
  market: string;
  liquidationId: string;
  deficitUsd: number;
  /** How it was paid: from the market's insurance fund, and what the pool's holders absorbed (bad debt). */
  insurancePaidUsd: number;
  socializedLossUsd: number;
  insuranceAfterUsd: number;
}

/** The line an Anchor event is logged on. */
const EVENT_LOG = "Program data: ";

interface LogsNotification {
  value?: { signature?: unknown; err?: unknown; logs?: unknown };
}

/** A transaction's logs as notified, not decoded yet. */
interface Unread {
  signature: string;
  logs: string[];
  atMs: number;
}

export class ProgramEvents {
  private readonly liquidationRows: Ring<LiquidationRow>;
  private readonly bankruptcyRows: Ring<BankruptcyRow>;
  private unread: Unread[] = [];
  private unsubscribe: (() => void) | undefined;
  private programId = "";

  constructor(private readonly capacity = 200) {
    this.liquidationRows = new Ring(capacity);
    this.bankruptcyRows = new Ring(capacity);
  }

  /** The newest liquidation records, oldest first. */
  get liquidations(): Ring<LiquidationRow> {
    this.read();
    return this.liquidationRows;
  }

  /** The newest bankruptcy resolutions, oldest first. */
  get bankruptcies(): Ring<BankruptcyRow> {
    this.read();
    return this.bankruptcyRows;
  }

  start(pubsub: PubSub, programId: PublicKey): void {
    this.programId = programId.toBase58();
    this.unsubscribe = pubsub.subscribe(
      "logsSubscribe",
      [{ mentions: [this.programId] }, { commitment: "confirmed" }],
      (result) => this.notified(result as LogsNotification),
    );
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * One logs notification: kept as it came when it may hold a row (a failed transaction recorded
   * nothing; one without event data, such as a trade or a deposit, has no row).
   */
  notified(n: LogsNotification, atMs = Date.now()): void {
    const v = n?.value;
    if (!v || v.err || typeof v.signature !== "string" || !Array.isArray(v.logs)) return;
    const logs = v.logs as string[];
    if (!logs.some((l) => typeof l === "string" && l.startsWith(EVENT_LOG))) return;
    this.unread.push({ signature: v.signature, logs, atMs });
    // Bounded: a transaction with event data may still hold neither kind of row, so keep some
    // more than the rings hold; the oldest would fall out of them first.
    if (this.unread.length > 4 * this.capacity) this.unread = this.unread.slice(-2 * this.capacity);
  }

  private read(): void {
    if (this.unread.length === 0) return;
    const unread = this.unread;
    this.unread = [];
    for (const u of unread) {
      try {
        this.add(u.signature, parseEvents(u.logs, this.programId), u.atMs);
      } catch {
        // Logs this decoder cannot read (another program version's event): no row, the rest still are.
      }
    }
  }

  /** One transaction's events. */
  add(signature: string, events: AnyEvent[], atMs = Date.now()): void {
    for (const { data: r } of eventsNamed(events, "liquidationRecord")) {
      this.liquidationRows.push({
        atMs,
        signature,
        account: r.marginAccount,
        market: r.market,
        liquidator: r.liquidator,
        liquidationId: r.liquidationId.toString(),
        closedNotionalUsd: usd(r.closedNotional),
        oraclePrice: usd(r.oraclePrice),
        execPrice: usd(r.execPrice),
        liquidatorFeeUsd: usd(r.liquidatorFee),
        insuranceFeeUsd: usd(r.insuranceFee),
        equityBeforeUsd: usd(r.equityBefore),
        maintenanceBeforeUsd: usd(r.maintenanceBefore),
        equityAfterUsd: usd(r.equityAfter),
        maintenanceAfterUsd: usd(r.maintenanceAfter),
        statusAfter: Number(r.statusAfter),
      });
    }
    for (const { data: b } of eventsNamed(events, "bankruptcyResolved")) {
      this.bankruptcyRows.push({
        atMs,
        signature,
        account: b.marginAccount,
        market: b.market,
        liquidationId: b.liquidationId.toString(),
        deficitUsd: usd(b.deficit),
        insurancePaidUsd: usd(b.insurancePaid),
        socializedLossUsd: usd(b.socializedLoss),
        insuranceAfterUsd: usd(b.insuranceBalanceAfter),
      });
    }
  }
}
