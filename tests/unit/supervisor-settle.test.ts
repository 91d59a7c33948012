// An account that covered its recorded shortfalls (collateral ≥ 0, a non-empty record) is owed to
// those markets' pools: the supervisor asks for one settlement per on-chain state, and never for an
// account without a record or still in deficit.
import { describe, expect, it } from "vitest";
import { Supervisor, type Effects, type World } from "../../orchestrator/src/actors/supervisor.js";
import type { Evaluation } from "../../orchestrator/src/risk/evaluate.js";
import { ChainStatus, type AccountState, type MarketState } from "../../orchestrator/src/risk/types.js";

function account(collateral: bigint, shortfallMarkets: number[], digest = 0n): AccountState {
  return {
    address: "acct",
    owner: "o",
    exchange: "e",
    collateral,
    lastActiveSlot: digest,
    liquidationId: 1n,
    status: ChainStatus.Healthy,
    positions: [],
    shortfallMarkets,
    slot: 10,
  };
}

function setup() {
  const accounts = new Map<string, AccountState>();
  const markets = new Map<string, MarketState>();
  const world: World = {
    accounts,
    markets,
    prices: new Map(),
    freshness: () => ({ currentSlot: 10, nowS: 1_000, maxAccountAgeSlots: 100, maxOracleAgeSlots: 100 }),
  };
  const settled: Array<{ account: string; stepKey: string }> = [];
  const claimed: Array<{ account: string; market: string }> = [];
  const noop = () => {};
  const persisted: string[] = [];
  const enqueued: string[] = [];
  const effects: Effects = {
    enqueue: (kind, ctx) => enqueued.push(`${kind} ${ctx.stepKey}`),
    notifyMarginCall: noop,
    reread: noop,
    recordWait: noop,
    persist: (account) => persisted.push(account),
    transition: noop,
    settle: (a: AccountState, ev: Evaluation) => settled.push({ account: a.address, stepKey: ev.stepKey }),
    claim: (a: AccountState, _ev: Evaluation, market: string) => claimed.push({ account: a.address, market }),
  };
  const supervisor = new Supervisor(world, effects, { marginCallBandPpm: 100_000n, confirmTimeoutMs: 30_000 });
  return { accounts, supervisor, settled, claimed, markets, persisted, enqueued };
}

describe("routing observations to an actor", () => {
  it("does not send an actor the observation it already holds, and sends a changed one", () => {
    const { accounts, supervisor, persisted, enqueued } = setup();
    accounts.set("acct", account(-5_000_000n, []));
    supervisor.observe("acct");
    expect(enqueued).toHaveLength(1);
    const transitions = persisted.length;
    // A tick or notification that changes nothing the machine reads: no event, no snapshot write.
    supervisor.observe("acct");
    accounts.set("acct", { ...account(-5_000_000n, []), slot: 11 });
    supervisor.observe("acct");
    expect(persisted).toHaveLength(transitions);
    // A new on-chain state is a new step.
    accounts.set("acct", account(-4_000_000n, []));
    supervisor.observe("acct");
    expect(persisted.length).toBeGreaterThan(transitions);
    expect(enqueued).toHaveLength(2);
    expect(enqueued[0]).not.toBe(enqueued[1]);
  });
});

describe("settling a covered shortfall record", () => {
  it("asks once per on-chain state, again when the state changes", () => {
    const { accounts, supervisor, settled } = setup();
    accounts.set("acct", account(5_000_000n, [2]));
    supervisor.observe("acct");
    supervisor.observe("acct");
    expect(settled).toHaveLength(1);
    accounts.set("acct", account(6_000_000n, [2]));
    supervisor.observe("acct");
    expect(settled).toHaveLength(2);
    expect(settled[0].stepKey).not.toBe(settled[1].stepKey);
  });

  it("does not ask without a record, or while the account is still in deficit", () => {
    const { accounts, supervisor, settled } = setup();
    accounts.set("acct", account(5_000_000n, []));
    supervisor.observe("acct");
    accounts.set("acct", account(-1n, [0]));
    supervisor.observe("acct");
    expect(settled).toEqual([]);
  });
});

describe("paying a claim on a pool", () => {
  let slot = 0;
  const market = (poolBalance: bigint) =>
    ({
      address: "ETH",
      index: 3,
      poolBalance,
      slot: ++slot,
      tiers: [],
      addonRatio: 0n,
      bufferRatio: 0n,
      maxConfRatioLiquidate: 0n,
    }) as unknown as MarketState;

  it("asks when the pool holds money, once per account and market state, and again when the pool receives more", () => {
    const { accounts, supervisor, claimed, markets } = setup();
    accounts.set("acct", { ...account(5_000_000n, []), claims: [{ marketIndex: 3, amount: 700n }] });
    markets.set("ETH", market(0n));
    supervisor.onMarket(markets.get("ETH")!);
    supervisor.observe("acct");
    expect(claimed).toEqual([]);
    markets.set("ETH", market(500n));
    supervisor.onMarket(markets.get("ETH")!);
    expect(claimed).toEqual([{ account: "acct", market: "ETH" }]);
    supervisor.observe("acct");
    expect(claimed).toHaveLength(1);
    markets.set("ETH", market(900n));
    supervisor.onMarket(markets.get("ETH")!);
    expect(claimed).toHaveLength(2);
  });

  it("does not ask for a claim on another market", () => {
    const { accounts, supervisor, claimed, markets } = setup();
    accounts.set("acct", { ...account(5_000_000n, []), claims: [{ marketIndex: 4, amount: 700n }] });
    markets.set("ETH", market(500n));
    supervisor.observe("acct");
    expect(claimed).toEqual([]);
  });
});
