// Moved to the SDK (sdk/src/controller/liquidation.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/controller/liquidation.js";
