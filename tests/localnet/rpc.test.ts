// The JSON-RPC and PubSub surface: standard error codes, blockhash lifetimes, slots and fees.
import { afterAll, beforeAll, describe as baseDescribe, expect, it } from "vitest";
import { ComputeBudgetProgram, Keypair, PublicKey, SystemProgram, Transaction } from "@solana/web3.js";
import bs58 from "bs58";
import {
  EXTERNAL_CLUSTER,
  acknowledgedSubscriptions,
  airdrop,
  rpc,
  startEnv,
  subscriptionsAcknowledged,
  waitFor,
  type Env,
} from "./helpers.js";

let env: Env;
const req = (method: string, params?: unknown[]) =>
  rpc(env.localnet!.rpcUrl, { jsonrpc: "2.0", id: 1, method, params });

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
    expect(
      (await req("getAccountInfo", [Keypair.generate().publicKey.toBase58(), { encoding: "weird" }])).error.code,
    ).toBe(-32602);
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
    // Under the 50 KiB body limit, so each reaches its method.
    const key = "1".repeat(40_000);
    const huge = Buffer.alloc(28_000, 7).toString("base64");
    const cases: [string, unknown[]][] = [
      ["getBalance", [key]],
      ["getMultipleAccounts", [[Keypair.generate().publicKey.toBase58(), key]]],
      ["sendTransaction", [huge, { encoding: "base64" }]],
      ["sendTransaction", ["2".repeat(40_000)]],
      ["simulateTransaction", [Buffer.alloc(1_300, 1).toString("base64"), { encoding: "base64" }]],
      [
        "getProgramAccounts",
        [SystemProgram.programId.toBase58(), { filters: [{ memcmp: { offset: 0, bytes: key } }] }],
      ],
      ["getFeeForMessage", [huge]],
    ];
    for (const [method, params] of cases) {
      const res = await req(method, params);
      expect(res.error?.code, `${method}: ${JSON.stringify(res).slice(0, 200)}`).toBe(-32602);
    }
    // 20,000 levels of nesting (sent as text: the client's own JSON.stringify would overflow).
    const deep = `{"jsonrpc":"2.0","id":1,"method":"getBalance","params":[${"[".repeat(20_000)}${"]".repeat(20_000)}]}`;
    expect((await rpc(env.localnet!.rpcUrl, deep)).error.code).toBe(-32602);
    const tooLarge = await req("sendTransaction", [huge, { encoding: "base64" }]);
    expect(tooLarge.error.message).toMatch(/too large: 37336 bytes \(max: encoded\/raw 1644\/1232\)/);
    // A body over a validator's 50 KiB limit is refused unread.
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getBalance", params: ["1".repeat(60_000)] });
    const status = await fetch(env.localnet!.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }).then(
      (r) => r.status,
      () => "reset",
    );
    expect([413, "reset"]).toContain(status);
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

  it("keeps nothing of a transaction refused in preflight; the same bytes sent without it land and pay their fee", async () => {
    const payer = Keypair.generate();
    await airdrop(env.connection, payer.publicKey, 1);
    const tx = new Transaction({ ...(await env.connection.getLatestBlockhash()), feePayer: payer.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 2e9 }),
    );
    tx.sign(payer);
    const wire = tx.serialize().toString("base64");
    const insufficient = { InstructionError: [0, { Custom: 1 }] };
    const funded = await env.connection.getBalance(payer.publicKey);
    const refused = await req("sendTransaction", [wire, { encoding: "base64" }]);
    expect(refused.error.code).toBe(-32002);
    expect(refused.error.data.err).toEqual(insufficient);
    expect(await env.connection.getBalance(payer.publicKey)).toBe(funded);
    // Landed, it pays its fee as on a validator, and the payer's subscribers hear of it.
    const subscribed = acknowledgedSubscriptions(env.connection);
    let id = 0;
    const charged = waitFor<number>((resolve) => {
      id = env.connection.onAccountChange(payer.publicKey, (info) => resolve(info.lamports), "confirmed");
    });
    await subscriptionsAcknowledged(env.connection, subscribed + 1);
    const signature = (await req("sendTransaction", [wire, { encoding: "base64", skipPreflight: true }])).result;
    expect(signature).toBe(bs58.encode(tx.signature!));
    const status = await env.connection.getSignatureStatus(signature);
    expect(status.value?.err).toEqual(insufficient);
    expect(await charged).toBe(funded - 5_000);
    expect(await env.connection.getBalance(payer.publicKey)).toBe(funded - 5_000);
    await env.connection.removeAccountChangeListener(id);
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
    const res = await req("localnet_setAccount", [
      key.toBase58(),
      { lamports: 1_000_000, owner: owner.toBase58(), data: [data.toString("base64"), "base64"] },
    ]);
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

describe("JSON-RPC 2.0 ids and notifications", () => {
  const post = (body: unknown) =>
    fetch(env.localnet!.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("answers a request whose id is not a string, number or null with -32600 and id null", async () => {
    for (const id of [{ a: 1 }, [1], true]) {
      const res = await rpc(env.localnet!.rpcUrl, { jsonrpc: "2.0", id, method: "getSlot" });
      expect(res).toMatchObject({ error: { code: -32600 }, id: null });
      expect(res.result).toBeUndefined();
    }
    expect((await rpc(env.localnet!.rpcUrl, { jsonrpc: "2.0", id: null, method: "getHealth" })).result).toBe("ok");
    expect((await rpc(env.localnet!.rpcUrl, { jsonrpc: "2.0", id: "x", method: "getHealth" })).id).toBe("x");
  });

  it("runs a notification without answering it, and leaves notifications out of a batch's replies", async () => {
    const before = (await req("localnet_stats")).result.requests.getSlot ?? 0;
    const res = await post({ jsonrpc: "2.0", method: "getSlot" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    // Even a failing notification gets no answer.
    expect((await post({ jsonrpc: "2.0", method: "nope" })).status).toBe(204);
    const batch = await rpc(env.localnet!.rpcUrl, [
      { jsonrpc: "2.0", method: "getSlot" },
      { jsonrpc: "2.0", id: 9, method: "getHealth" },
      { jsonrpc: "2.0", method: 5 },
    ]);
    expect(batch).toEqual([
      { jsonrpc: "2.0", result: "ok", id: 9 },
      { jsonrpc: "2.0", error: { code: -32600, message: "Invalid request" }, id: null },
    ]);
    expect((await post([{ jsonrpc: "2.0", method: "getSlot" }])).status).toBe(204);
    const after = (await req("localnet_stats")).result.requests.getSlot;
    expect(after - before).toBe(3);
  });

  it("refuses a batch of more than 1,000 requests", async () => {
    const res = await rpc(
      env.localnet!.rpcUrl,
      Array.from({ length: 1_001 }, (_, id) => ({ jsonrpc: "2.0", id, method: "getHealth" })),
    );
    expect(res).toMatchObject({ error: { code: -32600 }, id: null });
  });
});

describe("token accounts", () => {
  it("serves token balances and token accounts by owner as web3.js reads them", async () => {
    const { createMint, createAccount, mintTo, TOKEN_PROGRAM_ID } = await import("@solana/spl-token");
    const payer = Keypair.generate();
    await airdrop(env.connection, payer.publicKey, 10);
    const owner = Keypair.generate();
    const mint = await createMint(env.connection, payer, payer.publicKey, null, 6);
    const other = await createMint(env.connection, payer, payer.publicKey, null, 9);
    const account = await createAccount(env.connection, payer, mint, owner.publicKey, Keypair.generate());
    const second = await createAccount(env.connection, payer, other, owner.publicKey, Keypair.generate());
    await mintTo(env.connection, payer, mint, account, payer, 12_345_000n);
    await mintTo(env.connection, payer, other, second, payer, 7n);

    expect((await env.connection.getTokenAccountBalance(account)).value).toEqual({
      amount: "12345000",
      decimals: 6,
      uiAmount: 12.345,
      uiAmountString: "12.345",
    });
    expect((await env.connection.getTokenAccountBalance(second)).value).toEqual({
      amount: "7",
      decimals: 9,
      uiAmount: 7e-9,
      uiAmountString: "0.000000007",
    });
    // A mint, a system account and a missing account are not token accounts.
    for (const key of [mint, payer.publicKey, Keypair.generate().publicKey]) {
      expect((await req("getTokenAccountBalance", [key.toBase58()])).error.code).toBe(-32602);
    }

    const byMint = await env.connection.getTokenAccountsByOwner(owner.publicKey, { mint });
    expect(byMint.value.map((a) => a.pubkey.toBase58())).toEqual([account.toBase58()]);
    expect(byMint.value[0].account.data.length).toBe(165);
    const byProgram = await env.connection.getParsedTokenAccountsByOwner(owner.publicKey, {
      programId: TOKEN_PROGRAM_ID,
    });
    expect(byProgram.value.map((a) => a.pubkey.toBase58()).sort()).toEqual(
      [account.toBase58(), second.toBase58()].sort(),
    );
    const parsed = byProgram.value.find((a) => a.pubkey.equals(account))!.account.data;
    expect(parsed).toMatchObject({
      program: "spl-token",
      space: 165,
      parsed: {
        type: "account",
        info: {
          mint: mint.toBase58(),
          owner: owner.publicKey.toBase58(),
          state: "initialized",
          isNative: false,
          tokenAmount: { amount: "12345000", decimals: 6 },
        },
      },
    });
    const parsedMint = await env.connection.getParsedAccountInfo(mint);
    expect(parsedMint.value?.data).toMatchObject({
      program: "spl-token",
      parsed: {
        type: "mint",
        info: { decimals: 6, supply: "12345000", mintAuthority: payer.publicKey.toBase58(), freezeAuthority: null },
      },
    });
    expect((await env.connection.getTokenAccountsByOwner(Keypair.generate().publicKey, { mint })).value).toEqual([]);
    expect(
      (
        await req("getTokenAccountsByOwner", [
          owner.publicKey.toBase58(),
          { programId: SystemProgram.programId.toBase58() },
        ])
      ).error.code,
    ).toBe(-32602);
  });

  it("refuses base58 for data over 128 bytes, as a validator does", async () => {
    const { TOKEN_PROGRAM_ID } = await import("@solana/spl-token");
    const res = await req("getAccountInfo", [TOKEN_PROGRAM_ID.toBase58(), { encoding: "base58" }]);
    expect(res.error.code).toBe(-32600);
    expect(res.error.message).toMatch(/less than 128 bytes/);
    const sliced = await req("getAccountInfo", [
      TOKEN_PROGRAM_ID.toBase58(),
      { encoding: "base58", dataSlice: { offset: 0, length: 16 } },
    ]);
    expect(sliced.result.value.data[1]).toBe("base58");
  });
});

describe("history", () => {
  it("lists an address's signatures newest first, with limit, before and until", async () => {
    const payer = Keypair.generate();
    await airdrop(env.connection, payer.publicKey, 1);
    const target = Keypair.generate().publicKey;
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const tx = new Transaction().add(
        SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: target, lamports: 1_000_000 + i }),
      );
      sent.push(await env.connection.sendTransaction(tx, [payer]));
    }
    const all = await env.connection.getSignaturesForAddress(target);
    expect(all.map((s) => s.signature)).toEqual([...sent].reverse());
    expect(all[0]).toMatchObject({ err: null, memo: null, confirmationStatus: "confirmed" });
    expect(typeof all[0].blockTime).toBe("number");
    expect((await env.connection.getSignaturesForAddress(target, { limit: 2 })).map((s) => s.signature)).toEqual([
      sent[3],
      sent[2],
    ]);
    expect((await env.connection.getSignaturesForAddress(target, { before: sent[2] })).map((s) => s.signature)).toEqual(
      [sent[1], sent[0]],
    );
    expect((await env.connection.getSignaturesForAddress(target, { until: sent[1] })).map((s) => s.signature)).toEqual([
      sent[3],
      sent[2],
    ]);
    // The payer's list also holds its airdrop.
    expect((await env.connection.getSignaturesForAddress(payer.publicKey)).length).toBe(5);
    expect((await req("getSignaturesForAddress", [target.toBase58(), { limit: 1_001 }])).error.code).toBe(-32602);
    expect((await req("getSignaturesForAddress", [target.toBase58(), { before: "1".repeat(200) }])).error.code).toBe(
      -32602,
    );
  });

  it("answers block times, the epoch schedule and the first kept slot", async () => {
    const slot = await env.connection.getSlot();
    const time = await env.connection.getBlockTime(slot);
    expect(Math.abs(time! - Date.now() / 1000)).toBeLessThan(5);
    expect((await req("getBlockTime", [slot + 1_000_000])).error.code).toBe(-32004);
    expect(await env.connection.getMinimumLedgerSlot()).toBe(0);
    expect(await env.connection.getEpochSchedule()).toMatchObject({
      slotsPerEpoch: 432_000,
      warmup: false,
      firstNormalEpoch: 0,
      firstNormalSlot: 0,
    });
  });
});
