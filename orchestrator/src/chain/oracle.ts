// Oracle prices in the two layouts the program accepts: moved to the SDK (sdk/src/state/oracle.ts),
// which reads them byte for byte as programs/margin/src/state/oracle.rs does.
export { OracleError, parseLegacyPush, parsePriceUpdateV2, readOracle } from "../../../sdk/src/state/oracle.js";
