// Price histories and their log returns per fixed interval. A history comes from the prices the
// orchestrator accepted (var/history.ts) or from a CSV file (timestamp, one price column per
// market) for backtests and the demo. Prices here are plain numbers: log returns have no unit.
import { readFileSync } from "node:fs";

export interface PriceSeries {
  market: string;
  /** Unix seconds, strictly increasing. */
  times: number[];
  prices: number[];
}

/** Log returns of several markets on one grid of `intervalS`: `rows[k][i]` is market i's return over interval k. */
export interface ReturnMatrix {
  markets: string[];
  intervalS: number;
  /** End of each interval, unix seconds. */
  times: number[];
  rows: Float64Array[];
}

export class HistoryError extends Error {}

/** The last price at or before `t` (index search from `from`, which only moves forward). */
function priceAt(s: PriceSeries, t: number, from: number): [number, number] {
  let k = from;
  while (k + 1 < s.times.length && s.times[k + 1] <= t) k++;
  return [s.prices[k], k];
}

/**
 * Log returns per `intervalS` on the grid of multiples of `intervalS` that every series covers:
 * each market's price at a grid point is its last observation at or before it (a market that did
 * not move in an interval has a zero return there).
 */
export function intervalReturns(series: PriceSeries[], intervalS: number): ReturnMatrix {
  if (!(Number.isFinite(intervalS) && intervalS > 0))
    throw new HistoryError(`interval must be > 0 s (got ${intervalS})`);
  if (series.length === 0) throw new HistoryError("no price series");
  for (const s of series) {
    if (s.times.length === 0) throw new HistoryError(`no prices for ${s.market}`);
    for (let k = 0; k < s.times.length; k++) {
      if (!(s.prices[k] > 0)) throw new HistoryError(`${s.market}: price ${s.prices[k]} at ${s.times[k]} is not > 0`);
      if (k > 0 && !(s.times[k] > s.times[k - 1])) throw new HistoryError(`${s.market}: times must increase`);
    }
  }
  const first = Math.ceil(Math.max(...series.map((s) => s.times[0])) / intervalS) * intervalS;
  const last = Math.floor(Math.min(...series.map((s) => s.times.at(-1)!)) / intervalS) * intervalS;
  if (last - first < intervalS)
    throw new HistoryError(`the history the markets share covers less than one ${intervalS} s interval`);
  const cursors = series.map(() => 0);
  let prev = series.map((s, i) => {
    const [p, k] = priceAt(s, first, cursors[i]);
    cursors[i] = k;
    return p;
  });
  const times: number[] = [];
  const rows: Float64Array[] = [];
  for (let t = first + intervalS; t <= last; t += intervalS) {
    const row = new Float64Array(series.length);
    const next = series.map((s, i) => {
      const [p, k] = priceAt(s, t, cursors[i]);
      cursors[i] = k;
      row[i] = Math.log(p / prev[i]);
      return p;
    });
    prev = next;
    times.push(t);
    rows.push(row);
  }
  return { markets: series.map((s) => s.market), intervalS, times, rows };
}

/** One market's column of a return matrix. */
export const column = (m: ReturnMatrix, i: number) => Float64Array.from(m.rows, (r) => r[i]);

function parseTimestamp(raw: string): number | null {
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const n = Number(raw);
    // Milliseconds since the epoch are accepted too (anything past the year 2286 in seconds).
    return n > 1e10 ? n / 1000 : n;
  }
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/**
 * A CSV history: a header `timestamp,<market>,<market>,…`, then one row per time (unix seconds or
 * milliseconds, or ISO 8601), times increasing, each cell a price > 0 or empty (no observation).
 * Errors name the line and the column.
 */
export function parseHistoryCsv(text: string, source = "history"): PriceSeries[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.split(",").map((c) => c.trim()) ?? [];
  if (header.length < 2 || header[0].toLowerCase() !== "timestamp")
    throw new HistoryError(`${source}:1: the header must be "timestamp,<market>,…" (got "${lines[0] ?? ""}")`);
  const markets = header.slice(1);
  const seen = new Set<string>();
  for (const m of markets) {
    if (m === "") throw new HistoryError(`${source}:1: empty market name in the header`);
    if (seen.has(m)) throw new HistoryError(`${source}:1: market ${m} appears twice in the header`);
    seen.add(m);
  }
  const series: PriceSeries[] = markets.map((market) => ({ market, times: [], prices: [] }));
  let lastTime = -Infinity;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === "") continue;
    const where = `${source}:${n + 1}`;
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length !== header.length)
      throw new HistoryError(`${where}: ${cells.length} columns, the header has ${header.length}`);
    const t = parseTimestamp(cells[0]);
    if (t === null) throw new HistoryError(`${where}: "${cells[0]}" is not a timestamp (unix seconds or ISO 8601)`);
    if (!(t > lastTime)) throw new HistoryError(`${where}: timestamp ${cells[0]} is not after the previous row's`);
    lastTime = t;
    for (let i = 0; i < markets.length; i++) {
      const cell = cells[i + 1];
      if (cell === "") continue;
      const p = Number(cell);
      if (!(Number.isFinite(p) && p > 0))
        throw new HistoryError(`${where}: ${markets[i]} price "${cell}" is not a number > 0`);
      series[i].times.push(t);
      series[i].prices.push(p);
    }
  }
  for (const s of series) if (s.times.length === 0) throw new HistoryError(`${source}: no prices for ${s.market}`);
  return series;
}

export const loadHistoryCsv = (path: string) => parseHistoryCsv(readFileSync(path, "utf8"), path);
