// The JSON-RPC and PubSub surface: standard error codes, blockhash lifetimes, slots and fees.
import { afterAll, beforeAll, describe as baseDescribe, expect, it } from "vitest";
import {
  ComputeBudgetProgram,
  Keypair,
  PublicKey,
  SystemProgram,
  Transaction,
} from "@solana/web3.js";
import { EXTERNAL_CLUSTER, airdrop, rpc, startEnv, waitFor, type Env } from "./helpers.js";

let env: Env;
const req = (method: string, params?: unknown[]) => rpc(env.localnet!.rpcUrl, { jsonrpc: "2.0", id: 1, method, params });

// These exercise the native localnet itself (its error codes, its localnet_ methods).
const describe = EXTERNAL_CLUSTER ? baseDescribe.skip : baseDescribe;

beforeAll(async () => {
  if (!EXTERNAL_CLUSTER) env = await startEnv(50);
});

afterAll(async () => {
  await env?.close();
});

describe("JSON-RPC errors", () => {
  it("answers malformed JSON with a parse error and keeps serving", async () => {
    const res = await rpc(env.localnet!.rpcUrl, "{not json");
    expect(res.error.code).toBe(-32700);
    expect((await req("getHealth")).result).toBe("ok");
  });

  it("answers an unknown method with -32601 and bad params with -32602", async () => {
    expect((await req("getEverything")).error.code).toBe(-32601);
    expect((await req("getBalance", ["not-a-key"])).error.code).toBe(-32602);
    expect((await req("getBalance", [42])).error.code).toBe(-32602);
    expect((await req("getAccountInfo", [Keypair.generate().publicKey.toBase58(), { encoding: "weird" }])).error.code).toBe(-32602);
    expect((await rpc(env.localnet!.rpcUrl, { jsonrpc: "2.0", id: 3 })).error.code).toBe(-32600);
  });

  it("answers batches request by request", async () => {
    const res = await rpc(env.localnet!.rpcUrl, [
      { jsonrpc: "2.0", id: 1, method: "getSlot" },
      { jsonrpc: "2.0", id: 2, method: "nope" },
    ]);
    expect(res[0].id).toBe(1);
    expect(typeof res[0].result).toBe("number");
    expect(res[1].error.code).toBe(-32601);
  });

  it("refuses an undecodable transaction with -32602", async () => {
    const res = await req("sendTransaction", [Buffer.from("garbage").toString("base64"), { encoding: "base64" }]);
    expect(res.error.code).toBe(-32602);
    expect(res.error.message).toMatch(/failed to deserialize/);
  });

  it("refuses oversized keys, transactions and filters before decoding them, and overdeep params", async () => {
    const key = "1".repeat(60_000);
    const huge = Buffer.alloc(100_000, 7).toString("base64");
    const cases: [string, unknown[]][] = [
      ["getBalance", [key]],
      ["getMultipleAccounts", [[Keypair.generate().publicKey.toBase58(), key]]],
      ["sendTransaction", [huge, { encoding: "base64" }]],
      ["sendTransaction", ["2".repeat(60_000)]],
      ["simulateTransaction", [Buffer.alloc(1_300, 1).toString("base64"), { encoding: "base64" }]],
      ["getProgramAccounts", [SystemProgram.programId.toBase58(), { filters: [{ memcmp: { offset: 0, bytes: key } }] }]],
      ["getFeeForMessage", [huge]],
    ];
    for (const [method, params] of cases) {
      const res = await req(method, params);
      expect(res.error?.code, `${method}: ${JSON.stringify(res).slice(0, 200)}`).toBe(-32602);
    }
    // 100,000 levels of nesting (sent as text: the client's own JSON.stringify would overflow).
    const deep = `{"jsonrpc":"2.0","id":1,"method":"getBalance","params":[${"[".repeat(100_000)}${"]".repeat(100_000)}]}`;
    expect((await rpc(env.localnet!.rpcUrl, deep)).error.code).toBe(-32602);
    const tooLarge = await req("sendTransaction", [huge, { encoding: "base64" }]);
    expect(tooLarge.error.message).toMatch(/too large: 133336 bytes \(max: encoded\/raw 1644\/1232\)/);
    expect((await req("getHealth")).result).toBe("ok");
  });

  it("refuses a transaction with a bad signature", async () => {
    const payer = Keypair.generate();
    await airdrop(env.connection, payer.publicKey, 1);
    const tx = new Transaction({ ...(await env.connection.getLatestBlockhash()), feePayer: payer.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }),
    );
    tx.sign(payer);
    const wire = tx.serialize();
    wire[1] ^= 0xff; // corrupt the signature
    const res = await req("sendTransaction", [wire.toString("base64"), { encoding: "base64" }]);
    expect(res.error.code).toBe(-32003);
  });
});

