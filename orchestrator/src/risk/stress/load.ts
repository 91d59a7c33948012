// The live book as the stress simulator needs it: every market of the exchange with the fields the
// liquidation path touches (pool, claims, insurance, open interest, volatility state), every margin
// account with its full shortfall and claim records, and each market's oracle reading now.
import bs58 from "bs58";
import { PublicKey, type Connection } from "@solana/web3.js";
import {
  EXCHANGE_OFFSET,
  MARGIN_ACCOUNT_SIZE,
  MARKET_SIZE,
  accountsCoder,
  decodeMarginAccount,
  decodeMarket,
  discriminator,
} from "../../chain/accounts.js";
import { readOracle } from "../../chain/oracle.js";
import type { AccountState, MarketState, PriceState } from "../types.js";
import type { Entry, Reading, SimAccount, SimMarket } from "./controller.js";
import type { SimBook } from "./simulate.js";

// state/margin_account.rs: 8 shortfalls u64 at 488, their market indexes u16 at 552 (the offsets
// chain/accounts.ts reads the record's markets at).
const SHORTFALLS = 488;
const SHORTFALL_INDEXES = 552;

export function simAccountFrom(address: string, data: Buffer, slot = 0): SimAccount {
  const a = decodeMarginAccount(address, data, slot);
  const shortfalls: Entry[] = [];
  for (let i = 0; i < 8; i++) {
    const amount = data.readBigUInt64LE(SHORTFALLS + 8 * i);
    if (amount > 0n) shortfalls.push({ index: data.readUInt16LE(SHORTFALL_INDEXES + 2 * i), amount });
  }
  return {
    address,
    collateral: a.collateral,
    status: a.status,
    liquidationId: a.liquidationId,
    positions: a.positions.map((p) => ({ ...p })),
    shortfalls,
    claims: (a.claims ?? []).map((c) => ({ index: c.marketIndex, amount: c.amount })),
  };
}

const big = (v: { toString(): string }) => BigInt(v.toString());

export function simMarketFrom(address: string, data: Buffer, slot = 0): { market: SimMarket; state: MarketState } {
  const s = decodeMarket(address, data, slot);
  const raw = accountsCoder.decode("market", data);
  const market: SimMarket = {
    address,
    index: s.index,
    tiers: s.tiers,
    addonRatio: s.addonRatio,
    bufferRatio: s.bufferRatio,
    liquidatorFeeRatio: s.liquidatorFeeRatio,
    insuranceFeeRatio: s.insuranceFeeRatio,
    maxLiquidationNotional: s.maxLiquidationNotional,
    minRemainderNotional: s.minRemainderNotional,
    baseImpactRatio: s.baseImpactRatio,
    impactRatioPerMillion: s.impactRatioPerMillion,
    maxImpactRatio: s.maxImpactRatio,
    maxConfRatioLiquidate: s.maxConfRatioLiquidate,
    poolBalance: s.poolBalance,
    totalClaims: big(raw.totalClaims),
    insuranceBalance: s.insuranceBalance,
    longOpenInterest: big(raw.longOpenInterest),
    shortOpenInterest: big(raw.shortOpenInterest),
    quoteEntrySumLong: big(raw.quoteEntrySumLong),
    quoteEntrySumShort: big(raw.quoteEntrySumShort),
    totalLiquidations: s.totalLiquidations,
    totalLiquidatedNotional: s.totalLiquidatedNotional,
    totalLiquidationFees: s.totalLiquidationFees,
    totalInsurancePaid: s.totalInsurancePaid,
    totalSocializedLoss: s.totalSocializedLoss,
    totalHaircut: big(raw.totalHaircut),
    vol: {
      variance: big(raw.ewmaVariance),
      lastPrice: big(raw.lastOraclePrice),
      lastPublishTime: Number(big(raw.lastOraclePublishTime)),
      lambda: BigInt(raw.ewmaLambda),
      multiplier: BigInt(raw.volMultiplier),
      cap: BigInt(raw.volAddonCap),
    },
  };
  return { market, state: s };
}

const filters = (kind: "marginAccount" | "market", size: number, exchange: PublicKey) => [
  { dataSize: size },
  { memcmp: { offset: 0, bytes: bs58.encode(discriminator(kind)) } },
  { memcmp: { offset: EXCHANGE_OFFSET[kind], bytes: exchange.toBase58() } },
];

export interface LoadedBook {
  book: SimBook;
  /** The same book as the risk engine's states (what VaR scoring reads). */
  marketStates: Map<string, MarketState>;
  accountStates: Map<string, AccountState>;
  /** By oracle address. */
  priceStates: Map<string, PriceState>;
  slot: number;
}

