// The program's accounts and oracle readings as plain bigint structs, decoded by state/*.ts.
// Units are the program's: quote native (1e6), price 1e6, base 1e9, ratios 1e6 = 100%.
import type { Tier } from "../math/margin.js";

/** A base58 account address. Any @solana/kit `Address` is one. */
export type Address = string;

/** MarginAccount.status on chain (`AccountStatus`). */
export enum ChainStatus {
  Healthy = 0,
  BeingLiquidated = 1,
  Bankrupt = 2,
}

/** One open position of a margin account. */
export interface PositionState {
  market: Address;
  /** BASE_PRECISION, signed (negative: short). */
  base: bigint;
  /** Quote native units paid (negative) or received for the position still open. */
  quoteEntry: bigint;
}

/**
 * A decoded MarginAccount. Treat it as immutable: a newer read is a new object, and empty
 * `shortfallMarkets` and `claims` are one frozen array shared by every account.
 */
export interface AccountState {
  address: Address;
  owner: Address;
  exchange: Address;
  /** Quote native units; negative only while a bankruptcy awaits resolution. */
  collateral: bigint;
  lastActiveSlot: bigint;
  /** The liquidation this account is in (0 when never flagged). */
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

/** Market.oracle_layout: which Pyth account layout the market's oracle has. */
export enum OracleLayout {
  PriceUpdateV2 = 0,
  LegacyPush = 1,
}

/** A decoded Market: what the risk math and the instruction builders need of it. */
export interface MarketState {
  address: Address;
  exchange: Address;
  /** Position in the exchange's market list (the market PDA's seed). */
  index: number;
  oracle: Address;
  /** The program that must own the oracle account. */
  oracleOwner: Address;
  oracleLayout: OracleLayout;
  /** Pyth feed id (checked for PriceUpdateV2). */
  feedId: Uint8Array;
  /** The margin table; the last tier is unbounded. */
  tiers: Tier[];
  /** Volatility add-on ratio now in force. */
  addonRatio: bigint;
  /** Liquidation buffer above maintenance. */
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
  /** Slot at which this data was observed. */
  slot: number;
}

/** An oracle reading rescaled to the program's price precision, as the program reads it. */
export interface OracleReading {
  /** PRICE_PRECISION, rounded down. */
  price: bigint;
  /** PRICE_PRECISION, rounded up. */
  conf: bigint;
  /** Unix seconds. */
  publishTime: number;
}

/** An oracle reading with the oracle it came from and when it was observed. */
export interface PriceState extends OracleReading {
  oracle: Address;
  /** Slot at which this reading was observed. */
  slot: number;
}

/** A decoded Exchange: its admin, mint and vaults. */
export interface ExchangeState {
  address: Address;
  admin: Address;
  quoteMint: Address;
  quoteVault: Address;
  insuranceVault: Address;
  paused: boolean;
  marketCount: number;
}
