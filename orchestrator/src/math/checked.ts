// Moved to the SDK (sdk/src/math/checked.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/checked.js";
