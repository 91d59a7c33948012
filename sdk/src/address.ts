// Addresses as base58 strings (what @solana/kit's `Address` is, and what web3.js's PublicKey
// prints), converted to and from their 32 bytes. The same market and exchange keys recur in every
// account read, so their encodings are cached.
import bs58 from "bs58";
import type { Address } from "./state/types.js";

const encoded = new Map<string, Address>();

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** One character per byte; under Node without spreading 32 arguments (about 6× faster). */
const bytesKey = (bytes: Uint8Array): string =>
  NodeBuffer
    ? NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1")
    : String.fromCharCode(...bytes);

/**
 * The base58 address of 32 bytes, cached (base58 is the costliest part of decoding an account)
 * unless `cache` is false: for keys that do not recur across accounts (an account's owner).
 */
export function encodeAddress(bytes: Uint8Array, cache = true): Address {
  if (!cache) return flatString(bs58.encode(bytes)) as Address;
  const key = bytesKey(bytes);
  let address = encoded.get(key);
  if (address === undefined) {
    if (encoded.size >= 4_096) encoded.clear();
    encoded.set(key, (address = flatString(bs58.encode(bytes)) as Address));
  }
  return address;
}

/**
 * A flat copy of `s`. A base58 encoder appends one character at a time, and V8 keeps a string built
 * that way as a chain of one node per append: about 1 KB for an address instead of 72 bytes, for as
 * long as the string lives (as a map key, an account's owner). Worth it for strings that are kept.
 */
export function flatString(s: string): string {
  const codes = new Array<number>(s.length);
  for (let i = 0; i < s.length; i++) codes[i] = s.charCodeAt(i);
  return String.fromCharCode(...codes);
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
