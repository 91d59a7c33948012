// Addresses as base58 strings (what @solana/kit's `Address` is, and what web3.js's PublicKey
// prints), converted to and from their 32 bytes. The same market, exchange and owner keys recur in
// every account read, so encodings are cached.
import bs58 from "bs58";
import type { Address } from "./state/types.js";

const encoded = new Map<string, Address>();

/** The base58 address of 32 bytes (cached: base58 is the costliest part of decoding an account). */
export function encodeAddress(bytes: Uint8Array): Address {
  const key = String.fromCharCode(...bytes);
  let address = encoded.get(key);
  if (address === undefined) {
    if (encoded.size >= 200_000) encoded.clear();
    encoded.set(key, (address = bs58.encode(bytes)));
  }
  return address;
}

/** The 32 bytes of a base58 address; throws on anything else. */
export function decodeAddress(address: Address): Uint8Array {
  const bytes = bs58.decode(address);
  if (bytes.length !== 32) throw new Error(`${address} is not a 32-byte address`);
  return bytes;
}

/** Whether `value` is a base58 string of 32 bytes. */
export function isAddress(value: string): boolean {
  try {
    return bs58.decode(value).length === 32;
  } catch {
    return false;
  }
}

/** The all-zero address (Pubkey::default(), the system program). */
export const DEFAULT_ADDRESS: Address = "11111111111111111111111111111111";
