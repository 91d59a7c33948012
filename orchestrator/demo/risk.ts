// The demo's risk analytics: a seeded return history for its markets (written as the CSV the
// orchestrator's riskHistoryCsv reads), the exchange's VaR / ES before the crash, and the stress
// simulator's prediction of the crash path, run on the book just before it and set beside what the
// chain recorded afterwards.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Orchestrator } from "../src/orchestrator.js";
import { usd } from "../src/risk/report.js";
import { loadBook } from "../src/risk/stress/load.js";
import { movedReadings } from "../src/risk/stress/scenarios.js";
import { simulate, type Scenario, type ScenarioStep, type StressReport } from "../src/risk/stress/simulate.js";
import type { Reading } from "../src/risk/stress/controller.js";
import { rng } from "./exchange.js";
import type { Tick } from "./scenario.js";
import type { World } from "./world.js";

/** Hourly volatility per symbol and its loading on a common crypto factor. */
const VOL: Record<string, { sigma: number; beta: number }> = {
  "SOL-PERP": { sigma: 0.012, beta: 0.85 },
  "BTC-PERP": { sigma: 0.007, beta: 0.9 },
  "ETH-PERP": { sigma: 0.009, beta: 0.9 },
};

/**
 * `hours` of hourly prices per market ending at today's prices: GARCH(1,1) volatility with
 * Student-t(5) shocks, one common factor for the correlation. Columns are the market addresses.
 */
export function writeHistory(world: World, dir: string, hours = 720, seed = 42): string {
  const rnd = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const t5 = () => {
    let chi = 0;
    for (let k = 0; k < 5; k++) chi += gauss() ** 2;
    return (gauss() / Math.sqrt(chi / 5)) * Math.sqrt(3 / 5);
  };
  const spec = world.markets.map((m) => VOL[m.symbol] ?? { sigma: 0.01, beta: 0.8 });
  const v = spec.map((s) => s.sigma ** 2);
  const last = spec.map(() => 0);
  const returns: number[][] = [];
  for (let h = 0; h < hours; h++) {
    const f = t5();
    returns.push(
      spec.map((s, i) => {
        v[i] = s.sigma ** 2 * 0.05 + 0.1 * last[i] ** 2 + 0.85 * v[i];
        last[i] = Math.sqrt(v[i]) * (s.beta * f + Math.sqrt(1 - s.beta ** 2) * t5());
        return last[i];
      }),
    );
  }
  // Walk back from today's prices.
  const now = Math.floor(Date.now() / 3_600_000) * 3_600;
  const prices = world.markets.map((m) => Number(m.price) / 1e6);
  const rows: string[] = [];
  for (let h = hours; h >= 0; h--) {
    rows.push(`${now - (hours - h) * 3_600},${prices.map((p) => p.toFixed(6)).join(",")}`);
    if (h > 0) for (let i = 0; i < prices.length; i++) prices[i] /= Math.exp(returns[h - 1][i]);
  }
  const path = join(dir, "history.csv");
  writeFileSync(
    path,
    `timestamp,${world.markets.map((m) => m.address.toBase58()).join(",")}\n${rows.reverse().join("\n")}\n`,
  );
  return path;
}

