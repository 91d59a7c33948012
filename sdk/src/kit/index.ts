// The SDK over @solana/kit: its Rpc and RpcSubscriptions as the readers' and subscriptions' client,
// and the SDK's instructions as kit Instructions.
import {
  AccountRole,
  type Address as KitAddress,
  type Base58EncodedBytes,
  type GetMultipleAccountsApi,
  type GetProgramAccountsApi,
  type Instruction as KitInstruction,
  type AccountNotificationsApi,
  type ProgramNotificationsApi,
  type Rpc,
  type RpcSubscriptions,
  address as kitAddress,
} from "@solana/kit";
import type { Instruction } from "../instructions/build.js";
import type { AccountClient, AccountFilter, RawAccount, Unsubscribe } from "../reader/source.js";
import type { Address } from "../state/types.js";

/** An SDK instruction as a kit Instruction. */
export const toKitInstruction = (ix: Instruction): KitInstruction =>
  ({
    programAddress: kitAddress(ix.programAddress),
    accounts: ix.accounts.map((a) => ({
      address: kitAddress(a.address),
      role: a.signer
        ? a.writable
          ? AccountRole.WRITABLE_SIGNER
          : AccountRole.READONLY_SIGNER
        : a.writable
          ? AccountRole.WRITABLE
          : AccountRole.READONLY,
    })),
    data: ix.data,
  }) as KitInstruction;

const fromBase64 = (s: string): Uint8Array => {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};

type Wire = { owner: KitAddress; lamports: bigint; data: readonly [string, "base64"] };
/** A kit base64 account as the SDK's RawAccount. */
export const fromKitAccount = (a: Wire): RawAccount => ({
  owner: a.owner,
  lamports: BigInt(a.lamports),
  data: fromBase64(a.data[0]),
});

const kitFilters = (filters: AccountFilter[]) =>
  filters.map((f) =>
    "dataSize" in f
      ? { dataSize: BigInt(f.dataSize) }
      : {
          memcmp: {
            offset: BigInt(f.memcmp.offset),
            bytes: f.memcmp.bytes as Base58EncodedBytes,
            encoding: "base58" as const,
          },
        },
  );

/** Runs `stream` until unsubscribed, feeding `each` every notification. */
function consume<T>(stream: (signal: AbortSignal) => Promise<AsyncIterable<T>>, each: (n: T) => void): Unsubscribe {
  const abort = new AbortController();
  void (async () => {
    try {
      for await (const n of await stream(abort.signal)) each(n);
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
  })();
  return () => abort.abort();
}

/**
 * A kit Rpc (and, for subscriptions, RpcSubscriptions) as the SDK's account client, at the
 * `confirmed` commitment.
 */
export function kitClient(
  rpc: Rpc<GetProgramAccountsApi & GetMultipleAccountsApi>,
  subscriptions?: RpcSubscriptions<AccountNotificationsApi & ProgramNotificationsApi>,
): AccountClient {
  const needSubscriptions = () => {
    if (!subscriptions) throw new Error("kitClient was created without RpcSubscriptions");
    return subscriptions;
  };
  return {
    async getProgramAccountAddresses(programId, filters) {
      const accounts = await rpc
        .getProgramAccounts(kitAddress(programId), {
          commitment: "confirmed",
          encoding: "base64",
          filters: kitFilters(filters),
          dataSlice: { offset: 0, length: 0 },
        })
        .send();
      return accounts.map((a) => a.pubkey as Address);
    },
    async getMultipleAccounts(addresses) {
      const { context, value } = await rpc
        .getMultipleAccounts(addresses.map(kitAddress), { commitment: "confirmed", encoding: "base64" })
        .send();
      return { slot: Number(context.slot), value: value.map((a) => (a ? fromKitAccount(a) : null)) };
    },
    onAccount(address, cb) {
      const subs = needSubscriptions();
      return consume(
        (abortSignal) =>
          subs
            .accountNotifications(kitAddress(address), { commitment: "confirmed", encoding: "base64" })
            .subscribe({ abortSignal }),
        (n) => cb(fromKitAccount(n.value), Number(n.context.slot)),
      );
    },
    onProgramAccounts(programId, filters, cb) {
      const subs = needSubscriptions();
      return consume(
        (abortSignal) =>
          subs
            .programNotifications(kitAddress(programId), {
              commitment: "confirmed",
              encoding: "base64",
              filters: kitFilters(filters),
            })
            .subscribe({ abortSignal }),
        (n) => cb(n.value.pubkey, fromKitAccount(n.value.account), Number(n.context.slot)),
      );
    },
  };
}
