// Decoding the program's accounts into the risk engine's plain structs (risk/types.ts).
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

function decode(name: "marginAccount" | "market", data: Buffer, address: string) {
  const disc = discriminator(name);
  if (data.length < disc.length || !data.subarray(0, disc.length).equals(disc)) {
    throw new DecodeError(`${address} is not a ${name} account`);
  }
  return coder.decode(IDL_NAME[name], data);
}

export function decodeMarginAccount(address: string, data: Buffer, slot: number): AccountState {
  const a = decode("marginAccount", data, address);
  if (a.status > ChainStatus.Bankrupt) throw new DecodeError(`${address}: unknown status ${a.status}`);
  return {
    address,
    owner: (a.owner as PublicKey).toBase58(),
    exchange: (a.exchange as PublicKey).toBase58(),
    collateral: big(a.collateral),
    lastActiveSlot: big(a.lastActiveSlot),
    liquidationId: big(a.liquidationId),
    status: a.status as ChainStatus,
    positions: (a.positions as { market: PublicKey; base: BN; quoteEntry: BN }[])
      .filter((p) => !p.base.isZero() || !p.quoteEntry.isZero())
      .map((p) => ({ market: p.market.toBase58(), base: big(p.base), quoteEntry: big(p.quoteEntry) })),
    slot,
  };
}

export function decodeMarket(address: string, data: Buffer, slot: number): MarketState {
  const m = decode("market", data, address);
  const rows = (m.tiers as { notionalUpper: BN; initialRatio: number; maintenanceRatio: number }[]).slice(0, m.tierCount);
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
