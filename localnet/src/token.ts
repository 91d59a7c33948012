// SPL Token accounts and mints as a validator's RPC reads them: `getTokenAccountBalance`,
// `getTokenAccountsByOwner` and the `jsonParsed` encoding of both kinds of account.
import bs58 from "bs58";
import type { NativeAccount } from "./native.js";

export const TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
export const TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb";
export const TOKEN_PROGRAMS = [TOKEN_PROGRAM, TOKEN_2022_PROGRAM];

const ACCOUNT_LEN = 165;
const MINT_LEN = 82;
/** Token-2022 extensions follow the base layout, after padding to this offset and a one-byte account type. */
const TYPE_OFFSET = ACCOUNT_LEN;
const ACCOUNT_TYPE = { mint: 1, account: 2 } as const;

const STATES = ["uninitialized", "initialized", "frozen"] as const;

export interface TokenAccount {
  mint: string;
  owner: string;
  amount: bigint;
  delegate: string | null;
  state: (typeof STATES)[number];
  isNative: boolean;
  rentExemptReserve: bigint | null;
  delegatedAmount: bigint;
  closeAuthority: string | null;
}

export interface Mint {
  mintAuthority: string | null;
  supply: bigint;
  decimals: number;
  isInitialized: boolean;
  freezeAuthority: string | null;
}

const key = (data: Buffer, at: number) => bs58.encode(data.subarray(at, at + 32));
const optionalKey = (data: Buffer, at: number) => (data.readUInt32LE(at) === 1 ? key(data, at + 4) : null);

/** The kind of token-program account `data` holds, by length (and, past the base length, Token-2022's type byte). */
function kind(account: NativeAccount): "account" | "mint" | null {
  if (!TOKEN_PROGRAMS.includes(account.owner)) return null;
  const { data } = account;
  if (data.length === ACCOUNT_LEN) return "account";
  if (data.length === MINT_LEN) return "mint";
  if (account.owner !== TOKEN_2022_PROGRAM || data.length <= TYPE_OFFSET) return null;
  if (data[TYPE_OFFSET] === ACCOUNT_TYPE.account) return "account";
  if (data[TYPE_OFFSET] === ACCOUNT_TYPE.mint) return "mint";
  return null;
}

/** An initialized (or frozen) token account, or null for anything else. */
export function tokenAccount(account: NativeAccount | null): TokenAccount | null {
  if (!account || kind(account) !== "account") return null;
  const d = account.data;
  const state = STATES[d[108]];
  if (state === undefined || state === "uninitialized") return null;
  const isNative = d.readUInt32LE(109) === 1;
  return {
    mint: key(d, 0),
    owner: key(d, 32),
    amount: d.readBigUInt64LE(64),
    delegate: optionalKey(d, 72),
    state,
    isNative,
    rentExemptReserve: isNative ? d.readBigUInt64LE(113) : null,
    delegatedAmount: d.readBigUInt64LE(121),
    closeAuthority: optionalKey(d, 129),
  };
}

/** An initialized mint, or null. */
export function mint(account: NativeAccount | null): Mint | null {
  if (!account || kind(account) !== "mint") return null;
  const d = account.data;
  if (d[45] !== 1) return null;
  return {
    mintAuthority: optionalKey(d, 0),
    supply: d.readBigUInt64LE(36),
    decimals: d[44],
    isInitialized: true,
    freezeAuthority: optionalKey(d, 46),
  };
}

/** The `UiTokenAmount` a validator writes. */
export function uiAmount(amount: bigint, decimals: number) {
  const digits = amount.toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  const uiAmountString = fraction ? `${whole}.${fraction}` : whole;
  return { amount: amount.toString(), decimals, uiAmount: Number(uiAmountString), uiAmountString };
}

/**
 * The `jsonParsed` form of a token account or mint, or null when `account` is neither (the caller
 * then falls back to base64, as a validator does). A token account's decimals come from its mint.
 */
export function parsedTokenData(account: NativeAccount, mintOf: (address: string) => NativeAccount | null) {
  const program = account.owner === TOKEN_2022_PROGRAM ? "spl-token-2022" : "spl-token";
  const t = tokenAccount(account);
  if (t) {
    const m = mint(mintOf(t.mint));
    if (!m) return null;
    const info: Record<string, unknown> = {
      isNative: t.isNative,
      mint: t.mint,
      owner: t.owner,
      state: t.state,
      tokenAmount: uiAmount(t.amount, m.decimals),
    };
    if (t.delegate)
      Object.assign(info, { delegate: t.delegate, delegatedAmount: uiAmount(t.delegatedAmount, m.decimals) });
    if (t.rentExemptReserve !== null) info.rentExemptReserve = uiAmount(t.rentExemptReserve, m.decimals);
    if (t.closeAuthority) info.closeAuthority = t.closeAuthority;
    return { program, parsed: { info, type: "account" }, space: account.data.length };
  }
  const m = mint(account);
  if (m) {
    const info = {
      decimals: m.decimals,
      freezeAuthority: m.freezeAuthority,
      isInitialized: m.isInitialized,
      mintAuthority: m.mintAuthority,
      supply: m.supply.toString(),
    };
    return { program, parsed: { info, type: "mint" }, space: account.data.length };
  }
  return null;
}
