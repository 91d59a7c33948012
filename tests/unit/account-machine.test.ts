// The account machine decides which effect an observation of the chain calls for; the effects
// themselves are named actions. Pure paths go through `transition()` and compare the named actions
// it returns; timers and restarts run an actor with fake effects on a simulated clock.
import { SimulatedClock, createActor, initialTransition, transition, type SnapshotFrom } from "xstate";
import { describe, expect, it } from "vitest";
import {
  accountMachine,
  type AccountContext,
  type AccountEvent,
  type Observation,
} from "../../orchestrator/src/actors/account-machine.js";
import type { RiskState } from "../../orchestrator/src/risk/types.js";

const ACCOUNT = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";
const MARKET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
const CONFIRM_MS = accountMachine.implementations.delays.confirmTimeout as number;

// stepKeys name successive on-chain states of the account (risk/evaluate.ts digests them).
const BELOW_MAINTENANCE = "a1a1a1a1a1a1a1a1";
const FLAGGED = "b2b2b2b2b2b2b2b2";
const FLAGGED_AFTER_ONE_STEP = "c3c3c3c3c3c3c3c3";
const BANKRUPT = "d4d4d4d4d4d4d4d4";
const BANKRUPT_CHANGED = "e5e5e5e5e5e5e5e5";

const observed = (state: RiskState | null, over: Partial<Observation> = {}): AccountEvent => ({
  type: "OBSERVED",
  observation: {
    state,
    waitReason: null,
    chainStatus: 0,
    liquidationId: "0",
    stepKey: BELOW_MAINTENANCE,
    shortfall: "0",
    liquidationMarket: MARKET,
    unflagDue: false,
    ...over,
  },
});
const belowMaintenance = (shortfall = "250000000") => observed("partial-liquidation", { shortfall });
const flagged = (stepKey = FLAGGED, shortfall = "250000000") =>
  observed("partial-liquidation", { chainStatus: 1, liquidationId: "1", stepKey, shortfall });
const bankrupt = (stepKey = BANKRUPT) =>
  observed("bankrupt", { chainStatus: 2, liquidationId: "1", stepKey, liquidationMarket: null });
/** Flagged on chain, yet back at or above the liquidation-end level. */
const recovered = (stepKey = FLAGGED_AFTER_ONE_STEP) =>
  observed("margin-call", { chainStatus: 1, liquidationId: "1", stepKey, unflagDue: true });
const stale = observed(null, { waitReason: "oracle price older than 25 slots" });

type Snap = SnapshotFrom<typeof accountMachine>;

/** The named effects among the actions a transition yields (XState's own timer actions left out). */
const effectsOf = (actions: readonly { type: string }[]) =>
  actions.map((a) => a.type).filter((t) => !t.startsWith("xstate."));

/** Runs events from the initial state; returns the last snapshot and the effects of the last event only. */
function after(...events: AccountEvent[]): [Snap, string[]] {
  let [snapshot, actions] = initialTransition(accountMachine, { account: ACCOUNT });
  for (const e of events) [snapshot, actions] = transition(accountMachine, snapshot, e);
  return [snapshot, effectsOf(actions)];
}

