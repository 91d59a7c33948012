// @margin-warden/sdk: the margin program's TypeScript face, client-neutral. Adapters for
// @solana/web3.js 1.x and @solana/kit live in "@margin-warden/sdk/web3" and "@margin-warden/sdk/kit".

// The program: id, IDL, errors, PDAs.
export { IDL, PROGRAM_ID, RAW_IDL, camelCase, typeDef, type Idl, type IdlType, type Margin } from "./idl/idl.js";
export type * from "./idl/types.js";
export { CodecError, Reader, Writer, fieldOffsets, fixedSize, readType, writeType } from "./idl/codec.js";
export * from "./idl/errors.js";
export * from "./address.js";
export * from "./pda.js";

// Accounts, oracles, events.
export * from "./state/types.js";
export * from "./state/accounts.js";
export * from "./state/margin_account.js";
export * from "./state/market.js";
export * from "./state/exchange.js";
export * from "./state/oracle.js";
export * from "./events.js";

// Instructions.
export * from "./instructions/build.js";
export * from "./instructions/account.js";

// The math mirror (programs/margin/src/math/) and the controller's rules (programs/margin/src/controller/).
export * from "./math/checked.js";
export * from "./math/constants.js";
export * from "./math/margin.js";
export * from "./math/oracle_price.js";
export * from "./math/position.js";
export * from "./math/volatility.js";
export * from "./math/liquidation.js";
export * from "./controller/health.js";
export * from "./controller/liquidation.js";
export {
  MAX_PUBLISH_AHEAD_S,
  check as checkOracle,
  type OracleLimits,
  type OracleRefusal,
} from "./controller/oracle_guard.js";

// Health as a UI shows it.
export * from "./health/price.js";
export * from "./health/summary.js";

// Readers and subscriptions over any client.
export * from "./reader/source.js";
export * from "./reader/filters.js";
export * from "./reader/load.js";
export * from "./reader/at-risk.js";
export * from "./reader/subscribe.js";
