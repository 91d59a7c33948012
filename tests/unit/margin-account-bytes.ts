// A margin account's bytes as the program stores them (Anchor's coder), without positions: for
// tests that feed readers raw accounts.
import { Keypair, PublicKey } from "@solana/web3.js";
import BN from "bn.js";
import { MARGIN_ACCOUNT_SIZE, accountsCoder } from "../../orchestrator/src/chain/accounts.js";

export async function emptyMarginAccount(
  collateral: number,
  keys: { owner?: PublicKey; exchange?: PublicKey } = {},
): Promise<Buffer> {
  const data = await accountsCoder.encode("marginAccount", {
    owner: keys.owner ?? Keypair.generate().publicKey,
    exchange: keys.exchange ?? Keypair.generate().publicKey,
    collateral: new BN(collateral),
    lastActiveSlot: new BN(1),
    liquidationId: new BN(0),
    positions: Array.from({ length: 8 }, () => ({ market: PublicKey.default, base: new BN(0), quoteEntry: new BN(0) })),
    version: 2,
    bump: 254,
    status: 0,
    padding: [0, 0, 0, 0, 0],
    shortfalls: Array.from({ length: 8 }, () => new BN(0)),
    shortfallMarketIndexes: Array(8).fill(0),
    reserved: Array(48).fill(0),
  });
  // The coder's buffer has room to spare; an account on chain is exactly its size.
  return data.subarray(0, MARGIN_ACCOUNT_SIZE);
}
