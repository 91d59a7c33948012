// The SDK's TypeScript mirror of the program's math and of its controller rules (account health,
// the oracle check, flag/liquidation/unflag eligibility), which the orchestrator uses too, must give
// exactly the Rust results on every vector the Rust tests export (programs/margin/vectors/math.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accountHealth,
  applyTrade,
  backedPnl,
  bankruptcyCleared,
  baseToClose,
  baseValue,
  checkOracle as check,
  decayFactor,
  eligibilityHealth,
  ewmaVarianceElapsed,
  executionPrice,
  flagEligible,
  liquidationEligible,
  liquidationEndRequirement,
  liquidationPrice,
  notional,
  returnRatioAbs,
  scaleConfCeil,
  scalePriceFloor,
  shrinkFees,
  tierRequirement,
  type Tier,
  unflagEligible,
  unpricedPosition,
  valuationPrice,
  volatilityAddonRatio,
} from "@margin-warden/sdk";

// biome-ignore lint/suspicious/noExplicitAny: rows of the Rust-exported vectors, whose fields each test reads
type Row = Record<string, any>;
const v = JSON.parse(
  readFileSync(new URL("../../programs/margin/vectors/math.json", import.meta.url), "utf8"),
) as Record<string, Row[]>;
const b = (s: string) => BigInt(s);
const tiers: Tier[] = v.tiers.map((t) => ({
  notionalUpper: b(t.notionalUpper),
  initialRatio: b(t.initialRatio),
  maintenanceRatio: b(t.maintenanceRatio),
}));

