// Moved to the SDK (sdk/src/controller/health.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/controller/health.js";
