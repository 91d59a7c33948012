// The wave's world, built over JSON-RPC on a localnet in another process: the demo's exchange and
// markets, and N cross-margined traders (a long on market A, a smaller leg on B) whose leverage is
// chosen so that one crash of A's oracle leaves every one of them below maintenance, at a spread
// of depths: a few percent go bankrupt, the rest need one to a few partial steps. Keys come from
// the seed, so two builds with one seed are identical account for account.
import { createHash } from "node:crypto";
import BN from "bn.js";
import bs58 from "bs58";
import {
  ComputeBudgetProgram,
  Keypair,
  type PublicKey,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createMintToInstruction,
  getAssociatedTokenAddressSync,
} from "@solana/spl-token";
import {
  EXCHANGE_OFFSET,
  MARGIN_ACCOUNT_SIZE,
  decodeMarginAccount,
  decodeMarket,
  discriminator,
} from "../../src/chain/accounts.js";
import { readOracle } from "../../src/chain/oracle.js";
import { evaluate, type Evaluation } from "../../src/risk/evaluate.js";
import type { MarketState, PriceState } from "../../src/risk/types.js";
import {
  DEFAULT_MARKETS,
  USD,
  createExchange,
  oracleAccount,
  pda,
  rng,
  setAccountParam,
  systemAccount,
  type Exchange,
  type WorldMarket,
} from "../../demo/exchange.js";
import type { RemoteLocalnet } from "../../demo/localnet-process.js";
import { sleep } from "../../demo/processes.js";

/** Market A's oracle moves by this much in one write. */
export const CRASH = 0.2;
/** Setup transactions in flight at once. */
const IN_FLIGHT = 48;
/** How often the publisher rewrites every oracle with a fresh publish time (same price). */
const PUBLISH_EVERY_MS = 5_000;

export interface WaveTrader {
  owner: Keypair;
  account: PublicKey;
  depositUsd: number;
  /** The equity / notional ratio aimed for right after the crash (maintenance is 5%). */
  targetRatio: number;
}

export interface WaveWorld {
  ex: Exchange;
  traders: WaveTrader[];
  /** Market A: the one that crashes. */
  crashMarket: WorldMarket;
  crashPrice: bigint;
  /** Writes A's oracle at the crash price; returns the slot read just before and the wall time of the write. */
  crash(): Promise<{ slot: number; atMs: number }>;
  stopPublisher(): Promise<void>;
}

