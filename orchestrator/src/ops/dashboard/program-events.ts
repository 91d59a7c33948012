// The program's liquidation records and bankruptcy resolutions as they land, whoever sent them:
// one `logsSubscribe` on the program, decoded with the SDK's event parser. The dashboard lists the
// latest; nothing here is on the decision path, so a dropped notification costs a row, not a step.
import type { Connection, PublicKey } from "@solana/web3.js";
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

export class ProgramEvents {
  readonly liquidations: Ring<LiquidationRow>;
  readonly bankruptcies: Ring<BankruptcyRow>;
  private subscription: number | undefined;

  constructor(capacity = 200) {
    this.liquidations = new Ring(capacity);
    this.bankruptcies = new Ring(capacity);
  }

  start(connection: Connection, programId: PublicKey): void {
    this.subscription = connection.onLogs(
      programId,
      (l) => {
        if (!l.err) this.add(l.signature, parseEvents(l.logs, programId.toBase58()));
      },
      "confirmed",
    );
    this.connection = connection;
  }

  private connection: Connection | undefined;

  async stop(): Promise<void> {
    if (this.subscription !== undefined) await this.connection?.removeOnLogsListener(this.subscription).catch(() => {});
    this.subscription = undefined;
  }

  /** One transaction's events. */
  add(signature: string, events: AnyEvent[], atMs = Date.now()): void {
    for (const { data: r } of eventsNamed(events, "liquidationRecord")) {
      this.liquidations.push({
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
      this.bankruptcies.push({
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
