// Markets, trading and liquidation through the localnet with real clients; program errors are
// asserted by number. Oracles are written in the Pyth layouts with the localnet's setAccount.
import { afterAll, beforeAll, describe as baseDescribe, expect, it } from "vitest";
import * as anchor from "@coral-xyz/anchor";
import BN from "bn.js";
import { Keypair, type PublicKey } from "@solana/web3.js";
import { createAccount, createMint, getAccount, mintTo } from "@solana/spl-token";
import { parsePriceData } from "@pythnetwork/client";
import { EXTERNAL_CLUSTER, IDL, airdrop, pda, startEnv, type Env } from "./helpers.js";
import type { Margin } from "../../idl/margin.js";
import { PYTH_RECEIVER_PROGRAM, encodeLegacyPush, encodePriceUpdateV2 } from "../../localnet/src/pyth.js";

// Oracle accounts can only be written on the native localnet.
const describe = EXTERNAL_CLUSTER ? baseDescribe.skip : baseDescribe;

const USD = 1_000_000n;
const ONE = 1_000_000_000n;
const FEED = Buffer.alloc(32, 7);

let env: Env;
let mint: PublicKey;
let exchange: PublicKey;
let quoteVault: PublicKey;
let insuranceVault: PublicKey;
let market: PublicKey;
const oracle = Keypair.generate().publicKey;
let adminToken: PublicKey;

function marketParams() {
  return {
    oracleLayout: { priceUpdateV2: {} },
    oracleOwner: PYTH_RECEIVER_PROGRAM,
    feedId: [...FEED],
    maxOracleAgeOpenS: 30,
    maxOracleAgeLiquidateS: 120,
    maxConfRatioOpen: 10_000,
    maxConfRatioLiquidate: 20_000,
    tiers: [
      { notionalUpper: new BN(100_000_000_000), initialRatio: 100_000, maintenanceRatio: 50_000 },
      { notionalUpper: new BN(0), initialRatio: 200_000, maintenanceRatio: 100_000 },
    ],
    liquidationBufferRatio: 10_000,
    liquidatorFeeRatio: 5_000,
    insuranceFeeRatio: 2_500,
    maxLiquidationNotional: new BN(250_000_000_000),
    minRemainderNotional: new BN(50_000_000),
    baseImpactRatio: 500,
    impactRatioPerMillion: 1_000,
    maxImpactRatio: 5_000,
    maxOpenInterestBase: new BN("1000000000000000"),
    ewmaLambda: 999_000,
    volMultiplier: 2_000_000,
    volAddonCap: 100_000,
  };
}

function setOracle(priceUsd: bigint, ageS = 0) {
  const now = Math.floor(Date.now() / 1000);
  const data = encodePriceUpdateV2(FEED, {
    price: priceUsd,
    conf: priceUsd / 2000n,
    exponent: -6,
    publishTime: now - ageS,
  });
  env.localnet!.ledger.setAccount(oracle.toBase58(), {
    lamports: 10_000_000n,
    owner: PYTH_RECEIVER_PROGRAM.toBase58(),
    data,
    executable: false,
    rentEpoch: 0n,
  });
}

interface Trader {
  kp: Keypair;
  program: anchor.Program<Margin>;
  token: PublicKey;
  account: PublicKey;
}

async function trader(depositUsd: bigint): Promise<Trader> {
  const kp = Keypair.generate();
  await airdrop(env.connection, kp.publicKey, 2);
  const program = new anchor.Program<Margin>(
    IDL,
    new anchor.AnchorProvider(env.connection, new anchor.Wallet(kp), { commitment: "confirmed" }),
  );
  const token = await createAccount(env.connection, kp, mint, kp.publicKey);
  await mintTo(env.connection, env.admin, mint, token, env.admin, depositUsd * USD + 1n);
  await program.methods.createMarginAccount().accounts({ exchange }).rpc();
  const account = pda([Buffer.from("margin"), exchange, kp.publicKey], env.program.programId);
  if (depositUsd > 0n) {
    await program.methods
      .deposit(new BN((depositUsd * USD).toString()))
      .accounts({ exchange, marginAccount: account, userToken: token, quoteVault })
      .rpc();
  }
  return { kp, program, token, account };
}

function trade(t: Trader, base: bigint, limit: bigint) {
  return t.program.methods
    .trade(new BN(base.toString()), new BN(limit.toString()))
    .accounts({ exchange, marginAccount: t.account, market, oracle })
    .rpc();
}

function liquidate(keeper: Trader, target: Trader, limit: bigint) {
  return keeper.program.methods
    .liquidate(new BN(limit.toString()))
    .accounts({
      exchange,
      marginAccount: target.account,
      market,
      oracle,
      liquidatorToken: keeper.token,
      quoteVault,
      insuranceVault,
    })
    .rpc();
}

