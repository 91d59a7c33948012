// What the readers and subscriptions need of a client, in client-neutral terms. The web3.js
// adapter (sdk/src/web3/) and the @solana/kit adapter (sdk/src/kit/) each provide both.
import type { Address } from "../state/types.js";

/** An account as an RPC returns it. */
export interface RawAccount {
  owner: Address;
  lamports: bigint;
  data: Uint8Array;
}

/** A getProgramAccounts filter: bytes (base58) at an offset, or an exact data size. */
export type AccountFilter = { memcmp: { offset: number; bytes: string } } | { dataSize: number };

/** Reads accounts at the `confirmed` commitment. */
export interface AccountSource {
  /** Addresses of the program's accounts matching every filter (their data is not fetched). */
  getProgramAccountAddresses(programId: Address, filters: AccountFilter[]): Promise<Address[]>;
  /** Accounts by address at one slot (at most 100 addresses a call); null for a missing one. */
  getMultipleAccounts(addresses: Address[]): Promise<{ slot: number; value: (RawAccount | null)[] }>;
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

/** Change notifications at the `confirmed` commitment. */
export interface AccountSubscriber {
  /** Every change of the account at `address`. */
  onAccount(address: Address, cb: (account: RawAccount, slot: number) => void): Unsubscribe;
  /** Every change of any of the program's accounts matching every filter. */
  onProgramAccounts(
    programId: Address,
    filters: AccountFilter[],
    cb: (address: Address, account: RawAccount, slot: number) => void,
  ): Unsubscribe;
}

/** Both halves, as each adapter provides them. */
export type AccountClient = AccountSource & AccountSubscriber;

/** Keys one getMultipleAccounts call may ask for (the limit of public RPC nodes). */
export const MAX_KEYS_PER_CALL = 100;

/** `getMultipleAccounts` over any number of addresses, in calls of at most `MAX_KEYS_PER_CALL`; the slot is the lowest any call read at. */
export async function getAccountsBatched(
  source: AccountSource,
  addresses: Address[],
  perCall = MAX_KEYS_PER_CALL,
): Promise<{ slot: number; value: (RawAccount | null)[] }> {
  const calls: Promise<{ slot: number; value: (RawAccount | null)[] }>[] = [];
  for (let i = 0; i < addresses.length; i += perCall)
    calls.push(source.getMultipleAccounts(addresses.slice(i, i + perCall)));
  const answers = await Promise.all(calls);
  return {
    slot: answers.length ? Math.min(...answers.map((a) => a.slot)) : 0,
    value: answers.flatMap((a) => a.value),
  };
}
