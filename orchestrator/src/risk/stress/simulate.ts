// The stress simulator: a scenario's prices (and, for a path, the markets' volatility refreshes)
// are applied to a copy of the book, then every account is taken through what the orchestrator and
// the program would do, with the program's own integer math (./controller.ts): liquidation steps on
// the position the orchestrator picks until the account is back at its liquidation-end level,
// fees, the insurance bounty, and the bankruptcy resolution (insurance first, then the pool).
// Accounts are processed one after the other in address order; the chain interleaves them, which
// can only move money between insurance and the pools when an insurance fund runs dry.
import { belowLiquidationEnd } from "../health.js";
import { accountHealth } from "../health.js";
import { liquidationEligible } from "../liquidation.js";
import { liquidationTarget } from "../evaluate.js";
import { valuationPrice } from "../../math/oracle_price.js";
import { baseValue, notional } from "../../math/position.js";
import { ChainStatus } from "../types.js";
import {
  claimsTotal,
  deficit,
  liquidationStep,
  observe,
  pricedPositions,
  ProgramError,
  resolveBankruptcy,
  type Reading,
  type SimAccount,
  type SimMarket,
} from "./controller.js";

export interface SimBook {
  accounts: SimAccount[];
  markets: Map<string, SimMarket>;
  /** The oracle reading per market address. */
  readings: Map<string, Reading>;
  /** exchange.liquidation_count. */
  liquidationCount: bigint;
  /** Unix seconds of the readings (the markets' refreshes are stamped from here). */
  nowS: number;
}

export interface ScenarioStep {
  /** New readings per market address (markets left out keep theirs). */
  readings: Map<string, Reading>;
  /** Seconds since the previous step (or since the book's time). */
  elapsedS: number;
  /** Keepers call refresh_market on every market after the prices move. */
  refresh: boolean;
  /** Add-on ratios forced on markets (a volatility spike after its phase-in). */
  addons?: Map<string, bigint>;
}

export interface Scenario {
  name: string;
  description: string;
  steps: ScenarioStep[];
}

export type Action =
  | { kind: "liquidate"; account: string; market: string; step: number }
  | { kind: "resolve"; account: string; markets: string[]; step: number }
  | { kind: "unflag"; account: string; step: number };

export interface AccountOutcome {
  account: string;
  steps: number;
  notional: bigint;
  fees: bigint;
  /** The deficit its resolution charged (0 when none). */
  deficit: bigint;
  insurancePaid: bigint;
  socializedLoss: bigint;
  bankrupt: boolean;
}

export interface Totals {
  liquidations: bigint;
  notional: bigint;
  fees: bigint;
  insurancePaid: bigint;
  socializedLoss: bigint;
  insurance: bigint;
  pools: bigint;
}

export interface StressReport {
  scenario: string;
  description: string;
  accounts: number;
  accountsLiquidated: number;
  steps: number;
  bankruptcies: number;
  notional: bigint;
  liquidatorFees: bigint;
  insuranceFees: bigint;
  bounties: bigint;
  /** Σ deficits resolved (bad debt): insurance pays, the pools forgo the rest. */
  badDebt: bigint;
  insurancePaid: bigint;
  /** What the pools forgo (bad debt insurance could not pay). */
  socializedLoss: bigint;
  /** Change of the pools' balances (their trading result against the liquidated accounts, less the socialised part). */
  poolChange: bigint;
  insuranceBefore: bigint;
  insuranceAfter: bigint;
  /** Deficits left unresolved (backed by claims on pools). */
  unresolvedDeficit: bigint;
  /** The markets' counters before and after, as the chain keeps them. */
  before: Totals;
  after: Totals;
  drivers: AccountOutcome[];
  actions: Action[];
  /** Steps the program would refuse (the simulator stops on that account). */
  refusals: { account: string; market: string; error: string; step: number }[];
}

