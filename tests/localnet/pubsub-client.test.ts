// The orchestrator's own websocket client against the localnet's PubSub: account, program, slot
// and signature notifications as the node sends them, removal, and subscriptions renewed after the
// connection is dropped.
import { Keypair, SystemProgram, Transaction } from "@solana/web3.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalnet, type Localnet } from "../../localnet/src/server.js";
import { PubSub, accountFromWire, wsUrlFor, type WireAccount } from "../../orchestrator/src/chain/pubsub.js";

let localnet: Localnet;
let client: PubSub;

beforeAll(async () => {
  localnet = await startLocalnet({ port: 0, slotMs: 50 });
  client = new PubSub(localnet.wsUrl);
});
afterAll(async () => {
  client.close();
  await localnet.close();
});

const next = <T>(subscribe: (resolve: (v: T) => void) => () => void, ms = 5_000) =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no notification")), ms);
    const remove = subscribe((v) => {
      clearTimeout(timer);
      remove();
      resolve(v);
    });
  });

function writeAccount(key: string, data: Buffer) {
  localnet.ledger.setAccount(key, {
    lamports: 1_000_000n,
    owner: SystemProgram.programId.toBase58(),
    data,
    executable: false,
    rentEpoch: 0n,
  });
}

/** Writes until the subscription (acknowledged asynchronously) has seen it. */
async function writeUntilSeen(key: string, data: string, seen: unknown[]) {
  for (let i = 0; i < 50 && seen.length === 0; i++) {
    writeAccount(key, Buffer.from(data));
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("PubSub client", () => {
  it("derives the websocket URL as web3.js does", () => {
    expect(wsUrlFor("http://127.0.0.1:8899")).toBe("ws://127.0.0.1:8900/");
    expect(wsUrlFor("https://rpc.example.com/key")).toBe("wss://rpc.example.com/key");
  });

  it("delivers account changes with their data and slot, and nothing after removal", async () => {
    const key = Keypair.generate().publicKey.toBase58();
    const seen: Buffer[] = [];
    const remove = client.subscribe("accountSubscribe", [key, { encoding: "base64", commitment: "confirmed" }], (r) => {
      seen.push(accountFromWire((r as { value: WireAccount }).value).data);
    });
    await writeUntilSeen(key, "first", seen);
    expect(seen[0].toString()).toBe("first");
    const count = seen.length;
    remove();
    writeAccount(key, Buffer.from("second"));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(count);
  });

  it("notifies a signature once, with the slot it landed in", async () => {
    const payer = localnet.ledger.faucet;
    const tx = new Transaction({ ...localnet.ledger.latestBlockhash(), feePayer: payer.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 5_000 }),
    );
    tx.sign(payer);
    const landed = await localnet.ledger.sendTransaction(tx.serialize(), { skipPreflight: false });
    expect(landed.kind).toBe("landed");
    const signature = landed.kind === "landed" ? landed.record.signature : "";
    const result = await next<{ context: { slot: number }; value: { err: unknown } }>((resolve) =>
      client.subscribe(
        "signatureSubscribe",
        [signature, { commitment: "confirmed" }],
        (r) => resolve(r as never),
        true,
      ),
    );
    expect(result.value.err).toBeNull();
    expect(result.context.slot).toBe(landed.kind === "landed" ? landed.record.slot : -1);
  });

  it("renews every subscription after the connection is dropped", async () => {
    const key = Keypair.generate().publicKey.toBase58();
    const seen: string[] = [];
    client.subscribe("accountSubscribe", [key, { encoding: "base64", commitment: "confirmed" }], (r) =>
      seen.push(accountFromWire((r as { value: WireAccount }).value).data.toString()),
    );
    await writeUntilSeen(key, "before", seen);
    client.reconnect();
    seen.length = 0;
    const slot = await next<{ slot: number }>((resolve) =>
      client.subscribe("slotSubscribe", [], (r) => resolve(r as never)),
    );
    expect(slot.slot).toBeGreaterThan(0);
    await writeUntilSeen(key, "after", seen);
    expect(seen[0]).toBe("after");
  });
});
