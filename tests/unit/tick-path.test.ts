// The float screen may only ever say what the exact math says: wherever it decides an account's
// state, evaluate() decides the same; and a tick path fed every tick holds every account at the
// state evaluate() gives it, whatever the prices do.
import { describe, expect, it } from "vitest";
import { evaluate } from "../../orchestrator/src/risk/evaluate.js";
import { HealthScreen } from "../../orchestrator/src/risk/screen.js";
import { TickPath } from "../../orchestrator/src/risk/tick-path.js";
import { ChainStatus, type AccountState, type MarketState } from "../../orchestrator/src/risk/types.js";
import {
  CALL_BAND,
  FRESH,
  USD,
  account,
  mulberry32,
  position,
  reading,
  randomAccounts,
  world,
  worstConf,
} from "./risk-world.js";

/** Some accounts flagged on chain, as a liquidation leaves them. */
function withFlags(accounts: AccountState[], rnd: () => number): AccountState[] {
  return accounts.map((a) => (rnd() < 0.2 ? { ...a, status: ChainStatus.BeingLiquidated } : a));
}

describe("float health screen", () => {
  it("decides a state only where the exact math decides the same one", () => {
    const rnd = mulberry32(11);
    const w = world();
    const accounts = withFlags(randomAccounts(w, 600, rnd), rnd);
    const screen = new HealthScreen(CALL_BAND);
    let decided = 0;
    let checked = 0;
    for (let round = 0; round < 30; round++) {
      for (const m of w.markets.values()) {
        const move = 1 + (rnd() - 0.5) * (round % 5 === 0 ? 0.2 : 0.02);
        const price = BigInt(Math.max(1, Math.round(Number(w.price(m.address)) * move)));
        // Now and then a reading the program refuses (confidence beyond the limit).
        const conf =
          rnd() < 0.1 ? worstConf(m, price) * 2n : (worstConf(m, price) * BigInt(Math.floor(rnd() * 100))) / 100n;
        w.set(m.address, price, conf);
      }
      screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
      for (const a of accounts) {
        const said = screen.decide(a, FRESH);
        checked++;
        if (said === null) continue;
        decided++;
        expect(said).toBe(evaluate(a, w.markets, w.prices, FRESH, CALL_BAND).state);
      }
    }
    // Undecided only for refused prices and the rare account within rounding of a threshold.
    expect(decided / checked).toBeGreaterThan(0.7);
  });

  it("is exact at the threshold: one unit of collateral either side of maintenance", () => {
    const w = world();
    const pos = [position("SOL", 50_000, w.price("SOL"), true, w.price("SOL"))];
    const screen = new HealthScreen(CALL_BAND);
    screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
    // Find the collateral at which the exact math flips from healthy-status liquidatable to margin call.
    let lo = -10_000n * USD;
    let hi = 10_000n * USD;
    const state = (c: bigint) => evaluate(account("a", c, pos), w.markets, w.prices, FRESH, CALL_BAND).state;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (state(mid) === "partial-liquidation") lo = mid;
      else hi = mid;
    }
    expect(state(lo)).toBe("partial-liquidation");
    expect(state(hi)).toBe("margin-call");
    for (const c of [lo - 1n, lo, hi, hi + 1n]) expect(screen.decide(account("a", c, pos), FRESH)).toBeNull();
    expect(screen.decide(account("a", lo - 1_000n, pos), FRESH)).toBe("partial-liquidation");
    expect(screen.decide(account("a", hi + 1_000n, pos), FRESH)).toBe("margin-call");
  });

  it("keeps each market's holder list exact through puts and removals", () => {
    const w = world();
    const screen = new HealthScreen(CALL_BAND);
    const mk = (name: string, markets: string[]) =>
      account(
        name,
        1_000n * USD,
        markets.map((m) => position(m, 1_000, w.price(m), true, w.price(m))),
      );
    const all = [mk("a", ["SOL", "ETH"]), mk("b", ["SOL"]), mk("c", ["ETH", "SOL", "BTC"]), mk("d", ["SOL", "BTC"])];
    for (const a of all) screen.put(a, "margin-call");
    screen.remove("b");
    screen.put(mk("a", ["BTC"]), "healthy");
    screen.remove("d");
    expect(new Set(screen.holdersOf("SOL"))).toEqual(new Set(["c"]));
    expect(new Set(screen.holdersOf("ETH"))).toEqual(new Set(["c"]));
    expect(new Set(screen.holdersOf("BTC"))).toEqual(new Set(["a", "c"]));
    expect(screen.state("a")).toBe("healthy");
    expect(screen.state("b")).toBeUndefined();
    expect(screen.size).toBe(2);
  });
  it("gives its rows back once mostly emptied, and keeps what remains exact", () => {
    const w = world();
    const screen = new HealthScreen(CALL_BAND);
    const sol = w.price("SOL");
    const eth = w.price("ETH");
    const mk = (i: number) =>
      account(`a${i}`, BigInt(500 + (i % 7) * 400) * USD, [
        position("SOL", 5_000 + i, sol, i % 2 === 0, sol),
        ...(i % 3 === 0 ? [position("ETH", 3_000, eth, true, eth)] : []),
      ]);
    const all = Array.from({ length: 6_000 }, (_, i) => mk(i));
    const stateOf = (a: AccountState) => evaluate(a, w.markets, w.prices, FRESH, CALL_BAND).state ?? "exact";
    for (const a of all) screen.put(a, stateOf(a));
    const full = screen.allocatedBytes;
    // Remove all but every 20th: far below an eighth of the rows, so the table is rebuilt.
    for (const [i, a] of all.entries()) if (i % 20 !== 0) screen.remove(a.address);
    // The rows and each market's copies of them are given back too.
    expect(screen.allocatedBytes).toBeLessThan(full / 3);
    const kept = all.filter((_, i) => i % 20 === 0);
    expect(screen.size).toBe(kept.length);
    expect(new Set(screen.holdersOf("SOL"))).toEqual(new Set(kept.map((a) => a.address)));
    expect(new Set(screen.holdersOf("ETH"))).toEqual(
      new Set(kept.filter((_, j) => (j * 20) % 3 === 0).map((a) => a.address)),
    );
    for (const a of kept) expect(screen.state(a.address)).toBe(stateOf(a));
    const stateOf0 = new Map(kept.map((a) => [a, stateOf(a)]));
    // The renumbered rows still hold each account's numbers: a move is screened as the exact math says.
    w.set("SOL", (sol * 93n) / 100n, 0n);
    screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
    const decided: string[] = [];
    const undecided: string[] = [];
    screen.sweep("SOL", FRESH, decided, undecided);
    const due = new Set([...decided, ...undecided]);
    const changed = kept.filter((a) => evaluate(a, w.markets, w.prices, FRESH, CALL_BAND).state !== stateOf0.get(a));
    expect(changed.length).toBeGreaterThan(0);
    for (const a of changed) expect(due.has(a.address)).toBe(true);
    // What the sweep decided, it decided as the exact math does, and holds from now on.
    expect(decided.length).toBeGreaterThan(0);
    for (const x of decided) expect(screen.state(x)).toBe(stateOf(all[Number(x.slice(1))]));
    // Removing and adding after the rebuild keeps the lists consistent.
    screen.remove(kept[0].address);
    screen.put(mk(99_999), "healthy");
    expect(screen.holdersOf("SOL")).toContain("a99999");
    expect(screen.holdersOf("SOL")).not.toContain(kept[0].address);
    expect(screen.size).toBe(kept.length);
  });
});

