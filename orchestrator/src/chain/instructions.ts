// The four instructions the orchestrator sends, encoded straight from the IDL's discriminators and
// account order: they are built once per step in the hot path, and Anchor's method builder resolves
// accounts asynchronously at a cost of milliseconds. A test pins them to Anchor's own encoding.
// Remaining accounts are the `[market, oracle]` pairs of the account's other open positions, in
// position order, as the program requires.
import { PublicKey, TransactionInstruction, type AccountMeta } from "@solana/web3.js";
import { TOKEN_PROGRAM_ID } from "@solana/spl-token";
import type { AccountState, MarketState } from "../risk/types.js";
import type { ExchangeState } from "./accounts.js";
import { IDL } from "./idl.js";

export class MissingMarketError extends Error {}

function discriminator(name: string): Buffer {
  const ix = IDL.instructions.find((i) => i.name === name);
  if (!ix) throw new Error(`instruction ${name} is not in the IDL`);
  return Buffer.from(ix.discriminator);
}

const LIQUIDATE = discriminator("liquidate");
const RESOLVE_BANKRUPTCY = discriminator("resolve_bankruptcy");
const UNFLAG_ACCOUNT = discriminator("unflag_account");
const SETTLE_CLAIM = discriminator("settle_claim");

/** base58 → PublicKey, decoded once per address: the same few market, oracle and vault keys recur in every step. */
const keys = new Map<string, PublicKey>();
function key(address: string): PublicKey {
  let k = keys.get(address);
  if (!k) {
    if (keys.size > 100_000) keys.clear();
    keys.set(address, (k = new PublicKey(address)));
  }
  return k;
}

const meta = (pubkey: PublicKey, isWritable: boolean, isSigner = false): AccountMeta => ({
  pubkey,
  isSigner,
  isWritable,
});

function positionPairs(
  account: AccountState,
  markets: ReadonlyMap<string, MarketState>,
  skip: string | null,
): AccountMeta[] {
  const metas: AccountMeta[] = [];
  for (const p of account.positions) {
    if (p.market === skip) continue;
    const m = markets.get(p.market);
    if (!m) throw new MissingMarketError(`market ${p.market} of ${account.address} is not loaded`);
    metas.push(meta(key(m.address), false), meta(key(m.oracle), false));
  }
  return metas;
}

export interface Liquidator {
  authority: PublicKey;
  token: PublicKey;
}

export function liquidateInstruction(
  programId: PublicKey,
  liquidator: Liquidator,
  exchange: ExchangeState,
  account: AccountState,
  market: MarketState,
  markets: ReadonlyMap<string, MarketState>,
  limitPrice: bigint,
): TransactionInstruction {
  const data = Buffer.alloc(16);
  LIQUIDATE.copy(data, 0);
  data.writeBigUInt64LE(limitPrice, 8);
  return new TransactionInstruction({
    programId,
    keys: [
      meta(liquidator.authority, false, true),
      meta(key(exchange.address), true),
      meta(key(account.address), true),
      meta(key(market.address), true),
      meta(key(market.oracle), false),
      meta(liquidator.token, true),
      meta(key(exchange.quoteVault), true),
      meta(key(exchange.insuranceVault), true),
      meta(TOKEN_PROGRAM_ID, false),
      ...positionPairs(account, markets, market.address),
    ],
    data,
  });
}

/**
 * The markets a resolution names, as the program charges them: the account's shortfall record in
 * record order, or (a version-1 account without a record) the market with the most insurance.
 */
export function resolveMarkets(
  account: AccountState,
  markets: ReadonlyMap<string, MarketState>,
): [MarketState, ...MarketState[]] {
  if (account.shortfallMarkets.length > 0) {
    const byIndex = new Map([...markets.values()].map((m) => [m.index, m]));
    const charged = account.shortfallMarkets.map((i) => byIndex.get(i));
    if (charged.some((m) => !m))
      throw new Error(
        `a market of ${account.address}'s shortfall record (indexes ${account.shortfallMarkets.join(", ")}) is not loaded`,
      );
    return charged as [MarketState, ...MarketState[]];
  }
  const richest = [...markets.values()].sort((x, y) =>
    y.insuranceBalance > x.insuranceBalance ? 1 : y.insuranceBalance < x.insuranceBalance ? -1 : 0,
  )[0];
  if (!richest) throw new Error("no market known to pay the bankruptcy from");
  return [richest];
}

/**
 * `market` is the first market of the account's shortfall record; `others` the rest, in record
 * order (writable remaining accounts). An account without a record names any market.
 */
export function resolveInstruction(
  programId: PublicKey,
  caller: PublicKey,
  exchange: ExchangeState,
  account: AccountState,
  market: MarketState,
  others: MarketState[] = [],
): TransactionInstruction {
  return new TransactionInstruction({
    programId,
    keys: [
      meta(caller, false, true),
      meta(key(exchange.address), false),
      meta(key(account.address), true),
      meta(key(market.address), true),
      meta(key(exchange.quoteVault), true),
      meta(key(exchange.insuranceVault), true),
      meta(TOKEN_PROGRAM_ID, false),
      ...others.map((m) => meta(key(m.address), true)),
    ],
    data: Buffer.from(RESOLVE_BANKRUPTCY),
  });
}

/** Permissionless; remaining accounts: `[market, oracle]` of every open position. */
export function unflagInstruction(
  programId: PublicKey,
  exchange: ExchangeState,
  account: AccountState,
  markets: ReadonlyMap<string, MarketState>,
): TransactionInstruction {
  return new TransactionInstruction({
    programId,
    keys: [
      meta(key(exchange.address), false),
      meta(key(account.address), true),
      ...positionPairs(account, markets, null),
    ],
    data: Buffer.from(UNFLAG_ACCOUNT),
  });
}

/** Pays the account's claim on `market`'s pool as far as the pool holds money. */
export function settleClaimInstruction(
  programId: PublicKey,
  exchange: ExchangeState,
  account: AccountState,
  market: MarketState,
): TransactionInstruction {
  return new TransactionInstruction({
    programId,
    keys: [meta(key(exchange.address), false), meta(key(account.address), true), meta(key(market.address), true)],
    data: Buffer.from(SETTLE_CLAIM),
  });
}