describe("blockhashes and slots", () => {
  it("advances slots on its timer and notifies slot subscribers", async () => {
    const first = await env.connection.getSlot();
    const notified = await waitFor<number>((resolve) => {
      const id = env.connection.onSlotChange((info) => {
        void env.connection.removeSlotChangeListener(id);
        resolve(info.slot);
      });
    });
    expect(notified).toBeGreaterThan(first);
    expect(await env.connection.getBlockHeight()).toBeGreaterThanOrEqual(first);
  });

  it("expires blockhashes after 150 blocks, refusing transactions that use them", async () => {
    const payer = Keypair.generate();
    await airdrop(env.connection, payer.publicKey, 1);
    const { blockhash, lastValidBlockHeight } = await env.connection.getLatestBlockhash();
    expect((await env.connection.isBlockhashValid(blockhash)).value).toBe(true);
    const height = await env.connection.getBlockHeight();
    expect(lastValidBlockHeight - height).toBeLessThanOrEqual(150);
    expect(lastValidBlockHeight - height).toBeGreaterThan(140);

    await req("localnet_advanceSlots", [151]);
    expect((await env.connection.isBlockhashValid(blockhash)).value).toBe(false);
    const tx = new Transaction({ blockhash, lastValidBlockHeight, feePayer: payer.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }),
    );
    tx.sign(payer);
    const res = await req("sendTransaction", [tx.serialize().toString("base64"), { encoding: "base64" }]);
    expect(res.error.code).toBe(-32002);
    expect(res.error.data.err).toBe("BlockhashNotFound");
  });

  it("charges 5000 lamports per signature in getFeeForMessage", async () => {
    const payer = Keypair.generate();
    const tx = new Transaction({ ...(await env.connection.getLatestBlockhash()), feePayer: payer.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }),
    );
    expect((await env.connection.getFeeForMessage(tx.compileMessage())).value).toBe(5000);
  });
});

describe("accounts and fees", () => {
  it("reports the priority fee a landed transaction paid", async () => {
    const payer = Keypair.generate();
    await airdrop(env.connection, payer.publicKey, 1);
    const target = Keypair.generate().publicKey;
    const tx = new Transaction().add(
      ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 777 }),
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: target, lamports: 1_000_000 }),
    );
    await env.connection.sendTransaction(tx, [payer]);
    const fees = await env.connection.getRecentPrioritizationFees({ lockedWritableAccounts: [target] });
    expect(fees.some((f) => f.prioritizationFee === 777)).toBe(true);
    expect(fees.length).toBeGreaterThan(0);
  });

  it("sets accounts through the localnet_ namespace and serves them with getMultipleAccounts", async () => {
    const key = Keypair.generate().publicKey;
    const owner = new PublicKey("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
    const data = Buffer.from([1, 2, 3, 4, 5]);
    const res = await req("localnet_setAccount", [key.toBase58(), { lamports: 1_000_000, owner: owner.toBase58(), data: [data.toString("base64"), "base64"] }]);
    expect(res.error).toBeUndefined();
    const [info, missing] = await env.connection.getMultipleAccountsInfo([key, Keypair.generate().publicKey]);
    expect(info?.owner.toBase58()).toBe(owner.toBase58());
    expect(info?.data).toEqual(data);
    expect(missing).toBeNull();
    const sliced = await env.connection.getAccountInfo(key, { dataSlice: { offset: 1, length: 2 } });
    expect([...sliced!.data]).toEqual([2, 3]);
  });

  it("identifies itself like a validator", async () => {
    expect((await env.connection.getVersion())["solana-core"]).toMatch(/^2\./);
    expect(await env.connection.getGenesisHash()).toMatch(/^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    expect(await env.connection.getMinimumBalanceForRentExemption(0)).toBe(890880);
  });
});

describe("localnet_stats", () => {
  it("counts requests per method, each element of a batch, and executed transactions", async () => {
    const before = (await req("localnet_stats")).result;
    await req("getSlot");
    await rpc(env.localnet!.rpcUrl, [
      { jsonrpc: "2.0", id: 1, method: "getSlot" },
      { jsonrpc: "2.0", id: 2, method: "getHealth" },
    ]);
    expect((await req("requestAirdrop", [Keypair.generate().publicKey.toBase58(), 1_000_000])).error).toBeUndefined();
    const after = (await req("localnet_stats")).result;
    expect(Object.keys(after).sort()).toEqual(["requests", "transactions"]);
    const delta = (method: string) => (after.requests[method] ?? 0) - (before.requests[method] ?? 0);
    expect(delta("getSlot")).toBe(2);
    expect(delta("getHealth")).toBe(1);
    expect(delta("requestAirdrop")).toBe(1);
    expect(delta("localnet_stats")).toBe(1);
    expect(after.transactions - before.transactions).toBe(1);
  });
});