describe("tick path", () => {
  it("holds every account at the state the exact math gives it, tick after tick", () => {
    const rnd = mulberry32(5);
    const w = world();
    const accounts = new Map(withFlags(randomAccounts(w, 500, rnd), rnd).map((a) => [a.address, a]));
    const path = new TickPath(CALL_BAND);
    const tickWorld = { markets: w.markets, prices: w.prices, fresh: FRESH, account: (x: string) => accounts.get(x) };
    const place = (a: AccountState, onTick: boolean) => {
      const ev = evaluate(a, w.markets, w.prices, FRESH, CALL_BAND);
      path.place(a, ev.state ?? "exact", ev.state === "healthy", tickWorld, onTick);
    };
    for (const a of accounts.values()) place(a, false);
    const names = [...w.markets.keys()];
    let exactTotal = 0;
    let changedTotal = 0;
    for (let t = 0; t < 400; t++) {
      const market = names[Math.floor(rnd() * names.length)];
      const m = w.markets.get(market) as MarketState;
      const old = w.price(market);
      const shock = t % 97 === 50 ? 0.9 : t % 97 === 90 ? 1.1 : 1 + (rnd() - 0.5) * 0.01;
      const price = BigInt(Math.max(1, Math.round(Number(old) * shock)));
      const stale = t % 61 === 7;
      w.set(market, price, (worstConf(m, price) * BigInt(Math.floor(rnd() * 100))) / 100n);
      // A reading the program refuses as stale: the screen must leave its holders to the exact math.
      if (stale) w.prices.set(m.oracle, { ...w.prices.get(m.oracle)!, publishTime: FRESH.nowS - 120 });
      const { changed, exact } = path.tick(market, old, price, tickWorld);
      exactTotal += exact.length;
      changedTotal += changed.length;
      // Changes the screen decided are held without an exact evaluation; the check below vouches for them.
      for (const x of exact) place(accounts.get(x)!, true);
      if (t % 3 === 0) for (const x of path.takePending(50)) place(accounts.get(x)!, false);
      for (const a of accounts.values()) {
        const exact = evaluate(a, w.markets, w.prices, FRESH, CALL_BAND).state;
        const held = path.screen.state(a.address) ?? (path.index.has(a.address) ? "healthy" : undefined);
        expect(held, `${a.address} at tick ${t}`).toBe(exact ?? "exact");
      }
    }
    // The screen spared most exact evaluations: far fewer than every tracked holder on every tick.
    expect(exactTotal).toBeLessThan(400 * 50);
    expect(exactTotal).toBeGreaterThan(0);
    expect(changedTotal).toBeGreaterThan(0);
  });
});

