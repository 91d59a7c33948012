// Chain access: one initial load of every market, margin account and oracle, then websocket
// subscriptions kept alive by a silence watchdog (resubscribe), a periodic resync in
// getMultipleAccounts batches, and polling when the websocket is down. Older data never
// overwrites newer data, and `verifiedSlot` says up to which slot the copy is known current.
import { EventEmitter } from "node:events";
import type { Connection, PublicKey, GetProgramAccountsFilter } from "@solana/web3.js";
import bs58 from "bs58";
import type { AccountState, MarketState, PriceState } from "../risk/types.js";
import {
  DecodeError,
  EXCHANGE_OFFSET,
  MARGIN_ACCOUNT_SIZE,
  MARKET_SIZE,
  decodeMarginAccount,
  decodeMarket,
  discriminator,
} from "./accounts.js";
import { OracleError, readOracle } from "./oracle.js";
import { accountFromWire, type PubSub, type WireAccount } from "./pubsub.js";
import type { AccountReader, RawAccount } from "./rpc.js";
import { flatString } from "../../../sdk/src/address.js";

export interface FeedOptions {
  resubscribeAfterSilenceMs: number;
  resyncIntervalMs: number;
  resyncBatchSize: number;
  pollIntervalMs: number;
}

export interface FeedHooks {
  onWarning?(msg: string, fields: Record<string, unknown>): void;
  onResubscribe?(): void;
  onResync?(): void;
}

const SUBSCRIBE_TIMEOUT_MS = 5_000;

type Listener = { account: [AccountState]; market: [MarketState]; price: [string, PriceState | undefined, PriceState] };

/** Whether two reads of a margin account hold the same state (their slots aside). */
export function sameMarginAccount(a: AccountState, b: AccountState): boolean {
  if (
    a.address !== b.address ||
    a.owner !== b.owner ||
    a.exchange !== b.exchange ||
    a.collateral !== b.collateral ||
    a.lastActiveSlot !== b.lastActiveSlot ||
    a.liquidationId !== b.liquidationId ||
    a.status !== b.status ||
    a.positions.length !== b.positions.length ||
    a.shortfallMarkets.length !== b.shortfallMarkets.length ||
    (a.claims?.length ?? 0) !== (b.claims?.length ?? 0)
  )
    return false;
  for (let i = 0; i < a.positions.length; i++) {
    const p = a.positions[i];
    const q = b.positions[i];
    if (p.market !== q.market || p.base !== q.base || p.quoteEntry !== q.quoteEntry) return false;
  }
  for (let i = 0; i < a.shortfallMarkets.length; i++) if (a.shortfallMarkets[i] !== b.shortfallMarkets[i]) return false;
  for (let i = 0; i < (a.claims?.length ?? 0); i++) {
    const c = a.claims![i];
    const d = b.claims![i];
    if (c.marketIndex !== d.marketIndex || c.amount !== d.amount) return false;
  }
  return true;
}

