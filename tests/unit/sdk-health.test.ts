// The SDK's fast margin-account decoder reads what its IDL decoder reads; its oracle parsers read
// what the localnet's Pyth encoders write, refusing what the program refuses; and every liquidation
// price it reports sits exactly on the boundary of the program's maintenance check.
import { Keypair } from "@solana/web3.js";
import { describe, expect, it } from "vitest";
import {
  ChainStatus,
  OracleError,
  OracleLayout,
  RATIO_PRECISION,
  Writer,
  accountDiscriminator,
  accountHealth,
  accountHealthSummary,
  applyTrade,
  confidenceRatio,
  decodeAccount,
  decodeMarginAccount,
  mulDivCeil,
  priceAccount,
  readOracle,
  scaleConfCeil,
  scalePriceFloor,
  writeType,
  type AccountState,
  type MarketState,
  type Tier,
} from "@margin-warden/sdk";
import {
  PYTH_LEGACY_PROGRAM,
  PYTH_RECEIVER_PROGRAM,
  encodeLegacyPush,
  encodePriceUpdateV2,
} from "../../localnet/src/pyth.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
const big = (r: () => number, lo: bigint, hi: bigint) =>
  lo + (BigInt(Math.floor(r() * 2 ** 48)) * (hi - lo)) / 2n ** 48n;
const key = () => Keypair.generate().publicKey.toBase58();
const USD = 1_000_000n;
const ONE = 1_000_000_000n;
const TIERS: Tier[] = [
  { notionalUpper: 100_000n * USD, initialRatio: 100_000n, maintenanceRatio: 50_000n },
  { notionalUpper: 1_000_000n * USD, initialRatio: 200_000n, maintenanceRatio: 100_000n },
  { notionalUpper: (1n << 127n) - 1n, initialRatio: 400_000n, maintenanceRatio: 200_000n },
];

