// A complete exchange on the native localnet for the demo and the end-to-end tests: quote mint,
// exchange, markets with realistic parameters (two PriceUpdateV2 oracles, one legacy push), pools,
// insurance funds and traders with varied leverage. Oracle prices are written straight into the
// ledger, as a Pyth publisher would update them.
import * as anchor from "@coral-xyz/anchor";
import BN from "bn.js";
import { ComputeBudgetProgram, Connection, Keypair, PublicKey, SystemProgram, Transaction, type TransactionInstruction } from "@solana/web3.js";
import { createAssociatedTokenAccountIdempotentInstruction, createMintToInstruction, getAssociatedTokenAddressSync, createMint, createAccount, mintTo } from "@solana/spl-token";
import { startLocalnet, type Localnet } from "../../localnet/src/server.js";
import { PYTH_LEGACY_PROGRAM, PYTH_RECEIVER_PROGRAM, encodeLegacyPush, encodePriceUpdateV2 } from "../../localnet/src/pyth.js";
import { IDL, type Margin } from "../src/chain/idl.js";

export const USD = 1_000_000n;
export const ONE = 1_000_000_000n;
const UNBOUNDED = new BN(0);

export interface MarketSpec {
  symbol: string;
  layout: "v2" | "legacy";
  priceUsd: bigint;
  poolUsd: bigint;
  insuranceUsd: bigint;
}

export const DEFAULT_MARKETS: MarketSpec[] = [
  { symbol: "SOL-PERP", layout: "v2", priceUsd: 150n, poolUsd: 5_000_000n, insuranceUsd: 20_000n },
  { symbol: "BTC-PERP", layout: "v2", priceUsd: 60_000n, poolUsd: 10_000_000n, insuranceUsd: 40_000n },
  { symbol: "ETH-PERP", layout: "legacy", priceUsd: 3_000n, poolUsd: 5_000_000n, insuranceUsd: 20_000n },
];

export interface WorldMarket {
  symbol: string;
  layout: "v2" | "legacy";
  address: PublicKey;
  oracle: PublicKey;
  feedId: Buffer;
  /** Current oracle price, 1e6. */
  price: bigint;
}

export interface Trader {
  owner: Keypair;
  account: PublicKey;
  depositUsd: bigint;
  /** Base units per market symbol (signed). */
  positions: Record<string, bigint>;
}

export interface World {
  localnet: Localnet;
  connection: Connection;
  admin: Keypair;
  program: anchor.Program<Margin>;
  mint: PublicKey;
  exchange: PublicKey;
  quoteVault: PublicKey;
  insuranceVault: PublicKey;
  markets: WorldMarket[];
  traders: Trader[];
  setPrice(symbol: string, price: bigint, ageS?: number): void;
  refresh(symbol: string): Promise<void>;
  close(): Promise<void>;
}

const pda = (programId: PublicKey, ...seeds: (Buffer | PublicKey)[]) =>
  PublicKey.findProgramAddressSync(seeds.map((s) => (s instanceof PublicKey ? s.toBuffer() : s)), programId)[0];

