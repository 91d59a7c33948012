// Moved to the SDK (sdk/src/math/constants.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/constants.js";
