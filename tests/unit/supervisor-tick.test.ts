// The supervisor on price ticks: an account at risk is not evaluated again on a tick that changes
// none of its states, yet what it asks for is built from the current prices; and while a market's
// price is refused its holders stay out of the trigger index.
import { SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import { Supervisor, type Effects } from "../../orchestrator/src/actors/supervisor.js";
import { evaluate } from "../../orchestrator/src/risk/evaluate.js";
import type { AccountState, PriceState } from "../../orchestrator/src/risk/types.js";
import { CALL_BAND, FRESH, USD, account, position, tier, withHealth, world, worstConf } from "./risk-world.js";

/** Effects that record what is enqueued and do nothing else. */
function enqueueOnly(enqueue: Effects["enqueue"]): Effects {
  const noop = () => {};
  return {
    enqueue,
    notifyMarginCall: noop,
    reread: noop,
    recordWait: noop,
    persist: noop,
    transition: noop,
    settle: noop,
    claim: noop,
  };
}

function setup() {
  const w = world();
  const accounts = new Map<string, AccountState>();
  const clock = new SimulatedClock();
  const enqueued: { kind: string; market: string | null; shortfall: string }[] = [];
  const effects = enqueueOnly((kind, ctx) =>
    enqueued.push({ kind, market: ctx.liquidationMarket, shortfall: ctx.shortfall }),
  );
  const supervisor = new Supervisor(
    { accounts, markets: w.markets, prices: w.prices, freshness: () => FRESH },
    effects,
    { marginCallBandPpm: CALL_BAND, confirmTimeoutMs: 1_000, clock },
  );
  /** Moves a market's price and hands the tick to the supervisor, as the feed does. */
  const tick = (market: string, price: bigint, conf = 0n) => {
    const oracle = w.markets.get(market)!.oracle;
    const prev = w.prices.get(oracle) as PriceState;
    w.set(market, price, conf);
    return supervisor.onPrice(market, prev, w.prices.get(oracle)!);
  };
  return { w, accounts, clock, enqueued, supervisor, tick };
}

describe("supervisor on price ticks", () => {
  it("observes every account a tick changed even when one of them throws, then raises the error", () => {
    const w = world();
    const accounts = new Map<string, AccountState>();
    const transitions: string[] = [];
    let failed = false;
    const effects: Effects = {
      ...enqueueOnly(() => {}),
      transition: (address, _from, to) => {
        if (address === "a1" && !failed) {
          failed = true;
          throw new Error("effect failed");
        }
        transitions.push(`${address}:${to}`);
      },
    };
    const supervisor = new Supervisor(
      { accounts, markets: w.markets, prices: w.prices, freshness: () => FRESH },
      effects,
      { marginCallBandPpm: CALL_BAND, confirmTimeoutMs: 1_000, clock: new SimulatedClock() },
    );
    const sol = w.price("SOL");
    for (let i = 0; i < 4; i++) {
      const a = withHealth(w, `a${i}`, [position("SOL", 20_000 + i * 1_000, sol, true, sol)], 1.3);
      accounts.set(a.address, a);
      supervisor.observe(a.address);
    }
    expect(transitions).toEqual([]);
    const oracle = w.markets.get("SOL")!.oracle;
    const prev = w.prices.get(oracle) as PriceState;
    // −10%: every one of them is past maintenance.
    w.set("SOL", (sol * 90n) / 100n, 0n);
    expect(() => supervisor.onPrice("SOL", prev, w.prices.get(oracle)!)).toThrow("effect failed");
    expect(transitions.sort()).toEqual(["a0:partial-liquidation", "a2:partial-liquidation", "a3:partial-liquidation"]);
    // The one that threw is held for the exact math: the next tick of its market evaluates it again.
    const prev2 = w.prices.get(oracle) as PriceState;
    w.set("SOL", (sol * 90n) / 100n + 1n, 0n);
    supervisor.onPrice("SOL", prev2, w.prices.get(oracle)!);
    expect(transitions).toContain("a1:partial-liquidation");
  });

  it("holds an account whose update's observation throws for the exact math, with its new data", () => {
    const w = world();
    const accounts = new Map<string, AccountState>();
    const transitions: string[] = [];
    const errors: string[] = [];
    let failing = false;
    const effects: Effects = {
      ...enqueueOnly(() => {}),
      transition: (address, _from, to) => {
        if (failing) throw new Error("effect failed");
        transitions.push(`${address}:${to}`);
      },
    };
    const supervisor = new Supervisor(
      { accounts, markets: w.markets, prices: w.prices, freshness: () => FRESH },
      effects,
      {
        marginCallBandPpm: CALL_BAND,
        confirmTimeoutMs: 1_000,
        clock: new SimulatedClock(),
        onError: (e, account) => errors.push(`${account}: ${(e as Error).message}`),
      },
    );
    const sol = w.price("SOL");
    const healthy = withHealth(w, "a", [position("SOL", 20_000, sol, true, sol)], 3);
    accounts.set("a", healthy);
    expect(supervisor.tryObserve("a")).toBeNull();
    expect(supervisor.index.has("a")).toBe(true);
    // The update (collateral withdrawn) puts it below its margin-call level; its observation throws.
    accounts.set("a", withHealth(w, "a", [position("SOL", 20_000, sol, true, sol)], 0.8));
    failing = true;
    expect(supervisor.tryObserve("a")).toBeNull();
    expect(errors).toEqual(["a: effect failed"]);
    expect(supervisor.path.screen.state("a")).toBe("exact");
    expect(supervisor.index.has("a")).toBe(false);
    // The next tick of its market, by a hair that moves no band: evaluated with the new data.
    failing = false;
    const oracle = w.markets.get("SOL")!.oracle;
    const prev = w.prices.get(oracle) as PriceState;
    w.set("SOL", sol + 1n, 0n);
    supervisor.onPrice("SOL", prev, w.prices.get(oracle)!);
    const now = evaluate(accounts.get("a")!, w.markets, w.prices, FRESH, CALL_BAND).state;
    expect(now).not.toBe("healthy");
    expect(transitions).toEqual([`a:${now}`]);
  });

  it("asks again with the target market and shortfall of the current prices, not of its last evaluation", () => {
    const { w, accounts, clock, enqueued, supervisor, tick } = setup();
    const sol = w.price("SOL");
    const eth = w.price("ETH");
    // Below maintenance; the larger position (ETH, short) is the one a step closes.
    const a = account("x", 1_000n * USD, [
      position("SOL", 48_000, sol, true, sol),
      position("ETH", 50_000, eth, false, eth),
    ]);
    accounts.set("x", a);
    supervisor.observe("x");
    expect(enqueued).toEqual([{ kind: "liquidate", market: "ETH", shortfall: expect.any(String) }]);

    // SOL +6%: the long is now the larger position, the account still liquidatable. The tick
    // changes no state, so the screen spares the exact evaluation and nothing new is asked for.
    expect(tick("SOL", (sol * 106n) / 100n)).toBe(0);
    expect(enqueued).toHaveLength(1);
    const now = evaluate(a, w.markets, w.prices, FRESH, CALL_BAND);
    expect(now.state).toBe("partial-liquidation");
    expect(now.liquidationMarket).toBe("SOL");

    // The chain has not moved: the actor asks again, built from the current prices.
    clock.increment(1_000);
    expect(enqueued).toHaveLength(2);
    expect(enqueued[1]).toEqual({ kind: "liquidate", market: "SOL", shortfall: now.shortfall.toString() });
    expect(supervisor.lastEvaluation.get("x")?.liquidationMarket).toBe("SOL");
  });

  it("keeps a refused market's holders out of the index until its price is accepted again", async () => {
    const { w, accounts, supervisor, tick } = setup();
    const sol = w.price("SOL");
    const btc = w.price("BTC");
    // Holders of SOL with a BTC position too: with SOL's price refused they can still be valued
    // (SOL against its holder) and are healthy, so nothing but the refusal keeps them unindexed.
    for (let i = 0; i < 5; i++) {
      const positions = [
        position("SOL", 20_000 + i * 1_000, sol, i % 2 === 0, sol),
        position("BTC", 5_000, btc, true, btc),
      ];
      accounts.set(`h${i}`, account(`h${i}`, 30_000n * USD, positions));
      supervisor.observe(`h${i}`);
    }
    expect(supervisor.index.size).toBe(5);
    const betweenTicks = () => new Promise((resolve) => setTimeout(resolve, 50));
    // A reading too uncertain for the program: every holder is evaluated, none stays indexed,
    // not even once bands are redrawn between ticks.
    const m = w.markets.get("SOL")!;
    expect(tick("SOL", sol, worstConf(m, sol) * 2n)).toBe(5);
    await betweenTicks();
    expect(supervisor.index.size).toBe(0);
    // Still refused: each is evaluated exactly again.
    expect(tick("SOL", sol + 1n, worstConf(m, sol) * 2n)).toBe(5);
    await betweenTicks();
    expect(supervisor.index.size).toBe(0);
    // Accepted again: the float screen vouches for them, and bands drawn between ticks put them back.
    expect(tick("SOL", sol, 0n)).toBe(0);
    await betweenTicks();
    expect(supervisor.index.size).toBe(5);
    expect(tick("SOL", sol + 1n, 0n)).toBe(0);
  });

  it("evaluates every holder of a market, and no one else, on its first price and when its risk parameters change", () => {
    const { w, accounts, enqueued, supervisor } = setup();
    const sol = w.price("SOL");
    const eth = w.price("ETH");
    accounts.set("holder", withHealth(w, "holder", [position("SOL", 48_000, sol, true, sol)], 1.5));
    accounts.set("other", withHealth(w, "other", [position("ETH", 30_000, eth, false, eth)], 1.5));
    // Below maintenance on ETH, never observed: evaluating it would ask for a step at once.
    accounts.set("bystander", withHealth(w, "bystander", [position("ETH", 30_000, eth, true, eth)], 0.5));
    const oracle = w.markets.get("SOL")!.oracle;
    expect(supervisor.onPrice("SOL", undefined, w.prices.get(oracle)!)).toBe(1);
    expect(supervisor.index.has("holder")).toBe(true);
    expect(supervisor.index.has("other")).toBe(false);
    expect(enqueued).toEqual([]);

    const before = w.markets.get("SOL")!;
    supervisor.onMarket(before);
    // Maintenance raised to 50%: the holder is now far below it, with no price move.
    const raised = { ...before, tiers: [tier(null, 600_000n, 500_000n)] };
    w.markets.set("SOL", raised);
    supervisor.onMarket(raised);
    expect(enqueued).toEqual([{ kind: "liquidate", market: "SOL", shortfall: expect.any(String) }]);
    expect(supervisor.lastEvaluation.get("holder")?.state).toBe("partial-liquidation");
    expect(supervisor.lastEvaluation.has("bystander")).toBe(false);
  });

  it("evaluates again, after a resync, the accounts that waited on old data", () => {
    const w = world();
    const accounts = new Map<string, AccountState>();
    const enqueued: string[] = [];
    let fresh = { ...FRESH, verifiedSlot: 0 };
    const supervisor = new Supervisor(
      { accounts, markets: w.markets, prices: w.prices, freshness: () => fresh },
      enqueueOnly((kind, ctx) => enqueued.push(`${kind} ${ctx.account}`)),
      { marginCallBandPpm: CALL_BAND, confirmTimeoutMs: 1_000 },
    );
    const sol = w.price("SOL");
    // Below maintenance, but read long ago and not vouched for since: it waits.
    const old = { ...account("x", 1_000n * USD, [position("SOL", 48_000, sol, true, sol)]), slot: 0 };
    accounts.set("x", old);
    fresh = { ...FRESH, currentSlot: FRESH.maxAccountAgeSlots + 10, verifiedSlot: 0 };
    supervisor.observe("x");
    expect(supervisor.lastEvaluation.get("x")?.state).toBeNull();
    expect(enqueued).toEqual([]);
    // A resync read it again, unchanged (the feed keeps it as it was), and vouches for the slot.
    fresh = { ...fresh, verifiedSlot: fresh.currentSlot };
    expect(supervisor.observeWaiting()).toBe(1);
    expect(supervisor.lastEvaluation.get("x")?.state).toBe("partial-liquidation");
    expect(enqueued).toEqual(["liquidate x"]);
  });
});
