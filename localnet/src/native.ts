// Loads the napi-rs binding of the native runtime (built by `npm run build:native`).
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export interface NativeAccount {
  lamports: bigint;
  owner: string;
  data: Buffer;
  executable: boolean;
  rentEpoch: bigint;
}

export interface KeyedNativeAccount {
  pubkey: string;
  account: NativeAccount;
}

export interface TxOutcome {
  signature: string;
  /** The validator's JSON error shape as a string; null/undefined on success. */
  errJson?: string | null;
  errMessage?: string | null;
  logs: string[];
  accounts: KeyedNativeAccount[];
  /** A send's static account keys and their lamports before and after it; empty for simulations. */
  accountKeys: string[];
  preBalances: number[];
  postBalances: number[];
}

export interface NativeRuntime {
  marginProgramId(): string;
  latestBlockhash(): string;
  newBlockhash(): string;
  slot(): bigint;
  setClock(slot: bigint, unixTimestamp: number): void;
  minimumBalanceForRentExemption(dataLen: number): bigint;
  getAccount(address: string): NativeAccount | null;
  setAccount(address: string, account: NativeAccount): void;
  programAccounts(owner: string): KeyedNativeAccount[];
  /**
   * With `preflight`, a transaction failing in simulation is refused unexecuted and its signature
   * not kept; without it, a failed transaction's signature counts as processed, as on a validator.
   */
  sendTransaction(wire: Buffer, preflight: boolean): TxOutcome;
  /** Queues the transaction at once (it runs after every earlier call) and resolves when it has run. */
  sendTransactionAsync(wire: Buffer, preflight: boolean): Promise<TxOutcome>;
  simulateTransaction(wire: Buffer, sigVerify: boolean): TxOutcome;
}

export const NATIVE_BINDING_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../native/localnet.node",
);

export function loadNativeRuntime(): new () => NativeRuntime {
  if (!existsSync(NATIVE_BINDING_PATH)) {
    throw new Error(
      `native runtime binding not found at ${NATIVE_BINDING_PATH}; build it with \`npm run build:native\``,
    );
  }
  const require = createRequire(import.meta.url);
  return require(NATIVE_BINDING_PATH).NativeRuntime;
}