describe("tick path's healthy crossings, screened after the tick", () => {
  it("holds every account exactly when accounts change between ticks and no redraw comes between them", () => {
    const rnd = mulberry32(31);
    const w = world();
    const accounts = new Map(randomAccounts(w, 400, rnd).map((a) => [a.address, a]));
    const path = new TickPath(CALL_BAND);
    const tickWorld = { markets: w.markets, prices: w.prices, fresh: FRESH };
    const place = (a: AccountState, onTick: boolean) => {
      const ev = evaluate(a, w.markets, w.prices, FRESH, CALL_BAND);
      path.place(a, ev.state ?? "exact", ev.state === "healthy", tickWorld, onTick);
    };
    for (const a of accounts.values()) place(a, false);
    const names = [...w.markets.keys()];
    let pendingSeen = 0;
    for (let t = 0; t < 200; t++) {
      const market = names[Math.floor(rnd() * names.length)];
      const old = w.price(market);
      const price = BigInt(Math.max(1, Math.round(Number(old) * (1 + (rnd() - 0.5) * 0.06))));
      w.set(market, price, 0n);
      const { exact } = path.tick(market, old, price, tickWorld);
      for (const x of exact) place(accounts.get(x)!, true);
      pendingSeen += path.pendingCount;
      // Account updates between ticks (as the feed delivers them), some of them crossed this tick:
      // the placement decides, with the new data.
      for (const a of [...accounts.values()].filter(() => rnd() < 0.3)) {
        const next = { ...a, collateral: (a.collateral * BigInt(40 + Math.floor(rnd() * 90))) / 100n };
        accounts.set(a.address, next);
        place(next, false);
      }
      // Bands redrawn only now and then: most ticks find the last one's crossings not yet screened.
      if (t % 7 === 6) for (const x of path.takePending(1_000)) place(accounts.get(x)!, false);
      for (const a of accounts.values()) {
        const exactState = evaluate(a, w.markets, w.prices, FRESH, CALL_BAND).state;
        const held = path.screen.state(a.address) ?? (path.index.has(a.address) ? "healthy" : undefined);
        expect(held, `${a.address} at tick ${t}`).toBe(exactState ?? "exact");
      }
    }
    expect(pendingSeen).toBeGreaterThan(0);
  });
});

