// Moved to the SDK (sdk/src/math/position.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/position.js";
