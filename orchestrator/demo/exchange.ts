// The exchange every localnet world starts from: quote mint, exchange, markets with realistic
// parameters (two PriceUpdateV2 oracles, one legacy push), pools and insurance funds. Accounts the
// localnet cannot create by transaction (oracles, funded keys) go through an AccountWriter, so the
// same code builds a world on a localnet in this process or on one in another process.
import * as anchor from "@coral-xyz/anchor";
import BN from "bn.js";
import {
  type Connection,
  Keypair,
  PublicKey,
  SystemProgram,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import { createAccount, createMint, mintTo } from "@solana/spl-token";
import {
  PYTH_LEGACY_PROGRAM,
  PYTH_RECEIVER_PROGRAM,
  encodeLegacyPush,
  encodePriceUpdateV2,
} from "../../localnet/src/pyth.js";
import { IDL, type Margin } from "../src/chain/idl.js";
import { exchangeAddress, insuranceVaultAddress, marketAddress, quoteVaultAddress } from "../../sdk/src/pda.js";

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

export interface AccountBody {
  lamports: bigint;
  owner: PublicKey;
  data: Buffer;
}

/** Overwrites one account of the localnet (subscribers are notified). */
export type AccountWriter = (key: PublicKey, body: AccountBody) => Promise<void>;

/** `localnet_setAccount` over JSON-RPC, for a localnet running in another process. */
export function rpcAccountWriter(rpcUrl: string, onCall?: () => void): AccountWriter {
  return async (key, body) => {
    onCall?.();
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "localnet_setAccount",
        params: [key.toBase58(), setAccountParam(body)],
      }),
    });
    const reply = (await res.json()) as { error?: { message: string } };
    if (reply.error) throw new Error(`localnet_setAccount ${key.toBase58()}: ${reply.error.message}`);
  };
}

export function setAccountParam(body: AccountBody) {
  if (body.lamports > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("lamports beyond what JSON-RPC carries exactly");
  return {
    lamports: Number(body.lamports),
    owner: body.owner.toBase58(),
    data: [body.data.toString("base64"), "base64"],
    executable: false,
  };
}

export const systemAccount = (lamports: bigint): AccountBody => ({
  lamports,
  owner: SystemProgram.programId,
  data: Buffer.alloc(0),
});

/** The oracle account of `m` at `price`, published `ageS` seconds ago, as a Pyth publisher writes it. */
export function oracleAccount(m: WorldMarket, price: bigint, ageS = 0): AccountBody {
  const p = { price, conf: price / 2_000n, exponent: -6, publishTime: Math.floor(Date.now() / 1000) - ageS };
  return {
    lamports: 10_000_000n,
    owner: m.layout === "v2" ? PYTH_RECEIVER_PROGRAM : PYTH_LEGACY_PROGRAM,
    data: m.layout === "v2" ? encodePriceUpdateV2(m.feedId, p) : encodeLegacyPush(p),
  };
}

export const pda = (programId: PublicKey, ...seeds: (Buffer | PublicKey)[]) =>
  PublicKey.findProgramAddressSync(
    seeds.map((s) => (s instanceof PublicKey ? s.toBuffer() : s)),
    programId,
  )[0];

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

export function marketParams(oracleOwner: PublicKey, layout: "v2" | "legacy", feedId: Buffer) {
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
    // λ 0.999 per second: a half-life of ~11.5 minutes, so a crash's add-on outlasts its liquidations.
    ewmaLambda: 999_000,
    volMultiplier: 8_000_000,
    volAddonCap: 50_000,
  };
}

export async function send(connection: Connection, ixs: TransactionInstruction[], signers: Keypair[]): Promise<string> {
  const tx = new Transaction().add(...ixs);
  const latest = await connection.getLatestBlockhash("confirmed");
  tx.recentBlockhash = latest.blockhash;
  tx.feePayer = signers[0].publicKey;
  tx.sign(...signers);
  const signature = await connection.sendRawTransaction(tx.serialize(), {
    skipPreflight: false,
    preflightCommitment: "confirmed",
  });
  const res = await connection.confirmTransaction({ signature, ...latest }, "confirmed");
  if (res.value.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(res.value.err)}`);
  return signature;
}

export interface Exchange {
  connection: Connection;
  admin: Keypair;
  program: anchor.Program<Margin>;
  mint: PublicKey;
  /** The admin's quote token account, holding what is left of the minted supply. */
  adminToken: PublicKey;
  exchange: PublicKey;
  quoteVault: PublicKey;
  insuranceVault: PublicKey;
  markets: WorldMarket[];
}

export interface ExchangeOptions {
  markets?: MarketSpec[];
  /** Fixed keys make two builds from the same seed address-for-address identical. */
  admin?: Keypair;
  mint?: Keypair;
  oracles?: PublicKey[];
  onProgress?(msg: string): void;
}

export async function createExchange(
  connection: Connection,
  write: AccountWriter,
  opts: ExchangeOptions = {},
): Promise<Exchange> {
  const admin = opts.admin ?? Keypair.generate();
  await write(admin.publicKey, systemAccount(1_000_000_000_000n));
  const program = new anchor.Program<Margin>(
    IDL,
    new anchor.AnchorProvider(connection, new anchor.Wallet(admin), { commitment: "confirmed" }),
  );
  const programId = program.programId;
  const mint = await createMint(connection, admin, admin.publicKey, null, 6, opts.mint);
  const adminToken = await createAccount(connection, admin, mint, admin.publicKey);
  await mintTo(connection, admin, mint, adminToken, admin, 1_000_000_000n * USD);
  const id = programId.toBase58();
  const exchange = new PublicKey(exchangeAddress(mint.toBase58(), id));
  const quoteVault = new PublicKey(quoteVaultAddress(exchange.toBase58(), id));
  const insuranceVault = new PublicKey(insuranceVaultAddress(exchange.toBase58(), id));
  await program.methods.initializeExchange().accounts({ quoteMint: mint }).rpc();

  const markets: WorldMarket[] = [];
  for (const [i, spec] of (opts.markets ?? DEFAULT_MARKETS).entries()) {
    const m: WorldMarket = {
      symbol: spec.symbol,
      layout: spec.layout,
      address: new PublicKey(marketAddress(exchange.toBase58(), i, id)),
      oracle: opts.oracles?.[i] ?? Keypair.generate().publicKey,
      feedId: Buffer.alloc(32, i + 1),
      price: spec.priceUsd * USD,
    };
    markets.push(m);
    await write(m.oracle, oracleAccount(m, m.price));
    const owner = spec.layout === "v2" ? PYTH_RECEIVER_PROGRAM : PYTH_LEGACY_PROGRAM;
    await program.methods
      .createMarket(marketParams(owner, spec.layout, m.feedId))
      .accounts({ exchange, oracle: m.oracle })
      .rpc();
    await program.methods
      .poolLiquidity(new BN((spec.poolUsd * USD).toString()))
      .accounts({ exchange, market: m.address, adminToken, quoteVault })
      .rpc();
    await program.methods
      .fundInsurance(new BN((spec.insuranceUsd * USD).toString()))
      .accounts({ exchange, market: m.address, funderToken: adminToken, insuranceVault })
      .rpc();
    opts.onProgress?.(
      `market ${spec.symbol} at $${spec.priceUsd} (${spec.layout === "v2" ? "PriceUpdateV2" : "legacy push"} oracle), pool $${spec.poolUsd}, insurance $${spec.insuranceUsd}`,
    );
  }
  return { connection, admin, program, mint, adminToken, exchange, quoteVault, insuranceVault, markets };
}
