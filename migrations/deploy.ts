// Sets up margin-warden on a cluster where the program is deployed: the exchange for a quote mint,
// with its vaults. (Markets and oracles join when the program has them.)
//
//   ANCHOR_PROVIDER_URL=http://127.0.0.1:8899 ANCHOR_WALLET=~/.config/solana/id.json \
//     [QUOTE_MINT=<mint>] npm run deploy
//
// Without QUOTE_MINT it creates a 6-decimal test mint owned by the wallet (localnet and devnet).
import { readFileSync } from "node:fs";
import os from "node:os";
import * as anchor from "@coral-xyz/anchor";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { createMint } from "@solana/spl-token";
import type { Margin } from "../idl/margin.js";

const idl = JSON.parse(readFileSync(new URL("../idl/margin.json", import.meta.url), "utf8")) as Margin;

export async function deploy(provider: anchor.AnchorProvider, payer: Keypair, quoteMint?: PublicKey) {
  const program = new anchor.Program<Margin>(idl, provider);
  const mint = quoteMint ?? (await createMint(provider.connection, payer, payer.publicKey, null, 6));
  const [exchange] = PublicKey.findProgramAddressSync([Buffer.from("exchange"), mint.toBuffer()], program.programId);
  if (await provider.connection.getAccountInfo(exchange)) {
    console.log(`deploy: exchange ${exchange.toBase58()} already exists for quote mint ${mint.toBase58()}`);
    return { exchange, mint };
  }
  const signature = await program.methods.initializeExchange().accounts({ quoteMint: mint }).rpc();
  console.log(`deploy: exchange ${exchange.toBase58()} for quote mint ${mint.toBase58()} (${signature})`);
  return { exchange, mint };
}

function loadKeypair(path: string): Keypair {
  const resolved = path.replace(/^~(?=\/)/, os.homedir());
  try {
    return Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(resolved, "utf8"))));
  } catch (e) {
    throw new Error(`deploy: cannot read wallet keypair ${resolved}: ${(e as Error).message}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.ANCHOR_PROVIDER_URL ?? "http://127.0.0.1:8899";
  const payer = loadKeypair(process.env.ANCHOR_WALLET ?? "~/.config/solana/id.json");
  const provider = new anchor.AnchorProvider(new Connection(url, "confirmed"), new anchor.Wallet(payer), {
    commitment: "confirmed",
  });
  const mint = process.env.QUOTE_MINT ? new PublicKey(process.env.QUOTE_MINT) : undefined;
  deploy(provider, payer, mint).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
