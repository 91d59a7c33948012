// `risk report` and `stress`: the book read from the RPC node, the history from a CSV file or from
// what the orchestrators recorded in Redis, every account scored and the scenarios run with the
// exact liquidation math. Options are checked before anything connects.
import { writeFileSync } from "node:fs";
import { Connection, PublicKey } from "@solana/web3.js";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { jsonReplacer } from "../ops/log.js";
import { buildRiskReport, riskReportText, stressTable, summarizeStress, usd } from "./report.js";
import { levelsOf } from "./service.js";
import { loadBook, type LoadedBook } from "./stress/load.js";
import { isScenarioName, namedScenario, SCENARIOS, type ScenarioName } from "./stress/scenarios.js";
import { simulate, type StressReport } from "./stress/simulate.js";
import type { RiskModel } from "./var/fhs.js";
import { configuredHistory, modelFrom, modelSettings } from "./var/history.js";
import { RiskScorer } from "./var/scorer.js";

export class RiskUsageError extends Error {}

export interface RiskOptions {
  history?: string;
  out?: string;
  scenario?: string;
  lead?: string;
  top?: string;
  json?: boolean;
}

export interface RiskIo {
  out(text: string): void;
  /** Redis for the recorded history; null when there is none to use. */
  withRedis<T>(body: (redis: Redis | null) => Promise<T>): Promise<T>;
}

export const RISK_DETAILS = [
  "Scores every account (VaR, ES, parametric VaR, P(crossing maintenance), VaR / equity) by filtered",
  "historical simulation, and runs every stress scenario on the live book with the program's liquidation math.",
  "  --history <csv>  the return history (timestamp, one price column per market address); default",
  "                   riskHistoryCsv, else the prices the orchestrators recorded in Redis",
  "  --out <file>     the JSON report (default risk-report.json); the table goes to stdout",
  "  --top <n>        accounts in the table (default 10)",
].join("\n");

export const STRESS_DETAILS = [
  "Scenarios (--scenario, default all):",
  ...Object.entries(SCENARIOS).map(([k, v]) => `  ${k.padEnd(14)} ${v}`),
  "  --lead <market>  the lead market of lead-30-beta; betas come from the history (--history, as for risk report)",
  "  --top <n>        driving accounts listed per scenario (default 5)   --json  the reports as JSON",
].join("\n");

function top(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(Number.isSafeInteger(n) && n > 0)) throw new RiskUsageError(`--top must be a positive integer (got "${raw}")`);
  return n;
}

function scenarioNames(raw: string | undefined): ScenarioName[] {
  if (raw === undefined || raw === "all") return Object.keys(SCENARIOS) as ScenarioName[];
  const names = raw.split(",");
  for (const n of names)
    if (!isScenarioName(n))
      throw new RiskUsageError(`--scenario must be one of ${Object.keys(SCENARIOS).join(", ")} or all (got "${n}")`);
  return names as ScenarioName[];
}

function lead(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return new PublicKey(raw).toBase58();
  } catch {
    throw new RiskUsageError(`--lead must be a market address (got "${raw}")`);
  }
}

/** Checks a command's options (throws RiskUsageError) before anything connects. */
export function checkRiskOptions(command: "risk" | "stress", opts: RiskOptions): void {
  if (command === "risk") top(opts.top, 10);
  else {
    scenarioNames(opts.scenario);
    lead(opts.lead);
    top(opts.top, 5);
  }
}

async function loaded(config: Config): Promise<LoadedBook> {
  const connection = new Connection(config.rpcUrl, "confirmed");
  return loadBook(connection, new PublicKey(config.programId), new PublicKey(config.exchange!));
}

async function model(config: Config, opts: RiskOptions, io: RiskIo, book: LoadedBook, prefix: string) {
  const c = { ...config, riskHistoryCsv: opts.history ?? config.riskHistoryCsv };
  const markets = [...book.marketStates.keys()];
  // A CSV history needs no Redis.
  const series = c.riskHistoryCsv
    ? await configuredHistory(c, null, prefix, markets)
    : await io.withRedis((redis) => configuredHistory(c, redis, prefix, markets));
  return modelFrom(series, modelSettings(c));
}

function runScenarios(
  book: LoadedBook,
  m: RiskModel | null,
  names: ScenarioName[],
  leadMarket?: string,
): StressReport[] {
  return names.map((n) => simulate(book.book, namedScenario(n, { book: book.book, model: m }, { lead: leadMarket })));
}

export async function riskReport(config: Config, prefix: string, opts: RiskOptions, io: RiskIo): Promise<number> {
  const n = top(opts.top, 10);
  const out = opts.out ?? "risk-report.json";
  const book = await loaded(config);
  const m = await model(config, opts, io, book, prefix);
  const levels = levelsOf(config);
  const scorer = new RiskScorer(
    { accounts: book.accountStates, markets: book.marketStates, prices: book.priceStates },
    { levels },
  );
  const run = m.model ? await scorer.scoreAll(m.model) : null;
  const report = buildRiskReport({
    exchange: config.exchange!,
    slot: book.slot,
    levels,
    model: m.model,
    modelUnavailable: m.model ? undefined : m.reason,
    run,
    scores: scorer.scores.values(),
    unscored: scorer.unscored,
    stress: runScenarios(book, m.model, Object.keys(SCENARIOS) as ScenarioName[]),
    top: n,
  });
  writeFileSync(out, `${JSON.stringify(report, jsonReplacer, 2)}\n`);
  io.out(riskReportText(report));
  io.out(`JSON report written to ${out}\n`);
  return 0;
}

export async function stress(config: Config, prefix: string, opts: RiskOptions, io: RiskIo): Promise<number> {
  const names = scenarioNames(opts.scenario);
  const leadMarket = lead(opts.lead);
  const n = top(opts.top, 5);
  const book = await loaded(config);
  if (leadMarket && !book.book.markets.has(leadMarket))
    throw new RiskUsageError(`--lead ${leadMarket} is not a market of exchange ${config.exchange}`);
  const needsModel = names.includes("lead-30-beta");
  const m = needsModel ? await model(config, opts, io, book, prefix) : { model: null, reason: "not needed" };
  const reports = runScenarios(book, m.model, names, leadMarket);
  if (opts.json) {
    const shown = reports.map(({ actions, drivers, ...r }) => ({
      ...r,
      drivers: drivers.slice(0, n),
      actions: actions.length,
    }));
    io.out(`${JSON.stringify(shown, jsonReplacer, 2)}\n`);
    return 0;
  }
  io.out(
    `Stress on exchange ${config.exchange} at slot ${book.slot}: ${book.book.accounts.length} accounts, ${book.book.markets.size} markets\n`,
  );
  if (needsModel && !m.model) io.out(`note: no risk model (${m.reason}); lead-30-beta moves every market by β = 1\n`);
  const summaries = reports.map((r) => summarizeStress(r, n));
  io.out(stressTable(summaries));
  for (const s of summaries) {
    io.out(`${s.scenario}: ${s.description}\n`);
    for (const d of s.drivers)
      io.out(`  ${d.account}  bad debt ${usd(d.deficit)}  closed ${usd(d.notional)} in ${d.steps} steps\n`);
  }
  return 0;
}