/** The orchestrator's own scoring run, forced now: the exchange's VaR / ES before the crash. */
export async function riskBeforeCrash(o: Orchestrator): Promise<string[]> {
  await o.risk!.runOnce();
  const run = o.risk!.lastRun;
  if (!run) return ["Risk before the crash: no model (no return history)"];
  const e = run.exchange;
  const top = o.risk!.scorer.top(3);
  return [
    `Risk before the crash (FHS, ${run.scored} of ${run.accounts} accounts scored in ${(run.ms / 1000).toFixed(2)} s, 1-day horizon, VaR 99%, ES 97.5%):`,
    `  exchange: shortfall VaR ${usd(e.shortfall.var)}, ES ${usd(e.shortfall.es)}; pools' loss VaR ${usd(e.poolLoss.var)}, ES ${usd(e.poolLoss.es)}`,
    ...top.map(
      (s) =>
        `  ${s.account}: VaR ${usd(s.var)} on equity ${usd(s.equity)} (VaR/equity ${Number.isFinite(s.riskScore) ? s.riskScore.toFixed(2) : "∞"}, P(cross maintenance) ${(100 * s.pCrossMaintenance).toFixed(0)}%)`,
    ),
    ...o.risk!.stress.map(
      (s) =>
        `  stress ${s.scenario}: ${s.accountsLiquidated} accounts liquidated, bad debt ${usd(s.badDebt)}, insurance coverage ${Number.isFinite(s.insuranceCoverage) ? s.insuranceCoverage.toFixed(2) : "∞"}`,
    ),
  ];
}

/** The demo's price path as a stress scenario: each tick's moves, then the keepers' refreshes. */
export async function predictPath(world: World, path: Tick[]): Promise<StressReport> {
  const { book } = await loadBook(world.connection, world.program.programId, world.exchange);
  const ctx = { book, confOf: (_m: unknown, price: bigint) => price / 2_000n };
  const bySymbol = new Map(world.markets.map((m) => [m.symbol, m.address.toBase58()]));
  const steps: ScenarioStep[] = [];
  let readings: Map<string, Reading> = book.readings;
  // Each tick's refresh comes the previous tick's hold after the one before (publish times are whole seconds).
  let carryMs = Math.max(0, Date.now() - book.nowS * 1000);
  for (const t of path) {
    const moves = new Map(Object.entries(t.moves).map(([symbol, move]) => [bySymbol.get(symbol)!, move]));
    const next = movedReadings(ctx, readings, moves);
    const elapsedS = Math.floor(carryMs / 1000);
    carryMs = carryMs - elapsedS * 1000 + t.holdMs;
    steps.push({ readings: next, elapsedS, refresh: true });
    readings = new Map([...readings, ...next]);
  }
  const scenario: Scenario = { name: "demo-path", description: "the demo's crash path, tick by tick", steps };
  return simulate(book, scenario);
}

type MarketRows = Awaited<ReturnType<World["program"]["account"]["market"]["all"]>>;

export function predictionLines(p: StressReport, before: MarketRows, after: MarketRows): string[] {
  const sum = (rows: MarketRows, f: (m: MarketRows[number]["account"]) => { toString(): string }) =>
    rows.reduce((s, r) => s + BigInt(f(r.account).toString()), 0n);
  const delta = (f: (m: MarketRows[number]["account"]) => { toString(): string }) => sum(after, f) - sum(before, f);
  const rows: [string, string, string][] = [
    ["liquidation steps", String(p.steps), String(delta((m) => m.totalLiquidations))],
    ["liquidated notional", usd(p.notional), usd(delta((m) => m.totalLiquidatedNotional))],
    ["fees", usd(p.liquidatorFees + p.insuranceFees), usd(delta((m) => m.totalLiquidationFees))],
    ["insurance paid (bankruptcies)", usd(p.insurancePaid), usd(delta((m) => m.totalInsurancePaid))],
    ["bad debt socialised on pools", usd(p.socializedLoss), usd(delta((m) => m.totalSocializedLoss))],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    "Stress simulator's prediction (run on the book before the crash, the path tick by tick) beside what the chain recorded:",
    `  ${"".padEnd(w)}  ${"predicted".padStart(16)}  ${"chain".padStart(16)}`,
    ...rows.map(([k, a, b]) => `  ${k.padEnd(w)}  ${a.padStart(16)}  ${b.padStart(16)}`),
    `  predicted: ${p.accountsLiquidated} accounts liquidated, ${p.bankruptcies} bankrupt; the chain's orchestrator acts between ticks, at the prices of its moment`,
  ];
}
