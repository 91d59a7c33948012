// Builders for the instructions that act on one margin account, with the remaining accounts the
// program reads filled in from the account's positions: the `[market, oracle]` pair of every open
// position (except the one traded or liquidated), in position order, as `other_positions` in
// programs/margin/src/instructions/common.rs requires.
import type { AccountState, Address, ExchangeState, MarketState } from "../state/types.js";
import { type AccountMeta, type Instruction, buildInstruction } from "./build.js";

/** The markets an account's positions are in, by address (what the builders need of each). */
export type MarketLookup = ReadonlyMap<Address, Pick<MarketState, "address" | "oracle">>;

/** A position's market that is not in the lookup. */
export class MissingMarketError extends Error {}

const readonly = (address: Address): AccountMeta => ({ address, signer: false, writable: false });

/** `[market, oracle]` of every open position of `account` except the one in `skip`, in position order. */
export function positionPairs(
  account: AccountState,
  markets: MarketLookup,
  skip: Address | null = null,
): AccountMeta[] {
  const metas: AccountMeta[] = [];
  for (const p of account.positions) {
    if (p.market === skip) continue;
    const m = markets.get(p.market);
    if (!m) throw new MissingMarketError(`market ${p.market} of ${account.address} is not loaded`);
    metas.push(readonly(m.address), readonly(m.oracle));
  }
  return metas;
}

/** Common inputs: the exchange and, when not the IDL's, the program. */
interface On {
  exchange: Pick<ExchangeState, "address" | "quoteVault" | "insuranceVault">;
  programId?: Address;
}

/** `create_margin_account`: the owner's account PDA on the exchange (the owner pays rent). */
export const createMarginAccountInstruction = (p: { owner: Address; exchange: Address; programId?: Address }) =>
  buildInstruction("createMarginAccount", { owner: p.owner, exchange: p.exchange }, {}, p);

/**
 * `deposit` of `amount` quote native units from `userToken`. With `markets`, a flagged account's
 * positions are passed so that a deposit restoring its liquidation-end level also unflags it.
 */
export const depositInstruction = (
  p: On & { owner: Address; account: AccountState; userToken: Address; amount: bigint; markets?: MarketLookup },
): Instruction =>
  buildInstruction(
    "deposit",
    {
      owner: p.owner,
      exchange: p.exchange.address,
      marginAccount: p.account.address,
      userToken: p.userToken,
      quoteVault: p.exchange.quoteVault,
    },
    { amount: p.amount },
    { programId: p.programId, remaining: p.markets ? positionPairs(p.account, p.markets) : [] },
  );

/** `withdraw` of `amount` to `userToken`; every open position's pair is passed (the initial check). */
export const withdrawInstruction = (
  p: On & { owner: Address; account: AccountState; userToken: Address; amount: bigint; markets: MarketLookup },
): Instruction =>
  buildInstruction(
    "withdraw",
    {
      owner: p.owner,
      exchange: p.exchange.address,
      marginAccount: p.account.address,
      userToken: p.userToken,
      quoteVault: p.exchange.quoteVault,
    },
    { amount: p.amount },
    { programId: p.programId, remaining: positionPairs(p.account, p.markets) },
  );

/** `trade` of `baseDelta` (BASE_PRECISION, signed) on `market`, no worse than `limitPrice`; the other positions' pairs are passed. */
export const tradeInstruction = (
  p: On & {
    owner: Address;
    account: AccountState;
    market: Pick<MarketState, "address" | "oracle">;
    markets: MarketLookup;
    baseDelta: bigint;
    limitPrice: bigint;
  },
): Instruction =>
  buildInstruction(
    "trade",
    {
      owner: p.owner,
      exchange: p.exchange.address,
      marginAccount: p.account.address,
      market: p.market.address,
      oracle: p.market.oracle,
    },
    { baseDelta: p.baseDelta, limitPrice: p.limitPrice },
    { programId: p.programId, remaining: positionPairs(p.account, p.markets, p.market.address) },
  );