export function totals(markets: Iterable<SimMarket>): Totals {
  const t: Totals = {
    liquidations: 0n,
    notional: 0n,
    fees: 0n,
    insurancePaid: 0n,
    socializedLoss: 0n,
    insurance: 0n,
    pools: 0n,
  };
  for (const m of markets) {
    t.liquidations += m.totalLiquidations;
    t.notional += m.totalLiquidatedNotional;
    t.fees += m.totalLiquidationFees;
    t.insurancePaid += m.totalInsurancePaid;
    t.socializedLoss += m.totalSocializedLoss;
    t.insurance += m.insuranceBalance;
    t.pools += m.poolBalance;
  }
  return t;
}

export function cloneBook(b: SimBook): SimBook {
  return {
    accounts: b.accounts.map((a) => ({
      ...a,
      positions: a.positions.map((p) => ({ ...p })),
      shortfalls: a.shortfalls.map((e) => ({ ...e })),
      claims: a.claims.map((e) => ({ ...e })),
    })),
    markets: new Map([...b.markets].map(([k, m]) => [k, { ...m, vol: m.vol ? { ...m.vol } : null }])),
    readings: new Map(b.readings),
    liquidationCount: b.liquidationCount,
    nowS: b.nowS,
  };
}

/** The markets a resolution names: the record's, in record order; without one, the most insured market. */
function chargedMarkets(a: SimAccount, markets: Map<string, SimMarket>): SimMarket[] {
  const byIndex = new Map([...markets.values()].map((m) => [m.index, m]));
  if (a.shortfalls.length > 0) return a.shortfalls.map((e) => byIndex.get(e.index)!);
  const richest = [...markets.values()].sort((x, y) =>
    y.insuranceBalance > x.insuranceBalance ? 1 : y.insuranceBalance < x.insuranceBalance ? -1 : 0,
  )[0];
  return [richest];
}

/** At most this many steps per account per scenario step: a safety stop, far beyond any real case. */
const MAX_STEPS_PER_ACCOUNT = 10_000;

/** Runs `scenario` on a copy of `book`; the book itself is left as it was. */
export const simulate = (book: SimBook, scenario: Scenario): StressReport => runScenario(book, scenario).report;

export interface ScenarioRun {
  report: StressReport;
  book: SimBook;
}

/** `simulate`, with the book as the scenario leaves it. */
export function runScenario(book: SimBook, scenario: Scenario): ScenarioRun {
  const steps = scenarioSteps(book, scenario);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** `runScenario` in slices of `sliceMs`, each followed by a turn of the event loop. */
export async function runScenarioInSlices(book: SimBook, scenario: Scenario, sliceMs = 10): Promise<ScenarioRun> {
  const steps = scenarioSteps(book, scenario);
  let start = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - start >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      start = performance.now();
    }
  }
}

