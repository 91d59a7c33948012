// A fresh, single-slot read of everything one decision needs: the margin account, the markets of
// its positions (and any others asked for) and their oracles, in one getMultipleAccounts call when
// the market → oracle pairs are known. Workers decide on this, never on the feed's copy, so a job
// acts only on what the chain says right now.
import type { AccountState, MarketState, PriceState } from "../risk/types.js";
import { decodeMarginAccount, decodeMarket } from "./accounts.js";
import { OracleError, readOracle } from "./oracle.js";
import type { AccountReader, RawAccount } from "./rpc.js";

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
  if (last?.data.equals(data)) return { ...last.market, slot };
  const m = decodeMarket(address, data, slot);
  if (decodedMarkets.size > 10_000) decodedMarkets.clear();
  decodedMarkets.set(address, { data, market: m });
  return m;
}

/** The markets and prices of `pairs`, read at `slot` (`infos`: market, oracle, market, oracle, …). */
function marketsAndPrices(pairs: [string, string][], infos: (RawAccount | null)[], slot: number) {
  const markets = new Map<string, MarketState>();
  const prices = new Map<string, PriceState>();
  const oracleErrors = new Map<string, string>();
  for (const [i, [address, oracle]] of pairs.entries()) {
    const marketInfo = infos[2 * i];
    const oracleInfo = infos[2 * i + 1];
    if (!marketInfo) continue;
    const m = market(address, marketInfo.data, slot);
    markets.set(address, m);
    if (!oracleInfo) {
      oracleErrors.set(oracle, "oracle account missing");
      continue;
    }
    try {
      prices.set(oracle, { ...readOracle(m, oracleInfo.owner, oracleInfo.data), oracle, slot });
    } catch (e) {
      if (!(e instanceof OracleError)) throw e;
      oracleErrors.set(oracle, e.message);
    }
  }
  return { markets, prices, oracleErrors };
}

/** `known`: market → oracle pairs already known (an oracle changes only through `set_market_oracle`, which the feed follows). */
export async function readSnapshot(
  rpc: AccountReader,
  account: string,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Snapshot> {
  for (let attempt = 0; ; attempt++) {
    const pairs = [...known];
    const keys = [account, ...pairs.flat()];
    const { slot, value } = await rpc.getMultipleAccounts(keys);
    if (!value[0]) throw new AccountGoneError(`margin account ${account} does not exist`);
    const state = decodeMarginAccount(account, value[0].data, slot);
    const unknown = state.positions.map((p) => p.market).filter((m) => !known.has(m));
    if (unknown.length > 0 && attempt === 0) {
      // A market not seen before: learn its oracle, then read everything again at one slot.
      const infos = (await rpc.getMultipleAccounts(unknown)).value;
      const more = new Map(known);
      for (const [i, info] of infos.entries())
        if (info) more.set(unknown[i], decodeMarket(unknown[i], info.data, slot).oracle);
      known = more;
      continue;
    }
    return { slot, account: state, ...marketsAndPrices(pairs, value.slice(1), slot) };
  }
}

/** Keys one getMultipleAccounts call may ask for (the limit of public RPC nodes). */
export const MAX_KEYS_PER_READ = 100;

interface Request {
  account: string;
  resolve(s: Snapshot): void;
  reject(e: unknown): void;
}

/**
 * Snapshots asked for in the same turn of the event loop share their reads: every market and
 * oracle once, as many margin accounts as fit beside them, one call per group, each group at one
 * slot. A wave's workers then cost one read per group of steps instead of one per step.
 */
export class SnapshotReader {
  private pending: Request[] = [];
  private scheduled = false;

  constructor(
    private readonly rpc: AccountReader,
    private readonly known: () => ReadonlyMap<string, string>,
    /** Before each shared call (the RPC rate budget). */
    private readonly beforeCall: () => Promise<void> = async () => {},
  ) {}

  read(account: string): Promise<Snapshot> {
    return new Promise((resolve, reject) => {
      this.pending.push({ account, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const requests = this.pending;
    this.pending = [];
    const known = this.known();
    const pairs = [...known];
    const perCall = Math.max(1, MAX_KEYS_PER_READ - 2 * pairs.length);
    const groups: Request[][] = [];
    for (let i = 0; i < requests.length; i += perCall) groups.push(requests.slice(i, i + perCall));
    await Promise.all(groups.map((g) => this.readGroup(g, pairs, known)));
  }

  private async readGroup(
    group: Request[],
    pairs: [string, string][],
    known: ReadonlyMap<string, string>,
  ): Promise<void> {
    const accounts = [...new Set(group.map((r) => r.account))];
    let result: { slot: number; value: (RawAccount | null)[] };
    try {
      await this.beforeCall();
      result = await this.rpc.getMultipleAccounts([...pairs.flat(), ...accounts]);
    } catch (e) {
      for (const r of group) r.reject(e);
      return;
    }
    const { slot, value } = result;
    let shared: ReturnType<typeof marketsAndPrices>;
    try {
      shared = marketsAndPrices(pairs, value, slot);
    } catch (e) {
      for (const r of group) r.reject(e);
      return;
    }
    const at = new Map(accounts.map((a, i) => [a, value[2 * pairs.length + i]]));
    for (const r of group) {
      try {
        const info = at.get(r.account);
        if (!info) throw new AccountGoneError(`margin account ${r.account} does not exist`);
        const state = decodeMarginAccount(r.account, info.data, slot);
        // A market not seen before: the single read learns its oracle.
        if (state.positions.some((p) => !known.has(p.market))) {
          this.beforeCall()
            .then(() => readSnapshot(this.rpc, r.account, known))
            .then(r.resolve, r.reject);
          continue;
        }
        // Each snapshot gets maps of its own: a job may annotate what it was given.
        r.resolve({
          slot,
          account: state,
          markets: new Map(shared.markets),
          prices: new Map(shared.prices),
          oracleErrors: new Map(shared.oracleErrors),
        });
      } catch (e) {
        r.reject(e);
      }
    }
  }
}
