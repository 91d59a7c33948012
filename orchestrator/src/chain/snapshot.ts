// A fresh, single-slot read of everything one decision needs: the margin account, the markets of
// its positions (and any others asked for) and their oracles, in one getMultipleAccounts call when
// the market → oracle pairs are known. Workers decide on this, never on the feed's copy, so a job
// acts only on what the chain says right now.
import type { AccountState, MarketState, PriceState } from "../risk/types.js";
import { decodeMarginAccount, decodeMarket } from "./accounts.js";
import { OracleError, readOracle } from "./oracle.js";
import type { AccountReader } from "./rpc.js";

export interface Snapshot {
  slot: number;
  account: AccountState;
  markets: Map<string, MarketState>;
  /** By oracle; a missing entry means the program would refuse that oracle (see `oracleErrors`). */
  prices: Map<string, PriceState>;
  oracleErrors: Map<string, string>;
}

export class AccountGoneError extends Error {}

/**
 * The last decoding of each market's bytes: every step reads the same few markets, and between
 * trades and refreshes their bytes do not change.
 */
const decodedMarkets = new Map<string, { data: Buffer; market: MarketState }>();
function market(address: string, data: Buffer, slot: number): MarketState {
  const last = decodedMarkets.get(address);
  if (last && last.data.equals(data)) return { ...last.market, slot };
  const m = decodeMarket(address, data, slot);
  if (decodedMarkets.size > 10_000) decodedMarkets.clear();
  decodedMarkets.set(address, { data, market: m });
  return m;
}

/** `known`: market → oracle pairs already known (an oracle changes only through `set_market_oracle`, which the feed follows). */
export async function readSnapshot(rpc: AccountReader, account: string, known: ReadonlyMap<string, string> = new Map()): Promise<Snapshot> {
  for (let attempt = 0; ; attempt++) {
    const pairs = [...known];
    const keys = [account, ...pairs.flatMap(([market, oracle]) => [market, oracle])];
    const { slot, value } = await rpc.getMultipleAccounts(keys);
    if (!value[0]) throw new AccountGoneError(`margin account ${account} does not exist`);
    const state = decodeMarginAccount(account, value[0].data, slot);
    const unknown = state.positions.map((p) => p.market).filter((m) => !known.has(m));
    if (unknown.length > 0 && attempt === 0) {
      // A market not seen before: learn its oracle, then read everything again at one slot.
      const infos = (await rpc.getMultipleAccounts(unknown)).value;
      const more = new Map(known);
      infos.forEach((info, i) => info && more.set(unknown[i], decodeMarket(unknown[i], info.data, slot).oracle));
      known = more;
      continue;
    }
    const markets = new Map<string, MarketState>();
    const prices = new Map<string, PriceState>();
    const oracleErrors = new Map<string, string>();
    pairs.forEach(([address, oracle], i) => {
      const marketInfo = value[1 + 2 * i];
      const oracleInfo = value[2 + 2 * i];
      if (!marketInfo) return;
      const m = market(address, marketInfo.data, slot);
      markets.set(address, m);
      if (!oracleInfo) return void oracleErrors.set(oracle, "oracle account missing");
      try {
        prices.set(oracle, { ...readOracle(m, oracleInfo.owner, oracleInfo.data), oracle, slot });
      } catch (e) {
        if (!(e instanceof OracleError)) throw e;
        oracleErrors.set(oracle, e.message);
      }
    });
    return { slot, account: state, markets, prices, oracleErrors };
  }
}
