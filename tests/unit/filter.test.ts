// The operator's liquidation limits: off by default (everything is taken); a market outside the
// allow-list, a position below the minimum notional, or a fee below the minimum is skipped; and the
// configuration reads them from the file or the environment.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../orchestrator/src/config.js";
import { skipReason } from "../../orchestrator/src/risk/filter.js";
import type { AccountState, MarketState } from "../../orchestrator/src/risk/types.js";

const M1 = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
const M2 = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU";
const USD = 1_000_000n;
// 2 base units (1e9 each) at $100: $200 notional; fee 1% of at most $150.
const market = { address: M1, liquidatorFeeRatio: 10_000n, maxLiquidationNotional: 150n * USD } as MarketState;
const account = { positions: [{ market: M1, base: -2_000_000_000n, quoteEntry: 0n }] } as unknown as AccountState;
const price = 100n * USD;
const off = { liquidateMarkets: [], minLiquidationNotional: 0n, minExpectedFee: 0n };

describe("skipReason", () => {
  it("takes everything by default", () => {
    expect(skipReason(off, account, market, price)).toBeNull();
  });

  it("skips a market outside the allow-list", () => {
    expect(skipReason({ ...off, liquidateMarkets: [M2] }, account, market, price)).toMatch(/not in liquidateMarkets/);
    expect(skipReason({ ...off, liquidateMarkets: [M2, M1] }, account, market, price)).toBeNull();
  });

  it("skips a position below the minimum notional, at the oracle price", () => {
    expect(skipReason({ ...off, minLiquidationNotional: 200n * USD }, account, market, price)).toBeNull();
    expect(skipReason({ ...off, minLiquidationNotional: 200n * USD + 1n }, account, market, price)).toMatch(
      /notional 200000000 is below minLiquidationNotional/,
    );
  });

  it("skips a step whose fee on the slice the market allows is below the minimum", () => {
    // 1% of min($200, $150) = $1.50.
    expect(skipReason({ ...off, minExpectedFee: 1_500_000n }, account, market, price)).toBeNull();
    expect(skipReason({ ...off, minExpectedFee: 1_500_001n }, account, market, price)).toMatch(
      /fee 1500000 is below minExpectedFee 1500001/,
    );
  });

  it("reads the limits from the environment and refuses bad ones", () => {
    const c = loadConfig({
      env: {
        MARGIN_WARDEN_LIQUIDATE_MARKETS: `${M1},${M2}`,
        MARGIN_WARDEN_MIN_LIQUIDATION_NOTIONAL: "5000000",
        MARGIN_WARDEN_MIN_EXPECTED_FEE: "10000",
      },
    });
    expect(c.liquidateMarkets).toEqual([M1, M2]);
    expect([c.minLiquidationNotional, c.minExpectedFee]).toEqual([5_000_000n, 10_000n]);
    expect(loadConfig({ env: {} })).toMatchObject({
      liquidateMarkets: [],
      minLiquidationNotional: 0n,
      minExpectedFee: 0n,
    });
    expect(() => loadConfig({ env: { MARGIN_WARDEN_LIQUIDATE_MARKETS: "not-a-key" } })).toThrow(
      /liquidateMarkets must be/,
    );
    expect(() => loadConfig({ env: { MARGIN_WARDEN_MIN_EXPECTED_FEE: "-1" } })).toThrow(/minExpectedFee must be/);
  });
});