describe("deciding from an observation", () => {
  it("starts watching and does nothing until the first observation", () => {
    const [snapshot, actions] = initialTransition(accountMachine, { account: ACCOUNT });
    expect(snapshot.value).toBe("watching");
    expect(effectsOf(actions)).toEqual([]);
  });

  it("asks to liquidate an account below maintenance that the chain still shows healthy, in one step that also flags it", () => {
    const [snapshot, effects] = after(belowMaintenance());
    expect(effects).toEqual(["enqueueLiquidation"]);
    expect(snapshot.value).toEqual({ partialLiquidation: "awaitingChain" });
    expect(snapshot.context).toMatchObject({ requestedStep: BELOW_MAINTENANCE, requests: 1, shortfall: "250000000" });
  });

  it("asks for the next liquidation step once the chain shows the account flagged", () => {
    expect(after(belowMaintenance(), flagged())[1]).toEqual(["enqueueLiquidation"]);
    // Flagged by someone else before this orchestrator saw it: straight to liquidation.
    expect(after(flagged())[1]).toEqual(["enqueueLiquidation"]);
  });

  it("asks nothing new for another observation of the same step, but keeps its numbers", () => {
    const [snapshot, effects] = after(flagged(), flagged(FLAGGED, "260000000"));
    expect(effects).toEqual([]);
    expect(snapshot.value).toEqual({ partialLiquidation: "awaitingChain" });
    expect(snapshot.context).toMatchObject({ requestedStep: FLAGGED, requests: 1, shortfall: "260000000" });
  });

  it("asks for the next liquidation step when the account changed on chain (new stepKey)", () => {
    const [snapshot, effects] = after(flagged(), flagged(), flagged(FLAGGED_AFTER_ONE_STEP, "90000000"));
    expect(effects).toEqual(["enqueueLiquidation"]);
    expect(snapshot.context).toMatchObject({
      requestedStep: FLAGGED_AFTER_ONE_STEP,
      requests: 2,
      shortfall: "90000000",
    });
  });

  it("asks to resolve a bankrupt account, once per on-chain state", () => {
    const [snapshot, effects] = after(flagged(), bankrupt());
    expect(effects).toEqual(["enqueueResolution"]);
    expect(snapshot.value).toEqual({ bankrupt: "awaitingChain" });
    expect(after(flagged(), bankrupt(), bankrupt())[1]).toEqual([]);
    expect(after(flagged(), bankrupt(), bankrupt(BANKRUPT_CHANGED))[1]).toEqual(["enqueueResolution"]);
  });

  it("ends in the final healthy state when the account is healthy again", () => {
    const [snapshot, effects] = after(
      flagged(),
      observed("healthy", { chainStatus: 0, stepKey: FLAGGED_AFTER_ONE_STEP }),
    );
    expect(effects).toEqual([]);
    expect(snapshot.value).toBe("healthy");
    expect(snapshot.status).toBe("done");
  });

  it("only records the wait on stale data and changes neither state nor context", () => {
    const [before] = after(flagged());
    const [next, actions] = transition(accountMachine, before, stale);
    expect(effectsOf(actions)).toEqual(["recordWait"]);
    expect(next.value).toEqual(before.value);
    expect(next.context).toEqual(before.context);

    expect(after(stale)).toEqual([expect.objectContaining({ value: "watching" }), ["recordWait"]]);
  });

  it("notifies a margin call once, not on repeated margin-call observations", () => {
    const marginCall = (shortfall: string) => observed("margin-call", { shortfall });
    expect(after(marginCall("0"))[1]).toEqual(["notifyMarginCall"]);
    expect(after(marginCall("0"), marginCall("0"))[1]).toEqual([]);
    const [snapshot, effects] = after(marginCall("0"), stale, marginCall("0"));
    expect(effects).toEqual([]);
    expect(snapshot.value).toEqual({ marginCall: "watching" });
  });

  it("asks to unflag a flagged account back at its liquidation-end level, once per on-chain state", () => {
    const [snapshot, effects] = after(belowMaintenance(), flagged(), recovered());
    expect(effects).toEqual(["notifyMarginCall", "enqueueUnflag"]);
    expect(snapshot.value).toEqual({ marginCall: { unflagging: "awaitingChain" } });
    expect(snapshot.context).toMatchObject({ requestedStep: FLAGGED_AFTER_ONE_STEP, unflagDue: true });
    expect(after(belowMaintenance(), flagged(), recovered(), recovered())[1]).toEqual([]);
    // Changed on chain while still due (a deposit that did not carry the positions): ask again.
    expect(after(recovered(), recovered("f6f6f6f6f6f6f6f6"))[1]).toEqual(["enqueueUnflag"]);
  });

  it("goes back to watching the margin call once the chain shows the flag cleared", () => {
    const unflagged = observed("margin-call", { chainStatus: 0, liquidationId: "1", stepKey: "a7a7a7a7a7a7a7a7" });
    const [snapshot, effects] = after(recovered(), unflagged);
    expect(effects).toEqual([]);
    expect(snapshot.value).toEqual({ marginCall: "watching" });
    expect(snapshot.context.unflagDue).toBe(false);
    // A margin call that is not flagged never asks for an unflag.
    expect(after(observed("margin-call"))[1]).toEqual(["notifyMarginCall"]);
    // A flagged account falling again goes back to liquidation.
    expect(after(recovered(), flagged("f7f7f7f7f7f7f7f7"))[1]).toEqual(["enqueueLiquidation"]);
  });

  it("re-reads the account when a step settles, and leaves the next decision to that observation", () => {
    const [before] = after(flagged());
    const [next, actions] = transition(accountMachine, before, {
      type: "STEP_SETTLED",
      stepKey: FLAGGED,
      outcome: "confirmed",
    });
    expect(effectsOf(actions)).toEqual(["rereadAccount"]);
    expect(next.value).toEqual(before.value);
    expect(next.context.requests).toBe(1);
  });
});

