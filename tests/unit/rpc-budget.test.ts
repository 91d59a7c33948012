// The steps' RPC budget: a burst of one second's calls at once, then calls at the configured rate,
// served in the order they asked.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RpcBudget } from "../../orchestrator/src/jobs/rpc-budget.js";

describe("RPC budget", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("lets a second's worth of calls through at once and spaces the rest at the rate", async () => {
    const budget = new RpcBudget(10);
    const served: number[] = [];
    const start = Date.now();
    const calls = Array.from({ length: 15 }, (_, i) => budget.take().then(() => served.push(i)));
    await vi.advanceTimersByTimeAsync(0);
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await vi.advanceTimersByTimeAsync(99);
    expect(served).toHaveLength(10);
    await vi.advanceTimersByTimeAsync(1);
    expect(served).toHaveLength(11);
    await vi.advanceTimersByTimeAsync(400);
    await Promise.all(calls);
    expect(served).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(Date.now() - start).toBe(500);
    expect(budget.taken).toBe(15);
  });

  it("serves a later small request only after an earlier one that waits", async () => {
    const budget = new RpcBudget(4);
    await budget.take(4);
    const order: string[] = [];
    const big = budget.take(2).then(() => order.push("two"));
    const small = budget.take(1).then(() => order.push("one"));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all([big, small]);
    expect(order).toEqual(["two", "one"]);
  });
});
