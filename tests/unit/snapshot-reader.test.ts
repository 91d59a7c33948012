// Snapshots asked for in one turn share their reads: the markets and oracles once per call, as many
// margin accounts as fit beside them under the RPC's key limit, and a failure answered only to the
// snapshots it concerns.
import { Keypair } from "@solana/web3.js";
import { describe, expect, it } from "vitest";
import type { AccountReader, RawAccount } from "../../orchestrator/src/chain/rpc.js";
import { emptyMarginAccount } from "./margin-account-bytes.js";
import { AccountGoneError, MAX_KEYS_PER_READ, SnapshotReader } from "../../orchestrator/src/chain/snapshot.js";

const key = () => Keypair.generate().publicKey.toBase58();

function chain(accounts: Map<string, Buffer>, fail = false) {
  const calls: string[][] = [];
  const reader: AccountReader = {
    async getMultipleAccounts(keys) {
      calls.push(keys);
      if (keys.length > MAX_KEYS_PER_READ) throw new Error(`asked for ${keys.length} keys`);
      if (fail) throw new Error("rpc down");
      return {
        slot: 42,
        value: keys.map((k): RawAccount | null =>
          accounts.has(k) ? { owner: key(), lamports: 1, data: accounts.get(k)! } : null,
        ),
      };
    },
  };
  return { reader, calls };
}

describe("snapshot reader", () => {
  it("reads the snapshots of one turn together, markets once per call, within the key limit", async () => {
    const accounts = new Map<string, Buffer>();
    for (let i = 0; i < 150; i++) accounts.set(key(), await emptyMarginAccount(i));
    const pairs = new Map([
      [key(), key()],
      [key(), key()],
    ]);
    const { reader, calls } = chain(accounts);
    const snapshots = new SnapshotReader(reader, () => pairs);
    const addresses = [...accounts.keys()];
    const snaps = await Promise.all(addresses.map((a) => snapshots.read(a)));
    // 4 market/oracle keys and 96 accounts per call.
    expect(calls.map((c) => c.length)).toEqual([100, 4 + 54]);
    for (const c of calls) expect(c.slice(0, 4)).toEqual([...pairs].flat());
    expect(snaps.map((s) => s.account.address)).toEqual(addresses);
    expect(snaps.map((s) => s.account.collateral)).toEqual(addresses.map((_, i) => BigInt(i)));
    expect(snaps.every((s) => s.slot === 42)).toBe(true);
    // A later turn is a call of its own.
    await snapshots.read(addresses[0]);
    expect(calls).toHaveLength(3);
  });

  it("answers a missing account to its own snapshot only, and an RPC failure to every snapshot of the call", async () => {
    const present = key();
    const { reader } = chain(new Map([[present, await emptyMarginAccount(5)]]));
    const snapshots = new SnapshotReader(reader, () => new Map());
    const [ok, gone] = await Promise.allSettled([snapshots.read(present), snapshots.read(key())]);
    expect(ok.status === "fulfilled" && ok.value.account.collateral).toBe(5n);
    expect(gone.status === "rejected" && gone.reason).toBeInstanceOf(AccountGoneError);

    const down = new SnapshotReader(chain(new Map(), true).reader, () => new Map());
    const both = await Promise.allSettled([down.read(present), down.read(key())]);
    expect(both.map((r) => r.status === "rejected" && (r.reason as Error).message)).toEqual(["rpc down", "rpc down"]);
  });
});
