import { readFileSync } from "node:fs";
import * as anchor from "@coral-xyz/anchor";
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey } from "@solana/web3.js";
import { startLocalnet, type Localnet } from "../../localnet/src/server.js";
import type { Margin } from "../../idl/margin.js";

export const IDL = JSON.parse(readFileSync(new URL("../../idl/margin.json", import.meta.url), "utf8")) as Margin;

export interface Env {
  /** Undefined when running against an external cluster. */
  localnet: Localnet | undefined;
  /** Closes the client's websocket (so it stops reconnecting), then the localnet. */
  close(): Promise<void>;
  connection: Connection;
  provider: anchor.AnchorProvider;
  program: anchor.Program<Margin>;
  admin: Keypair;
}

/**
 * Set when the suite runs against an existing cluster (`anchor test` sets ANCHOR_PROVIDER_URL to
 * its solana-test-validator); otherwise each test file starts its own native localnet.
 */
export const EXTERNAL_CLUSTER = process.env.ANCHOR_PROVIDER_URL;

/** A localnet on free ports with fast slots, an airdropped admin wallet and the margin program client. */
export async function startEnv(slotMs = 50): Promise<Env> {
  const localnet = EXTERNAL_CLUSTER ? undefined : await startLocalnet({ port: 0, slotMs });
  const rpcUrl = localnet?.rpcUrl ?? EXTERNAL_CLUSTER!;
  const connection = new Connection(rpcUrl, {
    commitment: "confirmed",
    ...(localnet ? { wsEndpoint: localnet.wsUrl } : {}),
  });
  const admin = Keypair.generate();
  await airdrop(connection, admin.publicKey, 100);
  const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(admin), { commitment: "confirmed" });
  const program = new anchor.Program<Margin>(IDL, provider);
  const close = async () => {
    const socket = (connection as unknown as { _rpcWebSocket: { close(): void; reconnect?: boolean } })._rpcWebSocket;
    socket.reconnect = false;
    socket.close();
    await localnet?.close();
  };
  return { localnet, close, connection, provider, program, admin };
}

export async function airdrop(connection: Connection, to: PublicKey, sol: number): Promise<void> {
  const signature = await connection.requestAirdrop(to, sol * LAMPORTS_PER_SOL);
  await connection.confirmTransaction({ signature, ...(await connection.getLatestBlockhash()) }, "confirmed");
}

export function pda(seeds: (Buffer | PublicKey)[], programId: PublicKey): PublicKey {
  return PublicKey.findProgramAddressSync(
    seeds.map((s) => (s instanceof PublicKey ? s.toBuffer() : s)),
    programId,
  )[0];
}

// biome-ignore lint/suspicious/noExplicitAny: a raw JSON-RPC answer, whose shape each test asserts
export async function rpc(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return res.json();
}

/** How many of `connection`'s subscriptions the node has acknowledged (web3.js keeps each one's state). */
export function acknowledgedSubscriptions(connection: Connection): number {
  const byHash = (connection as unknown as { _subscriptionsByHash?: Record<string, { state?: string }> })
    ._subscriptionsByHash;
  if (!byHash) throw new Error("this web3.js keeps no subscription states: the wait below cannot work");
  return Object.values(byHash).filter((s) => s.state === "subscribed").length;
}

/**
 * Resolves once `connection` holds `count` acknowledged subscriptions: a notification is only
 * owed for changes after the node has the subscription, and a fixed pause raced that under load.
 */
export async function subscriptionsAcknowledged(
  connection: Connection,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (acknowledgedSubscriptions(connection) < count) {
    if (Date.now() > deadline)
      throw new Error(`only ${acknowledgedSubscriptions(connection)} of ${count} subscriptions acknowledged`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function waitFor<T>(register: (resolve: (v: T) => void) => void, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out waiting for a notification")), timeoutMs);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}