/** `flag_account` (permissionless): every open position's pair is passed. */
export const flagAccountInstruction = (p: On & { account: AccountState; markets: MarketLookup }): Instruction =>
  buildInstruction(
    "flagAccount",
    { exchange: p.exchange.address, marginAccount: p.account.address },
    {},
    { programId: p.programId, remaining: positionPairs(p.account, p.markets) },
  );

/** `unflag_account` (permissionless): every open position's pair is passed. */
export const unflagAccountInstruction = (p: On & { account: AccountState; markets: MarketLookup }): Instruction =>
  buildInstruction(
    "unflagAccount",
    { exchange: p.exchange.address, marginAccount: p.account.address },
    {},
    { programId: p.programId, remaining: positionPairs(p.account, p.markets) },
  );

/**
 * `liquidate` one step of the account's position on `market`, at no worse an execution price than
 * `limitPrice` (a floor when closing a long, a cap when closing a short); the other positions' pairs are passed.
 */
export const liquidateInstruction = (
  p: On & {
    liquidator: Address;
    liquidatorToken: Address;
    account: AccountState;
    market: Pick<MarketState, "address" | "oracle">;
    markets: MarketLookup;
    limitPrice: bigint;
  },
): Instruction =>
  buildInstruction(
    "liquidate",
    {
      liquidator: p.liquidator,
      exchange: p.exchange.address,
      marginAccount: p.account.address,
      market: p.market.address,
      oracle: p.market.oracle,
      liquidatorToken: p.liquidatorToken,
      quoteVault: p.exchange.quoteVault,
      insuranceVault: p.exchange.insuranceVault,
    },
    { limitPrice: p.limitPrice },
    { programId: p.programId, remaining: positionPairs(p.account, p.markets, p.market.address) },
  );

/**
 * The markets a resolution names, as the program charges them: the account's shortfall record in
 * record order, or (a version-1 account without a record) the market with the most insurance.
 */
export function resolveMarkets<M extends Pick<MarketState, "index" | "insuranceBalance">>(
  account: AccountState,
  markets: ReadonlyMap<Address, M>,
): [M, ...M[]] {
  if (account.shortfallMarkets.length > 0) {
    const byIndex = new Map([...markets.values()].map((m) => [m.index, m]));
    const charged = account.shortfallMarkets.map((i) => byIndex.get(i));
    if (charged.some((m) => !m))
      throw new MissingMarketError(
        `a market of ${account.address}'s shortfall record (indexes ${account.shortfallMarkets.join(", ")}) is not loaded`,
      );
    return charged as [M, ...M[]];
  }
  const richest = [...markets.values()].sort((x, y) =>
    y.insuranceBalance > x.insuranceBalance ? 1 : y.insuranceBalance < x.insuranceBalance ? -1 : 0,
  )[0];
  if (!richest) throw new MissingMarketError("no market known to pay the bankruptcy from");
  return [richest];
}

/** `resolve_bankruptcy`: `market` first of the shortfall record, `others` the rest in record order (writable). */
export const resolveBankruptcyInstruction = (
  p: On & { caller: Address; account: AccountState; market: Address; others?: Address[] },
): Instruction =>
  buildInstruction(
    "resolveBankruptcy",
    {
      caller: p.caller,
      exchange: p.exchange.address,
      marginAccount: p.account.address,
      market: p.market,
      quoteVault: p.exchange.quoteVault,
      insuranceVault: p.exchange.insuranceVault,
    },
    {},
    {
      programId: p.programId,
      remaining: (p.others ?? []).map((address) => ({ address, signer: false, writable: true })),
    },
  );

/** `settle_claim`: pays the account's claim on `market`'s pool as far as the pool holds money. */
export const settleClaimInstruction = (p: On & { account: AccountState; market: Address }): Instruction =>
  buildInstruction(
    "settleClaim",
    { exchange: p.exchange.address, marginAccount: p.account.address, market: p.market },
    {},
    { programId: p.programId },
  );

/** `refresh_market` (permissionless): records the oracle's price and updates the volatility estimate. */
export const refreshMarketInstruction = (p: {
  market: Pick<MarketState, "address" | "oracle">;
  programId?: Address;
}): Instruction => buildInstruction("refreshMarket", { market: p.market.address, oracle: p.market.oracle }, {}, p);