/** A small deterministic PRNG so every run builds the same book. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function marketParams(oracleOwner: PublicKey, layout: "v2" | "legacy", feedId: Buffer) {
  return {
    oracleLayout: layout === "v2" ? { priceUpdateV2: {} } : { legacyPush: {} },
    oracleOwner,
    feedId: [...feedId],
    maxOracleAgeOpenS: 60,
    maxOracleAgeLiquidateS: 120,
    maxConfRatioOpen: 10_000,
    maxConfRatioLiquidate: 20_000,
    // Initial/maintenance: 10%/5% up to $100k notional, 20%/10% up to $1M, 40%/20% beyond.
    tiers: [
      { notionalUpper: new BN((100_000n * USD).toString()), initialRatio: 100_000, maintenanceRatio: 50_000 },
      { notionalUpper: new BN((1_000_000n * USD).toString()), initialRatio: 200_000, maintenanceRatio: 100_000 },
      { notionalUpper: UNBOUNDED, initialRatio: 400_000, maintenanceRatio: 200_000 },
    ],
    liquidationBufferRatio: 10_000,
    liquidatorFeeRatio: 5_000,
    insuranceFeeRatio: 2_500,
    maxLiquidationNotional: new BN((25_000n * USD).toString()),
    minRemainderNotional: new BN((50n * USD).toString()),
    baseImpactRatio: 500,
    impactRatioPerMillion: 1_000,
    maxImpactRatio: 10_000,
    maxOpenInterestBase: new BN("1000000000000000000"),
    ewmaLambda: 940_000,
    volMultiplier: 1_000_000,
    volAddonCap: 50_000,
  };
}

async function send(connection: Connection, ixs: TransactionInstruction[], signers: Keypair[]): Promise<string> {
  const tx = new Transaction().add(...ixs);
  const latest = await connection.getLatestBlockhash("confirmed");
  tx.recentBlockhash = latest.blockhash;
  tx.feePayer = signers[0].publicKey;
  tx.sign(...signers);
  const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: false, preflightCommitment: "confirmed" });
  const res = await connection.confirmTransaction({ signature, ...latest }, "confirmed");
  if (res.value.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(res.value.err)}`);
  return signature;
}

export interface WorldOptions {
  traders: number;
  seed?: number;
  slotMs?: number;
  markets?: MarketSpec[];
  onProgress?(msg: string): void;
}

export async function buildWorld(opts: WorldOptions): Promise<World> {
  const localnet = await startLocalnet({ port: 0, slotMs: opts.slotMs ?? 100 });
  const connection = new Connection(localnet.rpcUrl, { commitment: "confirmed", wsEndpoint: localnet.wsUrl });
  const admin = Keypair.generate();
  const fund = (key: PublicKey, lamports: bigint) =>
    localnet.ledger.setAccount(key.toBase58(), { lamports, owner: SystemProgram.programId.toBase58(), data: Buffer.alloc(0), executable: false, rentEpoch: 0n });
  fund(admin.publicKey, 1_000_000_000_000n);
  const program = new anchor.Program<Margin>(IDL, new anchor.AnchorProvider(connection, new anchor.Wallet(admin), { commitment: "confirmed" }));
  const programId = program.programId;
  const mint = await createMint(connection, admin, admin.publicKey, null, 6);
  const adminToken = await createAccount(connection, admin, mint, admin.publicKey);
  await mintTo(connection, admin, mint, adminToken, admin, 1_000_000_000n * USD);
  const exchange = pda(programId, Buffer.from("exchange"), mint);
  const quoteVault = pda(programId, Buffer.from("quote_vault"), exchange);
  const insuranceVault = pda(programId, Buffer.from("insurance_vault"), exchange);
  await program.methods.initializeExchange().accounts({ quoteMint: mint }).rpc();

  const markets: WorldMarket[] = [];
  const world: World = {
    localnet,
    connection,
    admin,
    program,
    mint,
    exchange,
    quoteVault,
    insuranceVault,
    markets,
    traders: [],
    setPrice(symbol, price, ageS = 0) {
      const m = markets.find((x) => x.symbol === symbol)!;
      m.price = price;
      const p = { price, conf: price / 2_000n, exponent: -6, publishTime: Math.floor(Date.now() / 1000) - ageS };
      const data = m.layout === "v2" ? encodePriceUpdateV2(m.feedId, p) : encodeLegacyPush(p);
      const owner = m.layout === "v2" ? PYTH_RECEIVER_PROGRAM : PYTH_LEGACY_PROGRAM;
      localnet.ledger.setAccount(m.oracle.toBase58(), { lamports: 10_000_000n, owner: owner.toBase58(), data, executable: false, rentEpoch: 0n });
    },
    async refresh(symbol) {
      const m = markets.find((x) => x.symbol === symbol)!;
      await program.methods.refreshMarket().accounts({ market: m.address, oracle: m.oracle }).rpc();
    },
    async close() {
      const socket = (connection as unknown as { _rpcWebSocket: { close(): void; reconnect?: boolean } })._rpcWebSocket;
      socket.reconnect = false;
      socket.close();
      await localnet.close();
    },
  };

  for (const [i, spec] of (opts.markets ?? DEFAULT_MARKETS).entries()) {
    const index = Buffer.alloc(2);
    index.writeUInt16LE(i);
    const m: WorldMarket = {
      symbol: spec.symbol,
      layout: spec.layout,
      address: pda(programId, Buffer.from("market"), exchange, index),
      oracle: Keypair.generate().publicKey,
      feedId: Buffer.alloc(32, i + 1),
      price: spec.priceUsd * USD,
    };
    markets.push(m);
    world.setPrice(spec.symbol, m.price);
    const owner = spec.layout === "v2" ? PYTH_RECEIVER_PROGRAM : PYTH_LEGACY_PROGRAM;
    await program.methods.createMarket(marketParams(owner, spec.layout, m.feedId)).accounts({ exchange, oracle: m.oracle }).rpc();
    await program.methods.poolLiquidity(new BN((spec.poolUsd * USD).toString())).accounts({ exchange, market: m.address, adminToken, quoteVault }).rpc();
    await program.methods.fundInsurance(new BN((spec.insuranceUsd * USD).toString())).accounts({ exchange, market: m.address, funderToken: adminToken, insuranceVault }).rpc();
    opts.onProgress?.(`market ${spec.symbol} at $${spec.priceUsd} (${spec.layout === "v2" ? "PriceUpdateV2" : "legacy push"} oracle), pool $${spec.poolUsd}, insurance $${spec.insuranceUsd}`);
  }

  const random = rng(opts.seed ?? 7);
  const traders: Trader[] = [];
  for (let i = 0; i < opts.traders; i++) {
    const owner = Keypair.generate();
    fund(owner.publicKey, 1_000_000_000n);
    // Leverage mostly 2x–5x with a tail up to 9.5x (initial margin allows 10x); mostly long.
    const depositUsd = BigInt(1_000 + Math.floor(random() * 19) * 1_000);
    const u = random();
    const leverage = u < 0.75 ? 2 + u * 4 : 5 + (u - 0.75) * 18;
    const two = random() < 0.3;
    const picks = two ? [markets[i % markets.length], markets[(i + 1) % markets.length]] : [markets[i % markets.length]];
    const positions: Record<string, bigint> = {};
    for (const m of picks) {
      const long = random() < 0.8;
      const notionalUsd = (Number(depositUsd) * leverage) / picks.length;
      const base = BigInt(Math.floor((notionalUsd / (Number(m.price) / 1e6)) * 1e9));
      positions[m.symbol] = long ? base : -base;
    }
    traders.push({ owner, account: pda(programId, Buffer.from("margin"), exchange, owner.publicKey), depositUsd, positions });
  }

  const userProgram = (kp: Keypair) => new anchor.Program<Margin>(IDL, new anchor.AnchorProvider(connection, new anchor.Wallet(kp), { commitment: "confirmed" }));
  const CHUNK = 16;
  for (let i = 0; i < traders.length; i += CHUNK) {
    // Publishers keep prices fresh; opening positions needs a recent one.
    for (const m of markets) world.setPrice(m.symbol, m.price);
    await Promise.all(
      traders.slice(i, i + CHUNK).map(async (t) => {
        const p = userProgram(t.owner);
        const token = getAssociatedTokenAddressSync(mint, t.owner.publicKey);
        const amount = t.depositUsd * USD;
        await send(
          connection,
          [
            createAssociatedTokenAccountIdempotentInstruction(admin.publicKey, token, t.owner.publicKey, mint),
            createMintToInstruction(mint, token, admin.publicKey, amount),
            await p.methods.createMarginAccount().accounts({ owner: t.owner.publicKey, exchange }).instruction(),
            await p.methods.deposit(new BN(amount.toString())).accounts({ owner: t.owner.publicKey, exchange, marginAccount: t.account, userToken: token, quoteVault }).instruction(),
          ],
          [admin, t.owner],
        );
        // Trades one by one: each leg must pass the initial margin with the legs before it.
        const held: WorldMarket[] = [];
        for (const [symbol, base] of Object.entries(t.positions)) {
          const m = markets.find((x) => x.symbol === symbol)!;
          const limit = base > 0n ? (m.price * 102n) / 100n : (m.price * 98n) / 100n;
          const remaining = held.flatMap((h) => [
            { pubkey: h.address, isSigner: false, isWritable: false },
            { pubkey: h.oracle, isSigner: false, isWritable: false },
          ]);
          const ix = await p.methods
            .trade(new BN(base.toString()), new BN(limit.toString()))
            .accounts({ owner: t.owner.publicKey, exchange, marginAccount: t.account, market: m.address, oracle: m.oracle })
            .remainingAccounts(remaining)
            .instruction();
          try {
            await send(connection, [ComputeBudgetProgram.setComputeUnitLimit({ units: 400_000 }), ix], [t.owner]);
            held.push(m);
          } catch {
            // Refused (e.g. slightly above initial margin after impact): the trader keeps the rest.
            delete t.positions[symbol];
          }
        }
      }),
    );
    opts.onProgress?.(`traders ${Math.min(i + CHUNK, traders.length)}/${traders.length}`);
  }
  world.traders = traders;
  return world;
}
