// Oracle prices in the two layouts the program accepts, read with the program's own rules
// (programs/margin/src/state/oracle.rs), byte for byte: PriceUpdateV2 must be fully verified and
// carry the market's feed id; legacy push accounts must be Trading. Prices are rescaled to the
// program's precision, price rounded down and confidence up, exactly as the program does.
import { scaleConfCeil, scalePriceFloor } from "../math/oracle_price.js";
import type { ErrorName } from "../idl/types.js";
import { type MarketState, OracleLayout, type OracleReading } from "./types.js";

/** A reading the program would refuse; `code` names the program's error. */
export class OracleError extends Error {
  constructor(
    readonly code: ErrorName,
    message: string,
  ) {
    super(message);
  }
}

/** The 8-byte discriminator of Pyth's PriceUpdateV2 accounts. */
export const PRICE_UPDATE_V2_DISCRIMINATOR = Uint8Array.of(34, 241, 35, 99, 157, 126, 244, 205);
const LEGACY_MAGIC = 0xa1b2c3d4;
/** Offsets of the legacy push price account's fields the program reads. */
export const LEGACY = { exponent: 20, timestamp: 96, aggPrice: 208, aggConf: 216, aggStatus: 224, minLen: 240 };

const view = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength);

function reading(price: bigint, conf: bigint, expo: number, publishTime: bigint): OracleReading {
  if (price <= 0n) throw new OracleError("InvalidOraclePrice", "non-positive price");
  let scaled: bigint;
  let confScaled: bigint;
  try {
    scaled = scalePriceFloor(price, expo);
    confScaled = scaleConfCeil(conf, expo);
  } catch {
    throw new OracleError("InvalidOraclePrice", "exponent out of range");
  }
  if (scaled <= 0n) throw new OracleError("InvalidOraclePrice", "price rounds to zero");
  return { price: scaled, conf: confScaled, publishTime: Number(publishTime) };
}

/** A PriceUpdateV2 account for `feedId`, as `parse_price_update_v2` reads it. */
export function parsePriceUpdateV2(data: Uint8Array, feedId: Uint8Array): OracleReading {
  const disc = PRICE_UPDATE_V2_DISCRIMINATOR;
  if (data.length < 8 + 32 + 1 || disc.some((b, i) => data[i] !== b))
    throw new OracleError("InvalidOracleAccount", "not a PriceUpdateV2 account");
  let o = 8 + 32;
  if (data[o] === 0) throw new OracleError("OracleNotFullyVerified", "price update not fully verified");
  if (data[o] !== 1) throw new OracleError("InvalidOracleAccount", "unknown verification level");
  o += 1;
  if (data.length < o + 32 + 28) throw new OracleError("InvalidOracleAccount", "PriceUpdateV2 account too short");
  for (let i = 0; i < 32; i++) if (data[o + i] !== feedId[i]) throw new OracleError("WrongOracleFeed", "wrong feed id");
  o += 32;
  const v = view(data);
  return reading(
    v.getBigInt64(o, true),
    v.getBigUint64(o + 8, true),
    v.getInt32(o + 16, true),
    v.getBigInt64(o + 20, true),
  );
}

/** A legacy push price account (Pyth's v2 layout), as `parse_legacy_push` reads it. */
export function parseLegacyPush(data: Uint8Array): OracleReading {
  const v = view(data);
  if (
    data.length < LEGACY.minLen ||
    v.getUint32(0, true) !== LEGACY_MAGIC ||
    v.getUint32(4, true) !== 2 ||
    v.getUint32(8, true) !== 3
  )
    throw new OracleError("InvalidOracleAccount", "not a legacy push price account");
  if (v.getUint32(LEGACY.aggStatus, true) !== 1)
    throw new OracleError("OracleNotTrading", "legacy price is not Trading");
  return reading(
    v.getBigInt64(LEGACY.aggPrice, true),
    v.getBigUint64(LEGACY.aggConf, true),
    v.getInt32(LEGACY.exponent, true),
    v.getBigInt64(LEGACY.timestamp, true),
  );
}

/** The market's oracle as the program would read it, its owner checked like the program does. */
export function readOracle(
  market: Pick<MarketState, "oracleOwner" | "oracleLayout" | "feedId">,
  owner: string,
  data: Uint8Array,
): OracleReading {
  if (owner !== market.oracleOwner)
    throw new OracleError("WrongOracleOwner", `oracle owned by ${owner}, market expects ${market.oracleOwner}`);
  return market.oracleLayout === OracleLayout.LegacyPush
    ? parseLegacyPush(data)
    : parsePriceUpdateV2(data, market.feedId);
}
