// Price tick → accounts to act on: the trigger index against the naive full scan, at 10k, 100k and
// 1M accounts. Run: npm run bench:risk (node --expose-gc --import tsx bench/risk-bench.ts).
// Options: --sizes 10000,100000 · --ticks 3000,1000,300 · --scans 100,10,3 (full-scan samples per size).
import os from "node:os";
import { RATIO_PRECISION } from "../src/math/constants.js";
import { baseValue } from "../src/math/position.js";
import { bandSolverStats } from "../src/risk/bands.js";
import { evaluate, type Freshness } from "../src/risk/evaluate.js";
import { fullScan } from "../src/risk/full-scan.js";
import { accountHealth } from "../src/risk/health.js";
import { TickPath } from "../src/risk/tick-path.js";
import { ChainStatus, type AccountState, type MarketState, type PriceState } from "../src/risk/types.js";
import { START_USD, rng, syntheticMarket } from "./synthetic.js";

const arg = (name: string, fallback: number[]) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1].split(",").map(Number);
};
const SIZES = arg("sizes", [10_000, 100_000, 1_000_000]);
const TICKS = arg("ticks", [3_000, 1_000, 300]);
const SCANS = arg("scans", [100, 10, 3]);
const CALL_BAND = 100_000n;
const BUCKET_BPS = 10;
const _USD = 1_000_000n;
const SLOT = 1_000;
const NOW_S = 1_700_000_000;
const FRESH: Freshness = { currentSlot: SLOT, nowS: NOW_S, maxAccountAgeSlots: 150, maxOracleAgeSlots: 150 };
const gc = (globalThis as { gc?: () => void }).gc;

const MARKETS = START_USD.map((_, i) => syntheticMarket(i, SLOT));
const MARKET_MAP = new Map(MARKETS.map((m) => [m.address, m]));
const reading = (m: MarketState, price: bigint, conf: bigint): PriceState => ({
  oracle: m.oracle,
  price,
  conf,
  publishTime: NOW_S,
  slot: SLOT,
});

// 44 characters like a base58 address, the row in the book inside. Built from bytes, like an address
// decoded from RPC data: a concatenated string would keep its pieces and inflate the memory figures.
const addressOf = (i: number) => Buffer.from(i.toString(36).padStart(44, "0"), "latin1").toString("latin1");

/** Accounts stored column-wise in typed arrays; AccountState objects are built only when evaluated. */
class Book {
  readonly start: Uint32Array;
  readonly collateral: BigInt64Array;
  readonly market: Uint8Array;
  readonly base: BigInt64Array;
  readonly quoteEntry: BigInt64Array;

  constructor(
    readonly n: number,
    prices: bigint[],
    rnd: () => number,
  ) {
    this.start = new Uint32Array(n + 1);
    this.collateral = new BigInt64Array(n);
    const cap = n * 3;
    this.market = new Uint8Array(cap);
    this.base = new BigInt64Array(cap);
    this.quoteEntry = new BigInt64Array(cap);
    let p = 0;
    for (let i = 0; i < n; i++) {
      this.start[i] = p;
      const r = rnd();
      const count = r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
      const used = new Set<number>();
      const priced = [];
      while (used.size < count) used.add(Math.floor(rnd() * MARKETS.length));
      for (const m of used) {
        const price = prices[m];
        const usd = Math.exp(Math.log(50) + rnd() * Math.log(2_000_000 / 50));
        const size = (BigInt(Math.round(usd * 1e6)) * 1_000_000_000n) / price;
        const base = rnd() < 0.55 ? size : -size;
        const entry = (price * BigInt(Math.round((0.97 + rnd() * 0.06) * 1e6))) / RATIO_PRECISION;
        this.market[p] = m;
        this.base[p] = base;
        this.quoteEntry[p] = -baseValue(base, entry);
        priced.push({ base, quoteEntry: this.quoteEntry[p], price, conf: 0n, risk: MARKETS[m] });
        p++;
      }
      // Most accounts well margined, a tail close to the call level and a few already past it.
      const h = accountHealth(0n, priced);
      const factor = rnd() < 0.01 ? 0.9 + rnd() * 0.3 : 1.25 - Math.log(1 - rnd()) * 3;
      this.collateral[i] = (h.maintenance * BigInt(Math.round(factor * 1e6))) / RATIO_PRECISION - h.equity;
    }
    this.start[n] = p;
  }

