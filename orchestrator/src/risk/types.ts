// The program's state as plain bigint structs now lives in the SDK (sdk/src/state/types.ts); this
// file re-exports it and keeps the orchestrator's own lifecycle states.
export * from "../../../sdk/src/state/types.js";

/** The four states of the lifecycle; the chain's status decides the last two. */
export type RiskState = "healthy" | "margin-call" | "partial-liquidation" | "bankrupt";
