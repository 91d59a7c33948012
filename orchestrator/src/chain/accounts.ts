// Decoding the program's accounts into the risk engine's plain structs (risk/types.ts).
// Markets and the exchange go through Anchor's coder; margin accounts, decoded on every
// notification, are read at fixed offsets.
import { Program, type BorshAccountsCoder } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";
import type BN from "bn.js";
import { ChainStatus, type AccountState, type MarketState, type OracleLayout } from "../risk/types.js";
import { IDL } from "./idl.js";

// The Program converts the IDL to the camelCase names its coder decodes into; no connection is used.
const coder = new Program(IDL, {} as never).coder.accounts as BorshAccountsCoder;
const I128_MAX = (1n << 127n) - 1n;
const big = (v: BN | number) => BigInt(v.toString());

export const MARGIN_ACCOUNT_SIZE = 616;
export const MARKET_SIZE = 640;
const IDL_NAME = { marginAccount: "marginAccount", market: "market", exchange: "exchange" } as const;
export const discriminator = (name: keyof typeof IDL_NAME) => coder.accountDiscriminator(IDL_NAME[name]);
/** Offset of `exchange` in both MarginAccount (after owner) and Market (first field). */
export const EXCHANGE_OFFSET = { marginAccount: 8 + 32, market: 8 } as const;

export class DecodeError extends Error {}

const MARGIN_ACCOUNT_DISCRIMINATOR = discriminator("marginAccount");

export const accountsCoder = coder;

function decode(name: "marginAccount" | "market", data: Buffer, address: string) {
  const disc = discriminator(name);
  if (data.length < disc.length || !data.subarray(0, disc.length).equals(disc)) {
    throw new DecodeError(`${address} is not a ${name} account`);
  }
  return coder.decode(IDL_NAME[name], data);
}

/**
 * base58 of the 32-byte keys inside accounts: the same market, exchange and owner keys recur in
 * every notification and read, and base58 is the costliest part of decoding them.
 */
const base58s = new Map<string, string>();
function base58At(data: Buffer, offset: number): string {
  const hex = data.toString("hex", offset, offset + 32);
  let b58 = base58s.get(hex);
  if (b58 === undefined) {
    if (base58s.size >= 200_000) base58s.clear();
    base58s.set(hex, (b58 = new PublicKey(data.subarray(offset, offset + 32)).toBase58()));
  }
  return b58;
}

// MarginAccount (state/margin_account.rs, zero-copy #[repr(C)], layout versions 2 and 3): after the
// 8-byte discriminator, owner, exchange, collateral i64, last_active_slot u64, liquidation_id u64,
// 8 positions of { market, base i64, quote_entry i64 }, version, bump, status, 5 bytes padding,
// 8 shortfalls u64, their 8 market indexes u16, then (version 3) 4 claims u64 and their 4 market
// indexes u16, zero in an earlier account. Read at fixed offsets: it is decoded on every
// notification; a test pins this to Anchor's decoding.
const MA = {
  owner: 8,
  exchange: 40,
  collateral: 72,
  lastActiveSlot: 80,
  liquidationId: 88,
  positions: 96,
  positionSize: 48,
  maxPositions: 8,
  status: 482,
  shortfalls: 488,
  shortfallMarketIndexes: 552,
  claims: 568,
  claimMarketIndexes: 600,
  maxClaims: 4,
} as const;