  /** Row i as an AccountState (`address`: its address when the caller has it, as a tick does). */
  account(i: number, address = addressOf(i)): AccountState {
    const positions = [];
    for (let p = this.start[i]; p < this.start[i + 1]; p++) {
      positions.push({ market: MARKETS[this.market[p]].address, base: this.base[p], quoteEntry: this.quoteEntry[p] });
    }
    return {
      address,
      owner: "OWNER",
      exchange: "EXCHANGE",
      collateral: this.collateral[i],
      lastActiveSlot: 0n,
      liquidationId: 0n,
      status: ChainStatus.Healthy,
      positions,
      shortfallMarkets: [],
      slot: SLOT,
    };
  }

  markets(i: number): number[] {
    return Array.from(this.market.subarray(this.start[i], this.start[i + 1]));
  }
}

interface Tick {
  market: number;
  factor: number;
  confPpm: number;
}

/** Small moves (±0.1%), now and then a larger one (±1–3%), and two shocks (−8%, +6%). */
function makeTicks(count: number, rnd: () => number): Tick[] {
  const ticks: Tick[] = [];
  for (let t = 0; t < count; t++) {
    const market = Math.floor(rnd() * MARKETS.length);
    let factor = 1 + (rnd() - 0.5) * 0.002;
    if (rnd() < 0.03) factor = 1 + (rnd() < 0.5 ? -1 : 1) * (0.01 + rnd() * 0.02);
    if (t === Math.floor(count / 3)) factor = 0.92;
    if (t === Math.floor((2 * count) / 3)) factor = 1.06;
    ticks.push({ market, factor, confPpm: Math.floor(rnd() * 5_000) });
  }
  return ticks;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))];
};
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const memory = () => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers };
};

interface Row {
  n: number;
  buildS: number;
  atRiskStart: number;
  atRiskEnd: number;
  rssPerAccount: number;
  heapPerAccount: number;
  bookPerAccount: number;
  ticks: number;
  idxP50: number;
  idxP99: number;
  obsP50: number;
  obsP99: number;
  lookupP50: number;
  lookupP99: number;
  redrawP50: number;
  redrawP99: number;
  crossedMean: number;
  evaluatedMean: number;
  actedMean: number;
  scans: number;
  scanP50: number;
  scanP99: number;
  scanActedMean: number;
  missed: number;
  fallbacks: string;
}

