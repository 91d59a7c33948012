// Margin accounts are decoded at fixed offsets (they arrive with every notification); the result
// must be what Anchor's coder reads from the IDL, for any content.
import { PublicKey, Keypair } from "@solana/web3.js";
import BN from "bn.js";
import { describe, expect, it } from "vitest";
import {
  DecodeError,
  MARGIN_ACCOUNT_SIZE,
  accountsCoder,
  decodeMarginAccount,
} from "../../orchestrator/src/chain/accounts.js";

const key = () => Keypair.generate().publicKey;
const i64 = (r: () => number) => new BN(Math.floor((r() - 0.5) * 2 ** 52)).mul(new BN(Math.floor(r() * 2048)));

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

async function encoded(r: () => number, status: number) {
  const markets = [key(), key(), key()];
  const positions = Array.from({ length: 8 }, () => {
    const open = r() < 0.5;
    return {
      market: open ? markets[Math.floor(r() * 3)] : PublicKey.default,
      base: open ? i64(r) : new BN(0),
      quoteEntry: open ? i64(r) : new BN(r() < 0.1 ? 5 : 0),
    };
  });
  const fields = {
    owner: key(),
    exchange: key(),
    collateral: i64(r),
    lastActiveSlot: new BN(Math.floor(r() * 2 ** 40)),
    liquidationId: new BN(Math.floor(r() * 2 ** 30)),
    positions,
    version: 3,
    bump: 254,
    status,
    padding: [0, 0, 0, 0, 0],
    shortfalls: Array.from({ length: 8 }, () => new BN(r() < 0.3 ? Math.floor(r() * 2 ** 40) : 0)),
    shortfallMarketIndexes: Array.from({ length: 8 }, () => Math.floor(r() * 65_536)),
    claims: Array.from({ length: 4 }, () => new BN(r() < 0.3 ? Math.floor(r() * 2 ** 40) : 0)),
    claimMarketIndexes: Array.from({ length: 4 }, () => Math.floor(r() * 65_536)),
    reserved: Array(8).fill(0),
  };
  return { fields, data: await accountsCoder.encode("marginAccount", fields) };
}

describe("margin account decoding", () => {
  it("reads what Anchor's coder reads, positions with any non-zero field counted open, in slot order", async () => {
    const r = rng(99);
    for (let i = 0; i < 200; i++) {
      const { fields, data } = await encoded(r, i % 3);
      expect(data.length).toBe(MARGIN_ACCOUNT_SIZE);
      const a = decodeMarginAccount("acct", data, 7);
      expect(a).toEqual({
        address: "acct",
        owner: fields.owner.toBase58(),
        exchange: fields.exchange.toBase58(),
        collateral: BigInt(fields.collateral.toString()),
        lastActiveSlot: BigInt(fields.lastActiveSlot.toString()),
        liquidationId: BigInt(fields.liquidationId.toString()),
        status: i % 3,
        positions: fields.positions
          .filter((p) => !p.base.isZero() || !p.quoteEntry.isZero())
          .map((p) => ({
            market: p.market.toBase58(),
            base: BigInt(p.base.toString()),
            quoteEntry: BigInt(p.quoteEntry.toString()),
          })),
        shortfallMarkets: fields.shortfallMarketIndexes.filter((_, k) => !fields.shortfalls[k].isZero()),
        claims: fields.claims.flatMap((c, k) =>
          c.isZero() ? [] : [{ marketIndex: fields.claimMarketIndexes[k], amount: BigInt(c.toString()) }],
        ),
        slot: 7,
      });
      const viaIdl = accountsCoder.decode("marginAccount", data);
      expect(a.collateral).toBe(BigInt(viaIdl.collateral.toString()));
      expect(a.status).toBe(viaIdl.status);
    }
  });

  it("refuses other accounts and unknown statuses", async () => {
    const { data } = await encoded(rng(1), 0);
    const other = Buffer.from(data);
    other[0] ^= 1;
    expect(() => decodeMarginAccount("x", other, 0)).toThrow(DecodeError);
    expect(() => decodeMarginAccount("x", data.subarray(0, 600), 0)).toThrow(DecodeError);
    const bad = Buffer.from(data);
    bad[482] = 3;
    expect(() => decodeMarginAccount("x", bad, 0)).toThrow(/unknown status/);
  });
});
