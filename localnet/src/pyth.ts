// Pyth price accounts in the two layouts the margin program reads, for the localnet, tests and
// the demo (written with `localnet_setAccount`). Prices are mantissas with an exponent, as Pyth
// publishes them.
import { PublicKey } from "@solana/web3.js";

/** Owner of PriceUpdateV2 accounts on Solana mainnet: the Pyth receiver program. */
export const PYTH_RECEIVER_PROGRAM = new PublicKey("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
/** Owner of legacy push price accounts on Solana mainnet. */
export const PYTH_LEGACY_PROGRAM = new PublicKey("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");

/** sha256("account:PriceUpdateV2")[..8] */
const PRICE_UPDATE_V2_DISCRIMINATOR = Buffer.from([34, 241, 35, 99, 157, 126, 244, 205]);

export interface PythPrice {
  /** Mantissa: the price is `price × 10^exponent`. */
  price: bigint;
  conf: bigint;
  exponent: number;
  /** Unix seconds. */
  publishTime: number;
}

/** A fully verified PriceUpdateV2 account body for `feedId`. */
export function encodePriceUpdateV2(feedId: Buffer, p: PythPrice, postedSlot = 0n): Buffer {
  if (feedId.length !== 32) throw new Error("feed id must be 32 bytes");
  const out = Buffer.alloc(8 + 32 + 1 + 32 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 8);
  let o = 0;
  PRICE_UPDATE_V2_DISCRIMINATOR.copy(out, o);
  o += 8 + 32; // write authority left zero
  out.writeUInt8(1, o); // VerificationLevel::Full
  o += 1;
  feedId.copy(out, o);
  o += 32;
  out.writeBigInt64LE(p.price, o);
  out.writeBigUInt64LE(p.conf, o + 8);
  out.writeInt32LE(p.exponent, o + 16);
  out.writeBigInt64LE(BigInt(p.publishTime), o + 20);
  out.writeBigInt64LE(BigInt(p.publishTime - 1), o + 28);
  out.writeBigInt64LE(p.price, o + 36); // ema price
  out.writeBigUInt64LE(p.conf, o + 44); // ema conf
  out.writeBigUInt64LE(postedSlot, o + 52);
  return out;
}

/** A legacy push price account (version 2, aggregate status Trading unless given). */
export function encodeLegacyPush(p: PythPrice, status = 1, slot = 0n): Buffer {
  const out = Buffer.alloc(3312);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt32LE(2, 4); // version
  out.writeUInt32LE(3, 8); // price account
  out.writeUInt32LE(3312, 12);
  out.writeUInt32LE(1, 16); // price type: price
  out.writeInt32LE(p.exponent, 20);
  out.writeBigUInt64LE(slot, 32); // last slot
  out.writeBigUInt64LE(slot, 40); // valid slot
  out.writeBigInt64LE(BigInt(p.publishTime), 96);
  out.writeBigInt64LE(p.price, 208);
  out.writeBigUInt64LE(p.conf, 216);
  out.writeUInt32LE(status, 224);
  out.writeBigUInt64LE(slot, 232);
  return out;
}