describe("tick path around a refused price", () => {
  it("sweeps every screened holder again once a refused reading is accepted, whichever market ticks", () => {
    const rnd = mulberry32(9);
    const w = world();
    const accounts = new Map(randomAccounts(w, 400, rnd).map((a) => [a.address, a]));
    const path = new TickPath(CALL_BAND);
    let fresh = FRESH;
    const tickWorld = {
      markets: w.markets,
      prices: w.prices,
      get fresh() {
        return fresh;
      },
      account: (x: string) => accounts.get(x),
    };
    const place = (a: AccountState, onTick: boolean) => {
      const ev = evaluate(a, w.markets, w.prices, fresh, CALL_BAND);
      path.place(a, ev.state ?? "exact", ev.state === "healthy", tickWorld, onTick);
    };
    const heldAsExact = () => {
      const wrong: string[] = [];
      for (const a of accounts.values()) {
        const exact = evaluate(a, w.markets, w.prices, fresh, CALL_BAND).state;
        const held = path.screen.state(a.address) ?? (path.index.has(a.address) ? "healthy" : undefined);
        if (held !== (exact ?? "exact")) wrong.push(a.address);
      }
      return wrong;
    };
    for (const a of accounts.values()) place(a, false);
    // SOL drops 6% in a reading published ahead of the clock: refused, its holders valued without it.
    const sol = w.markets.get("SOL") as MarketState;
    const old = w.price("SOL");
    const next = (old * 94n) / 100n;
    w.prices.set(sol.oracle, { ...reading(sol, next, 0n), publishTime: FRESH.nowS + 30 });
    let found = path.tick("SOL", old, next, tickWorld);
    for (const x of found.exact) place(accounts.get(x)!, true);
    expect(heldAsExact()).toEqual([]);
    const atRefused = [...accounts.values()].filter((a) => path.screen.state(a.address) !== undefined);
    const heldBefore = new Map(atRefused.map((a) => [a.address, path.screen.state(a.address)]));
    // The clock catches up with the reading: accepted now, though SOL does not tick again. ETH does.
    fresh = { ...FRESH, nowS: FRESH.nowS + 30 };
    const eth = w.price("ETH");
    w.set("ETH", eth + 1n, 0n);
    found = path.tick("ETH", eth, eth + 1n, tickWorld);
    const due = new Set([...found.changed, ...found.exact]);
    expect(due.size).toBe(found.changed.length + found.exact.length);
    // Holders of SOL alone, whose state the accepted price changes: each is reported.
    const solOnly = atRefused.filter((a) => a.positions.every((p) => p.market === "SOL"));
    const moved = solOnly.filter(
      (a) => (evaluate(a, w.markets, w.prices, fresh, CALL_BAND).state ?? "exact") !== heldBefore.get(a.address),
    );
    expect(moved.length).toBeGreaterThan(0);
    for (const a of moved) expect(due.has(a.address), a.address).toBe(true);
    for (const x of found.exact) place(accounts.get(x)!, true);
    expect(heldAsExact()).toEqual([]);
    // The healthy ones kept out of the index get their bands back, between ticks.
    for (const x of path.takePending(10_000)) place(accounts.get(x)!, false);
    expect(heldAsExact()).toEqual([]);
    for (const a of solOnly)
      if (evaluate(a, w.markets, w.prices, fresh, CALL_BAND).state === "healthy" && w.bands(a))
        expect(path.index.has(a.address), a.address).toBe(true);
  });
});