beforeAll(async () => {
  if (EXTERNAL_CLUSTER) return;
  env = await startEnv();
  mint = await createMint(env.connection, env.admin, env.admin.publicKey, null, 6);
  adminToken = await createAccount(env.connection, env.admin, mint, env.admin.publicKey);
  await mintTo(env.connection, env.admin, mint, adminToken, env.admin, 100_000_000n * USD);
  exchange = pda([Buffer.from("exchange"), mint], env.program.programId);
  quoteVault = pda([Buffer.from("quote_vault"), exchange], env.program.programId);
  insuranceVault = pda([Buffer.from("insurance_vault"), exchange], env.program.programId);
  market = pda([Buffer.from("market"), exchange, Buffer.from([0, 0])], env.program.programId);
  await env.program.methods.initializeExchange().accounts({ quoteMint: mint }).rpc();
  setOracle(100n * USD);
  await env.program.methods.createMarket(marketParams()).accounts({ exchange, oracle }).rpc();
  await env.program.methods
    .poolLiquidity(new BN((1_000_000n * USD).toString()))
    .accounts({ exchange, market, adminToken, quoteVault })
    .rpc();
  await env.program.methods
    .fundInsurance(new BN((50_000n * USD).toString()))
    .accounts({ exchange, market, funderToken: adminToken, insuranceVault })
    .rpc();
});

afterAll(async () => {
  await env?.close();
});

describe("markets through the localnet", () => {
  it("creates a market whose oracle, pool and insurance fund are in place", async () => {
    const state = await env.program.account.market.fetch(market);
    expect(state.oracle.toBase58()).toBe(oracle.toBase58());
    expect(state.poolBalance.toString()).toBe((1_000_000n * USD).toString());
    expect(state.insuranceBalance.toString()).toBe((50_000n * USD).toString());
    expect((await getAccount(env.connection, insuranceVault)).amount).toBe(50_000n * USD);
  });

  it("writes legacy push accounts that @pythnetwork/client parses", () => {
    const data = encodeLegacyPush({
      price: 12_345_678_900n,
      conf: 1_000_000n,
      exponent: -8,
      publishTime: 1_700_000_000,
    });
    const parsed = parsePriceData(data);
    expect(parsed.aggregate.price).toBeCloseTo(123.456789, 6);
    expect(parsed.confidence).toBeCloseTo(0.01, 8);
    expect(parsed.exponent).toBe(-8);
    expect(parsed.timestamp).toBe(1_700_000_000n);
  });

  it("trades and refuses what the margin rules forbid, by error number", async () => {
    setOracle(100n * USD);
    const t = await trader(1_000n);
    await trade(t, 50n * ONE, 101n * USD);
    const account = await env.program.account.marginAccount.fetch(t.account);
    expect(account.positions[0].base.toString()).toBe((50n * ONE).toString());

    await expect(trade(t, 100n * ONE, 101n * USD)).rejects.toMatchObject({ error: { errorCode: { number: 6017 } } });
    await expect(trade(t, ONE, 100n * USD)).rejects.toMatchObject({ error: { errorCode: { number: 6018 } } });
    // Well past the 30 s open limit: the chain's clock is set when a slot is produced, so it can
    // trail the wall clock by a second and an age of 31 s would read as 30 s.
    setOracle(100n * USD, 45);
    await expect(trade(t, ONE, 101n * USD)).rejects.toMatchObject({ error: { errorCode: { number: 6014 } } });
    setOracle(100n * USD);

    const keeper = await trader(0n);
    await expect(liquidate(keeper, t, 0n)).rejects.toMatchObject({ error: { errorCode: { number: 6022 } } });
    await expect(
      keeper.program.methods
        .updateMarket(marketParams())
        .accounts({ admin: keeper.kp.publicKey, exchange, market })
        .rpc(),
    ).rejects.toMatchObject({ error: { errorCode: { number: 6005 } } });
  });

  it("liquidates an account below maintenance and reports it in a LiquidationRecord", async () => {
    setOracle(100n * USD);
    const t = await trader(1_000n);
    await trade(t, 90n * ONE, 101n * USD);
    const keeper = await trader(0n);
    setOracle(93_500_000n);
    const signature = await liquidate(keeper, t, 90n * USD);
    const tx = await env.connection.getTransaction(signature, {
      commitment: "confirmed",
      maxSupportedTransactionVersion: 0,
    });
    const parser = new anchor.EventParser(env.program.programId, new anchor.BorshCoder(env.program.idl));
    const record = [...parser.parseLogs(tx!.meta!.logMessages!)].find((e) => e.name === "liquidationRecord");
    expect(record).toBeDefined();
    const data = record!.data as Record<string, BN>;
    expect(BigInt(data.closedBase.toString())).toBeLessThan(0n);
    expect(BigInt(data.equityAfter.toString())).toBeGreaterThanOrEqual(BigInt(data.liquidationEndAfter.toString()));
    expect(data.statusAfter).toBe(0);
    expect((await getAccount(env.connection, keeper.token)).amount).toBe(1n + BigInt(data.liquidatorFee.toString()));
  });
});
