// Per-account VaR / ES of a whole book, in the background: accounts scored per second and how long
// the scorer holds the event loop, at 100k synthetic accounts (the shape of bench/risk-bench.ts's
// book) on 8 markets with a 500-day correlated history. Run: npm run bench:var
// Options: --accounts 100000 · --days 500 · --slice-ms 10
import os from "node:os";
import { RATIO_PRECISION } from "../src/math/constants.js";
import { baseValue } from "../src/math/position.js";
import { accountHealth } from "../src/risk/health.js";
import { ChainStatus, type AccountState, type PriceState } from "../src/risk/types.js";
import { buildRiskModel } from "../src/risk/var/fhs.js";
import { intervalReturns, type PriceSeries } from "../src/risk/var/returns.js";
import { RiskScorer } from "../src/risk/var/scorer.js";
import { START_USD, rng, syntheticMarket } from "./synthetic.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const ACCOUNTS = arg("accounts", 100_000);
const DAYS = arg("days", 500);
const SLICE_MS = arg("slice-ms", 10);
const _USD = 1_000_000n;
const DAY = 86_400;

const rnd = rng(42);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

const MARKETS = START_USD.map((_, i) => syntheticMarket(i, 0));
const PRICES = START_USD.map((p) => BigInt(Math.round(p * 1e6)));
const priceMap = new Map<string, PriceState>(
  MARKETS.map((m, i) => [
    m.oracle,
    { oracle: m.oracle, price: PRICES[i], conf: PRICES[i] / 1000n, publishTime: 0, slot: 0 },
  ]),
);

/** One common factor (β 0.6–1.2) plus noise, each market with its own GARCH(1,1) volatility. */
function history(): PriceSeries[] {
  const betas = MARKETS.map(() => 0.6 + rnd() * 0.6);
  const series = MARKETS.map((m) => ({ market: m.address, times: [0], prices: [1] }));
  const v = MARKETS.map(() => 0.03 ** 2);
  const last = MARKETS.map(() => 0);
  for (let d = 1; d <= DAYS; d++) {
    const f = gauss();
    for (let i = 0; i < MARKETS.length; i++) {
      v[i] = 0.03 ** 2 * 0.03 + 0.09 * last[i] ** 2 + 0.88 * v[i];
      last[i] = Math.sqrt(v[i]) * (betas[i] * f + Math.sqrt(1 - Math.min(0.95, betas[i] ** 2 / 1.5)) * gauss()) * 0.8;
      series[i].times.push(d * DAY);
      series[i].prices.push(series[i].prices.at(-1)! * Math.exp(last[i]));
    }
  }
  return series;
}

function book(): Map<string, AccountState> {
  const accounts = new Map<string, AccountState>();
  for (let i = 0; i < ACCOUNTS; i++) {
    const r = rnd();
    const count = r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
    const used = new Set<number>();
    while (used.size < count) used.add(Math.floor(rnd() * MARKETS.length));
    const positions = [...used].map((m) => {
      const usd = Math.exp(Math.log(50) + rnd() * Math.log(2_000_000 / 50));
      const size = (BigInt(Math.round(usd * 1e6)) * 1_000_000_000n) / PRICES[m];
      const base = rnd() < 0.55 ? size : -size;
      const entry = (PRICES[m] * BigInt(Math.round((0.97 + rnd() * 0.06) * 1e6))) / RATIO_PRECISION;
      return { market: MARKETS[m].address, base, quoteEntry: -baseValue(base, entry) };
    });
    const h = accountHealth(
      0n,
      positions.map((p, k) => ({ ...p, price: PRICES[[...used][k]], conf: 0n, risk: MARKETS[[...used][k]] })),
    );
    const factor = rnd() < 0.01 ? 0.9 + rnd() * 0.3 : 1.25 - Math.log(1 - rnd()) * 3;
    const address = i.toString(36).padStart(44, "0");
    accounts.set(address, {
      address,
      owner: "OWNER",
      exchange: "EXCHANGE",
      collateral: (h.maintenance * BigInt(Math.round(factor * 1e6))) / RATIO_PRECISION - h.equity,
      lastActiveSlot: 0n,
      liquidationId: 0n,
      status: ChainStatus.Healthy,
      positions,
      shortfallMarkets: [],
      slot: 0,
    });
  }
  return accounts;
}

async function main() {
  console.log(`VaR / ES scoring: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), node ${process.version}`);
  const t0 = performance.now();
  const model = buildRiskModel(intervalReturns(history(), DAY), { horizonIntervals: 1 });
  const tModel = performance.now() - t0;
  const accounts = book();
  const scorer = new RiskScorer(
    { accounts, markets: new Map(MARKETS.map((m) => [m.address, m])), prices: priceMap },
    { sliceMs: SLICE_MS },
  );
  // The tick path's view: how late a 1 ms timer fires while the scorer runs.
  let worstLagMs = 0;
  let expected = performance.now() + 1;
  const timer = setInterval(() => {
    const now = performance.now();
    worstLagMs = Math.max(worstLagMs, now - expected);
    expected = now + 1;
  }, 1);
  const run = await scorer.scoreAll(model);
  clearInterval(timer);
  const usd = (x: number) => `$${(x / 1e6).toLocaleString("en-US", { maximumFractionDigits: 0 })}`;
  console.log(
    `model: ${MARKETS.length} markets × ${model.scenarios.length} scenarios built in ${tModel.toFixed(0)} ms`,
  );
  console.log(
    `scored ${run.scored.toLocaleString()} of ${run.accounts.toLocaleString()} accounts in ${(run.ms / 1000).toFixed(2)} s: ` +
      `${Math.round(run.accountsPerSecond).toLocaleString()} accounts/s, ` +
      `${Math.round((run.accountsPerSecond * model.scenarios.length) / 1000).toLocaleString()}k account-scenarios/s`,
  );
  console.log(
    `event loop: ${run.slices} slices, longest ${run.longestSliceMs.toFixed(1)} ms; a 1 ms timer fired at most ${worstLagMs.toFixed(1)} ms late`,
  );
  console.log(
    `exchange: shortfall now ${usd(run.exchange.shortfallNow)}, VaR99 ${usd(run.exchange.shortfall.var)}, ES97.5 ${usd(run.exchange.shortfall.es)}; ` +
      `pool loss VaR99 ${usd(run.exchange.poolLoss.var)}, ES97.5 ${usd(run.exchange.poolLoss.es)}`,
  );
  const top = scorer.top(3);
  for (const s of top)
    console.log(
      `  top ${s.account.slice(-8)}: VaR ${usd(s.var)} on equity ${usd(Number(s.equity))} (score ${s.riskScore.toFixed(2)}), P(cross maintenance) ${(100 * s.pCrossMaintenance).toFixed(1)}%`,
    );
}

void main();
