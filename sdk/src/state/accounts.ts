// Any account of the program, decoded from the IDL: the 8-byte discriminator names the type, Borsh
// (as Anchor writes it) the rest. Zero-copy accounts (Market, MarginAccount) decode the same way,
// their #[repr(C)] layouts carrying explicit padding.
import { Reader, fixedSize } from "../idl/codec.js";
import { IDL } from "../idl/idl.js";
import type { AccountData, AccountName } from "../idl/types.js";

/** Bytes that are not the account the caller expected. */
export class DecodeError extends Error {}

const bytesEqual = (a: Uint8Array, b: ArrayLike<number>, at = 0) => {
  for (let i = 0; i < b.length; i++) if (a[at + i] !== b[i]) return false;
  return true;
};

/** The 8-byte discriminator of account type `name`. */
export function accountDiscriminator(name: AccountName): Uint8Array {
  const a = IDL.accounts.find((x) => x.name === name);
  if (!a) throw new Error(`account ${name} is not in the IDL`);
  return Uint8Array.from(a.discriminator);
}

/** Size of account type `name` on chain, discriminator included. */
export const accountSize = (name: AccountName): number => 8 + fixedSize({ defined: { name } })!;

/** Which of the program's account types `data` is, by its discriminator; null for none. */
export function accountType(data: Uint8Array): AccountName | null {
  for (const a of IDL.accounts) if (data.length >= 8 && bytesEqual(data, a.discriminator)) return a.name as AccountName;
  return null;
}

/** Whether `data` starts with the discriminator of `name`. */
export const isAccount = (name: AccountName, data: Uint8Array): boolean =>
  data.length >= 8 && bytesEqual(data, accountDiscriminator(name));

/** Every field of account `name` from its bytes; a `DecodeError` when the discriminator is another's. */
export function decodeAccount<N extends AccountName>(name: N, data: Uint8Array, address = "account"): AccountData<N> {
  if (!isAccount(name, data)) throw new DecodeError(`${address} is not a ${name} account`);
  try {
    return new Reader(data, 8).read({ defined: { name } }) as AccountData<N>;
  } catch (e) {
    throw new DecodeError(`${address}: ${(e as Error).message}`);
  }
}
