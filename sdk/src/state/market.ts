// Market (programs/margin/src/state/market.rs, zero-copy) as the risk math and the instruction
// builders need it, decoded through the IDL.
import { fieldOffsets } from "../idl/codec.js";
import type { MarketState, OracleLayout } from "./types.js";
import { accountSize, decodeAccount } from "./accounts.js";

/** Bytes of a Market on chain, discriminator included. */
export const MARKET_SIZE = accountSize("market");
/** Offset of `exchange` in a Market's bytes (a memcmp filter's). */
export const MARKET_EXCHANGE_OFFSET = 8 + fieldOffsets("market").exchange;

const I128_MAX = (1n << 127n) - 1n;

/** The risk view of a Market; the last tier is unbounded whatever its stored bound (state/market.rs `math_tiers`). */
export function decodeMarket(address: string, data: Uint8Array, slot: number): MarketState {
  const m = decodeAccount("market", data, address);
  const rows = m.tiers.slice(0, m.tierCount);
  return {
    address,
    exchange: m.exchange,
    index: m.index,
    oracle: m.oracle,
    oracleOwner: m.oracleOwner,
    oracleLayout: m.oracleLayout as OracleLayout,
    feedId: m.feedId,
    tiers: rows.map((t, k) => ({
      notionalUpper: k + 1 === rows.length ? I128_MAX : t.notionalUpper,
      initialRatio: BigInt(t.initialRatio),
      maintenanceRatio: BigInt(t.maintenanceRatio),
    })),
    addonRatio: BigInt(m.volAddonRatio),
    bufferRatio: BigInt(m.liquidationBufferRatio),
    liquidatorFeeRatio: BigInt(m.liquidatorFeeRatio),
    insuranceFeeRatio: BigInt(m.insuranceFeeRatio),
    maxLiquidationNotional: m.maxLiquidationNotional,
    minRemainderNotional: m.minRemainderNotional,
    baseImpactRatio: BigInt(m.baseImpactRatio),
    impactRatioPerMillion: BigInt(m.impactRatioPerMillion),
    maxImpactRatio: BigInt(m.maxImpactRatio),
    maxOracleAgeLiquidateS: m.maxOracleAgeLiquidateS,
    maxConfRatioLiquidate: BigInt(m.maxConfRatioLiquidate),
    lastOraclePrice: m.lastOraclePrice,
    settlementPrice: m.settlementPrice,
    paused: m.paused !== 0,
    poolBalance: m.poolBalance,
    insuranceBalance: m.insuranceBalance,
    totalLiquidations: m.totalLiquidations,
    totalLiquidatedNotional: m.totalLiquidatedNotional,
    totalLiquidationFees: m.totalLiquidationFees,
    totalInsurancePaid: m.totalInsurancePaid,
    totalSocializedLoss: m.totalSocializedLoss,
    slot,
  };
}
