// Mirror of the eligibility rules in programs/margin/src/controller/liquidation.rs: when the program
// lets an account be flagged, liquidated or unflagged, and when a deposit clears a bankruptcy. A
// client that decides with these never sends a step the program would refuse for the account's
// health.
import { belowLiquidationEnd, belowMaintenance, type Health } from "./health.js";
import { ChainStatus } from "../state/types.js";

/** `flag_account` flags a healthy-status account whose equity is below maintenance. */
export const flagEligible = (h: Health, status: ChainStatus) => status === ChainStatus.Healthy && belowMaintenance(h);

/** `liquidate` acts below maintenance (flagging an unflagged account itself), or on a flagged account still below its liquidation-end level. */
export function liquidationEligible(h: Health, status: ChainStatus): boolean {
  if (status === ChainStatus.Healthy) return belowMaintenance(h);
  if (status === ChainStatus.BeingLiquidated) return belowLiquidationEnd(h);
  return false;
}

/** `unflag_account` returns a flagged account at or above its liquidation-end level (an empty account with collateral ≥ 0 included) to healthy. */
export const unflagEligible = (h: Health, status: ChainStatus) =>
  status === ChainStatus.BeingLiquidated && !belowLiquidationEnd(h);

/** A deposit that covers a bankrupt account's deficit returns it to healthy. */
export const bankruptcyCleared = (collateral: bigint, status: ChainStatus, hasPositions: boolean) =>
  status === ChainStatus.Bankrupt && !hasPositions && collateral >= 0n;
