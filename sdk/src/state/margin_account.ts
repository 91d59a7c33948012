// MarginAccount (programs/margin/src/state/margin_account.rs, zero-copy, layout versions 2 and 3)
// as the risk math needs it. It is decoded on every notification, so it is read at fixed offsets,
// offsets computed once from the IDL's layout; a test pins the result to the IDL decoder.
import { encodeAddress } from "../address.js";
import { fieldOffsets, fixedSize } from "../idl/codec.js";
import { typeDef } from "../idl/idl.js";
import type { AccountData } from "../idl/types.js";
import { DecodeError, accountDiscriminator, accountSize } from "./accounts.js";
import { type AccountState, ChainStatus } from "./types.js";

/** Bytes of a MarginAccount on chain, discriminator included. */
export const MARGIN_ACCOUNT_SIZE = accountSize("marginAccount");
const DISCRIMINATOR = accountDiscriminator("marginAccount");

/** The length of MarginAccount's fixed array `field`. */
function arrayLength(field: string): number {
  const def = typeDef("marginAccount");
  const t = def.type.kind === "struct" ? def.type.fields.find((f) => f.name === field)?.type : undefined;
  if (!t || typeof t !== "object" || !("array" in t)) throw new Error(`marginAccount.${field} is not an array`);
  return t.array[1];
}

const at = Object.fromEntries(Object.entries(fieldOffsets("marginAccount")).map(([k, v]) => [k, v + 8])) as Record<
  keyof AccountData<"marginAccount">,
  number
>;
const POSITION = fieldOffsets("position") as Record<"market" | "base" | "quoteEntry", number>;
/** Offsets of MarginAccount's fields in the account's bytes (after the discriminator). */
export const MARGIN_ACCOUNT_LAYOUT = {
  ...at,
  positionSize: fixedSize({ defined: { name: "position" } })!,
  maxPositions: arrayLength("positions"),
  maxClaims: arrayLength("claims"),
} as const;

/** Offset of `exchange` in a MarginAccount's bytes (a memcmp filter's). */
export const MARGIN_ACCOUNT_EXCHANGE_OFFSET = at.exchange;

const NO_SHORTFALLS = Object.freeze([]) as unknown as number[];
const NO_CLAIMS = Object.freeze([]) as unknown as NonNullable<AccountState["claims"]>;

/** The risk view of a MarginAccount: open positions in slot order, its shortfall record and claims. */
export function decodeMarginAccount(address: string, data: Uint8Array, slot: number): AccountState {
  if (data.length < MARGIN_ACCOUNT_SIZE) throw new DecodeError(`${address} is not a marginAccount account`);
  for (let i = 0; i < 8; i++)
    if (data[i] !== DISCRIMINATOR[i]) throw new DecodeError(`${address} is not a marginAccount account`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const L = MARGIN_ACCOUNT_LAYOUT;
  const status = data[L.status];
  if (status > ChainStatus.Bankrupt) throw new DecodeError(`${address}: unknown status ${status}`);
  const positions: AccountState["positions"] = [];
  for (let i = 0; i < L.maxPositions; i++) {
    const p = L.positions + i * L.positionSize;
    const base = v.getBigInt64(p + POSITION.base, true);
    const quoteEntry = v.getBigInt64(p + POSITION.quoteEntry, true);
    if (base !== 0n || quoteEntry !== 0n)
      positions.push({
        market: encodeAddress(data.subarray(p + POSITION.market, p + POSITION.market + 32)),
        base,
        quoteEntry,
      });
  }
  const shortfallMarkets: number[] = [];
  for (let i = 0; i < L.maxPositions; i++) {
    if (v.getBigUint64(L.shortfalls + 8 * i, true) > 0n)
      shortfallMarkets.push(v.getUint16(L.shortfallMarketIndexes + 2 * i, true));
  }
  const claims: NonNullable<AccountState["claims"]> = [];
  for (let i = 0; i < L.maxClaims; i++) {
    const amount = v.getBigUint64(L.claims + 8 * i, true);
    if (amount > 0n) claims.push({ marketIndex: v.getUint16(L.claimMarketIndexes + 2 * i, true), amount });
  }
  return {
    address,
    // Every account has its own owner: cached, each would stay in the cache as long as the account.
    owner: encodeAddress(data.subarray(L.owner, L.owner + 32), false),
    exchange: encodeAddress(data.subarray(L.exchange, L.exchange + 32)),
    collateral: v.getBigInt64(L.collateral, true),
    lastActiveSlot: v.getBigUint64(L.lastActiveSlot, true),
    // Zero for an account never liquidated: the literal is one shared value, a decoded 0n is 24 bytes each.
    liquidationId: v.getBigUint64(L.liquidationId, true) || 0n,
    status: status as ChainStatus,
    // Copies at their exact length: an array pushed to keeps room for 17 entries (about 140 bytes
    // more per account), for as long as a feed holds the account.
    positions: positions.slice(),
    // Most accounts have neither: they share one frozen empty array each (32 bytes apiece saved).
    shortfallMarkets: shortfallMarkets.length > 0 ? shortfallMarkets.slice() : NO_SHORTFALLS,
    claims: claims.length > 0 ? claims.slice() : NO_CLAIMS,
    slot,
  };
}
