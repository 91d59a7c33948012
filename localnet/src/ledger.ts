// The chain a localnet serves: the native runtime plus what a validator adds around it (slots on a
// timer, a window of recent blockhashes, a transaction history and signature statuses, a faucet)
// and the events the PubSub server turns into notifications.
import { EventEmitter } from "node:events";
import { createHash } from "node:crypto";
import bs58 from "bs58";
import {
  ComputeBudgetProgram,
  Keypair,
  type PublicKey,
  SystemProgram,
  Transaction,
  VersionedTransaction,
} from "@solana/web3.js";
import { loadNativeRuntime, type NativeAccount, type NativeRuntime, type TxOutcome } from "./native.js";

/** How many blocks a blockhash stays usable, as on a validator. */
export const MAX_PROCESSING_AGE = 150;
/** Slots after which a transaction counts as finalized. */
export const FINALIZATION_DEPTH = 32;
export const LAMPORTS_PER_SIGNATURE = 5000;
const HISTORY_LIMIT = 50_000;
/** Slots whose block time is kept (`getBlockTime`, `minimumLedgerSlot`): about 11 hours of 400 ms slots. */
const BLOCK_TIME_SLOTS = 100_000;
const FEE_HISTORY_SLOTS = 150;

export interface LedgerOptions {
  /** Milliseconds per slot; 0 stops the timer (slots move only by `advanceSlots`). */
  slotMs: number;
}

export interface TxRecord {
  signature: string;
  slot: number;
  blockTime: number;
  wire: Buffer;
  err: unknown | null;
  errMessage: string | null;
  logs: string[];
  fee: number;
  preBalances: number[];
  postBalances: number[];
  accountKeys: string[];
}

export interface AccountChange {
  pubkey: string;
  /** Null when the account was closed. */
  account: NativeAccount | null;
  slot: number;
}

