// Exchange (programs/margin/src/state/exchange.rs): admin, quote mint and vaults, decoded through the IDL.
import { decodeAccount } from "./accounts.js";
import type { ExchangeState } from "./types.js";

/** The view of an Exchange the builders and readers need. */
export function decodeExchange(address: string, data: Uint8Array): ExchangeState {
  const e = decodeAccount("exchange", data, address);
  return {
    address,
    admin: e.admin,
    quoteMint: e.quoteMint,
    quoteVault: e.quoteVault,
    insuranceVault: e.insuranceVault,
    paused: e.paused,
    marketCount: e.marketCount,
  };
}