/** Batches of margin accounts read at once while loading the book. */
const LOAD_PARALLEL_READS = 4;
/** Tries of each batch while loading (a rate-limited or briefly failing RPC must not stop the start), and the pause between. */
const LOAD_ATTEMPTS = 4;
const LOAD_RETRY_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ChainFeed extends EventEmitter<Listener> {
  readonly accounts = new Map<string, AccountState>();
  readonly markets = new Map<string, MarketState>();
  /** By oracle address. */
  readonly prices = new Map<string, PriceState>();
  currentSlot = 0;
  /** The copy is known current up to this slot (live subscriptions or the last complete resync). */
  verifiedSlot = 0;
  /** How to remove each live subscription. */
  private subscriptions: (() => void)[] = [];
  private lastNotificationMs = Date.now();
  private lastResubscribeMs = 0;
  private lastPollMs = 0;
  private live = false;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private resyncing: Promise<void> | null = null;
  private readonly exchangeAddress: string;
  private readonly programAddress: string;

  constructor(
    readonly connection: Connection,
    /** Batched reads (resyncs, re-reads) and the websocket: the lean clients of chain/rpc.ts and chain/pubsub.ts. */
    private readonly rpc: AccountReader,
    private readonly pubsub: PubSub,
    readonly programId: PublicKey,
    readonly exchange: PublicKey,
    private readonly opts: FeedOptions,
    private readonly hooks: FeedHooks = {},
  ) {
    super();
    this.exchangeAddress = exchange.toBase58();
    this.programAddress = programId.toBase58();
  }

  private filters(kind: "marginAccount" | "market", size: number): GetProgramAccountsFilter[] {
    return [
      { dataSize: size },
      { memcmp: { offset: 0, bytes: bs58.encode(discriminator(kind)) } },
      { memcmp: { offset: EXCHANGE_OFFSET[kind], bytes: this.exchange.toBase58() } },
    ];
  }

  /**
   * Loads everything, then subscribes, then reads the markets and oracles again: a change between
   * the load and the subscriptions' acknowledgement would otherwise wait for the next resync. A
   * full resync of the accounts follows in the background. Throws when the RPC cannot be reached.
   */
  async start(): Promise<void> {
    await this.loadAll();
    this.subscribe();
    if (!(await this.pubsub.acknowledged(SUBSCRIBE_TIMEOUT_MS)))
      this.hooks.onWarning?.("websocket subscriptions not acknowledged yet; polling covers until they are", {
        timeoutMs: SUBSCRIBE_TIMEOUT_MS,
      });
    await this.fetchBatched([...this.markets.keys(), ...[...this.markets.values()].map((m) => m.oracle)]);
    void this.resync();
    this.timers.push(
      setInterval(() => this.watchdog(), Math.max(100, Math.min(1000, this.opts.resubscribeAfterSilenceMs / 4))),
    );
    this.timers.push(setInterval(() => void this.resync(), this.opts.resyncIntervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe();
    await this.resyncing;
  }

  /**
   * Every market and margin account of the exchange, and every market's oracle. The margin accounts
   * are listed first (addresses only) and then read in batches, so the whole book never sits in
   * memory as one response: at 100,000 accounts that response and its parse were several times the
   * book's own size, and the heap they grew stayed the process's resident size.
   */
  async loadAll(): Promise<void> {
    const [markets, { slot: listedSlot, keys }] = await Promise.all([
      this.connection.getProgramAccounts(this.programId, {
        filters: this.filters("market", MARKET_SIZE),
        withContext: true,
      }),
      this.listMarginAccounts(),
    ]);
    const raw = (a: { owner: PublicKey; lamports: number; data: Buffer }): RawAccount => ({
      owner: a.owner.toBase58(),
      lamports: a.lamports,
      data: a.data,
    });
    for (const { pubkey, account } of markets.value)
      this.applyProgramAccount(flatString(pubkey.toBase58()), raw(account), markets.context.slot);
    let accountsSlot = await this.fetchBatched(keys, LOAD_PARALLEL_READS, LOAD_ATTEMPTS);
    // Listed but not read: closed since, or read from a node behind the one that listed it (with
    // several read endpoints). Asked once more; the resync that follows the start asks only for
    // accounts it knows.
    const unread = keys.filter((k) => !this.accounts.has(k));
    if (unread.length > 0) {
      await sleep(LOAD_RETRY_MS);
      accountsSlot = Math.min(accountsSlot, await this.fetchBatched(unread, LOAD_PARALLEL_READS, LOAD_ATTEMPTS));
    }
    await this.fetchBatched([...this.markets.values()].map((m) => m.oracle));
    this.verifiedSlot = Math.max(
      this.verifiedSlot,
      Math.min(markets.context.slot, listedSlot, keys.length > 0 ? accountsSlot : listedSlot),
    );
    this.currentSlot = Math.max(this.currentSlot, this.verifiedSlot);
  }

  /** The exchange's margin accounts, addresses only, and the slot of the listing. */
  private async listMarginAccounts(): Promise<{ slot: number; keys: string[] }> {
    const listed = await this.connection.getProgramAccounts(this.programId, {
      filters: this.filters("marginAccount", MARGIN_ACCOUNT_SIZE),
      dataSlice: { offset: 0, length: 0 },
      withContext: true,
    });
    // Flat copies: every account's address is kept as its map key (sdk/src/address.ts flatString).
    return { slot: listed.context.slot, keys: listed.value.map(({ pubkey }) => flatString(pubkey.toBase58())) };
  }

  /** Re-reads every known account in batches (getMultipleAccounts), newest data wins. */
  resync(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.resyncing ??= (async () => {
      try {
        const keys = [
          ...this.markets.keys(),
          ...[...this.markets.values()].map((m) => m.oracle),
          ...this.accounts.keys(),
        ];
        const slot = await this.fetchBatched(keys);
        if (!this.live) this.verifiedSlot = Math.max(this.verifiedSlot, slot);
        this.hooks.onResync?.();
      } catch (e) {
        this.hooks.onWarning?.("resync failed; keeping the last data", { error: (e as Error).message });
      } finally {
        this.resyncing = null;
      }
    })();
    return this.resyncing;
  }

  /**
   * Reads accounts now (e.g. after a confirmed transaction), `parallel` batches at a time; returns
   * the lowest context slot.
   */
  async fetchBatched(keys: string[], parallel = 1, attempts = 1): Promise<number> {
    let minSlot = Number.MAX_SAFE_INTEGER;
    let next = 0;
    let failed = false;
    const read = async (batch: string[]) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.rpc.getMultipleAccounts(batch);
        } catch (e) {
          if (attempt >= attempts || failed || this.stopped) throw e;
          await sleep(LOAD_RETRY_MS * attempt);
        }
      }
    };
    const reader = async () => {
      while (next < keys.length && !failed) {
        const batch = keys.slice(next, (next += this.opts.resyncBatchSize));
        let got: Awaited<ReturnType<AccountReader["getMultipleAccounts"]>>;
        try {
          got = await read(batch);
        } catch (e) {
          // The other readers stop too: the whole read has failed.
          failed = true;
          throw e;
        }
        const { slot, value } = got;
        minSlot = Math.min(minSlot, slot);
        this.currentSlot = Math.max(this.currentSlot, slot);
        for (const [j, info] of value.entries()) if (info) this.applyAny(batch[j], info, slot);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, parallel) }, reader));
    return minSlot === Number.MAX_SAFE_INTEGER ? this.currentSlot : minSlot;
  }

  /** Seconds since the last websocket notification (slot notifications arrive every slot). */
  get silenceMs(): number {
    return Date.now() - this.lastNotificationMs;
  }

  private applyAny(key: string, info: RawAccount, slot: number): void {
    if (info.owner === this.programAddress) this.applyProgramAccount(key, info, slot);
    else this.applyOracle(key, info, slot);
  }

  private applyProgramAccount(key: string, info: RawAccount, slot: number): void {
    try {
      if (info.data.length === MARGIN_ACCOUNT_SIZE) {
        const prev = this.accounts.get(key);
        if (prev && prev.slot > slot) return;
        const a = decodeMarginAccount(key, info.data, slot);
        if (a.exchange !== this.exchangeAddress) return;
        // A resync reads every account again, nearly all unchanged: the one held stays (its slot
        // too; how current the feed is, is `verifiedSlot`'s to say), and nothing is evaluated again.
        // Replacing them all made the book's worth of garbage every resync.
        if (prev && sameMarginAccount(prev, a)) return;
        this.accounts.set(key, a);
        this.emit("account", a);
      } else if (info.data.length === MARKET_SIZE) {
        const prev = this.markets.get(key);
        if (prev && prev.slot > slot) return;
        const m = decodeMarket(key, info.data, slot);
        if (m.exchange !== this.exchangeAddress) return;
        const isNew = !prev || prev.oracle !== m.oracle;
        this.markets.set(key, m);
        this.emit("market", m);
        if (isNew && !this.stopped && this.subscriptions.length > 0) this.subscribeOracle(m.oracle);
      }
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }

  private applyOracle(oracle: string, info: RawAccount, slot: number): void {
    const prev = this.prices.get(oracle);
    if (prev && prev.slot > slot) return;
    for (const m of this.markets.values()) {
      if (m.oracle !== oracle) continue;
      try {
        const next: PriceState = { ...readOracle(m, info.owner, info.data), oracle, slot };
        this.prices.set(oracle, next);
        this.emit("price", m.address, prev, next);
      } catch (e) {
        if (!(e instanceof OracleError)) throw e;
        // A price the program would refuse is no price: drop it so nothing is decided on it.
        this.prices.delete(oracle);
        this.hooks.onWarning?.("oracle unreadable; decisions on this market wait", { oracle, error: e.message });
      }
    }
  }

  private heard(): void {
    this.lastNotificationMs = Date.now();
    this.live = true;
  }

  private subscribe(): void {
    const slot = this.pubsub.subscribe("slotSubscribe", [], (r) => {
      const s = r as { slot: number };
      this.heard();
      this.currentSlot = Math.max(this.currentSlot, s.slot);
      if (this.live) this.verifiedSlot = Math.max(this.verifiedSlot, s.slot - 1);
    });
    const program = this.pubsub.subscribe(
      "programSubscribe",
      [this.programAddress, { encoding: "base64", commitment: "confirmed" }],
      (r) => {
        const { context, value } = r as { context: { slot: number }; value: { pubkey: string; account: WireAccount } };
        this.heard();
        this.applyProgramAccount(value.pubkey, accountFromWire(value.account), context.slot);
      },
    );
    this.subscriptions.push(slot, program);
    for (const oracle of new Set([...this.markets.values()].map((m) => m.oracle))) this.subscribeOracle(oracle);
    this.heard();
  }

  private subscribeOracle(oracle: string): void {
    const remove = this.pubsub.subscribe(
      "accountSubscribe",
      [oracle, { encoding: "base64", commitment: "confirmed" }],
      (r) => {
        const { context, value } = r as { context: { slot: number }; value: WireAccount | null };
        this.heard();
        if (value) this.applyOracle(oracle, accountFromWire(value), context.slot);
      },
    );
    this.subscriptions.push(remove);
  }

  private unsubscribe(): void {
    const removals = this.subscriptions.splice(0);
    this.live = false;
    for (const remove of removals) remove();
  }

  /** Slot notifications arrive every slot; silence means the websocket is gone. */
  private watchdog(): void {
    if (this.stopped) return;
    const now = Date.now();
    const silentMs = now - this.lastNotificationMs;
    if (silentMs < this.opts.resubscribeAfterSilenceMs) return;
    if (this.live) this.hooks.onWarning?.("websocket silent; resubscribing and polling meanwhile", { silentMs });
    this.live = false;
    if (now - this.lastResubscribeMs >= this.opts.resubscribeAfterSilenceMs) {
      this.lastResubscribeMs = now;
      this.hooks.onResubscribe?.();
      this.unsubscribe();
      this.pubsub.reconnect();
      if (!this.stopped) this.subscribe();
    }
    if (now - this.lastPollMs >= this.opts.pollIntervalMs) {
      this.lastPollMs = now;
      void this.resync();
    }
  }
}
