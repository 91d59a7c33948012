// The program's accounts decoded by the SDK (sdk/src/state/): margin accounts at fixed offsets (they
// arrive with every notification), markets and the exchange through the IDL. Anchor's own coder is
// kept for the tests and tools that pin the SDK's decoding to it.
import { Program, type BorshAccountsCoder } from "@coral-xyz/anchor";
import { accountDiscriminator } from "../../../sdk/src/state/accounts.js";
import { MARGIN_ACCOUNT_EXCHANGE_OFFSET } from "../../../sdk/src/state/margin_account.js";
import { MARKET_EXCHANGE_OFFSET } from "../../../sdk/src/state/market.js";
import { IDL } from "./idl.js";

export { DecodeError } from "../../../sdk/src/state/accounts.js";
export { decodeExchange } from "../../../sdk/src/state/exchange.js";
export { MARGIN_ACCOUNT_SIZE, decodeMarginAccount } from "../../../sdk/src/state/margin_account.js";
export { MARKET_SIZE, decodeMarket } from "../../../sdk/src/state/market.js";
export type { ExchangeState } from "../../../sdk/src/state/types.js";

/** Anchor's coder for the program's accounts (the Program camelCases the IDL; no connection is used). */
export const accountsCoder = new Program(IDL, {} as never).coder.accounts as BorshAccountsCoder;

/** The 8-byte discriminator of an account type. */
export const discriminator = (name: "marginAccount" | "market" | "exchange") => Buffer.from(accountDiscriminator(name));

/** Offset of `exchange` in MarginAccount (after owner) and Market (first field). */
export const EXCHANGE_OFFSET = {
  marginAccount: MARGIN_ACCOUNT_EXCHANGE_OFFSET,
  market: MARKET_EXCHANGE_OFFSET,
} as const;
