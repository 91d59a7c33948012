// Moved to the SDK (sdk/src/math/oracle_price.ts); kept so that existing imports resolve.
export * from "../../../sdk/src/math/oracle_price.js";
