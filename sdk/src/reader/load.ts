// Everything of one exchange at once: its markets, their oracles and every margin account. The
// program's accounts are found with getProgramAccounts (filters on type, size and exchange, no
// data), then read in batches of getMultipleAccounts, so no single answer carries every account.
import { PROGRAM_ID } from "../idl/idl.js";
import { decodeExchange } from "../state/exchange.js";
import { decodeMarginAccount } from "../state/margin_account.js";
import { decodeMarket } from "../state/market.js";
import { OracleError, readOracle } from "../state/oracle.js";
import type { AccountState, Address, ExchangeState, MarketState, OracleReading } from "../state/types.js";
import { marginAccountFilters, marketFilters } from "./filters.js";
import { type AccountSource, getAccountsBatched } from "./source.js";

/** One exchange as read from the chain. */
export interface ExchangeSnapshot {
  exchange: ExchangeState;
  markets: Map<Address, MarketState>;
  accounts: AccountState[];
  /** Oracle readings by oracle address; null where the program would not parse the oracle (see `oracleErrors`). */
  readings: Map<Address, OracleReading | null>;
  oracleErrors: Map<Address, OracleError>;
  /** The lowest slot any read was served at. */
  slot: number;
}

/** Options of the readers. */
export interface LoadOptions {
  /** The program; the IDL's address by default. */
  programId?: Address;
  /** Addresses per getMultipleAccounts call (≤ 100). */
  perCall?: number;
}

/** The exchange at `exchange`, or an error when it does not exist. */
export async function loadExchangeAccount(source: AccountSource, exchange: Address): Promise<ExchangeState> {
  const [info] = (await source.getMultipleAccounts([exchange])).value;
  if (!info) throw new Error(`exchange ${exchange} does not exist`);
  return decodeExchange(exchange, info.data);
}

/** The markets of `exchange` and their oracle readings. */
export async function loadMarkets(source: AccountSource, exchange: Address, opts: LoadOptions = {}) {
  const addresses = await source.getProgramAccountAddresses(opts.programId ?? PROGRAM_ID, marketFilters(exchange));
  const { slot, value } = await getAccountsBatched(source, addresses, opts.perCall);
  const markets = new Map<Address, MarketState>();
  for (const [i, info] of value.entries())
    if (info) markets.set(addresses[i], decodeMarket(addresses[i], info.data, slot));
  const oracles = [...new Set([...markets.values()].map((m) => m.oracle))];
  const read = await getAccountsBatched(source, oracles, opts.perCall);
  const readings = new Map<Address, OracleReading | null>();
  const oracleErrors = new Map<Address, OracleError>();
  for (const m of markets.values()) {
    const info = read.value[oracles.indexOf(m.oracle)];
    try {
      if (!info) throw new OracleError("InvalidOracleAccount", "oracle account missing");
      readings.set(m.oracle, readOracle(m, info.owner, info.data));
    } catch (e) {
      if (!(e instanceof OracleError)) throw e;
      readings.set(m.oracle, null);
      oracleErrors.set(m.oracle, e);
    }
  }
  return { markets, readings, oracleErrors, slot: Math.min(slot, read.slot) };
}

/** Every margin account of `exchange`. */
export async function loadMarginAccounts(
  source: AccountSource,
  exchange: Address,
  opts: LoadOptions = {},
): Promise<{ accounts: AccountState[]; slot: number }> {
  const addresses = await source.getProgramAccountAddresses(
    opts.programId ?? PROGRAM_ID,
    marginAccountFilters(exchange),
  );
  const { slot, value } = await getAccountsBatched(source, addresses, opts.perCall);
  const accounts: AccountState[] = [];
  for (const [i, info] of value.entries()) if (info) accounts.push(decodeMarginAccount(addresses[i], info.data, slot));
  return { accounts, slot };
}

/** The exchange, its markets with their oracle readings, and every margin account on it. */
export async function loadExchange(
  source: AccountSource,
  exchange: Address,
  opts: LoadOptions = {},
): Promise<ExchangeSnapshot> {
  const [ex, markets, accounts] = await Promise.all([
    loadExchangeAccount(source, exchange),
    loadMarkets(source, exchange, opts),
    loadMarginAccounts(source, exchange, opts),
  ]);
  return { exchange: ex, ...markets, accounts: accounts.accounts, slot: Math.min(markets.slot, accounts.slot) };
}