/** The simulation, yielding after each account. */
function* scenarioSteps(book: SimBook, scenario: Scenario): Generator<void, ScenarioRun> {
  const b = cloneBook(book);
  const before = totals(b.markets.values());
  const outcomes = new Map<string, AccountOutcome>();
  const outcome = (address: string) => {
    let o = outcomes.get(address);
    if (!o) {
      o = {
        account: address,
        steps: 0,
        notional: 0n,
        fees: 0n,
        deficit: 0n,
        insurancePaid: 0n,
        socializedLoss: 0n,
        bankrupt: false,
      };
      outcomes.set(address, o);
    }
    return o;
  };
  const actions: Action[] = [];
  const refusals: StressReport["refusals"] = [];
  let liquidatorFees = 0n;
  let insuranceFees = 0n;
  let bounties = 0n;
  let badDebt = 0n;
  const accounts = [...b.accounts].sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
  for (const [stepNo, step] of scenario.steps.entries()) {
    b.nowS += step.elapsedS;
    for (const [market, r] of step.readings) b.readings.set(market, r);
    if (step.refresh)
      for (const m of b.markets.values()) {
        const r = b.readings.get(m.address);
        // A refresh within a second of the last one fails on chain (OracleNotUpdated) and changes nothing.
        if (r)
          try {
            observe(m, r.price, b.nowS);
          } catch (e) {
            if (!(e instanceof ProgramError)) throw e;
          }
      }
    for (const [market, addon] of step.addons ?? []) {
      const m = b.markets.get(market);
      if (m) m.addonRatio = addon;
    }
    for (const a of accounts) {
      if (a.status === ChainStatus.Bankrupt && a.positions.length > 0) continue;
      const health = () => accountHealth(a.collateral, pricedPositions(a, b.markets, b.readings));
      if (a.status === ChainStatus.BeingLiquidated && !belowLiquidationEnd(health())) {
        a.status = ChainStatus.Healthy;
        actions.push({ kind: "unflag", account: a.address, step: stepNo });
      }
      let n = 0;
      while (a.positions.length > 0 && liquidationEligible(health(), a.status) && n++ < MAX_STEPS_PER_ACCOUNT) {
        const usable = a.positions.map((p) => {
          const r = b.readings.get(p.market)!;
          return {
            market: p.market,
            notional: notional(p.base, r.price),
            pnl: baseValue(p.base, valuationPrice(p.base, r.price, r.conf)) + p.quoteEntry,
          };
        });
        const target = liquidationTarget(a.collateral, usable)!;
        let out: ReturnType<typeof liquidationStep>;
        try {
          out = liquidationStep(a, b.markets.get(target)!, b.markets, b.readings, b.liquidationCount + 1n);
        } catch (e) {
          if (!(e instanceof ProgramError)) throw e;
          refusals.push({ account: a.address, market: target, error: e.code, step: stepNo });
          break;
        }
        if (out.flagged) b.liquidationCount += 1n;
        actions.push({ kind: "liquidate", account: a.address, market: target, step: stepNo });
        const o = outcome(a.address);
        o.steps++;
        o.notional += out.plan.closedNotional;
        o.fees += out.liquidatorFee + out.insuranceFee;
        liquidatorFees += out.liquidatorFee;
        insuranceFees += out.insuranceFee;
        bounties += out.bounty;
      }
      const bankrupt = a.positions.length === 0 && a.collateral < 0n;
      if (bankrupt && claimsTotal(a) < deficit(a)) {
        const charged = chargedMarkets(a, b.markets);
        const r = resolveBankruptcy(a, charged);
        actions.push({ kind: "resolve", account: a.address, markets: charged.map((m) => m.address), step: stepNo });
        const o = outcome(a.address);
        o.bankrupt = true;
        for (const { charge } of r.charges) {
          o.deficit += charge.deficit;
          o.insurancePaid += charge.insurancePaid;
          o.socializedLoss += charge.socializedLoss;
          badDebt += charge.deficit;
        }
      }
      yield;
    }
  }
  const after = totals(b.markets.values());
  const drivers = [...outcomes.values()].sort((x, y) =>
    y.deficit !== x.deficit
      ? y.deficit > x.deficit
        ? 1
        : -1
      : y.notional > x.notional
        ? 1
        : y.notional < x.notional
          ? -1
          : 0,
  );
  const report: StressReport = {
    scenario: scenario.name,
    description: scenario.description,
    accounts: accounts.length,
    accountsLiquidated: [...outcomes.values()].filter((o) => o.steps > 0).length,
    steps: Number(after.liquidations - before.liquidations),
    bankruptcies: [...outcomes.values()].filter((o) => o.bankrupt).length,
    notional: after.notional - before.notional,
    liquidatorFees,
    insuranceFees,
    bounties,
    badDebt,
    insurancePaid: after.insurancePaid - before.insurancePaid,
    socializedLoss: after.socializedLoss - before.socializedLoss,
    poolChange: after.pools - before.pools,
    insuranceBefore: before.insurance,
    insuranceAfter: after.insurance,
    unresolvedDeficit: accounts.reduce((s, a) => s + (a.positions.length === 0 ? deficit(a) : 0n), 0n),
    before,
    after,
    drivers,
    actions,
    refusals,
  };
  return { report, book: b };
}