describe("TypeScript math mirror against the Rust vectors", () => {
  it("has vectors to check", () => {
    expect(v.tierRequirement.length).toBeGreaterThan(10);
    expect(v.baseToClose.length).toBeGreaterThan(10);
  });

  it("tierRequirement and liquidationEndRequirement", () => {
    for (const c of v.tierRequirement)
      expect(tierRequirement(b(c.notional), tiers, c.kind).toString()).toBe(c.expected);
    const tiers16: Tier[] = v.tiers16.map((t) => ({
      notionalUpper: b(t.notionalUpper),
      initialRatio: b(t.initialRatio),
      maintenanceRatio: b(t.maintenanceRatio),
    }));
    expect(tiers16.length).toBe(16);
    for (const c of v.tierRequirement16)
      expect(tierRequirement(b(c.notional), tiers16, c.kind).toString()).toBe(c.expected);
    for (const c of v.liquidationEndRequirement) {
      expect(liquidationEndRequirement(b(c.notional), tiers, b(c.addonRatio), b(c.bufferRatio)).toString()).toBe(
        c.expected,
      );
    }
  });

  it("Pyth price scaling", () => {
    for (const c of v.pythPrice) {
      expect(scalePriceFloor(b(c.mantissa), c.expo).toString()).toBe(c.price);
      expect(scaleConfCeil(b(c.conf), c.expo).toString()).toBe(c.confScaled);
    }
  });

  it("position value, notional, execution and trades", () => {
    for (const c of v.position) {
      const opened = applyTrade(0n, 0n, b(c.base), b(c.entryPrice));
      expect(opened.quoteEntry.toString()).toBe(c.quoteEntry);
      expect(valuationPrice(b(c.base), b(c.price), b(c.conf)).toString()).toBe(c.valuationPrice);
      expect(baseValue(b(c.base), b(c.price)).toString()).toBe(c.baseValue);
      expect(notional(b(c.base), b(c.price)).toString()).toBe(c.notional);
      const exec = executionPrice(b(c.trade), b(c.price), b(c.impactRatio));
      expect(exec.toString()).toBe(c.execPrice);
      const after = applyTrade(opened.base, opened.quoteEntry, b(c.trade), exec);
      expect([after.base, after.quoteEntry, after.realizedPnl].map(String)).toEqual([
        c.after.base,
        c.after.quoteEntry,
        c.after.realizedPnl,
      ]);
    }
  });

  it("EWMA volatility over elapsed time and add-on", () => {
    for (const c of v.volatility) {
      const r = returnRatioAbs(b(c.prevPrice), b(c.price));
      expect(r.toString()).toBe(c.returnAbs);
      expect(decayFactor(b(c.lambda), c.elapsedS).toString()).toBe(c.decay);
      const variance = ewmaVarianceElapsed(b(c.prevVariance), r, b(c.lambda), c.elapsedS);
      expect(variance.toString()).toBe(c.variance);
      expect(volatilityAddonRatio(variance, 2_000_000n, 100_000n).toString()).toBe(c.addonRatio);
    }
  });

  it("liquidation sizing, fee shrinkage and liquidation prices", () => {
    for (const c of v.baseToClose) {
      const pos = {
        base: b(c.base),
        oraclePrice: b(c.oraclePrice),
        conf: b(c.conf),
        execPrice: b(c.execPrice),
        tiers,
        addonRatio: b(c.addonRatio),
        bufferRatio: b(c.bufferRatio),
        liquidatorFeeRatio: b(c.liquidatorFeeRatio),
        insuranceFeeRatio: b(c.insuranceFeeRatio),
      };
      expect(
        baseToClose(b(c.equity), b(c.endRequirement), pos, b(c.maxCloseAbs), b(c.minRemainderNotional)).toString(),
      ).toBe(c.expected);
    }
    for (const c of v.shrinkFees) {
      expect(shrinkFees(b(c.liquidatorFee), b(c.insuranceFee), b(c.equityAfterClose)).map(String)).toEqual(c.expected);
    }
    for (const c of v.liquidationPrice) {
      const p = liquidationPrice(
        b(c.base),
        b(c.quoteEntry),
        b(c.confRatio),
        tiers,
        b(c.addonRatio),
        { equity: b(c.restEquity), maintenance: b(c.restMaintenance) },
        b(c.maxPrice),
      );
      expect(p === null ? null : p.toString()).toBe(c.expected);
    }
  });

  it("flag, liquidation and unflag eligibility, and a covered bankruptcy", () => {
    expect(v.eligibility.some((c) => c.unflag) && v.eligibility.some((c) => c.flag)).toBe(true);
    for (const c of v.eligibility) {
      const h = {
        equity: b(c.equity),
        initial: 0n,
        maintenance: b(c.maintenance),
        liquidationEnd: b(c.liquidationEnd),
      };
      expect([flagEligible(h, c.status), liquidationEligible(h, c.status), unflagEligible(h, c.status)]).toEqual([
        c.flag,
        c.liquidation,
        c.unflag,
      ]);
      expect(bankruptcyCleared(b(c.collateral), c.status, c.hasPositions)).toBe(c.bankruptcyCleared);
    }
  });

  it("account health across positions", () => {
    for (const c of v.accountHealth) {
      const positions = c.positions.map((p: Row) => ({
        base: b(p.base),
        quoteEntry: b(p.quoteEntry),
        price: b(p.price),
        conf: b(p.conf),
        risk: { tiers, addonRatio: b(p.addonRatio), bufferRatio: b(p.bufferRatio) },
      }));
      const h = accountHealth(b(c.collateral), positions);
      expect([h.equity, h.initial, h.maintenance, h.liquidationEnd].map(String)).toEqual([
        c.expected.equity,
        c.expected.initial,
        c.expected.maintenance,
        c.expected.liquidationEnd,
      ]);
    }
  });

  it("the oracle check", () => {
    for (const c of v.oracleGuard) {
      const refusal = check({ price: b(c.price), conf: b(c.conf), publishTime: c.publishTime }, c.now, {
        maxAgeS: c.maxAgeS,
        maxConfRatio: b(c.maxConfRatio),
      });
      expect(refusal).toBe(c.expected);
    }
  });

  it("a position without a usable oracle price", () => {
    for (const c of v.unpricedPosition) {
      const refused = c.refused === null ? null : { price: b(c.refused.price), conf: b(c.refused.conf) };
      const p = unpricedPosition(b(c.base), b(c.quoteEntry), b(c.lastPrice), b(c.confRatio), refused, {
        tiers,
        addonRatio: b(c.addonRatio),
        bufferRatio: b(c.bufferRatio),
      });
      if (c.expected === null) {
        expect(p).toBeNull();
        continue;
      }
      const h = accountHealth(b(c.collateral), [p!]);
      expect([p!.price, p!.conf, h.equity, h.initial, h.maintenance, h.liquidationEnd].map(String)).toEqual([
        c.expected.price,
        c.expected.conf,
        c.expected.equity,
        c.expected.initial,
        c.expected.maintenance,
        c.expected.liquidationEnd,
      ]);
      expect([p!.holderView!.price, p!.holderView!.conf].map(String)).toEqual([
        c.expected.holderView.price,
        c.expected.holderView.conf,
      ]);
      const e = eligibilityHealth(b(c.collateral), [p!]);
      expect([e.equity, e.maintenance, e.liquidationEnd].map(String)).toEqual([
        c.expected.eligibility.equity,
        c.expected.eligibility.maintenance,
        c.expected.eligibility.liquidationEnd,
      ]);
    }
  });

  it("a gain counts only as far as its pool backs it", () => {
    expect(v.backedPnl.length).toBeGreaterThan(0);
    for (const c of v.backedPnl) {
      const backing =
        c.backing === null ? null : { poolBalance: b(c.backing.poolBalance), liability: b(c.backing.liability) };
      expect(String(backedPnl(b(c.pnl), backing))).toBe(c.expected);
    }
  });
});
