// The price history the risk model is built from: one accepted sample per interval, refused
// readings left out, the list bounded; and the model refused until the history is long enough.
import { describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import type { MarketState, PriceState } from "../../orchestrator/src/risk/types.js";
import {
  PriceHistoryRecorder,
  historyKey,
  loadRecordedHistory,
  modelFrom,
} from "../../orchestrator/src/risk/var/history.js";

/** The few list commands the recorder uses, on an in-memory map. */
function fakeRedis() {
  const lists = new Map<string, string[]>();
  const redis = {
    multi() {
      const ops: (() => void)[] = [];
      const chain = {
        rpush(key: string, v: string) {
          ops.push(() => lists.set(key, [...(lists.get(key) ?? []), v]));
          return chain;
        },
        ltrim(key: string, start: number, _stop: number) {
          ops.push(() => lists.set(key, (lists.get(key) ?? []).slice(start)));
          return chain;
        },
        async exec() {
          for (const op of ops) op();
          return [];
        },
      };
      return chain;
    },
    async lrange(key: string) {
      return lists.get(key) ?? [];
    },
  };
  return { redis: redis as unknown as Redis, lists };
}

const market = { address: "M", oracle: "O", maxOracleAgeLiquidateS: 60, maxConfRatioLiquidate: 20_000n } as MarketState;
const reading = (t: number, price: bigint, conf = 0n): PriceState => ({
  oracle: "O",
  price,
  conf,
  publishTime: t,
  slot: 0,
});

describe("price history", () => {
  it("keeps one accepted price per interval, leaves refused readings out and bounds the list", async () => {
    const { redis, lists } = fakeRedis();
    const r = new PriceHistoryRecorder(redis, "p", {
      intervalS: 60,
      maxSamples: 3,
      onError: (e) => {
        throw e;
      },
    });
    r.observe(market, reading(0, 100_000_000n));
    r.observe(market, reading(30, 101_000_000n)); // same minute
    r.observe(market, reading(61, 102_000_000n, 3_000_000n)); // 2.9% confidence: refused
    r.observe(market, reading(62, 102_000_000n));
    r.observe(market, reading(130, 103_000_000n));
    r.observe(market, reading(200, 104_000_000n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lists.get(historyKey("p", "M"))).toEqual(["62,102000000", "130,103000000", "200,104000000"]);
    const [s] = await loadRecordedHistory(redis, "p", ["M"]);
    expect(s).toEqual({ market: "M", times: [62, 130, 200], prices: [102_000_000, 103_000_000, 104_000_000] });
  });

  it("builds no model until the history holds the minimum number of returns", () => {
    const series = [{ market: "M", times: [0, 3_600, 7_200], prices: [1, 1.01, 1.02] }];
    const settings = { returnIntervalS: 3_600, horizonS: 86_400, lambda: 0.94, minReturns: 30 };
    const none = modelFrom(series, settings);
    expect(none.model).toBeNull();
    expect((none as { reason: string }).reason).toMatch(/2 returns of 3600 s in the history, 30 needed/);
    const long = {
      market: "M",
      times: Array.from({ length: 41 }, (_, k) => k * 3_600),
      prices: Array.from({ length: 41 }, (_, k) => 1 + 0.01 * Math.sin(k)),
    };
    const ok = modelFrom([long, { market: "EMPTY", times: [], prices: [] }], settings);
    expect(ok.model?.markets).toEqual(["M"]);
    expect(ok.model?.horizonIntervals).toBe(24);
  });
});