const keypairFor = (seed: number, label: string) =>
  Keypair.fromSeed(createHash("sha256").update(`wave|${seed}|${label}`).digest());

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/** Sends with preflight and waits for the signature; the localnet executes on receipt. */
async function sendTx(
  local: RemoteLocalnet,
  blockhash: () => Promise<string>,
  ixs: TransactionInstruction[],
  signers: Keypair[],
): Promise<void> {
  const tx = new Transaction().add(...ixs);
  tx.recentBlockhash = await blockhash();
  tx.feePayer = signers[0].publicKey;
  tx.sign(...signers);
  // Verifying our own fresh signatures again would cost more CPU than signing them.
  const signature = await local.connection.sendRawTransaction(tx.serialize({ verifySignatures: false }), {
    preflightCommitment: "confirmed",
  });
  for (let i = 0; i < 300; i++) {
    const status = (await local.connection.getSignatureStatuses([signature])).value[0];
    if (status?.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(status.err)}`);
    if (status) return;
    await sleep(100);
  }
  throw new Error(`transaction ${signature} not confirmed`);
}

export async function buildWaveWorld(
  local: RemoteLocalnet,
  n: number,
  seed: number,
  say: (msg: string) => void,
): Promise<WaveWorld> {
  const { connection } = local;
  const ex = await createExchange(connection, local.write, {
    // Pools deep enough to back the wave's net long (up to ~$80M on market A at N = 3,000): the
    // program sizes the traders' net position against the pool's capital.
    markets: DEFAULT_MARKETS.map((m) => ({ ...m, poolUsd: 50_000_000n })),
    admin: keypairFor(seed, "admin"),
    mint: keypairFor(seed, "mint"),
    oracles: [0, 1, 2].map((i) => keypairFor(seed, `oracle-${i}`).publicKey),
    onProgress: say,
  });
  const [A, ...others] = ex.markets;

  // One publisher for every oracle write, so a refresh can never land after (and undo) the crash.
  let writes = Promise.resolve();
  const publish = (markets: WorldMarket[]) =>
    (writes = writes.then(() =>
      Promise.all(markets.map((m) => local.write(m.oracle, oracleAccount(m, m.price)))).then(() => {}),
    ));
  const publisher = setInterval(() => void publish(ex.markets).catch(() => {}), PUBLISH_EVERY_MS);

  let cached = { hash: "", atMs: 0 };
  const blockhash = async () => {
    // A blockhash lives 150 slots; one fetch every few seconds serves every transaction meanwhile.
    if (Date.now() - cached.atMs > 3_000)
      cached = { hash: (await connection.getLatestBlockhash("confirmed")).blockhash, atMs: Date.now() };
    return cached.hash;
  };

  const random = rng(seed);
  const traders: WaveTrader[] = [];
  const legs: { a: bigint; b: bigint; bMarket: WorldMarket }[] = [];
  for (let i = 0; i < n; i++) {
    const owner = keypairFor(seed, `trader-${i}`);
    const depositUsd = 2_000 + Math.floor(random() * 9) * 1_000;
    const bankrupt = random() < 0.04;
    const targetRatio = bankrupt ? -0.005 - random() * 0.02 : 0.01 + random() * 0.033;
    const legB = 0.25 + random() * 0.2;
    const bLong = random() < 0.5;
    // After the crash: equity = D − CRASH·A (plus a little for entry impact and confidence) and
    // notional = A·(1 − CRASH) + B; solved for A so that equity / notional = targetRatio.
    const notionalA = depositUsd / (CRASH + 0.0015 + targetRatio * (1 - CRASH + legB));
    const bMarket = others[i % others.length];
    const baseOf = (usd: number, m: WorldMarket) => BigInt(Math.floor((usd / (Number(m.price) / 1e6)) * 1e9));
    legs.push({ a: baseOf(notionalA, A), b: (bLong ? 1n : -1n) * baseOf(notionalA * legB, bMarket), bMarket });
    traders.push({
      owner,
      account: pda(ex.program.programId, Buffer.from("margin"), ex.exchange, owner.publicKey),
      depositUsd,
      targetRatio,
    });
  }

  for (let i = 0; i < n; i += 100) {
    const batch = traders.slice(i, i + 100).map((t, k) => ({
      jsonrpc: "2.0",
      id: k,
      method: "localnet_setAccount",
      params: [t.owner.publicKey.toBase58(), setAccountParam(systemAccount(1_000_000_000n))],
    }));
    const res = await fetch(local.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(batch),
    });
    const replies = (await res.json()) as { error?: { message: string } }[];
    const failed = replies.find((r) => r.error);
    if (failed) throw new Error(`funding traders: ${failed.error!.message}`);
  }

  const started = Date.now();
  let done = 0;
  let lastReport = started;
  let refused = 0;
  try {
    await pool(traders, IN_FLIGHT, async (t, i) => {
      // Signers come from the transaction, not the provider, so one Program builds every trader's instructions.
      const p = ex.program;
      const token = getAssociatedTokenAddressSync(ex.mint, t.owner.publicKey);
      const amount = BigInt(t.depositUsd) * USD;
      const owner = t.owner.publicKey;
      await sendTx(
        local,
        blockhash,
        [
          createAssociatedTokenAccountIdempotentInstruction(ex.admin.publicKey, token, owner, ex.mint),
          createMintToInstruction(ex.mint, token, ex.admin.publicKey, amount),
          await p.methods.createMarginAccount().accounts({ owner, exchange: ex.exchange }).instruction(),
          await p.methods
            .deposit(new BN(amount.toString()))
            .accounts({
              owner,
              exchange: ex.exchange,
              marginAccount: t.account,
              userToken: token,
              quoteVault: ex.quoteVault,
            })
            .instruction(),
        ],
        [ex.admin, t.owner],
      );
      const { a, b, bMarket } = legs[i];
      const trade = (m: WorldMarket, base: bigint, held: WorldMarket[]) =>
        p.methods
          .trade(new BN(base.toString()), new BN(((m.price * (base > 0n ? 102n : 98n)) / 100n).toString()))
          .accounts({ owner, exchange: ex.exchange, marginAccount: t.account, market: m.address, oracle: m.oracle })
          .remainingAccounts(
            held.flatMap((h) => [
              { pubkey: h.address, isSigner: false, isWritable: false },
              { pubkey: h.oracle, isSigner: false, isWritable: false },
            ]),
          )
          .instruction();
      try {
        await sendTx(
          local,
          blockhash,
          [
            ComputeBudgetProgram.setComputeUnitLimit({ units: 400_000 }),
            await trade(A, a, []),
            await trade(bMarket, b, [A]),
          ],
          [t.owner],
        );
      } catch {
        refused++;
      }
      done++;
      if (Date.now() - lastReport > 5_000 || done === n) {
        lastReport = Date.now();
        say(`traders ${done}/${n} (${Math.round((done * 1000) / (Date.now() - started))}/s)`);
      }
    });
  } catch (e) {
    clearInterval(publisher);
    throw e;
  }
  if (refused > 0) say(`${refused} traders' trades were refused; they hold no position`);

  const crashPrice = (A.price * BigInt(Math.round((1 - CRASH) * 1e6))) / 1_000_000n;
  return {
    ex,
    traders,
    crashMarket: A,
    crashPrice,
    async crash() {
      await writes;
      A.price = crashPrice;
      const slot = await local.rpc<number>("getSlot");
      const atMs = Date.now();
      await local.write(A.oracle, oracleAccount(A, crashPrice));
      return { slot, atMs };
    },
    async stopPublisher() {
      clearInterval(publisher);
      await writes.catch(() => {});
    },
  };
}

export interface BookState {
  accounts: ReturnType<typeof decodeMarginAccount>[];
  markets: Map<string, MarketState>;
  prices: Map<string, PriceState>;
}

/** Every margin account, market and oracle of the world, read now; `override` replaces oracle prices. */
export async function readBook(
  local: RemoteLocalnet,
  w: WaveWorld,
  override: Map<string, bigint> = new Map(),
): Promise<BookState> {
  const { connection } = local;
  const programId = w.ex.program.programId;
  const filters = [
    { dataSize: MARGIN_ACCOUNT_SIZE },
    { memcmp: { offset: 0, bytes: bs58.encode(discriminator("marginAccount")) } },
    { memcmp: { offset: EXCHANGE_OFFSET.marginAccount, bytes: w.ex.exchange.toBase58() } },
  ];
  const { context, value } = await connection.getProgramAccounts(programId, { filters, withContext: true });
  const keys = w.ex.markets.flatMap((m) => [m.address, m.oracle]);
  const infos = await connection.getMultipleAccountsInfo(keys);
  const markets = new Map<string, MarketState>();
  const prices = new Map<string, PriceState>();
  w.ex.markets.forEach((m, i) => {
    const market = decodeMarket(m.address.toBase58(), infos[2 * i]!.data, context.slot);
    markets.set(market.address, market);
    const price = override.get(market.oracle);
    const oracle =
      price === undefined
        ? infos[2 * i + 1]!
        : { owner: oracleAccount(m, price).owner, data: oracleAccount(m, price).data };
    prices.set(market.oracle, {
      ...readOracle(market, oracle.owner.toBase58(), oracle.data),
      oracle: market.oracle,
      slot: context.slot,
    });
  });
  return {
    accounts: value.map((v) => decodeMarginAccount(v.pubkey.toBase58(), v.account.data, context.slot)),
    markets,
    prices,
  };
}

/** Every account of `book` evaluated with the program's health math (the data is read fresh, so no age limit). */
export function evaluateBook(book: BookState): Evaluation[] {
  const fresh = {
    currentSlot: 0,
    nowS: Math.floor(Date.now() / 1000),
    maxAccountAgeSlots: Number.MAX_SAFE_INTEGER,
    maxOracleAgeSlots: Number.MAX_SAFE_INTEGER,
  };
  return book.accounts.map((a) => evaluate(a, book.markets, book.prices, fresh, 200_000n));
}

export const isDue = (ev: Evaluation) => ev.state === "partial-liquidation" || ev.state === "bankrupt";
