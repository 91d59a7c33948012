// The four instructions the orchestrator sends, built by the SDK from the IDL (sdk/src/instructions/)
// and handed to web3.js; a test pins them to Anchor's own encoding. Remaining accounts are the
// `[market, oracle]` pairs of the account's other open positions, in position order, as the
// program requires.
import type { PublicKey, TransactionInstruction } from "@solana/web3.js";
import * as sdk from "../../../sdk/src/instructions/account.js";
import { toWeb3Instruction } from "../../../sdk/src/web3/index.js";
import type { AccountState, ExchangeState, MarketState } from "../../../sdk/src/state/types.js";

export { MissingMarketError, resolveMarkets } from "../../../sdk/src/instructions/account.js";

/** Who liquidates: the signing authority and its quote token account (fees are paid to it). */
export interface Liquidator {
  authority: PublicKey;
  token: PublicKey;
}

/** One liquidation step on `account`'s position in `market`, no worse than `limitPrice`. */
export function liquidateInstruction(
  programId: PublicKey,
  liquidator: Liquidator,
  exchange: ExchangeState,
  account: AccountState,
  market: MarketState,
  markets: ReadonlyMap<string, MarketState>,
  limitPrice: bigint,
): TransactionInstruction {
  return toWeb3Instruction(
    sdk.liquidateInstruction({
      programId: programId.toBase58(),
      liquidator: liquidator.authority.toBase58(),
      liquidatorToken: liquidator.token.toBase58(),
      exchange,
      account,
      market,
      markets,
      limitPrice,
    }),
  );
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
  return toWeb3Instruction(
    sdk.resolveBankruptcyInstruction({
      programId: programId.toBase58(),
      caller: caller.toBase58(),
      exchange,
      account,
      market: market.address,
      others: others.map((m) => m.address),
    }),
  );
}

/** Permissionless; remaining accounts: `[market, oracle]` of every open position. */
export function unflagInstruction(
  programId: PublicKey,
  exchange: ExchangeState,
  account: AccountState,
  markets: ReadonlyMap<string, MarketState>,
): TransactionInstruction {
  return toWeb3Instruction(
    sdk.unflagAccountInstruction({ programId: programId.toBase58(), exchange, account, markets }),
  );
}

/** Pays the account's claim on `market`'s pool as far as the pool holds money. */
export function settleClaimInstruction(
  programId: PublicKey,
  exchange: ExchangeState,
  account: AccountState,
  market: MarketState,
): TransactionInstruction {
  return toWeb3Instruction(
    sdk.settleClaimInstruction({ programId: programId.toBase58(), exchange, account, market: market.address }),
  );
}
