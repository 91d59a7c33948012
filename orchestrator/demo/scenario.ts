// The demo's price path: calm, a crash in gaps (so some accounts go bankrupt before anyone can
// act), a pause at the bottom, a rebound. Each tick moves every market's oracle, refreshes the
// markets' volatility estimate, and samples how many accounts are in each state.
import type { Orchestrator } from "../src/orchestrator.js";
import type { World } from "./world.js";

export interface Tick {
  phase: "calm" | "crash" | "bottom" | "rebound";
  /** Relative move per market symbol, e.g. -0.05 = −5%. */
  moves: Record<string, number>;
  holdMs: number;
}

const all = (sol: number, btc: number, eth: number) => ({ "SOL-PERP": sol, "BTC-PERP": btc, "ETH-PERP": eth });

export const PATH: Tick[] = [
  ...Array.from(
    { length: 4 },
    (_, i): Tick => ({ phase: "calm", moves: all(i % 2 ? 0.002 : -0.002, 0.001, -0.001), holdMs: 400 }),
  ),
  { phase: "crash", moves: all(-0.03, -0.02, -0.03), holdMs: 1000 },
  { phase: "crash", moves: all(-0.04, -0.03, -0.04), holdMs: 1000 },
  { phase: "crash", moves: all(-0.07, -0.04, -0.08), holdMs: 1500 },
  { phase: "crash", moves: all(-0.04, -0.03, -0.05), holdMs: 1500 },
  { phase: "crash", moves: all(-0.05, -0.03, -0.04), holdMs: 1500 },
  ...Array.from({ length: 4 }, (): Tick => ({ phase: "bottom", moves: all(0, 0, 0), holdMs: 800 })),
  ...Array.from({ length: 5 }, (): Tick => ({ phase: "rebound", moves: all(0.035, 0.02, 0.04), holdMs: 600 })),
];

export interface Sample {
  tick: number;
  phase: string;
  prices: Record<string, bigint>;
  counts: Record<string, number>;
  atMs: number;
}

const usd = (p: bigint) => (Number(p) / 1e6).toFixed(2);

async function idle(o: Orchestrator): Promise<boolean> {
  const counts = await o.queues.counts();
  const busy = Object.values(counts).some(
    (c) => (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) > 0,
  );
  const s = o.supervisor.countsByState();
  return !busy && s["partial-liquidation"] === 0 && s.bankrupt === 0;
}

export async function runPath(
  world: World,
  o: Orchestrator,
  path: Tick[],
  say: (msg: string) => void,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  const sample = (tick: number, phase: string) => {
    const prices = Object.fromEntries(world.markets.map((m) => [m.symbol, m.price]));
    samples.push({ tick, phase, prices, counts: o.supervisor.countsByState(), atMs: Date.now() });
  };
  sample(0, "start");
  for (const [i, t] of path.entries()) {
    for (const m of world.markets) {
      const move = t.moves[m.symbol] ?? 0;
      const next = (m.price * BigInt(Math.round((1 + move) * 1_000_000))) / 1_000_000n;
      await world.setPrice(m.symbol, next);
    }
    // Keepers refresh the volatility estimate; requirements rise while the market is wild.
    await Promise.all(world.markets.map((m) => world.refresh(m.symbol).catch(() => {})));
    await new Promise((r) => setTimeout(r, t.holdMs));
    sample(i + 1, t.phase);
    const c = samples.at(-1)!.counts;
    say(
      `tick ${String(i + 1).padStart(2)} ${t.phase.padEnd(7)} ${world.markets.map((m) => `${m.symbol} $${usd(m.price)}`).join("  ")} | healthy ${c.healthy} margin-call ${c["margin-call"]} liquidating ${c["partial-liquidation"]} bankrupt ${c.bankrupt}`,
    );
  }
  say("price path done; waiting for the orchestrator to finish its work");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(await idle(o))) await new Promise((r) => setTimeout(r, 250));
  // Keep the oracles fresh while waiting is not needed: the wait is far shorter than their age limit.
  sample(path.length + 1, "settled");
  return samples;
}