function run(n: number, tickCount: number, scanCount: number): Row {
  const rnd = rng(n);
  const prices = new Map<string, PriceState>();
  const startPrices = START_USD.map((usd) => BigInt(Math.round(usd * 1e6)));
  for (const [i, m] of MARKETS.entries()) prices.set(m.oracle, reading(m, startPrices[i], 0n));
  const m0 = memory();
  const book = new Book(n, startPrices, rnd);
  // The accounts as the supervisor holds them (the feed's map of decoded accounts, by address).
  const held = new Map<string, AccountState>();
  for (let i = 0; i < n; i++) {
    const a = book.account(i);
    held.set(a.address, a);
  }
  const m1 = memory();

  // The supervisor's tick path (risk/tick-path.ts): bands in the trigger index for healthy
  // accounts, the float screen for the others.
  const path = new TickPath(CALL_BAND);
  const world = {
    markets: MARKET_MAP,
    prices,
    fresh: FRESH,
    account: (address: string) => held.get(address),
  };
  /** Exact evaluation and placement: what the supervisor's observe() does for the index path. */
  const place = (a: AccountState, onTick = false) => {
    const ev = evaluate(a, MARKET_MAP, prices, FRESH, CALL_BAND);
    path.place(a, ev.state ?? "exact", ev.state === "healthy", world, onTick);
    return ev;
  };
  const stats0 = { ...bandSolverStats };
  const tb = process.hrtime.bigint();
  for (const a of held.values()) place(a);
  const buildS = ms(tb) / 1e3;
  const m2 = memory();
  const atRiskStart = path.screen.size;

  const ticks = makeTicks(tickCount, rnd);
  const scanEvery = Math.max(1, Math.floor(tickCount / scanCount));
  const idx: number[] = [];
  const observed: number[] = [];
  let wrongChanges = 0;
  const lookup: number[] = [];
  const redraw: number[] = [];
  const scan: number[] = [];
  let crossedSum = 0;
  let evaluatedSum = 0;
  let actedSum = 0;
  let scanActedSum = 0;
  let missed = 0;
  const trace: {
    t: number;
    factor: number;
    ms: number;
    lookup: number;
    crossed: number;
    due: number;
    acted: number;
    screened: number;
  }[] = [];
  for (let t = 0; t < ticks.length; t++) {
    const { market, factor, confPpm } = ticks[t];
    const m = MARKETS[market];
    const old = prices.get(m.oracle)!.price;
    const next = BigInt(Math.max(1, Math.round(Number(old) * factor)));
    prices.set(m.oracle, reading(m, next, (next * BigInt(confPpm)) / RATIO_PRECISION));

    const t0 = process.hrtime.bigint();
    const pendingBefore = path.pendingCount;
    const { changed, exact } = path.tick(m.address, old, next, world);
    lookup.push(ms(t0));
    let acted = changed.length;
    for (const address of exact) {
      const before = path.screen.state(address) ?? "healthy";
      const ev = place(world.account(address)!, true);
      if (ev.state !== before) acted++;
    }
    idx.push(ms(t0));
    // What the supervisor then does with each change the screen decided: evaluate it exactly
    // (its actor acts on the exact figures). Each must confirm the screen's state.
    for (const address of changed) {
      const decided = path.screen.state(address);
      if (place(world.account(address)!, true).state !== decided) wrongChanges++;
    }
    observed.push(ms(t0));
    trace.push({
      t,
      factor,
      ms: idx[idx.length - 1],
      lookup: lookup[lookup.length - 1],
      crossed: path.pendingCount - pendingBefore,
      due: exact.length,
      acted,
      screened: path.screen.size,
    });
    crossedSum += path.pendingCount - pendingBefore;
    evaluatedSum += exact.length;
    actedSum += acted;
    // Off the tick path (the supervisor does it between ticks): bands of the accounts the tick
    // found plainly healthy outside their old bands.
    const t2 = process.hrtime.bigint();
    for (const address of path.takePending(Number.MAX_SAFE_INTEGER)) place(world.account(address)!);
    redraw.push(ms(t2));

    if (t % scanEvery === scanEvery - 1 && scan.length < scanCount) {
      const t1 = process.hrtime.bigint();
      const flagged = fullScan(held.values(), MARKET_MAP, prices, FRESH, CALL_BAND);
      scan.push(ms(t1));
      const notHealthy = flagged.filter((ev) => ev.state !== "healthy" && ev.state !== null);
      scanActedSum += notHealthy.length;
      // Every account the scan finds not healthy is screened at exactly that state, and the
      // screen holds no other account at a state other than healthy.
      missed += notHealthy.filter((ev) => path.screen.state(ev.account) !== ev.state).length;
      const atRiskHeld =
        path.screen.countOf("margin-call") +
        path.screen.countOf("partial-liquidation") +
        path.screen.countOf("bankrupt");
      missed += Math.abs(atRiskHeld - notHealthy.length);
    }
  }
  if (process.env.BENCH_RISK_TRACE) {
    const top = [...trace].sort((a, b) => b.ms - a.ms).slice(0, Number(process.env.BENCH_RISK_TRACE));
    for (const x of top)
      console.log(
        `  tick ${x.t} ×${x.factor.toFixed(4)}: ${x.ms.toFixed(2)} ms (screen ${x.lookup.toFixed(2)}), to redraw ${x.crossed}, exact ${x.due}, changed ${x.acted}, screened ${x.screened}`,
      );
  }
  const edges = bandSolverStats.edges - stats0.edges;
  const fallbacks = bandSolverStats.fallbacks - stats0.fallbacks;
  return {
    n,
    buildS,
    atRiskStart,
    atRiskEnd: path.screen.size,
    rssPerAccount: (m2.rss - m1.rss) / n,
    heapPerAccount: (m2.heap - m1.heap) / n,
    bookPerAccount: (m1.heap - m0.heap) / n,
    ticks: ticks.length,
    idxP50: pct(idx, 0.5),
    idxP99: pct(idx, 0.99),
    obsP50: pct(observed, 0.5),
    obsP99: pct(observed, 0.99),
    lookupP50: pct(lookup, 0.5),
    lookupP99: pct(lookup, 0.99),
    redrawP50: pct(redraw, 0.5),
    redrawP99: pct(redraw, 0.99),
    crossedMean: crossedSum / ticks.length,
    evaluatedMean: evaluatedSum / ticks.length,
    actedMean: actedSum / ticks.length,
    scans: scan.length,
    scanP50: pct(scan, 0.5),
    scanP99: pct(scan, 0.99),
    scanActedMean: scanActedSum / Math.max(1, scan.length),
    missed: missed + wrongChanges,
    fallbacks: `${fallbacks}/${edges}`,
  };
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const k = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : `${n}`);
function table(head: string[], rows: string[][]) {
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join("  ");
  console.log(line(head));
  console.log(w.map((x) => "-".repeat(x)).join("  "));
  for (const r of rows) console.log(line(r));
}

