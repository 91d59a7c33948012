// The feed's batched reads (the book's load and resyncs): every key read once, several batches at a
// time, a failing batch tried again, and a read that fails for good stops every reader.
import type { Connection } from "@solana/web3.js";
import { Keypair } from "@solana/web3.js";
import { describe, expect, it } from "vitest";
import { emptyMarginAccount } from "./margin-account-bytes.js";
import { ChainFeed, sameMarginAccount } from "../../orchestrator/src/chain/feed.js";
import { ChainStatus, type AccountState } from "../../orchestrator/src/risk/types.js";
import type { PubSub } from "../../orchestrator/src/chain/pubsub.js";
import type { AccountReader, RawAccount } from "../../orchestrator/src/chain/rpc.js";

const keys = Array.from({ length: 23 }, (_, i) => `key${i}`);

function feedWith(
  rpc: AccountReader,
  program = Keypair.generate().publicKey,
  exchange = Keypair.generate().publicKey,
): ChainFeed {
  return new ChainFeed({} as Connection, rpc, {} as PubSub, program, exchange, {
    resubscribeAfterSilenceMs: 10_000,
    resyncIntervalMs: 30_000,
    resyncBatchSize: 5,
    pollIntervalMs: 1_000,
  });
}

/** A reader that fails the first `failures` calls of each batch; its slot is 100 + the batch's first key number. */
function flaky(failures: number) {
  const calls: string[][] = [];
  const failed = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const rpc: AccountReader = {
    async getMultipleAccounts(batch) {
      calls.push(batch);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      const n = failed.get(batch[0]) ?? 0;
      if (n < failures) {
        failed.set(batch[0], n + 1);
        throw new Error("429 Too Many Requests");
      }
      const value: (RawAccount | null)[] = batch.map(() => null);
      return { slot: 100 + Number(batch[0].slice(3)), value };
    },
  };
  return { rpc, calls, maxInFlight: () => maxInFlight };
}

describe("feed batched reads", () => {
  it("reads every key once, several batches at a time, and answers the lowest slot", async () => {
    const r = flaky(0);
    const slot = await feedWith(r.rpc).fetchBatched(keys, 3);
    expect(r.calls.flat().sort()).toEqual([...keys].sort());
    expect(r.calls.map((b) => b.length)).toEqual([5, 5, 5, 5, 3]);
    expect(r.maxInFlight()).toBe(3);
    expect(slot).toBe(100);
  });

  it("tries a failing batch again, and gives up on a read that keeps failing with no new batch started", async () => {
    const again = flaky(2);
    await feedWith(again.rpc).fetchBatched(keys, 3, 3);
    expect(new Set(again.calls.map((b) => b[0])).size).toBe(5);
    expect(again.calls).toHaveLength(15);

    const never = flaky(10);
    await expect(feedWith(never.rpc).fetchBatched(keys, 2, 2)).rejects.toThrow(/429/);
    // The two readers' first batches, each tried twice; nothing after the failure.
    await new Promise((r) => setTimeout(r, 50));
    expect(never.calls).toHaveLength(4);
  });

  it("keeps an account a resync finds unchanged, and nothing is evaluated again; a change replaces it", async () => {
    const program = Keypair.generate().publicKey;
    const exchange = Keypair.generate().publicKey;
    const address = Keypair.generate().publicKey.toBase58();
    const owner = Keypair.generate().publicKey;
    const encode = (collateral: number) => emptyMarginAccount(collateral, { owner, exchange });
    let data = await encode(1_000);
    let slot = 10;
    const rpc: AccountReader = {
      async getMultipleAccounts(batch) {
        return { slot, value: batch.map(() => ({ owner: program.toBase58(), lamports: 1, data })) };
      },
    };
    const feed = feedWith(rpc, program, exchange);
    const seen: AccountState[] = [];
    feed.on("account", (a) => seen.push(a));
    await feed.fetchBatched([address]);
    const first = feed.accounts.get(address)!;
    expect(first.collateral).toBe(1_000n);
    slot = 20;
    await feed.fetchBatched([address]);
    expect(seen).toHaveLength(1);
    expect(feed.accounts.get(address)).toBe(first);
    data = await encode(999);
    slot = 30;
    await feed.fetchBatched([address]);
    expect(seen).toHaveLength(2);
    expect(feed.accounts.get(address)).toMatchObject({ collateral: 999n, slot: 30 });
  });
});

describe("sameMarginAccount", () => {
  const a: AccountState = {
    address: "A",
    owner: "O",
    exchange: "E",
    collateral: 5n,
    lastActiveSlot: 1n,
    liquidationId: 0n,
    status: ChainStatus.Healthy,
    positions: [{ market: "M", base: 3n, quoteEntry: -2n }],
    shortfallMarkets: [],
    claims: [{ marketIndex: 1, amount: 4n }],
    slot: 10,
  };
  it("tells every field apart but the slot", () => {
    expect(sameMarginAccount(a, { ...a, slot: 99 })).toBe(true);
    const changes: Partial<AccountState>[] = [
      { collateral: 6n },
      { lastActiveSlot: 2n },
      { liquidationId: 1n },
      { status: ChainStatus.BeingLiquidated },
      { owner: "P" },
      { positions: [{ market: "M", base: 4n, quoteEntry: -2n }] },
      { positions: [{ market: "N", base: 3n, quoteEntry: -2n }] },
      { positions: [{ market: "M", base: 3n, quoteEntry: -1n }] },
      { positions: [] },
      { shortfallMarkets: [1] },
      { claims: [{ marketIndex: 1, amount: 5n }] },
      { claims: [{ marketIndex: 2, amount: 4n }] },
      { claims: undefined },
    ];
    for (const c of changes) expect(sameMarginAccount(a, { ...a, ...c })).toBe(false);
  });
});