describe("SDK decoding and health", () => {
  it("decodes margin accounts at fixed offsets exactly as the IDL decoder reads them", () => {
    const r = rng(1);
    const markets = [key(), key(), key()];
    for (let i = 0; i < 100; i++) {
      const positions = Array.from({ length: 8 }, () => {
        const open = r() < 0.5;
        return {
          market: open ? markets[Math.floor(r() * 3)] : "11111111111111111111111111111111",
          base: open ? big(r, -(1n << 62n), 1n << 62n) : 0n,
          quoteEntry: open ? big(r, -(1n << 62n), 1n << 62n) : 0n,
        };
      });
      const fields = {
        owner: key(),
        exchange: key(),
        collateral: big(r, -(1n << 62n), 1n << 62n),
        lastActiveSlot: big(r, 0n, 1n << 40n),
        liquidationId: big(r, 0n, 1n << 30n),
        positions,
        version: 3,
        bump: 250,
        status: i % 3,
        padding: new Uint8Array(5),
        shortfalls: Array.from({ length: 8 }, () => (r() < 0.3 ? big(r, 1n, 1n << 40n) : 0n)),
        shortfallMarketIndexes: Array.from({ length: 8 }, () => Math.floor(r() * 65_536)),
        claims: Array.from({ length: 4 }, () => (r() < 0.3 ? big(r, 1n, 1n << 40n) : 0n)),
        claimMarketIndexes: Array.from({ length: 4 }, () => Math.floor(r() * 65_536)),
        reserved: new Uint8Array(8),
      };
      const w = new Writer();
      w.raw(accountDiscriminator("marginAccount"));
      writeType({ defined: { name: "marginAccount" } }, fields, w);
      const data = w.bytes();
      expect(decodeAccount("marginAccount", data)).toEqual(fields);
      const a = decodeMarginAccount("acct", data, 3);
      expect(a).toEqual({
        address: "acct",
        owner: fields.owner,
        exchange: fields.exchange,
        collateral: fields.collateral,
        lastActiveSlot: fields.lastActiveSlot,
        liquidationId: fields.liquidationId,
        status: fields.status,
        positions: positions.filter((p) => p.base !== 0n || p.quoteEntry !== 0n),
        shortfallMarkets: fields.shortfallMarketIndexes.filter((_, k) => fields.shortfalls[k] > 0n),
        claims: fields.claims.flatMap((c, k) =>
          c > 0n ? [{ marketIndex: fields.claimMarketIndexes[k], amount: c }] : [],
        ),
        slot: 3,
      });
    }
  });

  it("reads both oracle layouts as the program does and names the program's refusals", () => {
    const r = rng(2);
    const feedId = Buffer.alloc(32, 9);
    const v2 = { oracleOwner: PYTH_RECEIVER_PROGRAM.toBase58(), oracleLayout: OracleLayout.PriceUpdateV2, feedId };
    const legacy = { oracleOwner: PYTH_LEGACY_PROGRAM.toBase58(), oracleLayout: OracleLayout.LegacyPush, feedId };
    for (let i = 0; i < 50; i++) {
      const p = {
        price: big(r, 1n, 1n << 40n),
        conf: big(r, 0n, 1n << 30n),
        exponent: -Math.floor(r() * 12),
        publishTime: 1_800_000_000 + i,
      };
      const expected = {
        price: scalePriceFloor(p.price, p.exponent),
        conf: scaleConfCeil(p.conf, p.exponent),
        publishTime: p.publishTime,
      };
      if (expected.price <= 0n) continue;
      expect(readOracle(v2, v2.oracleOwner, encodePriceUpdateV2(feedId, p))).toEqual(expected);
      expect(readOracle(legacy, legacy.oracleOwner, encodeLegacyPush(p))).toEqual(expected);
    }
    const p = { price: 100n, conf: 1n, exponent: 0, publishTime: 0 };
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof OracleError ? e.code : String(e);
      }
      return null;
    };
    expect(refusal(() => readOracle(v2, v2.oracleOwner, encodePriceUpdateV2(Buffer.alloc(32, 1), p)))).toBe(
      "WrongOracleFeed",
    );
    expect(refusal(() => readOracle(v2, legacy.oracleOwner, encodePriceUpdateV2(feedId, p)))).toBe("WrongOracleOwner");
    expect(refusal(() => readOracle(legacy, legacy.oracleOwner, encodeLegacyPush(p, 2)))).toBe("OracleNotTrading");
    expect(refusal(() => readOracle(legacy, legacy.oracleOwner, encodeLegacyPush({ ...p, price: -5n })))).toBe(
      "InvalidOraclePrice",
    );
    expect(refusal(() => readOracle(v2, v2.oracleOwner, encodeLegacyPush(p)))).toBe("InvalidOracleAccount");
  });

  it("puts each liquidation price on the boundary of the exact maintenance check, the others fixed", () => {
    const r = rng(3);
    let checked = 0;
    for (let i = 0; i < 60; i++) {
      const markets = new Map<string, MarketState>();
      const readings = new Map<string, { price: bigint; conf: bigint; publishTime: number }>();
      const positions: AccountState["positions"] = [];
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
        const m = {
          address: key(),
          oracle: key(),
          tiers: TIERS,
          addonRatio: big(r, 0n, 30_000n),
          bufferRatio: 10_000n,
          settlementPrice: 0n,
          maxOracleAgeLiquidateS: 60,
          maxConfRatioLiquidate: 50_000n,
          lastOraclePrice: 0n,
        } as MarketState;
        const price = big(r, USD, 5_000n * USD);
        const base = big(r, -500n * ONE, 500n * ONE);
        markets.set(m.address, m);
        readings.set(m.oracle, { price, conf: big(r, 0n, price / 100n), publishTime: 1_000 });
        positions.push({
          market: m.address,
          base,
          quoteEntry: applyTrade(0n, 0n, base, big(r, USD, 5_000n * USD)).quoteEntry,
        });
      }
      const account = {
        address: key(),
        owner: key(),
        collateral: big(r, 0n, 20_000n * USD),
        status: ChainStatus.Healthy,
        positions,
      } as AccountState;
      const s = accountHealthSummary(account, priceAccount(account, markets, readings, 1_000));
      for (const [k, pos] of s.positions.entries()) {
        if (pos.liquidationPrice === null || pos.liquidationPrice <= 1n) continue;
        const ratio = confidenceRatio(pos.price, pos.conf);
        const below = (price: bigint) => {
          const priced = s.positions.map((p, j) => ({
            base: p.base,
            quoteEntry: p.quoteEntry,
            price: j === k ? price : p.price,
            conf: j === k ? mulDivCeil(price, ratio, RATIO_PRECISION) : p.conf,
            risk: { tiers: TIERS, addonRatio: markets.get(p.market)!.addonRatio, bufferRatio: 10_000n },
          }));
          const h = accountHealth(account.collateral, priced);
          return h.equity < h.maintenance;
        };
        const liq = pos.liquidationPrice;
        expect(below(liq)).toBe(true);
        expect(below(pos.base > 0n ? liq + 1n : liq - 1n)).toBe(false);
        checked++;
      }
      if (s.equity > 0n)
        expect(s.leverage).toBe((s.positions.reduce((n, p) => n + p.notional, 0n) * RATIO_PRECISION) / s.equity);
      expect(s.freeCollateral).toBe(s.equity > s.initial ? s.equity - s.initial : 0n);
    }
    expect(checked).toBeGreaterThan(20);
  });
});
