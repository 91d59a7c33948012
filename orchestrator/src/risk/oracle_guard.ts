// Mirror of programs/margin/src/controller/oracle_guard.rs: the program refuses to liquidate on a
// price older or less certain than the market allows, so the orchestrator never tries.
import { confidenceRatio } from "../math/oracle_price.js";
import type { OracleReading } from "./types.js";

export interface OracleLimits {
  maxAgeS: number;
  maxConfRatio: bigint;
}

export type OracleRefusal = "stale-oracle" | "oracle-too-uncertain" | "invalid-oracle-price";

export function check(reading: OracleReading, nowS: number, limits: OracleLimits): OracleRefusal | null {
  if (nowS - reading.publishTime > limits.maxAgeS) return "stale-oracle";
  if (reading.price <= 0n) return "invalid-oracle-price";
  if (confidenceRatio(reading.price, reading.conf) > limits.maxConfRatio) return "oracle-too-uncertain";
  return null;
}
