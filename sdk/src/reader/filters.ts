// getProgramAccounts filters selecting one exchange's markets or margin accounts: the account
// type's discriminator, its size, and its `exchange` field.
import bs58 from "bs58";
import { accountDiscriminator } from "../state/accounts.js";
import { MARGIN_ACCOUNT_EXCHANGE_OFFSET, MARGIN_ACCOUNT_SIZE } from "../state/margin_account.js";
import { MARKET_EXCHANGE_OFFSET, MARKET_SIZE } from "../state/market.js";
import type { Address } from "../state/types.js";
import type { AccountFilter } from "./source.js";

/** Filters matching the margin accounts of `exchange`. */
export const marginAccountFilters = (exchange: Address): AccountFilter[] => [
  { memcmp: { offset: 0, bytes: bs58.encode(accountDiscriminator("marginAccount")) } },
  { dataSize: MARGIN_ACCOUNT_SIZE },
  { memcmp: { offset: MARGIN_ACCOUNT_EXCHANGE_OFFSET, bytes: exchange } },
];

/** Filters matching the markets of `exchange`. */
export const marketFilters = (exchange: Address): AccountFilter[] => [
  { memcmp: { offset: 0, bytes: bs58.encode(accountDiscriminator("market")) } },
  { dataSize: MARKET_SIZE },
  { memcmp: { offset: MARKET_EXCHANGE_OFFSET, bytes: exchange } },
];