describe("float screen's accounts due for bands", () => {
  it("hands each due account out once, oldest first, forgets removed ones and keeps the rest through a rebuild", () => {
    const w = world();
    const screen = new HealthScreen(CALL_BAND);
    const sol = w.price("SOL");
    const mk = (i: number) => account(`d${i}`, 5_000n * USD, [position("SOL", 1_000 + i, sol, true, sol)]);
    for (let i = 0; i < 6_000; i++) screen.put(mk(i), "healthy", i % 2 === 0);
    expect(screen.dueSize).toBe(3_000);
    // Screened again without `due` (an exact evaluation placed it) or removed: no longer due.
    screen.put(mk(0), "healthy");
    screen.remove("d2");
    expect(screen.dueSize).toBe(2_998);
    expect(screen.takeDue(3)).toEqual(["d4", "d6", "d8"]);
    // Put again as due: due once more, now last in line, and handed out once.
    screen.put(mk(4), "healthy", true);
    // Remove almost everything: the rows are rebuilt and the survivors keep their due flags and order.
    for (let i = 0; i < 6_000; i++) if (i % 50 !== 0 && i !== 4) screen.remove(`d${i}`);
    expect(screen.size).toBe(121);
    const rest = screen.takeDue(10_000);
    const expected = Array.from({ length: 120 }, (_, k) => k * 50)
      .filter((i) => i !== 0 && i % 2 === 0)
      .map((i) => `d${i}`);
    expect(rest).toEqual([...expected, "d4"]);
    expect(screen.dueSize).toBe(0);
    expect(screen.takeDue(10)).toEqual([]);
    // A sweep that heals an account with `healDue` makes it due.
    const sick = account("sick", 50n * USD, [position("SOL", 10_000, sol, true, sol)]);
    screen.put(sick, "partial-liquidation");
    w.set("SOL", (sol * 120n) / 100n, 0n);
    screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
    const changed: string[] = [];
    screen.sweep("SOL", FRESH, changed, [], true);
    expect(changed).toContain("sick");
    expect(screen.state("sick")).toBe("healthy");
    expect(screen.takeDue(10)).toEqual(["sick"]);
  });
});

describe("float screen's accounts healthy with bands due (kept out of the tables)", () => {
  it("sweeps them from their rows, moves one that is healthy no more into the tables, and keeps every list exact", () => {
    const rnd = mulberry32(23);
    const w = world();
    const screen = new HealthScreen(CALL_BAND);
    const markets = ["SOL", "ETH", "BTC"];
    const accounts = new Map<string, AccountState>();
    const mk = (i: number) => {
      const held = markets.filter(() => rnd() < 0.6);
      if (held.length === 0) held.push(markets[i % 3]);
      const a = account(
        `h${i}`,
        BigInt(40 + Math.floor(rnd() * 400)) * USD,
        held.map((m) => position(m, 200 + Math.floor(rnd() * 2_000), w.price(m), rnd() < 0.5, w.price(m))),
      );
      accounts.set(a.address, a);
      return a;
    };
    const exactState = (a: AccountState) => evaluate(a, w.markets, w.prices, FRESH, CALL_BAND).state;
    screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
    for (let i = 0; i < 400; i++) {
      const a = mk(i);
      const state = exactState(a);
      // Healthy ones as a tick leaves them (due), the others at their state in the tables.
      if (state === "healthy") screen.put(a, "healthy", true);
      else screen.put(a, state ?? "exact");
    }
    const due = [...accounts.values()].filter((a) => exactState(a) === "healthy");
    expect(due.length).toBeGreaterThan(50);
    expect(screen.dueSize).toBe(due.length);
    // Some removed, some screened again (in the tables, not due).
    for (const a of due.slice(0, 20)) {
      screen.remove(a.address);
      accounts.delete(a.address);
    }
    for (const a of due.slice(20, 30)) screen.put(a, "healthy");
    const holders = (m: string) =>
      [...accounts.values()]
        .filter((a) => a.positions.some((p) => p.market === m))
        .map((a) => a.address)
        .sort();
    for (const m of markets) expect(screen.holdersOf(m).sort()).toEqual(holders(m));
    expect(screen.countOf("healthy")).toBe(due.length - 20);
    // A move on SOL: each loose holder the float decides unhealthy is reported and held at its state.
    w.set("SOL", (w.price("SOL") * 90n) / 100n, 0n);
    screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
    const changed: string[] = [];
    const exact: string[] = [];
    screen.sweep("SOL", FRESH, changed, exact, true);
    const sick = due
      .slice(30)
      .filter((a) => exactState(a) !== "healthy" && a.positions.some((p) => p.market === "SOL"));
    expect(sick.length).toBeGreaterThan(0);
    for (const a of sick) expect(changed.includes(a.address) || exact.includes(a.address), a.address).toBe(true);
    for (const x of changed) expect(screen.state(x), x).toBe(exactState(accounts.get(x)!));
    // No longer healthy: not handed out for bands; the lists still hold every account once.
    const out = new Set(screen.takeDue(10_000));
    for (const x of changed) if (screen.state(x) !== "healthy") expect(out.has(x)).toBe(false);
    for (const m of markets) expect(screen.holdersOf(m).sort()).toEqual(holders(m));
    // And the next sweep holds each at the state the exact math gives it.
    w.set("ETH", (w.price("ETH") * 95n) / 100n, 0n);
    screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
    const again: string[] = [];
    screen.sweep("ETH", FRESH, again, [], true);
    for (const x of again) expect(screen.state(x), x).toBe(exactState(accounts.get(x)!));
  });
});

