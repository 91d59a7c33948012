// Oracle prices in the two layouts the program accepts, read with the program's own rules
// (state/oracle.rs): PriceUpdateV2 must be fully verified and carry the market's feed id; legacy
// push accounts (decoded with @pythnetwork/client) must be Trading. Prices are rescaled to the
// program's precision, price rounded down and confidence up, exactly as the program does.
import { PriceStatus, parsePriceData } from "@pythnetwork/client";
import { scaleConfCeil, scalePriceFloor } from "../math/oracle_price.js";
import { OracleLayout, type MarketState, type OracleReading } from "../risk/types.js";

const PRICE_UPDATE_V2_DISCRIMINATOR = Buffer.from([34, 241, 35, 99, 157, 126, 244, 205]);
const LEGACY_MAGIC = 0xa1b2c3d4;

export class OracleError extends Error {}

function reading(price: bigint, conf: bigint, expo: number, publishTime: bigint): OracleReading {
  if (price <= 0n) throw new OracleError("non-positive price");
  const scaled = scalePriceFloor(price, expo);
  if (scaled <= 0n) throw new OracleError("price rounds to zero");
  return { price: scaled, conf: scaleConfCeil(conf, expo), publishTime: Number(publishTime) };
}

export function parsePriceUpdateV2(data: Buffer, feedId: Buffer): OracleReading {
  if (data.length < 8 + 32 + 1 || !data.subarray(0, 8).equals(PRICE_UPDATE_V2_DISCRIMINATOR)) {
    throw new OracleError("not a PriceUpdateV2 account");
  }
  let o = 8 + 32;
  if (data[o] === 0) throw new OracleError("price update not fully verified");
  if (data[o] !== 1) throw new OracleError("unknown verification level");
  o += 1;
  if (data.length < o + 32 + 28) throw new OracleError("PriceUpdateV2 account too short");
  if (!data.subarray(o, o + 32).equals(feedId)) throw new OracleError("wrong feed id");
  o += 32;
  return reading(
    data.readBigInt64LE(o),
    data.readBigUInt64LE(o + 8),
    data.readInt32LE(o + 16),
    data.readBigInt64LE(o + 20),
  );
}

export function parseLegacyPush(data: Buffer): OracleReading {
  if (
    data.length < 240 ||
    data.readUInt32LE(0) !== LEGACY_MAGIC ||
    data.readUInt32LE(4) !== 2 ||
    data.readUInt32LE(8) !== 3
  ) {
    throw new OracleError("not a legacy push price account");
  }
  const p = parsePriceData(data);
  if (p.aggregate.status !== PriceStatus.Trading) throw new OracleError("legacy price is not Trading");
  return reading(p.aggregate.priceComponent, p.aggregate.confidenceComponent, p.exponent, p.timestamp);
}

/** The market's oracle as the program would read it; owner checked like the program does. */
export function readOracle(market: MarketState, owner: string, data: Buffer): OracleReading {
  if (owner !== market.oracleOwner)
    throw new OracleError(`oracle owned by ${owner}, market expects ${market.oracleOwner}`);
  return market.oracleLayout === OracleLayout.LegacyPush
    ? parseLegacyPush(data)
    : parsePriceUpdateV2(data, market.feedId);
}
