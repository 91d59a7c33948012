// The exchange's risk report: every account's VaR / ES score, the exchange's figures, the model
// they came from (volatilities, the correlation matrix) and the stress scenarios' outcomes, as JSON
// and as tables for a terminal.
import type { RiskModel } from "./var/fhs.js";
import type { AccountScore, Levels } from "./var/score.js";
import type { ExchangeRisk, ScoreRun } from "./var/scorer.js";
import type { StressReport } from "./stress/simulate.js";

export interface StressSummary {
  scenario: string;
  description: string;
  accountsLiquidated: number;
  steps: number;
  bankruptcies: number;
  notional: bigint;
  fees: bigint;
  insuranceUsed: bigint;
  badDebt: bigint;
  socializedLoss: bigint;
  insuranceBefore: bigint;
  /** Insurance ÷ stressed bad debt (Infinity without bad debt). */
  insuranceCoverage: number;
  drivers: { account: string; deficit: bigint; notional: bigint; steps: number }[];
}

export function summarizeStress(r: StressReport, drivers = 5): StressSummary {
  return {
    scenario: r.scenario,
    description: r.description,
    accountsLiquidated: r.accountsLiquidated,
    steps: r.steps,
    bankruptcies: r.bankruptcies,
    notional: r.notional,
    fees: r.liquidatorFees + r.insuranceFees,
    insuranceUsed: r.insurancePaid + r.bounties,
    badDebt: r.badDebt,
    socializedLoss: r.socializedLoss,
    insuranceBefore: r.insuranceBefore,
    insuranceCoverage: insuranceCoverage(r.insuranceBefore, r.badDebt),
    drivers: r.drivers
      .filter((d) => d.steps > 0 || d.deficit > 0n)
      .slice(0, drivers)
      .map((d) => ({ account: d.account, deficit: d.deficit, notional: d.notional, steps: d.steps })),
  };
}

export const insuranceCoverage = (insurance: bigint, badDebt: bigint) =>
  badDebt > 0n ? Number(insurance) / Number(badDebt) : Number.POSITIVE_INFINITY;

export interface RiskReport {
  generatedAt: string;
  exchange: string;
  slot: number;
  levels: Levels;
  model:
    | {
        markets: { market: string; name: string; sigmaPerInterval: number; sigmaHorizon: number }[];
        intervalS: number;
        horizonIntervals: number;
        lambda: number;
        scenarios: number;
        correlation: number[][];
      }
    | { unavailable: string };
  exchangeRisk: ExchangeRisk | null;
  run: Omit<ScoreRun, "exchange"> | null;
  top: AccountScore[];
  accounts: AccountScore[];
  unscored: { account: string; reason: string }[];
  stress: StressSummary[];
}

export interface ReportInput {
  exchange: string;
  slot: number;
  levels: Levels;
  model: RiskModel | null;
  modelUnavailable?: string;
  names?: ReadonlyMap<string, string>;
  run: ScoreRun | null;
  scores: Iterable<AccountScore>;
  unscored: ReadonlyMap<string, string>;
  stress: StressReport[];
  top?: number;
}

export function buildRiskReport(i: ReportInput): RiskReport {
  const accounts = [...i.scores].sort((a, b) => b.riskScore - a.riskScore || b.var - a.var);
  const name = (m: string) => i.names?.get(m) ?? m;
  const { exchange: exchangeRisk, ...run } = i.run ?? { exchange: null };
  return {
    generatedAt: new Date().toISOString(),
    exchange: i.exchange,
    slot: i.slot,
    levels: i.levels,
    model: i.model
      ? {
          markets: i.model.markets.map((m, k) => ({
            market: m,
            name: name(m),
            sigmaPerInterval: i.model!.sigmaNow[k],
            sigmaHorizon: i.model!.sigmaNow[k] * Math.sqrt(i.model!.horizonIntervals),
          })),
          intervalS: i.model.intervalS,
          horizonIntervals: i.model.horizonIntervals,
          lambda: i.model.lambda,
          scenarios: i.model.scenarios.length,
          correlation: i.model.correlation,
        }
      : { unavailable: i.modelUnavailable ?? "no model" },
    exchangeRisk,
    run: i.run ? (run as Omit<ScoreRun, "exchange">) : null,
    top: accounts.slice(0, i.top ?? 10),
    accounts,
    unscored: [...i.unscored].map(([account, reason]) => ({ account, reason })),
    stress: i.stress.map((s) => summarizeStress(s)),
  };
}