/** Reads the exchange's whole book from an RPC node. */
export async function loadBook(connection: Connection, programId: PublicKey, exchange: PublicKey): Promise<LoadedBook> {
  const [exchangeInfo, marketRows, accountRows] = await Promise.all([
    connection.getAccountInfo(exchange),
    connection.getProgramAccounts(programId, { filters: filters("market", MARKET_SIZE, exchange), withContext: true }),
    connection.getProgramAccounts(programId, {
      filters: filters("marginAccount", MARGIN_ACCOUNT_SIZE, exchange),
      withContext: true,
    }),
  ]);
  if (!exchangeInfo) throw new Error(`exchange ${exchange.toBase58()} does not exist`);
  const ex = accountsCoder.decode("exchange", exchangeInfo.data);
  const markets = new Map<string, SimMarket>();
  const marketStates = new Map<string, MarketState>();
  for (const { pubkey, account } of marketRows.value) {
    const { market, state } = simMarketFrom(pubkey.toBase58(), account.data, marketRows.context.slot);
    markets.set(market.address, market);
    marketStates.set(market.address, state);
  }
  const oracles = [...marketStates.values()];
  const infos = oracles.length
    ? await connection.getMultipleAccountsInfo(oracles.map((m) => new PublicKey(m.oracle)))
    : [];
  const readings = new Map<string, Reading>();
  const priceStates = new Map<string, PriceState>();
  let nowS = 0;
  for (const [k, m] of oracles.entries()) {
    const info = infos[k];
    if (m.settlementPrice > 0n) {
      readings.set(m.address, { price: m.settlementPrice, conf: 0n });
      continue;
    }
    if (!info) continue;
    const r = readOracle(m, info.owner.toBase58(), info.data);
    readings.set(m.address, { price: r.price, conf: r.conf });
    priceStates.set(m.oracle, { ...r, oracle: m.oracle, slot: marketRows.context.slot });
    nowS = Math.max(nowS, r.publishTime);
  }
  const slot = accountRows.context.slot;
  const accounts = accountRows.value.map(({ pubkey, account }) =>
    simAccountFrom(pubkey.toBase58(), account.data, slot),
  );
  const accountStates = new Map(
    accountRows.value.map(({ pubkey, account }) => {
      const a = decodeMarginAccount(pubkey.toBase58(), account.data, slot);
      return [a.address, a];
    }),
  );
  return {
    book: { accounts, markets, readings, liquidationCount: big(ex.liquidationCount), nowS },
    marketStates,
    accountStates,
    priceStates,
    slot,
  };
}

export interface FeedView {
  accounts: ReadonlyMap<string, AccountState>;
  markets: ReadonlyMap<string, MarketState>;
  /** By oracle address. */
  prices: ReadonlyMap<string, PriceState>;
}

/**
 * The stress book from a running orchestrator's feed: the accounts and prices it holds, plus one
 * read of the markets (claims, open interest, volatility state), of the exchange (its liquidation
 * count) and of the few accounts with a shortfall record (the amounts).
 */
export async function bookFromFeed(connection: Connection, exchange: PublicKey, feed: FeedView): Promise<SimBook> {
  const marketList = [...feed.markets.values()];
  const withRecord = [...feed.accounts.values()].filter((a) => a.shortfallMarkets.length > 0);
  const batches = <T>(xs: T[]) =>
    Array.from({ length: Math.ceil(xs.length / 100) }, (_, i) => xs.slice(i * 100, i * 100 + 100));
  const [exchangeInfo, marketInfos, ...recordInfos] = await Promise.all([
    connection.getAccountInfo(exchange),
    connection.getMultipleAccountsInfo(marketList.map((m) => new PublicKey(m.address))),
    ...batches(withRecord).map((b) => connection.getMultipleAccountsInfo(b.map((a) => new PublicKey(a.address)))),
  ]);
  if (!exchangeInfo) throw new Error(`exchange ${exchange.toBase58()} does not exist`);
  const markets = new Map<string, SimMarket>();
  for (const [k, info] of marketInfos.entries())
    if (info) markets.set(marketList[k].address, simMarketFrom(marketList[k].address, info.data).market);
  const records = new Map<string, SimAccount>();
  for (const [k, info] of recordInfos.flat().entries())
    if (info) records.set(withRecord[k].address, simAccountFrom(withRecord[k].address, info.data));
  const readings = new Map<string, Reading>();
  let nowS = 0;
  for (const m of marketList) {
    const r =
      m.settlementPrice > 0n ? { price: m.settlementPrice, conf: 0n, publishTime: 0 } : feed.prices.get(m.oracle);
    if (!r) continue;
    readings.set(m.address, { price: r.price, conf: r.conf });
    nowS = Math.max(nowS, r.publishTime);
  }
  const accounts = [...feed.accounts.values()].map(
    (a): SimAccount =>
      records.get(a.address) ?? {
        address: a.address,
        collateral: a.collateral,
        status: a.status,
        liquidationId: a.liquidationId,
        positions: a.positions.map((p) => ({ ...p })),
        shortfalls: [],
        claims: (a.claims ?? []).map((c) => ({ index: c.marketIndex, amount: c.amount })),
      },
  );
  const ex = accountsCoder.decode("exchange", exchangeInfo.data);
  return { accounts, markets, readings, liquidationCount: big(ex.liquidationCount), nowS };
}
