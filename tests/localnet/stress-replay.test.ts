// The stress simulator against the program: a small book on the native localnet, a shock applied
// both in the simulator and on chain, the simulator's liquidation and resolution sequence sent to
// the program, and every figure (steps, notional, fees, insurance, socialised loss, pools, each
// account's collateral and positions) compared to the unit.
import { ComputeBudgetProgram, PublicKey } from "@solana/web3.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeExchange, decodeMarginAccount, decodeMarket } from "../../orchestrator/src/chain/accounts.js";
import { liquidateInstruction, resolveInstruction } from "../../orchestrator/src/chain/instructions.js";
import { accountHealth } from "../../orchestrator/src/risk/health.js";
import { liquidationEligible } from "../../orchestrator/src/risk/liquidation.js";
import { marketRisk } from "../../orchestrator/src/risk/evaluate.js";
import type { MarketState } from "../../orchestrator/src/risk/types.js";
import { loadBook, type LoadedBook } from "../../orchestrator/src/risk/stress/load.js";
import { instantShock, movePrice } from "../../orchestrator/src/risk/stress/scenarios.js";
import { runScenario, totals } from "../../orchestrator/src/risk/stress/simulate.js";
import { DEFAULT_MARKETS, send } from "../../orchestrator/demo/exchange.js";
import { buildWorld, type World } from "../../orchestrator/demo/world.js";

const MOVE = -0.14;
const U64_MAX = (1n << 64n) - 1n;

let world: World;
let loaded: LoadedBook;

beforeAll(async () => {
  // Small insurance funds, so the shock exhausts some and the pools bear the rest.
  const markets = DEFAULT_MARKETS.map((m, i) => ({ ...m, insuranceUsd: [1_500n, 100n, 800n][i] }));
  world = await buildWorld({ traders: 40, seed: 5, slotMs: 50, markets });
  loaded = await loadBook(world.connection, world.program.programId, world.exchange);
});
afterAll(async () => {
  await world?.close();
});

async function chainMarkets(): Promise<Map<string, MarketState>> {
  const infos = await world.connection.getMultipleAccountsInfo(world.markets.map((m) => m.address));
  return new Map(
    infos.map((info, k) => {
      const m = decodeMarket(world.markets[k].address.toBase58(), info!.data, 0);
      return [m.address, m];
    }),
  );
}

const readAccount = async (address: string) =>
  decodeMarginAccount(address, (await world.connection.getAccountInfo(new PublicKey(address)))!.data, 0);

describe("stress simulator against the program", () => {
  it("predicts a shock's liquidations, fees, insurance and bad debt to the unit", async () => {
    const { book } = loaded;
    expect(book.accounts.length).toBe(world.traders.length);
    // The world's oracles publish a confidence of price / 2000.
    const ctx = { book, confOf: (_m: unknown, price: bigint) => price / 2_000n };
    const moves = new Map([...book.markets.keys()].map((k) => [k, MOVE]));
    const { report, book: predicted } = runScenario(book, instantShock(ctx, moves, "replay", "every market −14%"));
    // A shock that liquidates some accounts and bankrupts others, or the comparison says little.
    expect(report.accountsLiquidated).toBeGreaterThan(3);
    expect(report.bankruptcies).toBeGreaterThan(1);
    expect(report.insurancePaid).toBeGreaterThan(0n);
    expect(report.socializedLoss).toBeGreaterThan(0n);
    expect(report.refusals).toEqual([]);

    // The same shock on chain: the oracles move, nobody refreshes the volatility estimate.
    for (const m of world.markets) await world.setPrice(m.symbol, movePrice(m.price, MOVE));
    for (const m of world.markets)
      expect(book.markets.has(m.address.toBase58()) && movePrice(m.price, 0) === m.price).toBe(true);
    const exchange = decodeExchange(
      world.exchange.toBase58(),
      (await world.connection.getAccountInfo(world.exchange))!.data,
    );
    const liquidator = { authority: world.admin.publicKey, token: world.adminToken };
    // Two steps on the same position in one slot would be the same transaction: each gets its own
    // compute-unit limit.
    for (const [n, action] of report.actions.entries()) {
      const budget = ComputeBudgetProgram.setComputeUnitLimit({ units: 1_400_000 - n });
      const markets = await chainMarkets();
      const account = await readAccount(action.account);
      if (action.kind === "liquidate") {
        const market = markets.get(action.market)!;
        const pos = account.positions.find((p) => p.market === action.market)!;
        const ix = liquidateInstruction(
          world.program.programId,
          liquidator,
          exchange,
          account,
          market,
          markets,
          pos.base > 0n ? 0n : U64_MAX,
        );
        await send(world.connection, [budget, ix], [world.admin]);
      } else if (action.kind === "resolve") {
        const [first, ...others] = action.markets.map((k) => markets.get(k)!);
        const ix = resolveInstruction(world.program.programId, world.admin.publicKey, exchange, account, first, others);
        await send(world.connection, [budget, ix], [world.admin]);
      } else throw new Error(`unexpected ${action.kind} in an instant shock`);
    }

    // The chain's counters moved exactly as predicted.
    const after = await chainMarkets();
    const chainTotals = totals(
      [...after.values()].map((m) => ({
        ...predicted.markets.get(m.address)!,
        totalLiquidations: m.totalLiquidations,
        totalLiquidatedNotional: m.totalLiquidatedNotional,
        totalLiquidationFees: m.totalLiquidationFees,
        totalInsurancePaid: m.totalInsurancePaid,
        totalSocializedLoss: m.totalSocializedLoss,
        insuranceBalance: m.insuranceBalance,
        poolBalance: m.poolBalance,
      })),
    );
    expect(chainTotals).toEqual(report.after);
    expect(chainTotals.liquidations - report.before.liquidations).toBe(BigInt(report.steps));
    for (const m of after.values()) {
      const p = predicted.markets.get(m.address)!;
      expect({ pool: m.poolBalance, insurance: m.insuranceBalance, paid: m.totalInsurancePaid }).toEqual({
        pool: p.poolBalance,
        insurance: p.insuranceBalance,
        paid: p.totalInsurancePaid,
      });
    }
    // Every account as predicted, and none the program would still liquidate.
    const prices = new Map(world.markets.map((m) => [m.address.toBase58(), m.price]));
    for (const sim of predicted.accounts) {
      const a = await readAccount(sim.address);
      expect({ collateral: a.collateral, status: a.status, positions: a.positions }).toEqual({
        collateral: sim.collateral,
        status: sim.status,
        positions: sim.positions,
      });
      const h = accountHealth(
        a.collateral,
        a.positions.map((p) => {
          const price = prices.get(p.market)!;
          return { ...p, price, conf: price / 2_000n, risk: marketRisk(after.get(p.market)!) };
        }),
      );
      expect(liquidationEligible(h, a.status)).toBe(false);
    }
  });
});
