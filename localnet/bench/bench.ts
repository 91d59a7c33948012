// `npm run bench:localnet`: throughput of margin program calls (a deposit: native program + SPL Token
// CPI) directly through the binding and through the JSON-RPC server, and sendTransaction → confirmed
// latency. Baseline in the same run: a plain system transfer through the binding. The concurrent
// JSON-RPC row drives the server from a separate process (bench/clients.ts).
//
// Native execution meters no compute units, so no CU figure is printed.
import * as anchor from "@coral-xyz/anchor";
import BN from "bn.js";
import { Keypair, PublicKey, SystemProgram, Transaction, type TransactionInstruction } from "@solana/web3.js";
import { fork } from "node:child_process";
import { createAccount, createMint, mintTo } from "@solana/spl-token";
import { airdrop, pda, startEnv } from "../../tests/localnet/helpers.js";
import type { ClientsJob, ClientsResult } from "./clients.js";

const N = Number(process.env.BENCH_TXS ?? 2000);
const CONCURRENCY = 32;
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);

const env = await startEnv(400);
const ledger = env.localnet!.ledger;
const user = Keypair.generate();
await airdrop(env.connection, user.publicKey, 100);
const mint = await createMint(env.connection, env.admin, env.admin.publicKey, null, 6);
const userToken = await createAccount(env.connection, user, mint, user.publicKey);
await mintTo(env.connection, env.admin, mint, userToken, env.admin, 10n ** 15n);
const programId = env.program.programId;
const exchange = pda([Buffer.from("exchange"), mint], programId);
const quoteVault = pda([Buffer.from("quote_vault"), exchange], programId);
const marginAccount = pda([Buffer.from("margin"), exchange, user.publicKey], programId);
await env.program.methods.initializeExchange().accounts({ quoteMint: mint }).rpc();
const userProgram = new anchor.Program(
  env.program.idl,
  new anchor.AnchorProvider(env.connection, new anchor.Wallet(user), {}),
);
await userProgram.methods.createMarginAccount().accounts({ exchange }).rpc();

let amount = 1;
async function depositTx(): Promise<Buffer> {
  // A distinct amount per transaction keeps every signature unique.
  const ix: TransactionInstruction = await userProgram.methods
    .deposit(new BN(amount++))
    .accounts({ exchange, marginAccount, userToken, quoteVault })
    .instruction();
  const tx = new Transaction({ ...ledger.latestBlockhash(), feePayer: user.publicKey }).add(ix);
  tx.sign(user);
  return tx.serialize();
}

function transferTx(i: number): Buffer {
  const tx = new Transaction({ ...ledger.latestBlockhash(), feePayer: user.publicKey }).add(
    SystemProgram.transfer({ fromPubkey: user.publicKey, toPubkey: PublicKey.unique(), lamports: 1_000_000 + i }),
  );
  tx.sign(user);
  return tx.serialize();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function prepare<T>(n: number, make: (i: number) => T | Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await make(i));
  return out;
}

function report(label: string, count: number, seconds: number): void {
  console.log(
    `${label.padEnd(66)} ${(count / seconds).toFixed(0).padStart(7)} tx/s  (${count} tx in ${seconds.toFixed(2)} s)`,
  );
}

function measure(label: string, wires: Buffer[], send: (w: Buffer) => void): void {
  const start = process.hrtime.bigint();
  for (const w of wires) send(w);
  report(label, wires.length, Number(process.hrtime.bigint() - start) / 1e9);
}

/** Seconds the forked clients take to send every transaction. */
function sendFromClients(wires: Buffer[]): Promise<number> {
  const job: ClientsJob = {
    rpcUrl: env.localnet!.rpcUrl,
    concurrency: CONCURRENCY,
    transactions: wires.map((w) => w.toString("base64")),
  };
  const child = fork(new URL("./clients.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    child.once("message", (result: ClientsResult) =>
      "error" in result ? reject(new Error(result.error)) : resolve(result.seconds),
    );
    child.once("exit", (code) => reject(new Error(`bench clients exited with code ${code}`)));
    child.send(job);
  });
}

ledger.stop(); // keep every prepared blockhash valid while measuring throughput
console.log(`margin-warden localnet benchmark — ${N} transactions per row, node ${process.version}`);

const transfers = await prepare(N, transferTx);
measure("baseline: system transfer, direct binding", transfers, (w) => {
  if (ledger.runtime.sendTransaction(w, false).errJson) throw new Error("transfer failed");
});

const direct = await prepare(N, depositTx);
measure("margin deposit (native + SPL Token CPI), direct binding", direct, (w) => {
  const out = ledger.runtime.sendTransaction(w, false);
  if (out.errJson) throw new Error(`deposit failed: ${out.errJson}`);
});

const viaRpc = await prepare(N, depositTx);
{
  const start = process.hrtime.bigint();
  for (const w of viaRpc) await env.connection.sendRawTransaction(w, { skipPreflight: false });
  report("margin deposit, JSON-RPC sendTransaction (sequential)", N, Number(process.hrtime.bigint() - start) / 1e9);
}

const concurrent = await prepare(N, depositTx);
report(
  `margin deposit, JSON-RPC sendTransaction, ${CONCURRENCY} concurrent clients`,
  N,
  await sendFromClients(concurrent),
);

ledger.start();
const ms: number[] = [];
const slots: number[] = [];
for (let i = 0; i < LATENCY_SAMPLES; i++) {
  const latest = await env.connection.getLatestBlockhash();
  const ix = await userProgram.methods
    .deposit(new BN(amount++))
    .accounts({ exchange, marginAccount, userToken, quoteVault })
    .instruction();
  const tx = new Transaction({ ...latest, feePayer: user.publicKey }).add(ix);
  tx.sign(user);
  const slot0 = ledger.slot;
  const t0 = performance.now();
  const signature = await env.connection.sendRawTransaction(tx.serialize());
  const result = await env.connection.confirmTransaction({ signature, ...latest }, "confirmed");
  ms.push(performance.now() - t0);
  slots.push(ledger.slot - slot0);
  if (result.value.err) throw new Error("deposit failed");
}
ms.sort((a, b) => a - b);
slots.sort((a, b) => a - b);
console.log(
  `sendTransaction → confirmed (web3.js confirmTransaction, ${LATENCY_SAMPLES} samples, 400 ms slots): ` +
    `p50 ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms; ` +
    `slots elapsed p50 ${percentile(slots, 50)}, p99 ${percentile(slots, 99)}`,
);
await env.close();
process.exit(0);