export type SendOutcome =
  | { kind: "landed"; record: TxRecord }
  | { kind: "rejected"; err: unknown; errMessage: string; logs: string[] };

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export class Ledger extends EventEmitter {
  readonly runtime: NativeRuntime;
  readonly genesisHash: string;
  readonly faucet = Keypair.generate();
  slot = 0;
  blockHeight = 0;
  /** Transactions executed into the history (failed ones sent with skipPreflight included). */
  transactionCount = 0;
  /** JSON-RPC requests served per method, for `localnet_stats`. */
  readonly rpcRequests = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly blockhashes = new Map<string, number>();
  private readonly transactions = new Map<string, TxRecord>();
  /** Signatures queued on the runtime and not yet recorded. */
  private readonly pending = new Set<string>();
  /** Settles once every queued transaction is recorded: outcomes are recorded in queue order. */
  private recorded: Promise<unknown> = Promise.resolve();
  /** Per slot: the priority fees (micro-lamports per CU) paid, with the writable accounts locked. */
  private readonly feesBySlot = new Map<number, { fee: number; writable: string[] }[]>();
  /** Block time (unix seconds) of the last BLOCK_TIME_SLOTS slots, by slot modulo its length. */
  private readonly blockTimes = new Float64Array(BLOCK_TIME_SLOTS);
  /** The kept transactions' signatures by account key, oldest first from `head` (`getSignaturesForAddress`). */
  private readonly signaturesByAddress = new Map<string, { items: string[]; head: number }>();

  constructor(readonly options: LedgerOptions) {
    super();
    this.setMaxListeners(0);
    const NativeRuntime = loadNativeRuntime();
    this.runtime = new NativeRuntime();
    this.genesisHash = bs58.encode(createHash("sha256").update(`margin-warden-localnet-${Date.now()}`).digest());
    this.runtime.setAccount(this.faucet.publicKey.toBase58(), {
      lamports: 500_000_000n * 1_000_000_000n,
      owner: SystemProgram.programId.toBase58(),
      data: Buffer.alloc(0),
      executable: false,
      rentEpoch: 0n,
    });
    this.produceBlock();
  }

  get programId(): string {
    return this.runtime.marginProgramId();
  }

  start(): void {
    if (this.options.slotMs > 0 && !this.timer) {
      this.timer = setInterval(() => this.advanceSlots(1), this.options.slotMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Moves the chain forward `count` slots, one new block (and blockhash) per slot. */
  advanceSlots(count: number): void {
    for (let i = 0; i < count; i++) {
      this.slot += 1;
      this.produceBlock();
      this.emit("slot", this.slot);
    }
  }

  private produceBlock(): void {
    this.blockHeight = this.slot;
    const hash = this.slot === 0 ? this.runtime.latestBlockhash() : this.runtime.newBlockhash();
    const time = nowSeconds();
    this.runtime.setClock(BigInt(this.slot), time);
    this.blockTimes[this.slot % BLOCK_TIME_SLOTS] = time;
    this.blockhashes.set(hash, this.blockHeight + MAX_PROCESSING_AGE);
    for (const [h, lastValid] of this.blockhashes) {
      if (lastValid >= this.blockHeight) break;
      this.blockhashes.delete(h);
    }
    this.feesBySlot.delete(this.slot - FEE_HISTORY_SLOTS);
  }

  latestBlockhash(): { blockhash: string; lastValidBlockHeight: number } {
    const blockhash = this.runtime.latestBlockhash();
    return { blockhash, lastValidBlockHeight: this.blockhashes.get(blockhash)! };
  }

  isBlockhashValid(blockhash: string): boolean {
    const lastValid = this.blockhashes.get(blockhash);
    return lastValid !== undefined && lastValid >= this.blockHeight;
  }

  getAccount(pubkey: string): NativeAccount | null {
    return this.runtime.getAccount(pubkey);
  }

  /** Overwrites an account (test and demo setup), notifying subscribers like any other change. */
  setAccount(pubkey: string, account: NativeAccount): void {
    this.runtime.setAccount(pubkey, account);
    this.emitChanges([{ pubkey, account: this.runtime.getAccount(pubkey) }]);
  }

  getTransaction(signature: string): TxRecord | undefined {
    return this.transactions.get(signature);
  }

  /** The oldest slot whose block this ledger still knows. */
  get minimumSlot(): number {
    return Math.max(0, this.slot - BLOCK_TIME_SLOTS + 1);
  }

  /** Unix seconds of a kept slot's block, or undefined for a slot not produced yet or no longer kept. */
  blockTime(slot: number): number | undefined {
    if (slot > this.slot || slot < this.minimumSlot) return undefined;
    return this.blockTimes[slot % BLOCK_TIME_SLOTS];
  }

  /** Kept transactions that name `address`, newest first, after `before` and down to (not including) `until`. */
  signaturesFor(address: string, opts: { limit: number; before?: string; until?: string }): TxRecord[] {
    const { items, head } = this.signaturesByAddress.get(address) ?? { items: [], head: 0 };
    let from = items.length - 1;
    if (opts.before !== undefined) {
      const at = items.lastIndexOf(opts.before);
      if (at < head) return [];
      from = at - 1;
    }
    const out: TxRecord[] = [];
    for (let i = from; i >= head && out.length < opts.limit; i--) {
      if (items[i] === opts.until) break;
      out.push(this.transactions.get(items[i])!);
    }
    return out;
  }

  /** Sends lamports from the faucet in a real, recorded transfer. */
  requestAirdrop(to: PublicKey, lamports: number): Promise<SendOutcome> {
    const tx = new Transaction({ ...this.latestBlockhash(), feePayer: this.faucet.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: this.faucet.publicKey, toPubkey: to, lamports }),
    );
    tx.sign(this.faucet);
    return this.sendTransaction(tx.serialize(), { skipPreflight: false });
  }

  /**
   * Executes a wire transaction. With preflight, a transaction failing in simulation is rejected
   * unexecuted and nothing of it is kept, so the same bytes may land later without preflight;
   * without it, the failure lands in the history like on a validator. The transaction executes on
   * the runtime's thread meanwhile, in the order of the calls.
   */
  async sendTransaction(
    wire: Buffer,
    opts: { skipPreflight: boolean },
    tx: VersionedTransaction = VersionedTransaction.deserialize(wire),
  ): Promise<SendOutcome> {
    const signature = bs58.encode(tx.signatures[0]);
    if (this.transactions.has(signature) || this.pending.has(signature)) {
      return {
        kind: "rejected",
        err: "AlreadyProcessed",
        errMessage: "This transaction has already been processed",
        logs: [],
      };
    }
    if (!this.isBlockhashValid(tx.message.recentBlockhash)) {
      return { kind: "rejected", err: "BlockhashNotFound", errMessage: "Blockhash not found", logs: [] };
    }
    const slot = this.slot;
    const blockTime = nowSeconds();
    const executed = this.runtime.sendTransactionAsync(wire, !opts.skipPreflight);
    this.pending.add(signature);
    const done = Promise.all([executed, this.recorded])
      .then(([outcome]) => this.record(wire, tx, signature, slot, blockTime, outcome, opts))
      .finally(() => this.pending.delete(signature));
    this.recorded = done.catch(() => undefined);
    return done;
  }

  private record(
    wire: Buffer,
    tx: VersionedTransaction,
    signature: string,
    slot: number,
    blockTime: number,
    outcome: TxOutcome,
    opts: { skipPreflight: boolean },
  ): SendOutcome {
    const err = outcome.errJson ? JSON.parse(outcome.errJson) : null;
    if (err !== null && !opts.skipPreflight) {
      return { kind: "rejected", err, errMessage: outcome.errMessage ?? String(err), logs: outcome.logs };
    }
    const record: TxRecord = {
      signature,
      slot,
      blockTime,
      wire,
      err,
      errMessage: outcome.errMessage ?? null,
      logs: outcome.logs,
      fee: transactionFee(tx),
      preBalances: outcome.preBalances,
      postBalances: outcome.postBalances,
      accountKeys: outcome.accountKeys,
    };
    this.transactionCount += 1;
    this.remember(record, tx);
    this.emitChanges(
      outcome.accounts.map((a) => ({ pubkey: a.pubkey, account: a.account.lamports > 0n ? a.account : null })),
    );
    this.emit("transaction", record);
    return { kind: "landed", record };
  }

  simulateTransaction(wire: Buffer, sigVerify: boolean): TxOutcome {
    return this.runtime.simulateTransaction(wire, sigVerify);
  }

  /** Status as `getSignatureStatuses` reports it. */
  signatureStatus(signature: string) {
    const record = this.transactions.get(signature);
    if (!record) return null;
    const depth = this.slot - record.slot;
    const finalized = depth >= FINALIZATION_DEPTH;
    return {
      slot: record.slot,
      confirmations: finalized ? null : depth,
      err: record.err,
      status: record.err === null ? { Ok: null } : { Err: record.err },
      confirmationStatus: finalized ? "finalized" : "confirmed",
    };
  }

  /** Per recent slot, the lowest priority fee paid by transactions locking any of `accounts`. */
  recentPrioritizationFees(accounts: string[]): { slot: number; prioritizationFee: number }[] {
    const out = [];
    for (let slot = Math.max(0, this.slot - FEE_HISTORY_SLOTS + 1); slot <= this.slot; slot++) {
      const fees = (this.feesBySlot.get(slot) ?? [])
        .filter((f) => accounts.length === 0 || f.writable.some((w) => accounts.includes(w)))
        .map((f) => f.fee);
      out.push({ slot, prioritizationFee: fees.length ? Math.min(...fees) : 0 });
    }
    return out;
  }

  private remember(record: TxRecord, tx: VersionedTransaction): void {
    this.transactions.set(record.signature, record);
    for (const key of new Set(record.accountKeys)) {
      const list = this.signaturesByAddress.get(key);
      if (list) list.items.push(record.signature);
      else this.signaturesByAddress.set(key, { items: [record.signature], head: 0 });
    }
    if (this.transactions.size > HISTORY_LIMIT) {
      // The oldest kept transaction is also the oldest entry of each of its keys' lists.
      const oldest = this.transactions.values().next().value!;
      this.transactions.delete(oldest.signature);
      for (const key of new Set(oldest.accountKeys)) {
        const list = this.signaturesByAddress.get(key)!;
        list.head += 1;
        if (list.head === list.items.length) this.signaturesByAddress.delete(key);
        else if (list.head > 1024 && list.head * 2 > list.items.length) {
          list.items = list.items.slice(list.head);
          list.head = 0;
        }
      }
    }
    const writable = record.accountKeys.filter((_, i) => tx.message.isAccountWritable(i));
    const slotFees = this.feesBySlot.get(record.slot) ?? [];
    slotFees.push({ fee: computeUnitPrice(tx), writable });
    this.feesBySlot.set(record.slot, slotFees);
  }

  private emitChanges(changes: { pubkey: string; account: NativeAccount | null }[]): void {
    for (const change of changes) {
      this.emit("account", { ...change, slot: this.slot } satisfies AccountChange);
    }
  }
}

const COMPUTE_BUDGET = ComputeBudgetProgram.programId;

/** Micro-lamports per compute unit requested by a SetComputeUnitPrice instruction, else 0. */
export function computeUnitPrice(tx: VersionedTransaction): number {
  const keys = tx.message.staticAccountKeys;
  for (const ix of tx.message.compiledInstructions) {
    if (!keys[ix.programIdIndex]?.equals(COMPUTE_BUDGET)) continue;
    const data = Buffer.from(ix.data);
    if (data[0] === 3 && data.length >= 9) return Number(data.readBigUInt64LE(1));
  }
  return 0;
}

function computeUnitLimit(tx: VersionedTransaction): number | undefined {
  const keys = tx.message.staticAccountKeys;
  for (const ix of tx.message.compiledInstructions) {
    if (!keys[ix.programIdIndex]?.equals(COMPUTE_BUDGET)) continue;
    const data = Buffer.from(ix.data);
    if (data[0] === 2 && data.length >= 5) return data.readUInt32LE(1);
  }
  return undefined;
}

/** Base fee per signature plus the priority fee the transaction asked to pay. */
export function transactionFee(tx: VersionedTransaction): number {
  const base = LAMPORTS_PER_SIGNATURE * tx.message.header.numRequiredSignatures;
  const price = computeUnitPrice(tx);
  const limit = computeUnitLimit(tx) ?? 200_000;
  return base + Math.ceil((price * limit) / 1_000_000);
}
