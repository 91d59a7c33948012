// Account and key encodings exactly as a validator's RPC writes them.
import bs58 from "bs58";
import { PublicKey } from "@solana/web3.js";
import { invalidParams } from "./errors.js";
import type { NativeAccount } from "./native.js";

export type AccountEncoding = "base58" | "base64" | "jsonParsed" | "binary";

export interface DataSlice {
  offset: number;
  length: number;
}

/** A base58 pubkey is 32 to 44 characters: anything longer is refused before decoding (base58 decoding is quadratic). */
const MAX_PUBKEY_CHARS = 44;

export function parsePubkey(value: unknown, what = "pubkey"): string {
  if (typeof value !== "string") throw invalidParams(`Invalid param: ${what} must be a base58 string`);
  if (value.length > MAX_PUBKEY_CHARS) throw invalidParams(`Invalid param: Invalid ${what}: ${value.length} characters (a base58 pubkey has at most ${MAX_PUBKEY_CHARS})`);
  try {
    return new PublicKey(value).toBase58();
  } catch {
    throw invalidParams(`Invalid param: Invalid ${what} ${JSON.stringify(value)}`);
  }
}

export function parseEncoding(value: unknown, fallback: AccountEncoding): AccountEncoding {
  if (value === undefined || value === null) return fallback;
  if (value === "base58" || value === "base64" || value === "jsonParsed" || value === "binary") return value;
  throw invalidParams(`Invalid param: unsupported encoding ${JSON.stringify(value)}`);
}

export function parseDataSlice(value: unknown): DataSlice | undefined {
  if (value === undefined || value === null) return undefined;
  const slice = value as DataSlice;
  if (!Number.isInteger(slice.offset) || !Number.isInteger(slice.length) || slice.offset < 0 || slice.length < 0) {
    throw invalidParams("Invalid param: dataSlice needs non-negative integer offset and length");
  }
  return slice;
}

export function encodeData(data: Buffer, encoding: AccountEncoding, slice?: DataSlice): unknown {
  const bytes = slice ? data.subarray(slice.offset, slice.offset + slice.length) : data;
  switch (encoding) {
    case "base58":
      return [bs58.encode(bytes), "base58"];
    case "binary":
      return bs58.encode(bytes);
    default:
      // jsonParsed falls back to base64 for accounts no parser claims, as on a validator.
      return [bytes.toString("base64"), "base64"];
  }
}

export function encodeAccount(account: NativeAccount, encoding: AccountEncoding, slice?: DataSlice) {
  return {
    data: encodeData(account.data, encoding, slice),
    executable: account.executable,
    lamports: Number(account.lamports),
    owner: account.owner,
    rentEpoch: Number(account.rentEpoch),
    space: account.data.length,
  };
}
