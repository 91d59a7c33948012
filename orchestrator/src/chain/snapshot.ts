// A fresh, single-slot read of everything one decision needs: the margin account, the markets of
// its positions (or all given markets) and their oracles. Workers decide on this, never on the
// feed's copy, so a job acts only on what the chain says right now.
import { Connection, PublicKey } from "@solana/web3.js";
import type { AccountState, MarketState, PriceState } from "../risk/types.js";
import { decodeMarginAccount, decodeMarket } from "./accounts.js";
import { OracleError, readOracle } from "./oracle.js";

export interface Snapshot {
  slot: number;
  account: AccountState;
  markets: Map<string, MarketState>;
  /** By oracle; a missing entry means the program would refuse that oracle (see `oracleErrors`). */
  prices: Map<string, PriceState>;
  oracleErrors: Map<string, string>;
}

export class AccountGoneError extends Error {}

export async function readSnapshot(connection: Connection, account: string, extraMarkets: string[] = []): Promise<Snapshot> {
  const first = await connection.getAccountInfoAndContext(new PublicKey(account), "confirmed");
  if (!first.value) throw new AccountGoneError(`margin account ${account} does not exist`);
  let state = decodeMarginAccount(account, first.value.data, first.context.slot);
  const marketKeys = [...new Set([...state.positions.map((p) => p.market), ...extraMarkets])];
  const markets = new Map<string, MarketState>();
  const prices = new Map<string, PriceState>();
  const oracleErrors = new Map<string, string>();
  if (marketKeys.length === 0) return { slot: first.context.slot, account: state, markets, prices, oracleErrors };

  const marketInfos = await connection.getMultipleAccountsInfoAndContext(marketKeys.map((k) => new PublicKey(k)), "confirmed");
  marketInfos.value.forEach((info, i) => info && markets.set(marketKeys[i], decodeMarket(marketKeys[i], info.data, marketInfos.context.slot)));
  // Account and oracles in one call so the decision sees them at one slot.
  const oracles = [...new Set([...markets.values()].map((m) => m.oracle))];
  const keys = [account, ...oracles];
  const { context, value } = await connection.getMultipleAccountsInfoAndContext(keys.map((k) => new PublicKey(k)), "confirmed");
  if (!value[0]) throw new AccountGoneError(`margin account ${account} does not exist`);
  state = decodeMarginAccount(account, value[0].data, context.slot);
  oracles.forEach((oracle, i) => {
    const info = value[i + 1];
    const market = [...markets.values()].find((m) => m.oracle === oracle)!;
    if (!info) return void oracleErrors.set(oracle, "oracle account missing");
    try {
      prices.set(oracle, { ...readOracle(market, info.owner.toBase58(), info.data), oracle, slot: context.slot });
    } catch (e) {
      if (!(e instanceof OracleError)) throw e;
      oracleErrors.set(oracle, e.message);
    }
  });
  return { slot: context.slot, account: state, markets, prices, oracleErrors };
}
