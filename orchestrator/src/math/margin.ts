// Moved to the SDK (sdk/src/math/margin.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/margin.js";