describe("float screen's accounts no row can hold", () => {
  it("holds an account with a market twice or more positions than the layout's for the exact math, and keeps the lists exact", () => {
    const w = world();
    const sol = w.price("SOL");
    for (const due of [false, true]) {
      const screen = new HealthScreen(CALL_BAND);
      const mk = (name: string, n: number) =>
        account(
          name,
          1_000n * USD,
          Array.from({ length: n }, () => position("SOL", 1_000, sol, true, sol)),
        );
      screen.put(mk("d", 1), "margin-call", due);
      screen.put(mk("a", 2), "margin-call", due);
      screen.put(mk("d", 1), "margin-call", due);
      screen.put(mk("c", 3), "margin-call", due);
      screen.remove("a");
      expect(screen.holdersOf("SOL").sort()).toEqual(["c", "d"]);
      expect(screen.state("c")).toBe("exact");
      expect(screen.state("a")).toBeUndefined();
      expect(screen.size).toBe(2);
      // Nine positions on nine markets: more than a row holds.
      const markets = [...w.markets.keys()];
      const nine = account(
        "nine",
        1_000n * USD,
        Array.from({ length: 9 }, (_, i) => ({
          ...position("SOL", 1_000, sol, true, sol),
          market: markets[i % markets.length] + (i >= markets.length ? `-${i}` : ""),
        })),
      );
      expect(() => screen.put(nine, "healthy")).not.toThrow();
      expect(screen.state("nine")).toBe("exact");
      // Every sweep of their markets hands them to the exact math; the others are swept as usual.
      screen.price({ markets: w.markets, prices: w.prices, fresh: FRESH }, w.markets.keys());
      const changed: string[] = [];
      const exact: string[] = [];
      screen.sweep("SOL", FRESH, changed, exact);
      expect(exact.sort()).toEqual(["c", "nine"]);
      expect(screen.countOf("exact")).toBe(2);
      // Fit again (one position): screened as any other; removed: forgotten.
      screen.put(mk("c", 1), "margin-call");
      expect(screen.state("c")).toBe("margin-call");
      expect(screen.remove("nine")).toBe(true);
      expect(screen.holdersOf("SOL").sort()).toEqual(["c", "d"]);
      expect(screen.size).toBe(2);
    }
  });
});
