// The trigger index may only ever over-report: an account the exact evaluation puts below its
// margin-call level must be at risk already or surface from `crossed` on the tick that moved it.
import { describe, expect, it } from "vitest";
import { BASE_PRECISION } from "../../orchestrator/src/math/constants.js";
import { NO_LOWER, NO_UPPER, type Band } from "../../orchestrator/src/risk/bands.js";
import { fullScan, missedBy } from "../../orchestrator/src/risk/full-scan.js";
import { AccountIds, HELD_BY_SCREEN } from "../../orchestrator/src/risk/account-ids.js";
import { TriggerIndex } from "../../orchestrator/src/risk/trigger-index.js";
import { ChainStatus, type AccountState, type MarketState } from "../../orchestrator/src/risk/types.js";
import {
  CALL_BAND,
  FRESH,
  STEEP_TIERS,
  USD,
  World,
  account,
  market,
  mulberry32,
  position,
  randomAccounts,
  withHealth,
  world,
  worstConf,
} from "./risk-world.js";

describe("trigger index", () => {
  it("never misses an account the full scan finds crossing", () => {
    const rnd = mulberry32(7);
    const w = world();
    const accounts = randomAccounts(w, 400, rnd);
    const byAddress = new Map(accounts.map((a) => [a.address, a]));
    const index = new TriggerIndex({ bucketBps: 10 });
    const atRisk = new Set<string>();
    const place = (a: AccountState) => {
      const bands = w.bands(a);
      if (bands) {
        index.upsert(a.address, bands);
        atRisk.delete(a.address);
      } else {
        index.remove(a.address);
        atRisk.add(a.address);
      }
    };
    accounts.forEach(place);
    expect(index.size).toBeGreaterThan(200);
    expect(atRisk.size).toBeGreaterThan(0);

    const shocks = new Map<number, [string, number]>([
      [150, ["SOL", 0.65]],
      [250, ["ETH", 1.3]],
      [320, ["BTC", 0.8]],
      [380, ["SOL", 1.4]],
    ]);
    const missed: string[] = [];
    let caughtByCrossing = 0;
    for (let t = 0; t < 420; t++) {
      const names = [...w.markets.keys()];
      const [name, factor] = shocks.get(t) ?? [
        names[Math.floor(rnd() * names.length)],
        rnd() < 0.92 ? 1 + (rnd() - 0.5) * 0.004 : 1 + (rnd() - 0.5) * 0.06,
      ];
      const old = w.price(name);
      const next = BigInt(Math.max(1, Math.round(Number(old) * factor)));
      const m = w.markets.get(name)!;
      w.set(name, next, rnd() < 0.3 ? worstConf(m, next) : BigInt(Math.floor(rnd() * Number(worstConf(m, next)))));
      const crossed = new Set(index.crossed(name, old, next));
      for (const a of accounts) {
        const state = w.state(a);
        if (state === null || state === "healthy") continue;
        if (crossed.has(a.address)) {
          if (!atRisk.has(a.address)) caughtByCrossing++;
        } else if (!atRisk.has(a.address)) missed.push(`${a.address} at tick ${t} (${name} ${old} -> ${next})`);
      }
      for (const address of [...crossed, ...atRisk]) place(byAddress.get(address)!);
    }
    expect(missed).toEqual([]);
    expect(caughtByCrossing).toBeGreaterThan(0);

    const scan = fullScan(accounts, w.markets, w.prices, FRESH, CALL_BAND);
    expect(scan.some((ev) => ev.state !== "healthy")).toBe(true);
    expect(missedBy(scan, (a) => atRisk.has(a))).toEqual([]);
  });

  it("keeps every account priced anywhere inside its bands at or above its call level", () => {
    const rnd = mulberry32(11);
    const w = world();
    const pick = (b: Band, p0: bigint): bigint => {
      const lo = b.lo === NO_LOWER ? 1n : b.lo;
      const hi = b.hi === NO_UPPER ? p0 * 200n : b.hi;
      const r = rnd();
      if (r < 0.3) return lo;
      if (r < 0.6) return hi;
      return lo + BigInt(Math.floor(rnd() * Number(hi - lo + 1n)));
    };
    let checked = 0;
    for (const a of randomAccounts(w, 400, rnd)) {
      const bands = w.bands(a);
      if (!bands) continue;
      const p0 = new Map(bands.map((b) => [b.market, w.price(b.market)]));
      const moved = new World([...w.markets.values()].map((m) => [m, w.price(m.address)] as [MarketState, bigint]));
      for (let s = 0; s < 25; s++) {
        for (const b of bands) {
          const p = pick(b, p0.get(b.market)!);
          moved.set(b.market, p, worstConf(moved.markets.get(b.market)!, p));
        }
        expect(
          moved.state(a),
          `${a.address} inside ${JSON.stringify(bands, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
        ).toBe("healthy");
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5_000);
  });

  it("rounds band edges against the account, and not by much", () => {
    const w = world();
    const rnd = mulberry32(3);
    // Around one unit of base, valuation and requirement round by about as much as a price step
    // moves them: the contribution is not monotone there.
    const sizes: [string, number][] = [
      ["SOL", 99_000],
      ["ETH", 19_990],
      ["ETH", 3_000_000],
      ["BTC", 4_999],
      ["BTC", 45_000],
      ["BTC", 1.5],
    ];
    for (let i = 0; i < 12; i++)
      sizes.push(["SOL", 10 + rnd() * 300], ["ETH", 100 + rnd() * 5_000], ["BTC", 2_000 + rnd() * 100_000]);
    let cases = 0;
    for (const [name, usd] of sizes) {
      for (const long of [true, false]) {
        for (const factor of [1.12 + rnd() * 0.05, 1.3, 2.5]) {
          const p0 = w.price(name);
          const a = withHealth(w, `${name}-${usd}-${long}-${factor}`, [position(name, usd, p0, long, p0)], factor);
          const [band] = w.bands(a)!;
          const edge = long ? band.lo : band.hi;
          const inward = long ? 1n : -1n;
          const m = w.markets.get(name)!;
          const at = (p: bigint) => {
            const moved = new World(
              [...w.markets.values()].map((x) => [x, w.price(x.address)] as [MarketState, bigint]),
            );
            moved.set(name, p, worstConf(m, p));
            return moved.state(a);
          };
          expect(edge).not.toBe(long ? NO_LOWER : NO_UPPER);
          for (let k = 0n; k < 300n; k++)
            expect(at(edge + inward * k), `${a.address} at ${edge + inward * k}`).toBe("healthy");
          const slack = p0 / 10_000n > 100n ? p0 / 10_000n : 100n;
          expect(at(edge - inward * slack)).toBe("margin-call");
          cases++;
        }
      }
    }
    expect(cases).toBe(sizes.length * 6);
  });

  it("gives a long an upper edge where its requirement outgrows its value", () => {
    const w = new World([[market("STEEP", STEEP_TIERS, 450_000n), 100n * USD]]);
    const p0 = w.price("STEEP");
    const a = withHealth(w, "steep", [position("STEEP", 500_000, p0, true, p0)], 1.5);
    const [band] = w.bands(a)!;
    expect(band.lo).toBeLessThan(p0);
    expect(band.hi).toBeLessThan(NO_UPPER);
    const m = w.markets.get("STEEP")!;
    const at = (p: bigint) => {
      w.set("STEEP", p, worstConf(m, p));
      return w.state(a);
    };
    const tierEdge = (1_000_000n * USD * BASE_PRECISION) / a.positions[0].base;
    for (const p of [band.lo, p0, tierEdge - 1n, tierEdge, tierEdge + 1n, band.hi])
      if (p <= band.hi) expect(at(p)).toBe("healthy");
    expect(at(band.hi + band.hi / 1_000n)).toBe("margin-call");
  });

  it("leaves accounts at or below their call level, or not healthy on chain, to the caller", () => {
    const w = world();
    const p0 = w.price("ETH");
    const pos = [position("ETH", 10_000, p0, true, p0)];
    expect(w.bands(withHealth(w, "below", pos, 1.05))).toBeNull();
    expect(w.bands({ ...withHealth(w, "liquidating", pos, 3), status: ChainStatus.BeingLiquidated })).toBeNull();
    expect(w.bands(account("flat", 5n * USD, []))).toEqual([]);
    expect(w.bands(account("owes", -5n, []))).toBeNull();
  });

  it("returns nothing for a tick that touches no band, and the account whose edge it passes", () => {
    const w = world();
    const p0 = w.price("SOL");
    const long = withHealth(w, "long", [position("SOL", 10_000, p0, true, p0)], 2);
    const short = withHealth(w, "short", [position("SOL", 10_000, p0, false, p0)], 2);
    const index = new TriggerIndex();
    const [lb] = w.bands(long)!;
    const [sb] = w.bands(short)!;
    index.upsert(long.address, [lb]);
    index.upsert(short.address, [sb]);
    expect(lb.hi).toBe(NO_UPPER);
    expect(sb.lo).toBe(NO_LOWER);
    expect(index.crossed("SOL", p0, p0 + p0 / 1_000n)).toEqual([]);
    expect(index.crossed("SOL", p0, p0 - p0 / 1_000n)).toEqual([]);
    expect(index.crossed("SOL", p0, lb.lo)).toEqual([]);
    expect(index.crossed("SOL", p0, sb.hi)).toEqual([]);
    expect(index.crossed("ETH", w.price("ETH"), 1n)).toEqual([]);
    expect(index.crossed("SOL", p0, lb.lo - 1n)).toEqual(["long"]);
    expect(index.crossed("SOL", p0, sb.hi + 1n)).toEqual(["short"]);
    expect(index.crossed("SOL", p0, 1n)).toEqual(["long"]);
  });

  it("replaces an account's bands on upsert and forgets it on remove", () => {
    const index = new TriggerIndex({ bucketBps: 25 });
    index.upsert("a", [
      { market: "M", lo: 90n * USD, hi: NO_UPPER },
      { market: "N", lo: NO_LOWER, hi: 50n * USD },
    ]);
    index.upsert("b", [{ market: "M", lo: NO_LOWER, hi: 120n * USD }]);
    expect(index.size).toBe(2);
    expect(index.accountsOn("M").sort()).toEqual(["a", "b"]);
    expect(index.crossed("M", 100n * USD, 80n * USD)).toEqual(["a"]);
    index.upsert("a", [{ market: "M", lo: 70n * USD, hi: NO_UPPER }]);
    expect(index.crossed("M", 100n * USD, 80n * USD)).toEqual([]);
    expect(index.crossed("N", 40n * USD, 60n * USD)).toEqual([]);
    expect(index.accountsOn("N")).toEqual([]);
    expect(index.remove("b")).toBe(true);
    expect(index.crossed("M", 100n * USD, 130n * USD)).toEqual([]);
    expect(index.size).toBe(1);
    index.upsert("c", [{ market: "M", lo: 99n * USD, hi: 101n * USD }]);
    expect(index.crossed("M", 100n * USD, 200n * USD)).toEqual(["c"]);
    expect(() => index.upsert("d", [{ market: "M", lo: 2n, hi: 1n }])).toThrow(RangeError);
  });

  it("takes a suspended account out at once and unlinks its edges on reclaim, its id free for another", () => {
    const index = new TriggerIndex({ bucketBps: 25 });
    index.upsert("a", [{ market: "M", lo: 90n * USD, hi: 110n * USD }]);
    index.upsert("b", [{ market: "M", lo: 95n * USD, hi: NO_UPPER }]);
    expect(index.suspend("a")).toBe(true);
    expect(index.suspend("a")).toBe(false);
    expect(index.has("a")).toBe(false);
    expect(index.size).toBe(1);
    expect(index.suspendedCount).toBe(1);
    // Its edges are still in the buckets, yet it is never reported.
    expect(index.crossed("M", 100n * USD, 80n * USD)).toEqual(["b"]);
    expect(index.crossed("M", 80n * USD, 120n * USD)).toEqual([]);
    expect(index.accountsOn("M")).toEqual(["b"]);
    // Upserted again before the reclaim: its new bands alone count, and the reclaim leaves them.
    index.upsert("a", [{ market: "M", lo: 60n * USD, hi: 140n * USD }]);
    expect(index.crossed("M", 120n * USD, 80n * USD)).toEqual(["b"]);
    index.reclaim(10);
    expect(index.suspendedCount).toBe(0);
    expect(index.crossed("M", 100n * USD, 50n * USD).sort()).toEqual(["a", "b"]);
    // Suspended and not upserted again: the reclaim frees its id.
    const idOfB = index.ids.get("b");
    expect(index.suspend("b")).toBe(true);
    index.reclaim(10);
    expect(index.ids.get("b")).toBeUndefined();
    // The freed id goes to a new account on another market: none of the old edges on M is
    // reported for it (they would be, were they still in M's buckets).
    index.upsert("c", [{ market: "N", lo: 50n * USD, hi: 150n * USD }]);
    expect(index.ids.get("c")).toBe(idOfB);
    expect(index.crossed("M", 80n * USD, 120n * USD)).toEqual([]);
    expect(index.crossed("M", 100n * USD, 85n * USD)).toEqual([]);
    expect(index.crossed("M", 100n * USD, 50n * USD)).toEqual(["a"]);
    expect(index.crossed("N", 100n * USD, 40n * USD)).toEqual(["c"]);
    expect(index.size).toBe(2);
  });

  it("keeps each bucket exact through removals, re-upserts and reclaims in any order", () => {
    const rnd = mulberry32(11);
    const index = new TriggerIndex({ bucketBps: 25 });
    // Edges packed into a few buckets, so removals move pairs within them.
    const bands = new Map<string, Band[]>();
    const draw = (name: string) => {
      const lo = BigInt(Math.floor(95_000_000 + rnd() * 1_500_000));
      const hi = BigInt(Math.floor(104_000_000 + rnd() * 1_500_000));
      const b: Band[] = [{ market: "M", lo, hi }];
      if (rnd() < 0.5) b.push({ market: "N", lo: lo / 2n, hi: NO_UPPER });
      bands.set(name, b);
      index.upsert(name, b);
    };
    for (let i = 0; i < 300; i++) draw(`a${i}`);
    for (let round = 0; round < 6; round++) {
      for (const name of [...bands.keys()]) {
        const r = rnd();
        if (r < 0.2) {
          index.remove(name);
          bands.delete(name);
        } else if (r < 0.35) draw(name);
        else if (r < 0.45 && index.suspend(name)) bands.delete(name);
      }
      if (round % 2 === 1) index.reclaim(1_000);
      for (let i = 0; i < 40; i++) draw(`r${round}-${i}`);
      const expected = (market: string, from: bigint, to: bigint) =>
        [...bands]
          .filter(([, b]) =>
            b.some((x) => x.market === market && (to < from ? x.lo > to && x.lo <= from : x.hi < to && x.hi >= from)),
          )
          .map(([name]) => name)
          .sort();
      expect(index.crossed("M", 100_000_000n, 94_000_000n).sort()).toEqual(expected("M", 100_000_000n, 94_000_000n));
      expect(index.crossed("M", 100_000_000n, 106_000_000n).sort()).toEqual(expected("M", 100_000_000n, 106_000_000n));
      expect(index.crossed("N", 100_000_000n, 1n).sort()).toEqual(expected("N", 100_000_000n, 1n));
      expect(index.size).toBe(bands.size);
    }
  });

  it("shares its ids with another holder: an id stays while either holds it", () => {
    const ids = new AccountIds();
    const index = new TriggerIndex({ bucketBps: 25 }, ids);
    index.upsert("a", [{ market: "M", lo: 90n * USD, hi: 110n * USD }]);
    const id = ids.get("a")!;
    ids.acquire("a", HELD_BY_SCREEN);
    expect(index.remove("a")).toBe(true);
    expect(index.has("a")).toBe(false);
    // Still held by the other: the same id when indexed again, no edge of the old bands left.
    expect(ids.get("a")).toBe(id);
    index.upsert("a", [{ market: "M", lo: 50n * USD, hi: 150n * USD }]);
    expect(ids.get("a")).toBe(id);
    expect(index.crossed("M", 100n * USD, 80n * USD)).toEqual([]);
    ids.release(id, HELD_BY_SCREEN);
    expect(index.remove("a")).toBe(true);
    expect(index.remove("a")).toBe(false);
    expect(ids.get("a")).toBeUndefined();
    expect(ids.size).toBe(0);
  });
});