describe("timers and restarts", () => {
  /** The machine with every effect replaced by a recorder of `effect stepKey`. */
  function recording(calls: string[]) {
    const record =
      (name: string) =>
      ({ context }: { context: AccountContext }) => {
        calls.push(`${name} ${context.stepKey}`);
      };
    return accountMachine.provide({
      actions: {
        enqueueLiquidation: record("enqueueLiquidation"),
        enqueueResolution: record("enqueueResolution"),
        notifyMarginCall: record("notifyMarginCall"),
        rereadAccount: record("rereadAccount"),
        recordWait: record("recordWait"),
      },
    });
  }

  function running(calls: string[]) {
    const clock = new SimulatedClock();
    const actor = createActor(recording(calls), { clock, input: { account: ACCOUNT } });
    actor.start();
    return { clock, actor };
  }

  it("re-reads the account and asks again for the same step when the chain has not moved within confirmTimeout", () => {
    const calls: string[] = [];
    const { clock, actor } = running(calls);
    actor.send(flagged());
    expect(calls).toEqual([`enqueueLiquidation ${FLAGGED}`]);

    clock.increment(CONFIRM_MS - 1);
    expect(calls).toHaveLength(1);
    clock.increment(1);
    expect(calls.slice(1)).toEqual([`rereadAccount ${FLAGGED}`, `enqueueLiquidation ${FLAGGED}`]);
    clock.increment(CONFIRM_MS);
    expect(calls.slice(3)).toEqual([`rereadAccount ${FLAGGED}`, `enqueueLiquidation ${FLAGGED}`]);
    expect(actor.getSnapshot().context).toMatchObject({ requestedStep: FLAGGED, requests: 3 });
    actor.stop();
  });

  it("restarts the wait when the chain moves to a new step before the timeout", () => {
    const calls: string[] = [];
    const { clock, actor } = running(calls);
    actor.send(flagged());
    clock.increment(CONFIRM_MS / 2);
    actor.send(flagged(FLAGGED_AFTER_ONE_STEP));
    expect(calls).toEqual([`enqueueLiquidation ${FLAGGED}`, `enqueueLiquidation ${FLAGGED_AFTER_ONE_STEP}`]);

    clock.increment(CONFIRM_MS / 2);
    expect(calls).toHaveLength(2);
    clock.increment(CONFIRM_MS / 2);
    expect(calls.slice(2)).toEqual([
      `rereadAccount ${FLAGGED_AFTER_ONE_STEP}`,
      `enqueueLiquidation ${FLAGGED_AFTER_ONE_STEP}`,
    ]);
    actor.stop();
  });

  it("stops asking once the account is healthy", () => {
    const calls: string[] = [];
    const { clock, actor } = running(calls);
    actor.send(belowMaintenance());
    actor.send(observed("healthy"));
    clock.increment(CONFIRM_MS * 3);
    expect(calls).toEqual([`enqueueLiquidation ${BELOW_MAINTENANCE}`]);
    expect(actor.getSnapshot().status).toBe("done");
  });

  it("asks again for the same step when a restored actor is told it resumed, and only then", () => {
    const calls: string[] = [];
    const { actor } = running(calls);
    actor.send(flagged());
    // Persisted as the orchestrator stores it: JSON in Redis.
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();

    const resumedCalls: string[] = [];
    const clock = new SimulatedClock();
    const restored = createActor(recording(resumedCalls), { snapshot: persisted, clock, input: { account: ACCOUNT } });
    restored.start();
    expect(restored.getSnapshot().value).toEqual({ partialLiquidation: "awaitingChain" });
    // Restoring repeats no effect, and the old timer did not survive.
    clock.increment(CONFIRM_MS * 2);
    expect(resumedCalls).toEqual([]);

    restored.send({ type: "RESUMED" });
    expect(resumedCalls).toEqual([`enqueueLiquidation ${FLAGGED}`]);
    expect(restored.getSnapshot().context).toMatchObject({ account: ACCOUNT, requestedStep: FLAGGED, requests: 2 });
    // The same step as before the restart, so the job id is the same and the repeat is harmless.
    expect(calls).toEqual([`enqueueLiquidation ${FLAGGED}`]);

    // RESUMED armed a fresh timer.
    clock.increment(CONFIRM_MS);
    expect(resumedCalls.slice(1)).toEqual([`rereadAccount ${FLAGGED}`, `enqueueLiquidation ${FLAGGED}`]);
    restored.stop();
  });

  it("asks again for the resolution of a bankrupt account when resumed", () => {
    const calls: string[] = [];
    const { actor } = running(calls);
    actor.send(bankrupt());
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    actor.stop();

    const resumedCalls: string[] = [];
    const restored = createActor(recording(resumedCalls), {
      snapshot: persisted,
      clock: new SimulatedClock(),
      input: { account: ACCOUNT },
    });
    restored.start();
    restored.send({ type: "RESUMED" });
    expect(resumedCalls).toEqual([`enqueueResolution ${BANKRUPT}`]);
    restored.stop();
  });
});
