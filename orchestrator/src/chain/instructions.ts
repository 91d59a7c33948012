// The three instructions the orchestrator sends, built from the IDL. Remaining accounts are the
// `[market, oracle]` pairs of the account's other open positions, in position order, as the
// program requires.
import { AnchorProvider, Program, type Wallet } from "@coral-xyz/anchor";
import { Connection, PublicKey, type AccountMeta, type TransactionInstruction } from "@solana/web3.js";
import BN from "bn.js";
import type { AccountState, MarketState } from "../risk/types.js";
import type { ExchangeState } from "./accounts.js";
import { IDL, type Margin } from "./idl.js";

export function marginProgram(connection: Connection, programId: PublicKey): Program<Margin> {
  const readOnly = { publicKey: PublicKey.default } as unknown as Wallet;
  return new Program<Margin>({ ...IDL, address: programId.toBase58() }, new AnchorProvider(connection, readOnly, {}));
}

export class MissingMarketError extends Error {}

function positionPairs(account: AccountState, markets: ReadonlyMap<string, MarketState>, skip: string | null): AccountMeta[] {
  const metas: AccountMeta[] = [];
  for (const p of account.positions) {
    if (p.market === skip) continue;
    const m = markets.get(p.market);
    if (!m) throw new MissingMarketError(`market ${p.market} of ${account.address} is not loaded`);
    metas.push({ pubkey: new PublicKey(m.address), isSigner: false, isWritable: false }, { pubkey: new PublicKey(m.oracle), isSigner: false, isWritable: false });
  }
  return metas;
}

export function flagInstruction(program: Program<Margin>, exchange: ExchangeState, account: AccountState, markets: ReadonlyMap<string, MarketState>): Promise<TransactionInstruction> {
  return program.methods
    .flagAccount()
    .accountsPartial({ exchange: new PublicKey(exchange.address), marginAccount: new PublicKey(account.address) })
    .remainingAccounts(positionPairs(account, markets, null))
    .instruction();
}

export function liquidateInstruction(
  program: Program<Margin>,
  liquidator: PublicKey,
  liquidatorToken: PublicKey,
  exchange: ExchangeState,
  account: AccountState,
  market: MarketState,
  markets: ReadonlyMap<string, MarketState>,
  limitPrice: bigint,
): Promise<TransactionInstruction> {
  return program.methods
    .liquidate(new BN(limitPrice.toString()))
    .accountsPartial({
      liquidator,
      exchange: new PublicKey(exchange.address),
      marginAccount: new PublicKey(account.address),
      market: new PublicKey(market.address),
      oracle: new PublicKey(market.oracle),
      liquidatorToken,
      quoteVault: new PublicKey(exchange.quoteVault),
      insuranceVault: new PublicKey(exchange.insuranceVault),
    })
    .remainingAccounts(positionPairs(account, markets, market.address))
    .instruction();
}

export function resolveInstruction(program: Program<Margin>, caller: PublicKey, exchange: ExchangeState, account: AccountState, market: MarketState): Promise<TransactionInstruction> {
  return program.methods
    .resolveBankruptcy()
    .accountsPartial({
      caller,
      exchange: new PublicKey(exchange.address),
      marginAccount: new PublicKey(account.address),
      market: new PublicKey(market.address),
      quoteVault: new PublicKey(exchange.quoteVault),
      insuranceVault: new PublicKey(exchange.insuranceVault),
    })
    .instruction();
}
