// Real, unmodified clients (web3.js Connection, Anchor Program, spl-token) against the localnet,
// which executes the margin program natively with CPI into SPL Token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as anchor from "@coral-xyz/anchor";
import BN from "bn.js";
import { Keypair, type PublicKey, SystemProgram, Transaction } from "@solana/web3.js";
import { createAccount, createMint, getAccount, mintTo } from "@solana/spl-token";
import {
  acknowledgedSubscriptions,
  airdrop,
  pda,
  startEnv,
  subscriptionsAcknowledged,
  waitFor,
  type Env,
} from "./helpers.js";

let env: Env;
let mint: PublicKey;
let exchange: PublicKey;
let quoteVault: PublicKey;
const user = Keypair.generate();
let userToken: PublicKey;
let marginAccount: PublicKey;

const userProgram = () =>
  new anchor.Program(
    env.program.idl,
    new anchor.AnchorProvider(env.connection, new anchor.Wallet(user), { commitment: "confirmed" }),
  );

beforeAll(async () => {
  env = await startEnv();
  const programId = env.program.programId;
  await airdrop(env.connection, user.publicKey, 10);
  mint = await createMint(env.connection, env.admin, env.admin.publicKey, null, 6);
  userToken = await createAccount(env.connection, user, mint, user.publicKey);
  await mintTo(env.connection, env.admin, mint, userToken, env.admin, 1_000_000_000n);
  exchange = pda([Buffer.from("exchange"), mint], programId);
  quoteVault = pda([Buffer.from("quote_vault"), exchange], programId);
  marginAccount = pda([Buffer.from("margin"), exchange, user.publicKey], programId);
});

afterAll(async () => {
  await env?.close();
});

