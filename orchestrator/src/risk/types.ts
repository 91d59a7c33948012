// The orchestrator's view of on-chain state: plain bigint structs decoded from the program's
// accounts (chain/accounts.ts) and oracles (chain/oracle.ts). Units are the program's: quote native
// (1e6), price 1e6, base 1e9, ratios 1e6 = 100%.
import type { Tier } from "../math/margin.js";

/** MarginAccount.status on chain. */
export enum ChainStatus {
  Healthy = 0,
  BeingLiquidated = 1,
  Bankrupt = 2,
}

export interface PositionState {
  market: string;
  base: bigint;
  quoteEntry: bigint;
}

export interface AccountState {
  address: string;
  owner: string;
  exchange: string;
  collateral: bigint;
  lastActiveSlot: bigint;
  liquidationId: bigint;
  status: ChainStatus;
  /** Open positions only, in the account's slot order (the order remaining accounts must follow). */
  positions: PositionState[];
  /** Indexes of the markets in the account's shortfall record, record order: a bankruptcy is charged to these. */
  shortfallMarkets: number[];
  /** Unpaid claims on markets' pools (winnings a pool could not pay at a close), record order. */
  claims?: { marketIndex: number; amount: bigint }[];
  /** Slot at which this data was observed. */
  slot: number;
}

export enum OracleLayout {
  PriceUpdateV2 = 0,
  LegacyPush = 1,
}

export interface MarketState {
  address: string;
  exchange: string;
  index: number;
  oracle: string;
  oracleOwner: string;
  oracleLayout: OracleLayout;
  feedId: Buffer;
  tiers: Tier[];
  addonRatio: bigint;
  bufferRatio: bigint;
  liquidatorFeeRatio: bigint;
  insuranceFeeRatio: bigint;
  maxLiquidationNotional: bigint;
  minRemainderNotional: bigint;
  baseImpactRatio: bigint;
  impactRatioPerMillion: bigint;
  maxImpactRatio: bigint;
  maxOracleAgeLiquidateS: number;
  maxConfRatioLiquidate: bigint;
  /** The last price `refresh_market` accepted (0 when none): what a position with an unusable oracle is valued at. */
  lastOraclePrice: bigint;
  /** Set by `settle_market` (0 while trading): the market then prices at it, with no confidence interval. */
  settlementPrice: bigint;
  paused: boolean;
  poolBalance: bigint;
  insuranceBalance: bigint;
  totalLiquidations: bigint;
  totalLiquidatedNotional: bigint;
  totalLiquidationFees: bigint;
  totalInsurancePaid: bigint;
  totalSocializedLoss: bigint;
  slot: number;
}

/** An oracle reading rescaled to the program's price precision, as the program reads it. */
export interface OracleReading {
  price: bigint;
  conf: bigint;
  /** Unix seconds. */
  publishTime: number;
}

export interface PriceState extends OracleReading {
  oracle: string;
  /** Slot at which this reading was observed. */
  slot: number;
}

/** The four states of the lifecycle; the chain's status decides the last two. */
export type RiskState = "healthy" | "margin-call" | "partial-liquidation" | "bankrupt";