export function decodeMarginAccount(address: string, data: Buffer, slot: number): AccountState {
  if (data.length < MARGIN_ACCOUNT_SIZE || !data.subarray(0, 8).equals(MARGIN_ACCOUNT_DISCRIMINATOR))
    throw new DecodeError(`${address} is not a marginAccount account`);
  const status = data[MA.status];
  if (status > ChainStatus.Bankrupt) throw new DecodeError(`${address}: unknown status ${status}`);
  const positions: AccountState["positions"] = [];
  for (let i = 0; i < MA.maxPositions; i++) {
    const at = MA.positions + i * MA.positionSize;
    const base = data.readBigInt64LE(at + 32);
    const quoteEntry = data.readBigInt64LE(at + 40);
    if (base !== 0n || quoteEntry !== 0n) positions.push({ market: base58At(data, at), base, quoteEntry });
  }
  const shortfallMarkets: number[] = [];
  for (let i = 0; i < MA.maxPositions; i++) {
    if (data.readBigUInt64LE(MA.shortfalls + 8 * i) > 0n)
      shortfallMarkets.push(data.readUInt16LE(MA.shortfallMarketIndexes + 2 * i));
  }
  const claims: NonNullable<AccountState["claims"]> = [];
  for (let i = 0; i < MA.maxClaims; i++) {
    const amount = data.readBigUInt64LE(MA.claims + 8 * i);
    if (amount > 0n) claims.push({ marketIndex: data.readUInt16LE(MA.claimMarketIndexes + 2 * i), amount });
  }
  return {
    address,
    owner: base58At(data, MA.owner),
    exchange: base58At(data, MA.exchange),
    collateral: data.readBigInt64LE(MA.collateral),
    lastActiveSlot: data.readBigUInt64LE(MA.lastActiveSlot),
    liquidationId: data.readBigUInt64LE(MA.liquidationId),
    status: status as ChainStatus,
    positions,
    shortfallMarkets,
    claims,
    slot,
  };
}

export function decodeMarket(address: string, data: Buffer, slot: number): MarketState {
  const m = decode("market", data, address);
  const rows = (m.tiers as { notionalUpper: BN; initialRatio: number; maintenanceRatio: number }[]).slice(
    0,
    m.tierCount,
  );
  return {
    address,
    exchange: (m.exchange as PublicKey).toBase58(),
    index: m.index,
    oracle: (m.oracle as PublicKey).toBase58(),
    oracleOwner: (m.oracleOwner as PublicKey).toBase58(),
    oracleLayout: m.oracleLayout as OracleLayout,
    feedId: Buffer.from(m.feedId as number[]),
    // The last tier is unbounded whatever its stored bound (state/market.rs math_tiers).
    tiers: rows.map((t, k) => ({
      notionalUpper: k + 1 === rows.length ? I128_MAX : big(t.notionalUpper),
      initialRatio: BigInt(t.initialRatio),
      maintenanceRatio: BigInt(t.maintenanceRatio),
    })),
    addonRatio: BigInt(m.volAddonRatio),
    bufferRatio: BigInt(m.liquidationBufferRatio),
    liquidatorFeeRatio: BigInt(m.liquidatorFeeRatio),
    insuranceFeeRatio: BigInt(m.insuranceFeeRatio),
    maxLiquidationNotional: big(m.maxLiquidationNotional),
    minRemainderNotional: big(m.minRemainderNotional),
    baseImpactRatio: BigInt(m.baseImpactRatio),
    impactRatioPerMillion: BigInt(m.impactRatioPerMillion),
    maxImpactRatio: BigInt(m.maxImpactRatio),
    maxOracleAgeLiquidateS: m.maxOracleAgeLiquidateS,
    maxConfRatioLiquidate: BigInt(m.maxConfRatioLiquidate),
    lastOraclePrice: big(m.lastOraclePrice),
    settlementPrice: big(m.settlementPrice),
    paused: m.paused !== 0,
    poolBalance: big(m.poolBalance),
    insuranceBalance: big(m.insuranceBalance),
    totalLiquidations: big(m.totalLiquidations),
    totalLiquidatedNotional: big(m.totalLiquidatedNotional),
    totalLiquidationFees: big(m.totalLiquidationFees),
    totalInsurancePaid: big(m.totalInsurancePaid),
    totalSocializedLoss: big(m.totalSocializedLoss),
    slot,
  };
}

export interface ExchangeState {
  address: string;
  admin: string;
  quoteMint: string;
  quoteVault: string;
  insuranceVault: string;
  paused: boolean;
  marketCount: number;
}

export function decodeExchange(address: string, data: Buffer): ExchangeState {
  const disc = discriminator("exchange");
  if (!data.subarray(0, 8).equals(disc)) throw new DecodeError(`${address} is not an exchange account`);
  const e = coder.decode(IDL_NAME.exchange, data);
  return {
    address,
    admin: (e.admin as PublicKey).toBase58(),
    quoteMint: (e.quoteMint as PublicKey).toBase58(),
    quoteVault: (e.quoteVault as PublicKey).toBase58(),
    insuranceVault: (e.insuranceVault as PublicKey).toBase58(),
    paused: e.paused,
    marketCount: e.marketCount,
  };
}
