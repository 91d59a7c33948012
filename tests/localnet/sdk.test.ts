// The SDK against the program on the localnet: an exchange, markets in both oracle layouts and
// traders built through the program, read back through the web3.js and the @solana/kit adapters
// (equal values, equal to Anchor's decoding); liquidation prices checked against where the program
// itself starts flagging, and the health figures against its AccountFlagged and LiquidationRecord
// events; subscriptions through both adapters.
import { createSolanaRpc, createSolanaRpcSubscriptions } from "@solana/kit";
import {
  type AccountState,
  type ExchangeSnapshot,
  MAX_KEYS_PER_CALL,
  RATIO_PRECISION,
  accountHealthSummary,
  confidenceRatio,
  errorCode,
  eventsNamed,
  exchangeAddress,
  findProgramError,
  flagAccountInstruction,
  liquidateInstruction,
  loadExchange,
  marginAccountAddress,
  marketAddress,
  mulDivCeil,
  parseEvents,
  priceAccount,
  subscribeMarginAccount,
  subscribeMarginAccounts,
  subscribeOracle,
  type OracleReading,
} from "@margin-warden/sdk";
import { kitClient } from "@margin-warden/sdk/kit";
import { toWeb3Instruction, web3Client } from "@margin-warden/sdk/web3";
import { ComputeBudgetProgram, PublicKey } from "@solana/web3.js";
import { afterAll, beforeAll, describe as baseDescribe, expect, it } from "vitest";
import {
  PYTH_LEGACY_PROGRAM,
  PYTH_RECEIVER_PROGRAM,
  encodeLegacyPush,
  encodePriceUpdateV2,
} from "../../localnet/src/pyth.js";
import { send, type WorldMarket } from "../../orchestrator/demo/exchange.js";
import { buildWorld, type World } from "../../orchestrator/demo/world.js";
import { EXTERNAL_CLUSTER } from "./helpers.js";

// Oracle accounts can only be written on the native localnet.
const describe = EXTERNAL_CLUSTER ? baseDescribe.skip : baseDescribe;

let world: World;
let web3: ReturnType<typeof web3Client>;
let kit: ReturnType<typeof kitClient>;
let subscriptions: ReturnType<typeof createSolanaRpcSubscriptions>;

