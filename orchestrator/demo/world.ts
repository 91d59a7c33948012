// A complete exchange on a native localnet, for the demo, the end-to-end tests and the latency
// bench: the exchange of exchange.ts and traders with varied leverage. The localnet runs in this
// process (tests) or in a process of its own, as an RPC node would (the demo, benchmarks); oracle
// prices are written straight into its ledger either way, as a Pyth publisher would update them.
import * as anchor from "@coral-xyz/anchor";
import BN from "bn.js";
import { ComputeBudgetProgram, Connection, Keypair, PublicKey } from "@solana/web3.js";
import {
  createAssociatedTokenAccountIdempotentInstruction,
  createMintToInstruction,
  getAssociatedTokenAddressSync,
} from "@solana/spl-token";
import type { Ledger } from "../../localnet/src/ledger.js";
import { startLocalnet } from "../../localnet/src/server.js";
import { IDL, type Margin } from "../src/chain/idl.js";
import { marginAccountAddress } from "../../sdk/src/pda.js";
import { closeConnection, startLocalnetProcess } from "./localnet-process.js";
import {
  USD,
  createExchange,
  oracleAccount,
  rng,
  send,
  systemAccount,
  type AccountBody,
  type AccountWriter,
  type MarketSpec,
  type WorldMarket,
} from "./exchange.js";

export { DEFAULT_MARKETS, ONE, USD, rng, type MarketSpec, type WorldMarket } from "./exchange.js";

export interface Trader {
  owner: Keypair;
  account: PublicKey;
  depositUsd: bigint;
  /** Base units per market symbol (signed). */
  positions: Record<string, bigint>;
}

/** The localnet a world lives on, wherever it runs. */
export interface WorldLocalnet {
  rpcUrl: string;
  wsUrl: string;
  /** Overwrites an account (oracles, funded keys); subscribers are notified. */
  write: AccountWriter;
  /** The localnet's process when it runs in one of its own. */
  pid?: number;
  close(): Promise<void>;
}

export interface World {
  localnet: WorldLocalnet;
  connection: Connection;
  admin: Keypair;
  program: anchor.Program<Margin>;
  mint: PublicKey;
  /** The admin's quote token account (pool liquidity, insurance). */
  adminToken: PublicKey;
  exchange: PublicKey;
  quoteVault: PublicKey;
  insuranceVault: PublicKey;
  markets: WorldMarket[];
  traders: Trader[];
  setPrice(symbol: string, price: bigint, ageS?: number): Promise<void>;
  refresh(symbol: string): Promise<void>;
  close(): Promise<void>;
}

export function writeLedgerAccount(ledger: Ledger, key: PublicKey, body: AccountBody): void {
  ledger.setAccount(key.toBase58(), {
    lamports: body.lamports,
    owner: body.owner.toBase58(),
    data: body.data,
    executable: false,
    rentEpoch: 0n,
  });
}

export const ledgerAccountWriter =
  (ledger: Ledger): AccountWriter =>
  async (key, body) =>
    writeLedgerAccount(ledger, key, body);

export interface WorldOptions {
  traders: number;
  seed?: number;
  slotMs?: number;
  /** Run the localnet as a child process (its log under this directory) instead of in this process. */
  processLogDir?: string;
  markets?: MarketSpec[];
  onProgress?(msg: string): void;
}

async function openLocalnet(opts: WorldOptions): Promise<WorldLocalnet> {
  const slotMs = opts.slotMs ?? 100;
  if (opts.processLogDir !== undefined) {
    const remote = await startLocalnetProcess(slotMs, opts.processLogDir);
    closeConnection(remote.connection);
    return {
      rpcUrl: remote.rpcUrl,
      wsUrl: remote.wsUrl,
      write: remote.write,
      pid: remote.child.pid,
      close: () => remote.child.stop(),
    };
  }
  const local = await startLocalnet({ port: 0, slotMs });
  return {
    rpcUrl: local.rpcUrl,
    wsUrl: local.wsUrl,
    write: ledgerAccountWriter(local.ledger),
    close: () => local.close(),
  };
}

export async function buildWorld(opts: WorldOptions): Promise<World> {
  const localnet = await openLocalnet(opts);
  const connection = new Connection(localnet.rpcUrl, { commitment: "confirmed", wsEndpoint: localnet.wsUrl });
  const ex = await createExchange(connection, localnet.write, { markets: opts.markets, onProgress: opts.onProgress });
  const { admin, program, mint, adminToken, exchange, quoteVault, markets } = ex;
  const world: World = {
    localnet,
    connection,
    admin,
    program,
    mint,
    adminToken,
    exchange,
    quoteVault,
    insuranceVault: ex.insuranceVault,
    markets,
    traders: [],
    async setPrice(symbol, price, ageS = 0) {
      const m = markets.find((x) => x.symbol === symbol)!;
      m.price = price;
      await localnet.write(m.oracle, oracleAccount(m, price, ageS));
    },
    async refresh(symbol) {
      const m = markets.find((x) => x.symbol === symbol)!;
      await program.methods.refreshMarket().accounts({ market: m.address, oracle: m.oracle }).rpc();
    },
    async close() {
      closeConnection(connection);
      await localnet.close();
    },
  };

  const random = rng(opts.seed ?? 7);
  const traders: Trader[] = [];
  for (let i = 0; i < opts.traders; i++) {
    const owner = Keypair.generate();
    await localnet.write(owner.publicKey, systemAccount(1_000_000_000n));
    // Leverage mostly 2x–5x with a tail up to 9.5x (initial margin allows 10x); mostly long.
    const depositUsd = BigInt(1_000 + Math.floor(random() * 19) * 1_000);
    const u = random();
    const leverage = u < 0.75 ? 2 + u * 4 : 5 + (u - 0.75) * 18;
    const two = random() < 0.3;
    const picks = two
      ? [markets[i % markets.length], markets[(i + 1) % markets.length]]
      : [markets[i % markets.length]];
    const positions: Record<string, bigint> = {};
    for (const m of picks) {
      const long = random() < 0.8;
      const notionalUsd = (Number(depositUsd) * leverage) / picks.length;
      const base = BigInt(Math.floor((notionalUsd / (Number(m.price) / 1e6)) * 1e9));
      positions[m.symbol] = long ? base : -base;
    }
    traders.push({
      owner,
      account: new PublicKey(
        marginAccountAddress(exchange.toBase58(), owner.publicKey.toBase58(), program.programId.toBase58()),
      ),
      depositUsd,
      positions,
    });
  }

  const userProgram = (kp: Keypair) =>
    new anchor.Program<Margin>(
      IDL,
      new anchor.AnchorProvider(connection, new anchor.Wallet(kp), { commitment: "confirmed" }),
    );
  const CHUNK = 16;
  for (let i = 0; i < traders.length; i += CHUNK) {
    // Publishers keep prices fresh; opening positions needs a recent one.
    for (const m of markets) await world.setPrice(m.symbol, m.price);
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
            await p.methods
              .deposit(new BN(amount.toString()))
              .accounts({ owner: t.owner.publicKey, exchange, marginAccount: t.account, userToken: token, quoteVault })
              .instruction(),
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
            .accounts({
              owner: t.owner.publicKey,
              exchange,
              marginAccount: t.account,
              market: m.address,
              oracle: m.oracle,
            })
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
