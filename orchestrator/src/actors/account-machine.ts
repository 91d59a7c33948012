// One machine per account at risk. It decides and never does IO: every effect is a named action
// (enqueue a job, notify, re-read the account) that the orchestrator provides and tests replace
// with `.provide()`. The chain is the truth: the machine's state follows each evaluation of the
// account's on-chain data, and a step is asked for again only when the chain shows it is still due.
// Context is plain JSON (bigints as strings) so snapshots persist in Redis and a restored actor
// repeats at most an idempotent enqueue.
import { and, assign, not, setup } from "xstate";
import type { RiskState } from "../risk/types.js";

/** What the machine needs of one evaluation (risk/evaluate.ts), JSON-safe. */
export interface Observation {
  state: RiskState | null;
  waitReason: string | null;
  /** On-chain status: 0 healthy, 1 being liquidated, 2 bankrupt. */
  chainStatus: number;
  liquidationId: string;
  stepKey: string;
  shortfall: string;
  liquidationMarket: string | null;
  /** Flagged on chain but back at or above the liquidation-end level. */
  unflagDue: boolean;
}

export interface AccountContext extends Observation {
  account: string;
  /** stepKey of the last step asked for, so one on-chain state gets one request. */
  requestedStep: string | null;
  requests: number;
}

export type AccountEvent =
  | { type: "OBSERVED"; observation: Observation }
  /** `slot`: where a confirmed step landed. */
  | { type: "STEP_SETTLED"; stepKey: string; outcome: "confirmed" | "not-needed" | "failed"; slot?: number }
  /** Sent to an actor restored from a snapshot: its timers did not survive, so ask again. */
  | { type: "RESUMED" };

const initialObservation: Observation = {
  state: null,
  waitReason: null,
  chainStatus: 0,
  liquidationId: "0",
  stepKey: "",
  shortfall: "0",
  liquidationMarket: null,
  unflagDue: false,
};

export const accountMachine = setup({
  types: {
    context: {} as AccountContext,
    events: {} as AccountEvent,
    input: {} as { account: string },
  },
  actions: {
    observe: assign(({ event }) => (event.type === "OBSERVED" ? { ...event.observation } : {})),
    markRequested: assign(({ context }) => ({ requestedStep: context.stepKey, requests: context.requests + 1 })),
    enqueueLiquidation: () => {},
    enqueueResolution: () => {},
    enqueueUnflag: () => {},
    notifyMarginCall: () => {},
    rereadAccount: () => {},
    recordWait: () => {},
  },
  guards: {
    stale: ({ event }) => event.type === "OBSERVED" && event.observation.state === null,
    is: ({ event }, state: RiskState) => event.type === "OBSERVED" && event.observation.state === state,
    newStep: ({ context, event }) => event.type === "OBSERVED" && event.observation.stepKey !== context.requestedStep,
    unflagDue: ({ context }) => context.unflagDue,
    observedUnflagDue: ({ event }) => event.type === "OBSERVED" && event.observation.unflagDue,
  },
  delays: {
    confirmTimeout: 30_000,
  },
}).createMachine({
  id: "account",
  context: ({ input }) => ({ ...initialObservation, account: input.account, requestedStep: null, requests: 0 }),
  initial: "watching",
  on: {
    OBSERVED: [
      { guard: "stale", actions: "recordWait" },
      { guard: { type: "is", params: "healthy" }, target: ".healthy", actions: "observe" },
      { guard: { type: "is", params: "bankrupt" }, target: ".bankrupt", actions: "observe" },
      { guard: { type: "is", params: "partial-liquidation" }, target: ".partialLiquidation", actions: "observe" },
      { guard: { type: "is", params: "margin-call" }, target: ".marginCall", actions: "observe" },
    ],
  },
  states: {
    watching: {},
    healthy: { type: "final" },
    marginCall: {
      entry: "notifyMarginCall",
      initial: "watching",
      on: { OBSERVED: { guard: { type: "is", params: "margin-call" }, actions: "observe" } },
      states: {
        watching: {
          // Flagged on chain yet back at the liquidation-end level (the price recovered, the owner
          // reduced or deposited): clear the flag so the owner can trade and withdraw again.
          always: { guard: "unflagDue", target: "unflagging" },
        },
        unflagging: {
          initial: "requesting",
          states: {
            requesting: { always: { target: "awaitingChain", actions: ["markRequested", "enqueueUnflag"] } },
            awaitingChain: {
              on: {
                OBSERVED: [
                  {
                    guard: and([{ type: "is", params: "margin-call" as const }, "observedUnflagDue", "newStep"]),
                    target: "requesting",
                    actions: "observe",
                  },
                  // Unflagged (or no longer due): back to watching the margin call.
                  {
                    guard: and([{ type: "is", params: "margin-call" as const }, not("observedUnflagDue")]),
                    target: "#account.marginCall.watching",
                    actions: "observe",
                  },
                ],
                STEP_SETTLED: { actions: "rereadAccount" },
                RESUMED: { target: "requesting", reenter: true },
              },
              after: { confirmTimeout: { target: "requesting", reenter: true, actions: "rereadAccount" } },
            },
          },
        },
      },
    },
    partialLiquidation: {
      initial: "requesting",
      // Still liquidating on the same step: remember the numbers, ask for nothing new.
      on: { OBSERVED: { guard: { type: "is", params: "partial-liquidation" }, actions: "observe" } },
      states: {
        requesting: {
          // One transaction starts a liquidation: the program's `liquidate` flags an unflagged
          // account below maintenance itself, so there is no separate flag step to wait for.
          always: { target: "awaitingChain", actions: ["markRequested", "enqueueLiquidation"] },
        },
        awaitingChain: {
          on: {
            OBSERVED: {
              guard: and([{ type: "is", params: "partial-liquidation" as const }, "newStep"]),
              target: "requesting",
              actions: "observe",
            },
            // The next step follows from the chain, not from the job: read the account now.
            STEP_SETTLED: { actions: "rereadAccount" },
            RESUMED: { target: "requesting", reenter: true },
          },
          after: {
            // The chain has not moved: read it again and ask again (the job id makes a repeat harmless).
            confirmTimeout: { target: "requesting", reenter: true, actions: "rereadAccount" },
          },
        },
      },
    },
    bankrupt: {
      initial: "requesting",
      on: { OBSERVED: { guard: { type: "is", params: "bankrupt" }, actions: "observe" } },
      states: {
        requesting: { always: { target: "awaitingChain", actions: ["markRequested", "enqueueResolution"] } },
        awaitingChain: {
          on: {
            OBSERVED: {
              guard: and([{ type: "is", params: "bankrupt" as const }, "newStep"]),
              target: "requesting",
              actions: "observe",
            },
            STEP_SETTLED: { actions: "rereadAccount" },
            RESUMED: { target: "requesting", reenter: true },
          },
          after: { confirmTimeout: { target: "requesting", reenter: true, actions: "rereadAccount" } },
        },
      },
    },
  },
});

export type AccountMachine = typeof accountMachine;
