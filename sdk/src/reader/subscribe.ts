// Live views of the program's accounts over any client's subscriptions, decoded.
import { PROGRAM_ID } from "../idl/idl.js";
import { DecodeError } from "../state/accounts.js";
import { decodeMarginAccount } from "../state/margin_account.js";
import { decodeMarket } from "../state/market.js";
import { OracleError, readOracle } from "../state/oracle.js";
import type { AccountState, Address, MarketState, OracleReading } from "../state/types.js";
import { marginAccountFilters } from "./filters.js";
import type { AccountSubscriber, Unsubscribe } from "./source.js";

/** Every change of one margin account, decoded. */
export const subscribeMarginAccount = (
  sub: AccountSubscriber,
  address: Address,
  cb: (account: AccountState) => void,
): Unsubscribe => sub.onAccount(address, (info, slot) => cb(decodeMarginAccount(address, info.data, slot)));

/** Every change of any margin account of `exchange`, decoded (an account closed or resized is skipped). */
export const subscribeMarginAccounts = (
  sub: AccountSubscriber,
  exchange: Address,
  cb: (account: AccountState) => void,
  programId: Address = PROGRAM_ID,
): Unsubscribe =>
  sub.onProgramAccounts(programId, marginAccountFilters(exchange), (address, info, slot) => {
    try {
      cb(decodeMarginAccount(address, info.data, slot));
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  });

/** Every change of one market, decoded. */
export const subscribeMarket = (
  sub: AccountSubscriber,
  address: Address,
  cb: (market: MarketState) => void,
): Unsubscribe => sub.onAccount(address, (info, slot) => cb(decodeMarket(address, info.data, slot)));

/** Every new reading of a market's oracle as the program parses it, or why the program would refuse it. */
export const subscribeOracle = (
  sub: AccountSubscriber,
  market: Pick<MarketState, "oracle" | "oracleOwner" | "oracleLayout" | "feedId">,
  cb: (reading: OracleReading | OracleError, slot: number) => void,
): Unsubscribe =>
  sub.onAccount(market.oracle, (info, slot) => {
    try {
      cb(readOracle(market, info.owner, info.data), slot);
    } catch (e) {
      if (!(e instanceof OracleError)) throw e;
      cb(e, slot);
    }
  });
