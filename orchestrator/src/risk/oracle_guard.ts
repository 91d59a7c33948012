// Moved to the SDK (sdk/src/controller/oracle_guard.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/controller/oracle_guard.js";