describe("the margin program through a real web3.js and Anchor client", () => {
  it("initializes the exchange, resolving its PDAs from the IDL, and emits an event", async () => {
    const signature = await env.program.methods.initializeExchange().accounts({ quoteMint: mint }).rpc();
    const tx = await env.connection.getTransaction(signature, {
      commitment: "confirmed",
      maxSupportedTransactionVersion: 0,
    });
    const parser = new anchor.EventParser(env.program.programId, new anchor.BorshCoder(env.program.idl));
    const events = [...parser.parseLogs(tx!.meta!.logMessages!)];
    expect(events.map((e) => e.name)).toEqual(["exchangeInitialized"]);
    expect((events[0].data.quoteVault as PublicKey).toBase58()).toBe(quoteVault.toBase58());

    const state = await env.program.account.exchange.fetch(exchange);
    expect(state.quoteMint.toBase58()).toBe(mint.toBase58());
    expect(state.admin.toBase58()).toBe(env.admin.publicKey.toBase58());
    const vault = await getAccount(env.connection, quoteVault);
    expect(vault.owner.toBase58()).toBe(exchange.toBase58());
  });

  it("deposits through a token CPI and notifies account and program subscribers", async () => {
    const program = userProgram();
    await program.methods.createMarginAccount().accounts({ exchange }).rpc();

    const before = acknowledgedSubscriptions(env.connection);
    const accountChange = waitFor<Buffer>((resolve) => {
      const id = env.connection.onAccountChange(marginAccount, (info) => {
        void env.connection.removeAccountChangeListener(id);
        resolve(info.data);
      });
    });
    const programChange = waitFor<PublicKey>((resolve) => {
      const id = env.connection.onProgramAccountChange(env.program.programId, (keyed) => {
        if (keyed.accountId.equals(marginAccount)) {
          void env.connection.removeProgramAccountChangeListener(id);
          resolve(keyed.accountId);
        }
      });
    });
    const eventSeen = waitFor<{ amount: BN }>((resolve) => {
      const id = program.addEventListener("collateralDeposited", (event) => {
        void program.removeEventListener(id);
        resolve(event);
      });
    });
    // Subscriptions are registered asynchronously: the deposit goes once the node has all three.
    await subscriptionsAcknowledged(env.connection, before + 3);

    await program.methods
      .deposit(new BN(250_000_000))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .rpc();

    const data = await accountChange;
    const decoded = program.coder.accounts.decode("marginAccount", data);
    expect(decoded.collateral.toNumber()).toBe(250_000_000);
    expect((await programChange).toBase58()).toBe(marginAccount.toBase58());
    expect((await eventSeen).amount.toNumber()).toBe(250_000_000);
    expect((await getAccount(env.connection, quoteVault)).amount).toBe(250_000_000n);
    expect((await getAccount(env.connection, userToken)).amount).toBe(750_000_000n);
  });

  it("withdraws with the exchange PDA signing the token transfer", async () => {
    await userProgram()
      .methods.withdraw(new BN(50_000_000))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .rpc();
    const account = await env.program.account.marginAccount.fetch(marginAccount);
    expect(account.collateral.toNumber()).toBe(200_000_000);
    expect((await getAccount(env.connection, userToken)).amount).toBe(800_000_000n);
  });

  it("finds margin accounts by owner with a memcmp filter", async () => {
    const other = Keypair.generate();
    await airdrop(env.connection, other.publicKey, 1);
    const otherProgram = new anchor.Program(
      env.program.idl,
      new anchor.AnchorProvider(env.connection, new anchor.Wallet(other), {}),
    );
    await otherProgram.methods.createMarginAccount().accounts({ exchange }).rpc();

    const mine = await env.program.account.marginAccount.all([
      { memcmp: { offset: 8, bytes: user.publicKey.toBase58() } },
    ]);
    expect(mine.map((a) => a.publicKey.toBase58())).toEqual([marginAccount.toBase58()]);
    const all = await env.program.account.marginAccount.all();
    expect(all).toHaveLength(2);
    const bySize = await env.connection.getProgramAccounts(env.program.programId, {
      filters: [{ dataSize: env.program.account.marginAccount.size }],
    });
    expect(bySize).toHaveLength(2);
  });

  it("reports program errors by their numeric code", async () => {
    const zero = userProgram()
      .methods.deposit(new BN(0))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .rpc();
    await expect(zero).rejects.toMatchObject({ error: { errorCode: { number: 6000, code: "ZeroAmount" } } });

    const overdraw = userProgram()
      .methods.withdraw(new BN(10_000_000_000))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .rpc();
    await expect(overdraw).rejects.toMatchObject({ error: { errorCode: { number: 6001 } } });
  });

  it("rejects a deposit signed by someone who does not own the margin account", async () => {
    const intruder = Keypair.generate();
    await airdrop(env.connection, intruder.publicKey, 1);
    const program = new anchor.Program(
      env.program.idl,
      new anchor.AnchorProvider(env.connection, new anchor.Wallet(intruder), {}),
    );
    const attempt = program.methods
      .deposit(new BN(1))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .rpc();
    // Anchor's ConstraintHasOne (2001).
    await expect(attempt).rejects.toMatchObject({ error: { errorCode: { number: 2001 } } });
  });

  it("simulates with logs and post-state accounts without committing", async () => {
    const ix = await userProgram()
      .methods.deposit(new BN(1_000))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .instruction();
    const tx = new Transaction().add(ix);
    tx.feePayer = user.publicKey;
    tx.recentBlockhash = (await env.connection.getLatestBlockhash()).blockhash;
    tx.sign(user);
    const sim = await env.connection.simulateTransaction(tx, undefined, [marginAccount]);
    expect(sim.value.err).toBeNull();
    expect(sim.value.logs).toContain("Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA success");
    const post = env.program.coder.accounts.decode(
      "marginAccount",
      Buffer.from(sim.value.accounts![0]!.data[0], "base64"),
    );
    expect(post.collateral.toNumber()).toBe(200_001_000);
    const committed = await env.program.account.marginAccount.fetch(marginAccount);
    expect(committed.collateral.toNumber()).toBe(200_000_000);
  });

  it("lands a failed transaction with skipPreflight and reports its error in the status", async () => {
    const ix = await userProgram()
      .methods.deposit(new BN(0))
      .accounts({ exchange, marginAccount, userToken, quoteVault })
      .instruction();
    const tx = new Transaction().add(ix);
    tx.feePayer = user.publicKey;
    tx.recentBlockhash = (await env.connection.getLatestBlockhash()).blockhash;
    tx.sign(user);
    const signature = await env.connection.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    const status = await env.connection.getSignatureStatus(signature);
    expect(status.value?.err).toEqual({ InstructionError: [0, { Custom: 6000 }] });
    const landed = await env.connection.getTransaction(signature, { commitment: "confirmed" });
    expect(landed?.meta?.logMessages?.some((l) => l.includes("Error Number: 6000"))).toBe(true);
  });

  it("transfers lamports with the system program and confirms over signatureSubscribe", async () => {
    const to = Keypair.generate().publicKey;
    const tx = new Transaction().add(
      SystemProgram.transfer({ fromPubkey: user.publicKey, toPubkey: to, lamports: 12345 }),
    );
    const signature = await env.connection.sendTransaction(tx, [user]);
    const latest = await env.connection.getLatestBlockhash();
    const result = await env.connection.confirmTransaction({ signature, ...latest }, "confirmed");
    expect(result.value.err).toBeNull();
    expect(await env.connection.getBalance(to)).toBe(12345);
  });
});
