// Account and key encodings exactly as a validator's RPC writes them.
import bs58 from "bs58";
import { PublicKey } from "@solana/web3.js";
import { INVALID_REQUEST, RpcError, invalidParams } from "./errors.js";
import { parsedTokenData } from "./token.js";
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
  if (value.length > MAX_PUBKEY_CHARS)
    throw invalidParams(
      `Invalid param: Invalid ${what}: ${value.length} characters (a base58 pubkey has at most ${MAX_PUBKEY_CHARS})`,
    );
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

/** A validator encodes at most this many bytes in base58 (base58 encoding is quadratic). */
export const MAX_BASE58_BYTES = 128;
const TOO_LARGE_FOR_BASE58 = "error: data too large for bs58 encoding";

/** The bytes an encoding writes: the slice if one is asked for. */
const sliced = (data: Buffer, slice?: DataSlice) =>
  slice ? data.subarray(slice.offset, slice.offset + slice.length) : data;

/** An RPC method's answer in base58 over the limit is refused, as a validator refuses it (subscriptions write a marker instead). */
export function refuseLongBase58(account: NativeAccount | null, encoding: AccountEncoding, slice?: DataSlice): void {
  if (
    (encoding === "base58" || encoding === "binary") &&
    account &&
    sliced(account.data, slice).length > MAX_BASE58_BYTES
  ) {
    throw new RpcError(
      INVALID_REQUEST,
      `Encoded binary (base 58) data should be less than ${MAX_BASE58_BYTES} bytes, please use Base64 encoding.`,
    );
  }
}

export function encodeData(data: Buffer, encoding: AccountEncoding, slice?: DataSlice): unknown {
  const bytes = sliced(data, slice);
  const base58 = () => (bytes.length > MAX_BASE58_BYTES ? TOO_LARGE_FOR_BASE58 : bs58.encode(bytes));
  switch (encoding) {
    case "base58":
      return [base58(), "base58"];
    case "binary":
      return base58();
    default:
      // jsonParsed falls back to base64 for accounts no parser claims, as on a validator.
      return [bytes.toString("base64"), "base64"];
  }
}

/**
 * A validator's UiAccount. `jsonParsed` parses token accounts and mints (a token account's
 * decimals are read from its mint through `mintOf`) unless a slice is asked for; anything else
 * is base64.
 */
export function encodeAccount(
  account: NativeAccount,
  encoding: AccountEncoding,
  slice?: DataSlice,
  mintOf?: (address: string) => NativeAccount | null,
) {
  const parsed = encoding === "jsonParsed" && !slice && mintOf ? parsedTokenData(account, mintOf) : null;
  return {
    data: parsed ?? encodeData(account.data, encoding, slice),
    executable: account.executable,
    lamports: Number(account.lamports),
    owner: account.owner,
    rentEpoch: Number(account.rentEpoch),
    space: account.data.length,
  };
}
