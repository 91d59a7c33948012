// What the wave is measured by, read from the chain in the benchmark's own process, the same for
// every liquidator: the program's events in transaction logs (web3.js onLogs), the localnet's
// request counts, the liquidator's CPU time, and the markets' loss and insurance totals.
import * as anchor from "@coral-xyz/anchor";
import type { Connection, PublicKey } from "@solana/web3.js";
import type { Margin } from "../../src/chain/idl.js";
import { METHOD_NOT_FOUND, RpcError, type RemoteLocalnet } from "../../demo/localnet-process.js";
import { RecordCheck, type EventData } from "../../demo/record-check.js";

const big = (v: { toString(): string }) => BigInt(v.toString());

const STEP_EVENTS = new Set(["liquidationRecord", "bankruptcyResolved", "accountFlagged"]);

interface Mark {
  ms: number;
  slots: number;
}

interface AccountTrack {
  first?: Mark;
  /** Set when the latest step left the account healthy or resolved its bankruptcy. */
  cured?: Mark;
}

/** Program events of every transaction after the crash, with the checks of demo/report.ts. */
export class WaveObserver {
  private readonly parser: anchor.EventParser;
  private readonly tracks = new Map<string, AccountTrack>();
  /** The record check of demo/record-check.ts, over every event after the crash. */
  readonly records = new RecordCheck();
  private subscription: number | undefined;
  private crash: { atMs: number; slot: number } | undefined;
  /** Transactions that only flagged an account (no liquidation step in the same transaction). */
  flagOnlyTransactions = 0;
  failedTransactions = 0;
  eventsBeforeCrash = 0;
  lastStepMs = 0;
  /** Signatures of the transactions after the crash that took a step (flag, liquidation, resolution). */
  readonly stepSignatures = new Set<string>();

  private readonly programId: PublicKey;

  constructor(
    private readonly connection: Connection,
    program: anchor.Program<Margin>,
  ) {
    this.programId = program.programId;
    // The Program's IDL has the camelCase names its coder decodes events into (as demo/report.ts).
    this.parser = new anchor.EventParser(program.programId, new anchor.BorshCoder(program.idl));
  }

  start(): void {
    this.subscription = this.connection.onLogs(
      this.programId,
      (logs, ctx) => this.onLogs(logs.err, logs.logs, ctx.slot, logs.signature),
      "confirmed",
    );
  }

  async stop(): Promise<void> {
    if (this.subscription !== undefined) await this.connection.removeOnLogsListener(this.subscription).catch(() => {});
  }

  crashed(atMs: number, slot: number): void {
    this.crash = { atMs, slot };
  }

  private onLogs(err: unknown, logs: string[], slot: number, signature: string): void {
    if (err) {
      this.failedTransactions++;
      return;
    }
    const now = Date.now();
    const events = [...this.parser.parseLogs(logs)];
    if (this.crash && events.some((e) => STEP_EVENTS.has(e.name))) this.stepSignatures.add(signature);
    if (
      this.crash &&
      events.some((e) => e.name === "accountFlagged") &&
      !events.some((e) => e.name === "liquidationRecord")
    )
      this.flagOnlyTransactions++;
    for (const e of events) {
      if (e.name !== "liquidationRecord" && e.name !== "bankruptcyResolved" && e.name !== "accountFlagged") continue;
      if (!this.crash) {
        this.eventsBeforeCrash++;
        continue;
      }
      const mark = { ms: now - this.crash.atMs, slots: slot - this.crash.slot };
      const d = e.data as EventData;
      const account = d.marginAccount.toString();
      const track = this.tracks.get(account) ?? {};
      this.tracks.set(account, track);
      this.records.add(e.name, d);
      if (e.name === "accountFlagged") continue;
      this.lastStepMs = mark.ms;
      if (e.name === "bankruptcyResolved") {
        track.cured = mark;
        continue;
      }
      track.first ??= mark;
      track.cured = Number(d.statusAfter.toString()) === 0 ? mark : undefined;
    }
  }

  cured(accounts: Iterable<string>): number {
    let n = 0;
    for (const a of accounts) if (this.tracks.get(a)?.cured) n++;
    return n;
  }

  firsts(): Mark[] {
    return [...this.tracks.values()].flatMap((t) => (t.first ? [t.first] : []));
  }

  /** The latest cure among `accounts`, or undefined if one is not cured. */
  allCured(accounts: Iterable<string>): Mark | undefined {
    let last: Mark = { ms: 0, slots: 0 };
    for (const a of accounts) {
      const c = this.tracks.get(a)?.cured;
      if (!c) return undefined;
      if (c.ms > last.ms) last = c;
    }
    return last;
  }

  touched(): number {
    return this.tracks.size;
  }
}

export interface LocalnetStats {
  requests: Record<string, number>;
  transactions: number;
}

/** `localnet_stats`, or null when this localnet does not offer it. */
export async function localnetStats(local: RemoteLocalnet): Promise<LocalnetStats | null> {
  try {
    return await local.rpc<LocalnetStats>("localnet_stats");
  } catch (e) {
    if (e instanceof RpcError && e.code === METHOD_NOT_FOUND) return null;
    throw e;
  }
}

/** Requests per method between two stats readings, less `own` (this process's calls in between). */
export function requestDelta(
  before: LocalnetStats | null,
  after: LocalnetStats | null,
  own: Record<string, number>,
): { total: number; byMethod: Record<string, number> } | null {
  if (!before || !after) return null;
  const byMethod: Record<string, number> = {};
  let total = 0;
  for (const [method, count] of Object.entries(after.requests)) {
    const d = count - (before.requests[method] ?? 0) - (own[method] ?? 0);
    if (d > 0) byMethod[method] = d;
    total += Math.max(0, d);
  }
  return { total, byMethod };
}

export interface MarketTotals {
  socializedLoss: bigint;
  insurancePaid: bigint;
  liquidations: bigint;
}

export async function marketTotals(program: anchor.Program<Margin>): Promise<MarketTotals> {
  const rows = await program.account.market.all();
  const t: MarketTotals = { socializedLoss: 0n, insurancePaid: 0n, liquidations: 0n };
  for (const { account: m } of rows) {
    t.socializedLoss += big(m.totalSocializedLoss);
    t.insurancePaid += big(m.totalInsurancePaid);
    t.liquidations += big(m.totalLiquidations);
  }
  return t;
}
