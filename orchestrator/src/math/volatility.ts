// Moved to the SDK (sdk/src/math/volatility.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/volatility.js";
