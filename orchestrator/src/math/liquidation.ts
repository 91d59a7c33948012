// Moved to the SDK (sdk/src/math/liquidation.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/liquidation.js";
