// Mirror of programs/margin/src/controller/oracle_guard.rs: the program refuses to liquidate on a
// price older or less certain than the market allows, so the orchestrator never tries.
import { confidenceRatio } from "../math/oracle_price.js";
import type { OracleReading } from "../state/types.js";

/** Limits for one class of action: opening and withdrawing use the strict pair, liquidating and reducing the lenient one. */
export interface OracleLimits {
  maxAgeS: number;
  maxConfRatio: bigint;
}

/** Why the program refuses a reading (its error, kebab-cased). */
export type OracleRefusal = "oracle-from-future" | "stale-oracle" | "oracle-too-uncertain" | "invalid-oracle-price";

/** How far a publish time may run ahead of the cluster clock before the program refuses it. */
export const MAX_PUBLISH_AHEAD_S = 5;

/** Null when the program accepts `reading` at `nowS` under `limits`, else why it refuses it. */
export function check(reading: OracleReading, nowS: number, limits: OracleLimits): OracleRefusal | null {
  if (reading.publishTime > nowS + MAX_PUBLISH_AHEAD_S) return "oracle-from-future";
  if (nowS - reading.publishTime > limits.maxAgeS) return "stale-oracle";
  if (reading.price <= 0n) return "invalid-oracle-price";
  if (confidenceRatio(reading.price, reading.conf) > limits.maxConfRatio) return "oracle-too-uncertain";
  return null;
}