const cpus = os.cpus();
console.log(
  `risk bench · node ${process.version} · ${os.platform()} ${os.arch()} · ${cpus.length} × ${cpus[0]?.model ?? "?"} · ${f(os.totalmem() / 2 ** 30, 1)} GiB`,
);
console.log(
  `${MARKETS.length} markets (tiers 5/10/20%, add-on 0–3.5%, conf limit 2%), 1–3 positions per account, margin-call band 10%, buckets ${BUCKET_BPS} bps`,
);
console.log(
  "ticks: one market each, ±0.1% (97%), ±1–3% (3%), one −8% and one +6% shock; index and full scan see the same ticks",
);
if (!gc) console.log("(no --expose-gc: memory figures include garbage)");
const rows: Row[] = [];
SIZES.forEach((n, i) => {
  const row = run(n, TICKS[i] ?? TICKS[TICKS.length - 1], SCANS[i] ?? SCANS[SCANS.length - 1]);
  rows.push(row);
  console.log(`  ${k(n)} done: build ${f(row.buildS, 1)} s, ${row.ticks} ticks, ${row.scans} full scans`);
});
console.log("\nprice tick → accounts to act on (latency per tick, ms)");
table(
  [
    "accounts",
    "index p50",
    "index p99",
    "+ exact of changes p50 / p99",
    "ticks",
    "full scan p50",
    "full scan p99",
    "scans",
    "p50 speed-up",
    "changed/tick idx",
    "acted/tick scan",
    "missed",
  ],
  rows.map((r) => [
    k(r.n),
    f(r.idxP50),
    f(r.idxP99),
    `${f(r.obsP50)} / ${f(r.obsP99)}`,
    `${r.ticks}`,
    f(r.scanP50, 0),
    f(r.scanP99, 0),
    `${r.scans}`,
    `${f(r.scanP50 / r.idxP50, 0)}×`,
    f(r.actedMean, 1),
    f(r.scanActedMean, 1),
    `${r.missed}`,
  ]),
);
console.log("\nwhere the index's time goes, and what it costs");
table(
  [
    "accounts",
    "screen p50",
    "screen p99",
    "redraw p50",
    "redraw p99",
    "to redraw/tick",
    "exact/tick",
    "screened start→end",
    "build s",
    "index rss B/acct",
    "index heap B/acct",
    "book B/acct",
    "bisections",
  ],
  rows.map((r) => [
    k(r.n),
    f(r.lookupP50, 3),
    f(r.lookupP99, 3),
    f(r.redrawP50, 2),
    f(r.redrawP99, 2),
    f(r.crossedMean, 1),
    f(r.evaluatedMean, 1),
    `${r.atRiskStart}→${r.atRiskEnd}`,
    f(r.buildS, 1),
    f(r.rssPerAccount, 0),
    f(r.heapPerAccount, 0),
    f(r.bookPerAccount, 0),
    r.fallbacks,
  ]),
);
console.log(`
index tick = the supervisor's tick path (risk/tick-path.ts), price tick → the accounts whose state changed: crossed()
of the trigger index, each crossed account screened in float (plainly healthy: only its bands to redraw; another
state beyond doubt: held at it), the float sweep of the screened holders of that market (a state beyond doubt: held
at it), then exact evaluate() of what the float health could not decide, placed again (bands, or the screen).
+ exact of changes: then evaluate() of each change the screen decided, as the supervisor's observe() does before its
actor acts (each must give the screen's state, else it counts as missed).
full scan = evaluate() of every account (AccountState rebuilt from the compact book, as for the index); it runs on
every ${"n-th"} tick only (${rows.map((r) => `${k(r.n)}: ${r.scans} of ${r.ticks}`).join(", ")}): with few samples p99 is the maximum.
changed/tick: accounts whose state differed from the one on record; acted/tick scan: accounts not healthy.
missed: at each full scan, accounts not healthy whose state the tick path did not hold exactly, plus the difference
between how many it holds not healthy and how many the scan found, plus changes decided in float that the exact
evaluation contradicted (must be 0).
screen: crossed() and the float work of a tick, before the exact evaluations; redraw: after the tick, off its path,
exact evaluation and new bands of the plainly healthy accounts it left without (the supervisor does it between
ticks); to redraw/tick: how many.
memory per account: index and screen after GC (rss delta and heap delta), book = the accounts as held (a map of
decoded accounts by address, as the supervisor's feed holds them) and the compact store they were built from.
bisections: band edges whose floating-point guess failed the exact check, of all edges computed.`);