export const usd = (units: bigint | number) =>
  `$${(Number(units) / 1e6).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "∞");
const ratio = (x: number) => (!Number.isFinite(x) ? "∞" : x >= 1_000 ? ">1000" : x.toFixed(2));

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return `${rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n")}\n`;
}

export function stressTable(stress: StressSummary[]): string {
  return table([
    [
      "SCENARIO",
      "LIQUIDATED",
      "STEPS",
      "BANKRUPT",
      "NOTIONAL",
      "FEES",
      "INSURANCE USED",
      "BAD DEBT",
      "POOLS BEAR",
      "COVERAGE",
    ],
    ...stress.map((s) => [
      s.scenario,
      String(s.accountsLiquidated),
      String(s.steps),
      String(s.bankruptcies),
      usd(s.notional),
      usd(s.fees),
      usd(s.insuranceUsed),
      usd(s.badDebt),
      usd(s.socializedLoss),
      ratio(s.insuranceCoverage),
    ]),
  ]);
}

export function riskReportText(r: RiskReport): string {
  const lines: string[] = [];
  const lv = `VaR ${pct(r.levels.varLevel)}, ES ${pct(r.levels.esLevel)}`;
  lines.push(`Risk report for exchange ${r.exchange} at slot ${r.slot} (${r.generatedAt})`);
  if ("unavailable" in r.model) lines.push(`Model: unavailable (${r.model.unavailable}); no account was scored`);
  else {
    const m = r.model;
    lines.push(
      `Model: filtered historical simulation, ${m.scenarios} scenarios of ${m.intervalS} s returns, horizon ${m.horizonIntervals} intervals, EWMA λ ${m.lambda}; ${lv}`,
      "",
      table([
        ["MARKET", "σ/INTERVAL", "σ HORIZON", ...m.markets.map((_, k) => `ρ${k + 1}`)],
        ...m.markets.map((x, k) => [
          `${k + 1} ${x.name}`,
          pct(x.sigmaPerInterval),
          pct(x.sigmaHorizon),
          ...m.correlation[k].map((c) => c.toFixed(2)),
        ]),
      ]).trimEnd(),
    );
  }
  if (r.exchangeRisk) {
    const e = r.exchangeRisk;
    lines.push(
      "",
      `Exchange: collateral shortfall now ${usd(e.shortfallNow)}; before any liquidation, shortfall VaR ${usd(e.shortfall.var)}, ES ${usd(e.shortfall.es)}; pools' loss VaR ${usd(e.poolLoss.var)}, ES ${usd(e.poolLoss.es)}`,
    );
  }
  if (r.run)
    lines.push(
      `Scored ${r.run.scored} of ${r.run.accounts} accounts (${r.run.unscored} unscored) in ${(r.run.ms / 1000).toFixed(2)} s`,
    );
  if (r.top.length > 0) {
    lines.push(
      "",
      "Accounts with the highest VaR / equity:",
      table([
        ["ACCOUNT", "EQUITY", "VaR", "ES", "PARAM VaR", "P(CROSS MAINT)", "VaR/EQUITY"],
        ...r.top.map((s) => [
          s.account,
          usd(s.equity),
          usd(s.var),
          usd(s.es),
          usd(s.parametricVar),
          pct(s.pCrossMaintenance),
          ratio(s.riskScore),
        ]),
      ]).trimEnd(),
    );
  }
  if (r.stress.length > 0)
    lines.push("", "Stress scenarios (exact liquidation math):", stressTable(r.stress).trimEnd());
  for (const s of r.stress.filter((x) => x.drivers.length > 0))
    lines.push(
      `  ${s.scenario}: driven by ${s.drivers.map((d) => `${d.account} (bad debt ${usd(d.deficit)}, closed ${usd(d.notional)})`).join(", ")}`,
    );
  return `${lines.join("\n")}\n`;
}
