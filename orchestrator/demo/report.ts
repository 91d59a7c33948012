// The demo's closing report, from the chain (market totals, events in the transactions the
// orchestrator sent) and its audit log: what happened, what it cost, how fast, and a check that
// every account touched was unhealthy at the moment the program executed the step.
import * as anchor from "@coral-xyz/anchor";
import { readAudit } from "../src/ops/audit.js";
import { percentile } from "../src/ops/stats.js";
import type { Orchestrator } from "../src/orchestrator.js";
import type { Sample } from "./scenario.js";
import { RecordCheck, type EventData } from "./record-check.js";
import type { World } from "./world.js";

type MarketRows = Awaited<ReturnType<World["program"]["account"]["market"]["all"]>>;

const usd = (v: bigint) =>
  `$${(Number(v) / 1e6).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const big = (v: { toString(): string }) => BigInt(v.toString());

function totals(rows: MarketRows) {
  const t = { liquidations: 0n, notional: 0n, fees: 0n, insurancePaid: 0n, socialized: 0n, insurance: 0n };
  for (const { account: m } of rows) {
    t.liquidations += big(m.totalLiquidations);
    t.notional += big(m.totalLiquidatedNotional);
    t.fees += big(m.totalLiquidationFees);
    t.insurancePaid += big(m.totalInsurancePaid);
    t.socialized += big(m.totalSocializedLoss);
    t.insurance += big(m.insuranceBalance);
  }
  return t;
}

export interface ChainCheck {
  transactions: number;
  flags: number;
  liquidationSteps: number;
  resolutions: number;
  /** Flags cleared by `unflag_account` (the account back at its liquidation-end level). */
  unflags: number;
  touchedWhileHealthy: string[];
  duplicateSteps: number;
}

/** Reads every transaction the orchestrator confirmed and checks the program's own records of it. */
export async function checkTransactions(world: World, signatures: string[]): Promise<ChainCheck> {
  const parser = new anchor.EventParser(world.program.programId, new anchor.BorshCoder(world.program.idl));
  const records = new RecordCheck();
  let transactions = 0;
  for (const signature of new Set(signatures)) {
    const tx = await world.connection.getTransaction(signature, {
      commitment: "confirmed",
      maxSupportedTransactionVersion: 0,
    });
    if (!tx?.meta || tx.meta.err) continue;
    transactions++;
    for (const e of parser.parseLogs(tx.meta.logMessages ?? [])) records.add(e.name, e.data as EventData);
  }
  const { flags, liquidationSteps, resolutions, unflags, touchedWhileHealthy, duplicateSteps } = records;
  const out: ChainCheck = {
    transactions,
    flags,
    liquidationSteps,
    resolutions,
    unflags,
    touchedWhileHealthy,
    duplicateSteps,
  };
  return out;
}

export async function report(world: World, o: Orchestrator, before: MarketRows, samples: Sample[], auditPath: string) {
  const after = await world.program.account.market.all();
  const b = totals(before);
  const a = totals(after);
  const audit = readAudit(auditPath);
  const confirmed = audit.filter((e) => e.event === "confirmed");
  const check = await checkTransactions(
    world,
    confirmed.map((e) => e.signature as string),
  );
  // Detection → first liquidation step confirmed, per liquidation episode.
  const firstStep = new Map<string, number>();
  for (const e of confirmed.filter((x) => x.kind === "liquidate")) {
    const key = `${e.account}|${e.detectedAtMs}`;
    const ms = e.latencyMs as number;
    firstStep.set(key, Math.min(firstStep.get(key) ?? Infinity, ms));
  }
  const latencies = [...firstStep.values()];
  const allSteps = confirmed.map((e) => e.latencyMs as number);
  const finalCounts = o.supervisor.countsByState();
  const stillBelow = [...o.supervisor.lastEvaluation.values()].filter(
    (e) => e.health && e.health.equity < e.health.maintenance,
  ).length;

  const lines: string[] = [];
  lines.push("", "=== margin-warden demo report ===", "", "Accounts per state over time:");
  lines.push(
    "  tick  phase     " +
      world.markets.map((m) => m.symbol.padStart(12)).join("") +
      "   healthy  margin-call  liquidating  bankrupt  waiting",
  );
  for (const s of samples) {
    lines.push(
      `  ${String(s.tick).padStart(4)}  ${s.phase.padEnd(8)}  ${world.markets.map((m) => `$${(Number(s.prices[m.symbol]) / 1e6).toFixed(2)}`.padStart(12)).join("")}   ${String(s.counts.healthy).padStart(7)}  ${String(s.counts["margin-call"]).padStart(11)}  ${String(s.counts["partial-liquidation"]).padStart(11)}  ${String(s.counts.bankrupt).padStart(8)}  ${String(s.counts.waiting).padStart(7)}`,
    );
  }
  lines.push(
    "",
    `Liquidations: ${a.liquidations - b.liquidations} steps on ${new Set(confirmed.filter((e) => e.kind === "liquidate").map((e) => e.account)).size} accounts, notional ${usd(a.notional - b.notional)}, fees ${usd(a.fees - b.fees)} (liquidator + insurance)`,
    `Liquidations started (accounts flagged on chain, by the first step's own instruction): ${check.flags}; flags cleared by unflag_account: ${check.unflags}; bankruptcies resolved: ${check.resolutions}`,
    `Bankruptcies paid by the insurance fund: ${usd(a.insurancePaid - b.insurancePaid)}; socialised on the pools (bad debt): ${usd(a.socialized - b.socialized)}`,
    `Insurance funds: before ${usd(b.insurance)}, after ${usd(a.insurance)}`,
    `Detection → first liquidation step confirmed: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms over ${latencies.length} liquidations`,
    `Detection → any step confirmed: p50 ${percentile(allSteps, 50).toFixed(0)} ms, p99 ${percentile(allSteps, 99).toFixed(0)} ms over ${allSteps.length} transactions`,
    `Final states: healthy ${finalCounts.healthy}, margin-call ${finalCounts["margin-call"]}, liquidating ${finalCounts["partial-liquidation"]}, bankrupt ${finalCounts.bankrupt}, waiting ${finalCounts.waiting}; accounts still below maintenance: ${stillBelow}`,
  );
  const ok = check.touchedWhileHealthy.length === 0 && check.duplicateSteps === 0 && stillBelow === 0;
  lines.push(
    check.touchedWhileHealthy.length === 0
      ? `Check: no healthy account was touched (all ${check.transactions} transactions' program records show the account below its threshold)`
      : `CHECK FAILED: healthy accounts touched: ${check.touchedWhileHealthy.join(", ")}`,
    check.duplicateSteps === 0
      ? "Check: no liquidation step was sent twice"
      : `CHECK FAILED: ${check.duplicateSteps} duplicate steps`,
    "",
  );
  return { ok, text: lines.join("\n"), check, latencies };
}
