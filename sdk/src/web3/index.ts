// The SDK over @solana/web3.js 1.x: a Connection as the readers' and subscriptions' client, and
// the SDK's instructions as TransactionInstructions.
import { type AccountInfo, type Connection, PublicKey, TransactionInstruction } from "@solana/web3.js";
import type { Instruction } from "../instructions/build.js";
import type { AccountClient, AccountFilter, RawAccount } from "../reader/source.js";
import type { Address } from "../state/types.js";

const keys = new Map<string, PublicKey>();
/** A PublicKey per address, built once (the same market, oracle and vault keys recur in every instruction). */
export function publicKey(address: Address): PublicKey {
  let k = keys.get(address);
  if (!k) {
    if (keys.size > 100_000) keys.clear();
    keys.set(address, (k = new PublicKey(address)));
  }
  return k;
}

/** An SDK instruction as a web3.js TransactionInstruction. */
export const toWeb3Instruction = (ix: Instruction): TransactionInstruction =>
  new TransactionInstruction({
    programId: publicKey(ix.programAddress),
    keys: ix.accounts.map((a) => ({ pubkey: publicKey(a.address), isSigner: a.signer, isWritable: a.writable })),
    data: Buffer.from(ix.data.buffer, ix.data.byteOffset, ix.data.byteLength),
  });

/** A web3.js AccountInfo as the SDK's RawAccount. */
export const fromWeb3Account = (a: AccountInfo<Buffer>): RawAccount => ({
  owner: a.owner.toBase58(),
  lamports: BigInt(a.lamports),
  data: a.data,
});

const web3Filters = (filters: AccountFilter[]) =>
  filters.map((f) =>
    "dataSize" in f ? { dataSize: f.dataSize } : { memcmp: { offset: f.memcmp.offset, bytes: f.memcmp.bytes } },
  );

/** A web3.js Connection as the SDK's account client, at the `confirmed` commitment. */
export function web3Client(connection: Connection): AccountClient {
  return {
    async getProgramAccountAddresses(programId, filters) {
      const accounts = await connection.getProgramAccounts(publicKey(programId), {
        commitment: "confirmed",
        filters: web3Filters(filters),
        dataSlice: { offset: 0, length: 0 },
      });
      return accounts.map((a) => a.pubkey.toBase58());
    },
    async getMultipleAccounts(addresses) {
      const { context, value } = await connection.getMultipleAccountsInfoAndContext(
        addresses.map(publicKey),
        "confirmed",
      );
      return { slot: context.slot, value: value.map((a) => (a ? fromWeb3Account(a) : null)) };
    },
    onAccount(address, cb) {
      const id = connection.onAccountChange(publicKey(address), (a, ctx) => cb(fromWeb3Account(a), ctx.slot), {
        commitment: "confirmed",
      });
      return () => void connection.removeAccountChangeListener(id);
    },
    onProgramAccounts(programId, filters, cb) {
      const id = connection.onProgramAccountChange(
        publicKey(programId),
        (k, ctx) => cb(k.accountId.toBase58(), fromWeb3Account(k.accountInfo), ctx.slot),
        { commitment: "confirmed", filters: web3Filters(filters) },
      );
      return () => void connection.removeProgramAccountChangeListener(id);
    },
  };
}