beforeAll(async () => {
  world = await buildWorld({ traders: 12, seed: 11, slotMs: 50 });
  web3 = web3Client(world.connection);
  subscriptions = createSolanaRpcSubscriptions(world.localnet.wsUrl);
  kit = kitClient(createSolanaRpc(world.localnet.rpcUrl), subscriptions);
});
afterAll(async () => {
  await world?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);
const withoutSlots = (s: ExchangeSnapshot) => ({
  ...s,
  slot: 0,
  markets: [...s.markets.values()].map((m) => ({ ...m, slot: 0 })),
  accounts: s.accounts.map((a) => ({ ...a, slot: 0 })).sort((x, y) => (x.address < y.address ? -1 : 1)),
});

/** The oracle of `m` at `price` with the confidence ratio `ratio` (as the liquidation-price search assumes). */
async function setOracle(m: WorldMarket, price: bigint, ratio: bigint) {
  const p = { price, conf: mulDivCeil(price, ratio, RATIO_PRECISION), exponent: -6, publishTime: nowS() };
  m.price = price;
  await world.localnet.write(m.oracle, {
    lamports: 10_000_000n,
    owner: m.layout === "v2" ? PYTH_RECEIVER_PROGRAM : PYTH_LEGACY_PROGRAM,
    data: m.layout === "v2" ? encodePriceUpdateV2(m.feedId, p) : encodeLegacyPush(p),
  });
}

async function logsOf(signature: string): Promise<string[]> {
  const tx = await world.connection.getTransaction(signature, {
    commitment: "confirmed",
    maxSupportedTransactionVersion: 0,
  });
  return tx?.meta?.logMessages ?? [];
}

describe("the SDK on the localnet", () => {
  it("reads an exchange through web3.js and kit alike, as the program wrote it and Anchor decodes it", async () => {
    const exchange = world.exchange.toBase58();
    const [viaWeb3, viaKit] = await Promise.all([
      loadExchange(web3, exchange),
      loadExchange(kit, exchange, { perCall: 5 }), // several getMultipleAccounts pages
    ]);
    expect(withoutSlots(viaKit)).toEqual(withoutSlots(viaWeb3));
    expect(MAX_KEYS_PER_CALL).toBe(100);

    // PDAs, the exchange and its vaults.
    expect(exchangeAddress(world.mint.toBase58())).toBe(exchange);
    expect(viaWeb3.exchange).toMatchObject({
      quoteMint: world.mint.toBase58(),
      quoteVault: world.quoteVault.toBase58(),
      insuranceVault: world.insuranceVault.toBase58(),
      marketCount: world.markets.length,
    });
    for (const [i, m] of world.markets.entries()) expect(marketAddress(exchange, i)).toBe(m.address.toBase58());

    // Every trader's account, as Anchor decodes it.
    expect(viaWeb3.accounts.length).toBe(world.traders.length);
    for (const t of world.traders) {
      expect(marginAccountAddress(exchange, t.owner.publicKey.toBase58())).toBe(t.account.toBase58());
      const a = viaWeb3.accounts.find((x) => x.address === t.account.toBase58())!;
      const anchor = await world.program.account.marginAccount.fetch(t.account);
      expect(a.collateral).toBe(BigInt(anchor.collateral.toString()));
      expect(a.status).toBe(anchor.status);
      expect(a.positions).toEqual(
        anchor.positions
          .filter((p) => !p.base.isZero() || !p.quoteEntry.isZero())
          .map((p) => ({
            market: p.market.toBase58(),
            base: BigInt(p.base.toString()),
            quoteEntry: BigInt(p.quoteEntry.toString()),
          })),
      );
    }
    // Markets and oracle prices of both layouts, as written.
    for (const m of world.markets) {
      const market = viaWeb3.markets.get(m.address.toBase58())!;
      const anchor = await world.program.account.market.fetch(m.address);
      expect(market.poolBalance).toBe(BigInt(anchor.poolBalance.toString()));
      expect(market.tiers.length).toBe(anchor.tierCount);
      const reading = viaWeb3.readings.get(market.oracle)!;
      expect({ price: reading.price, conf: reading.conf }).toEqual({ price: m.price, conf: m.price / 2_000n });
    }
    expect(new Set(world.markets.map((m) => m.layout))).toEqual(new Set(["v2", "legacy"]));
  });

  it("puts the liquidation price where the program starts flagging, and matches the program's records", async () => {
    const exchange = world.exchange.toBase58();
    let snapshot = await loadExchange(web3, exchange);
    // The account nearest to liquidation through a single position.
    const candidates = snapshot.accounts
      .filter((a) => a.positions.length > 0)
      .map((a) => ({ a, s: accountHealthSummary(a, priceAccount(a, snapshot.markets, snapshot.readings, nowS())) }))
      .filter(({ s }) => s.positions.some((p) => p.liquidationPrice !== null))
      .sort((x, y) => (x.s.distanceToLiquidation! < y.s.distanceToLiquidation! ? -1 : 1));
    const { a, s } = candidates[0];
    const target = s.positions
      .filter((p) => p.liquidationPrice !== null)
      .sort((x, y) => (x.distanceToLiquidation! < y.distanceToLiquidation! ? -1 : 1))[0];
    const m = world.markets.find((x) => x.address.toBase58() === target.market)!;
    const ratio = confidenceRatio(target.price, target.conf);
    // Every oracle republished now, at unchanged prices, so none goes stale during the test.
    for (const other of world.markets) if (other !== m) await setOracle(other, other.price, 500n);
    const liq = target.liquidationPrice!;
    const healthySide = target.base > 0n ? liq + 1n : liq - 1n;
    // Each attempt its own compute-unit limit: the refused and the accepted flag are different transactions.
    const flag = (units: number) =>
      send(
        world.connection,
        [
          ComputeBudgetProgram.setComputeUnitLimit({ units }),
          toWeb3Instruction(
            flagAccountInstruction({ exchange: snapshot.exchange, account: a, markets: snapshot.markets }),
          ),
        ],
        [world.admin],
      );

    // One unit on the healthy side of it: the program refuses to flag.
    await setOracle(m, healthySide, ratio);
    const refused = await flag(300_000).catch((e: unknown) => e);
    expect(findProgramError(refused)?.code).toBe(errorCode("AccountHealthy"));

    // At it: flagged, with the equity and maintenance the SDK computes at that price.
    await setOracle(m, liq, ratio);
    snapshot = await loadExchange(kit, exchange);
    const at = accountHealthSummary(a, priceAccount(a, snapshot.markets, snapshot.readings, nowS()));
    expect(at.flaggable).toBe(true);
    const flagged = eventsNamed(parseEvents(await logsOf(await flag(300_001))), "accountFlagged");
    expect(flagged.map((e) => [e.data.marginAccount, e.data.equity, e.data.maintenanceRequirement])).toEqual([
      [a.address, at.equity, at.maintenance],
    ]);

    // Then further against it, and liquidated: the record's figures are the SDK's, before and after.
    const crash = target.base > 0n ? (liq * 97n) / 100n : (liq * 103n) / 100n;
    await setOracle(m, crash, ratio);
    snapshot = await loadExchange(kit, exchange);
    const account = snapshot.accounts.find((x) => x.address === a.address)!;
    const before = accountHealthSummary(account, priceAccount(account, snapshot.markets, snapshot.readings, nowS()));
    expect(before.liquidatable).toBe(true);
    const ix = liquidateInstruction({
      liquidator: world.admin.publicKey.toBase58(),
      liquidatorToken: world.adminToken.toBase58(),
      exchange: snapshot.exchange,
      account,
      market: snapshot.markets.get(m.address.toBase58())!,
      markets: snapshot.markets,
      limitPrice: target.base > 0n ? 0n : (1n << 64n) - 1n,
    });
    const signature = await send(
      world.connection,
      [ComputeBudgetProgram.setComputeUnitLimit({ units: 1_400_000 }), toWeb3Instruction(ix)],
      [world.admin],
    );
    const [record] = eventsNamed(parseEvents(await logsOf(signature)), "liquidationRecord");
    expect([record.data.equityBefore, record.data.maintenanceBefore, record.data.liquidationEndBefore]).toEqual([
      before.equity,
      before.maintenance,
      before.liquidationEnd,
    ]);
    expect(record.data.oraclePrice).toBe(crash);
    const afterSnapshot = await loadExchange(web3, exchange);
    const after = afterSnapshot.accounts.find((x) => x.address === a.address)!;
    expect(after.status).toBe(record.data.statusAfter);
    if (after.positions.length > 0) {
      const h = accountHealthSummary(after, priceAccount(after, afterSnapshot.markets, afterSnapshot.readings, nowS()));
      expect([h.equity, h.maintenance, h.liquidationEnd]).toEqual([
        record.data.equityAfter,
        record.data.maintenanceAfter,
        record.data.liquidationEndAfter,
      ]);
    }
  });

  it("delivers account and oracle changes through both adapters' subscriptions", async () => {
    const exchange = world.exchange.toBase58();
    const trader = world.traders[0];
    const m = world.markets[0];
    const market = (await loadExchange(web3, exchange)).markets.get(m.address.toBase58())!;
    const seen = {
      web3: [] as AccountState[],
      kit: [] as AccountState[],
      all: [] as AccountState[],
      prices: [] as bigint[],
    };
    const stops = [
      subscribeMarginAccount(web3, trader.account.toBase58(), (a) => seen.web3.push(a)),
      subscribeMarginAccount(kit, trader.account.toBase58(), (a) => seen.kit.push(a)),
      subscribeMarginAccounts(kit, exchange, (a) => seen.all.push(a)),
      subscribeOracle(web3, market, (r) => {
        if (!(r instanceof Error)) seen.prices.push((r as OracleReading).price);
      }),
    ];
    // Let the subscriptions reach the server before anything changes.
    await new Promise((r) => setTimeout(r, 500));
    await setOracle(m, m.price + 1_000n, 500n);
    // A deposit changes the account: both adapters see the same new state.
    const { getAssociatedTokenAddressSync, createMintToInstruction } = await import("@solana/spl-token");
    const token = getAssociatedTokenAddressSync(world.mint, trader.owner.publicKey);
    const deposit = await world.program.methods
      .deposit(new (await import("bn.js")).default(5_000_000))
      .accounts({
        owner: trader.owner.publicKey,
        exchange: world.exchange,
        marginAccount: trader.account,
        userToken: token,
        quoteVault: world.quoteVault,
      })
      .instruction();
    await send(
      world.connection,
      [createMintToInstruction(world.mint, token, world.admin.publicKey, 5_000_000n), deposit],
      [world.admin, trader.owner],
    );
    const deadline = Date.now() + 10_000;
    while (
      (seen.web3.length === 0 || seen.kit.length === 0 || seen.all.length === 0 || seen.prices.length === 0) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    for (const stop of stops) stop();
    expect(seen.prices).toContain(m.price);
    const last = (xs: AccountState[]) => ({ ...xs[xs.length - 1], slot: 0 });
    expect(last(seen.kit)).toEqual(last(seen.web3));
    expect(last(seen.all.filter((a) => a.address === trader.account.toBase58()))).toEqual(last(seen.web3));
    const now = await world.program.account.marginAccount.fetch(new PublicKey(trader.account));
    expect(last(seen.web3).collateral).toBe(BigInt(now.collateral.toString()));
  });
});
