// The JSON-RPC methods, each answering in the shape a validator gives, with its error codes.
import bs58 from "bs58";
import { PublicKey, VersionedMessage, VersionedTransaction } from "@solana/web3.js";
import {
  BLOCK_CLEANED_UP,
  BLOCK_NOT_AVAILABLE,
  INVALID_PARAMS,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  INTERNAL_ERROR,
  RpcError,
  SEND_TRANSACTION_PREFLIGHT_FAILURE,
  TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
  invalidParams,
} from "./errors.js";
import {
  encodeAccount,
  parseDataSlice,
  parseEncoding,
  parsePubkey,
  refuseLongBase58,
  type AccountEncoding,
} from "./encoding.js";
import { TOKEN_PROGRAMS, mint, tokenAccount, uiAmount } from "./token.js";
import { LAMPORTS_PER_SIGNATURE, type Ledger, type TxRecord } from "./ledger.js";
import type { NativeAccount } from "./native.js";
import { MAX_PARAM_DEPTH, deeperThan, validId } from "./jsonrpc.js";

type Params = unknown[];
type Handler = (params: Params, ledger: Ledger) => unknown | Promise<unknown>;

/** Methods beyond the standard set, for tests and the demo, all under this prefix. */
export const LOCALNET_PREFIX = "localnet_";

/** Mainnet's epoch length; epochs never warm up here. */
const SLOTS_PER_EPOCH = 432_000;

const context = (ledger: Ledger) => ({ slot: ledger.slot, apiVersion: "2.3.13" });
const config = (params: Params, index: number): Record<string, unknown> => {
  const value = params[index];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw invalidParams(`Invalid param: config at position ${index}`);
  return value as Record<string, unknown>;
};

/** A validator's packet limit, and the longest encodings of it. */
const PACKET_BYTES = 1_232;
const MAX_ENCODED = { base64: 1_644, base58: 1_683 } as const;

/** Encoded sizes are checked before decoding (decoding oversized input is slow), and the decoded size after. */
function decodeWire(value: unknown, encoding: unknown): Buffer {
  if (typeof value !== "string") throw invalidParams("Invalid param: transaction must be an encoded string");
  const kind =
    encoding === "base64"
      ? "base64"
      : encoding === undefined || encoding === null || encoding === "base58"
        ? "base58"
        : null;
  if (!kind) throw invalidParams(`Invalid param: unsupported encoding ${JSON.stringify(encoding)}`);
  if (value.length > MAX_ENCODED[kind]) {
    throw invalidParams(
      `${kind} encoded solana_sdk::transaction::versioned::VersionedTransaction too large: ${value.length} bytes (max: encoded/raw ${MAX_ENCODED[kind]}/${PACKET_BYTES})`,
    );
  }
  let wire: Buffer;
  try {
    wire = kind === "base64" ? Buffer.from(value, "base64") : Buffer.from(bs58.decode(value));
  } catch {
    throw invalidParams(`Invalid param: transaction is not valid ${kind}`);
  }
  if (wire.length > PACKET_BYTES)
    throw invalidParams(
      `decoded solana_sdk::transaction::versioned::VersionedTransaction too large: ${wire.length} bytes (max: ${PACKET_BYTES} bytes)`,
    );
  return wire;
}

function parseTransaction(wire: Buffer): VersionedTransaction {
  try {
    const tx = VersionedTransaction.deserialize(wire);
    if (tx.signatures.length === 0) throw new Error("no signatures");
    return tx;
  } catch (e) {
    throw invalidParams(`failed to deserialize transaction: ${(e as Error).message}`);
  }
}

function accountValue(
  account: NativeAccount | null,
  encoding: AccountEncoding,
  cfg: Record<string, unknown>,
  ledger: Ledger,
) {
  const slice = parseDataSlice(cfg.dataSlice);
  refuseLongBase58(account, encoding, slice);
  return account ? encodeAccount(account, encoding, slice, (a) => ledger.getAccount(a)) : null;
}

/** `getTokenAccountBalance`'s and `getTokenAccountsByOwner`'s reading of a token account: refused when it is none. */
function tokenAccountAt(ledger: Ledger, pubkey: string) {
  const account = ledger.getAccount(pubkey);
  if (!account) throw invalidParams("Invalid param: could not find account");
  const t = tokenAccount(account);
  if (!t) throw invalidParams("Invalid param: not a Token account");
  const m = mint(ledger.getAccount(t.mint));
  if (!m) throw invalidParams("Invalid param: could not find mint");
  return { account: t, mint: m };
}

/** The token accounts of `owner`, of one mint or of one token program (the second parameter of `getTokenAccountsByOwner`). */
function tokenAccountsByOwner(params: Params, ledger: Ledger) {
  const owner = parsePubkey(params[0], "owner");
  const which = params[1] as { mint?: unknown; programId?: unknown } | undefined;
  if (!which || typeof which !== "object" || (which.mint === undefined) === (which.programId === undefined)) {
    throw invalidParams("Invalid param: expected { mint } or { programId } as the second parameter");
  }
  const wantedMint = which.mint === undefined ? null : parsePubkey(which.mint, "mint");
  const programs = wantedMint ? TOKEN_PROGRAMS : [parsePubkey(which.programId, "program id")];
  if (!programs.every((p) => TOKEN_PROGRAMS.includes(p)))
    throw invalidParams("Invalid param: unrecognized Token program id");
  const cfg = config(params, 2);
  const encoding = parseEncoding(cfg.encoding, "binary");
  const value = programs
    .flatMap((program) => ledger.runtime.programAccounts(program))
    .filter(({ account }) => {
      const t = tokenAccount(account);
      return t !== null && t.owner === owner && (wantedMint === null || t.mint === wantedMint);
    })
    .map(({ pubkey, account }) => ({ pubkey, account: accountValue(account, encoding, cfg, ledger) }));
  return { context: context(ledger), value };
}

/** A base58 signature (64 bytes) is at most 88 characters; anything else is refused before decoding. */
function parseSignature(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length > 88)
    throw invalidParams(`Invalid param: ${what} must be a base58 signature`);
  let bytes: Uint8Array;
  try {
    bytes = bs58.decode(value);
  } catch {
    throw invalidParams(`Invalid param: ${what} is not valid base58`);
  }
  if (bytes.length !== 64) throw invalidParams(`Invalid param: ${what} is not a signature`);
  return value;
}

function signaturesForAddress(params: Params, ledger: Ledger) {
  const address = parsePubkey(params[0], "address");
  const cfg = config(params, 1);
  const limit = cfg.limit === undefined || cfg.limit === null ? 1_000 : nonNegativeInteger(cfg.limit, "limit");
  if (limit < 1 || limit > 1_000) throw invalidParams("Invalid limit; max 1000");
  const before = cfg.before === undefined || cfg.before === null ? undefined : parseSignature(cfg.before, "before");
  const until = cfg.until === undefined || cfg.until === null ? undefined : parseSignature(cfg.until, "until");
  return ledger.signaturesFor(address, { limit, before, until }).map((r) => ({
    signature: r.signature,
    slot: r.slot,
    err: r.err,
    memo: null,
    blockTime: r.blockTime,
    confirmationStatus: ledger.signatureStatus(r.signature)?.confirmationStatus ?? "confirmed",
  }));
}

function blockTime(params: Params, ledger: Ledger) {
  const slot = nonNegativeInteger(params[0], "slot");
  const time = ledger.blockTime(slot);
  if (time !== undefined) return time;
  if (slot > ledger.slot) throw new RpcError(BLOCK_NOT_AVAILABLE, `Block not available for slot ${slot}`);
  throw new RpcError(
    BLOCK_CLEANED_UP,
    `Block ${slot} cleaned up, does not exist on node. First available block: ${ledger.minimumSlot}`,
  );
}

function nonNegativeInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidParams(`Invalid param: ${what} must be a non-negative integer`);
  }
  return value;
}

interface Filter {
  dataSize?: number;
  memcmp?: { offset: number; bytes: string; encoding?: string };
}

export function compileFilters(raw: unknown): ((data: Buffer) => boolean)[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidParams("Invalid param: filters must be an array");
  return (raw as Filter[]).map((f) => {
    if (f && typeof f.dataSize === "number") {
      const size = nonNegativeInteger(f.dataSize, "dataSize");
      return (data: Buffer) => data.length === size;
    }
    if (f?.memcmp && typeof f.memcmp.bytes === "string") {
      const offset = nonNegativeInteger(f.memcmp.offset, "memcmp.offset");
      // 128 bytes at most: longer encodings are refused before decoding.
      if (f.memcmp.bytes.length > (f.memcmp.encoding === "base64" ? 172 : 175))
        throw invalidParams("Invalid param: memcmp bytes longer than 128");
      let bytes: Buffer;
      try {
        bytes =
          f.memcmp.encoding === "base64"
            ? Buffer.from(f.memcmp.bytes, "base64")
            : Buffer.from(bs58.decode(f.memcmp.bytes));
      } catch {
        throw invalidParams("Invalid param: memcmp bytes are not valid base58");
      }
      if (bytes.length > 128) throw invalidParams("Invalid param: memcmp bytes longer than 128");
      return (data: Buffer) =>
        data.length >= offset + bytes.length && data.subarray(offset, offset + bytes.length).equals(bytes);
    }
    throw invalidParams("Invalid param: unsupported filter");
  });
}

function simulationFailure(message: string, err: unknown, logs: string[]): RpcError {
  return new RpcError(SEND_TRANSACTION_PREFLIGHT_FAILURE, `Transaction simulation failed: ${message}`, {
    err,
    logs,
    accounts: null,
    returnData: null,
    innerInstructions: null,
  });
}

function transactionJson(record: TxRecord) {
  const tx = VersionedTransaction.deserialize(record.wire);
  const message = tx.message;
  const json: Record<string, unknown> = {
    accountKeys: message.staticAccountKeys.map((k) => k.toBase58()),
    header: message.header,
    recentBlockhash: message.recentBlockhash,
    instructions: message.compiledInstructions.map((ix) => ({
      programIdIndex: ix.programIdIndex,
      accounts: ix.accountKeyIndexes,
      data: bs58.encode(ix.data),
      stackHeight: null,
    })),
  };
  if (message.version === 0) json.addressTableLookups = message.addressTableLookups;
  return { signatures: tx.signatures.map((s) => bs58.encode(s)), message: json };
}

function getTransaction(params: Params, ledger: Ledger) {
  const signature = params[0];
  if (typeof signature !== "string") throw invalidParams("Invalid param: signature must be a string");
  const cfg = typeof params[1] === "string" ? { encoding: params[1] } : config(params, 1);
  const record = ledger.getTransaction(signature);
  if (!record) return null;
  const version = VersionedMessage.deserializeMessageVersion(
    VersionedTransaction.deserialize(record.wire).message.serialize(),
  );
  if (version !== "legacy" && cfg.maxSupportedTransactionVersion === undefined) {
    throw new RpcError(
      -32015,
      'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0',
    );
  }
  const encoding = cfg.encoding ?? "json";
  let transaction: unknown;
  if (encoding === "base64") transaction = [record.wire.toString("base64"), "base64"];
  else if (encoding === "base58") transaction = [bs58.encode(record.wire), "base58"];
  else if (encoding === "json" || encoding === "jsonParsed") transaction = transactionJson(record);
  else throw invalidParams(`Invalid param: unsupported encoding ${JSON.stringify(encoding)}`);
  return {
    slot: record.slot,
    blockTime: record.blockTime,
    version: cfg.maxSupportedTransactionVersion === undefined ? undefined : version,
    transaction,
    meta: {
      err: record.err,
      status: record.err === null ? { Ok: null } : { Err: record.err },
      fee: record.fee,
      preBalances: record.preBalances,
      postBalances: record.postBalances,
      innerInstructions: [],
      logMessages: record.logs,
      preTokenBalances: [],
      postTokenBalances: [],
      rewards: [],
      loadedAddresses: { writable: [], readonly: [] },
    },
  };
}

const methods: Record<string, Handler> = {
  getVersion: () => ({ "solana-core": "2.3.13", "feature-set": 0 }),
  getHealth: () => "ok",
  getGenesisHash: (_p, l) => l.genesisHash,
  getIdentity: (_p, l) => ({ identity: l.faucet.publicKey.toBase58() }),
  getSlot: (_p, l) => l.slot,
  getBlockHeight: (_p, l) => l.blockHeight,
  getEpochInfo: (_p, l) => ({
    absoluteSlot: l.slot,
    blockHeight: l.blockHeight,
    epoch: Math.floor(l.slot / SLOTS_PER_EPOCH),
    slotIndex: l.slot % SLOTS_PER_EPOCH,
    slotsInEpoch: SLOTS_PER_EPOCH,
    transactionCount: null,
  }),
  getLatestBlockhash: (_p, l) => ({ context: context(l), value: l.latestBlockhash() }),
  isBlockhashValid: (p, l) => {
    if (typeof p[0] !== "string") throw invalidParams("Invalid param: blockhash must be a string");
    return { context: context(l), value: l.isBlockhashValid(p[0]) };
  },
  getBalance: (p, l) => ({ context: context(l), value: Number(l.getAccount(parsePubkey(p[0]))?.lamports ?? 0n) }),
  getAccountInfo: (p, l) => {
    const cfg = config(p, 1);
    const encoding = parseEncoding(cfg.encoding, "binary");
    return { context: context(l), value: accountValue(l.getAccount(parsePubkey(p[0])), encoding, cfg, l) };
  },
  getMultipleAccounts: (p, l) => {
    if (!Array.isArray(p[0])) throw invalidParams("Invalid param: expected an array of pubkeys");
    if (p[0].length > 100) throw invalidParams("Too many inputs provided; max 100");
    const cfg = config(p, 1);
    const encoding = parseEncoding(cfg.encoding, "base64");
    const keys = p[0].map((k) => parsePubkey(k));
    return { context: context(l), value: keys.map((k) => accountValue(l.getAccount(k), encoding, cfg, l)) };
  },
  getProgramAccounts: (p, l) => {
    const owner = parsePubkey(p[0], "program id");
    const cfg = config(p, 1);
    const encoding = parseEncoding(cfg.encoding, "binary");
    const filters = compileFilters(cfg.filters);
    const value = l.runtime
      .programAccounts(owner)
      .filter(({ account }) => filters.every((f) => f(account.data)))
      .map(({ pubkey, account }) => ({ pubkey, account: accountValue(account, encoding, cfg, l) }));
    return cfg.withContext ? { context: context(l), value } : value;
  },
  getMinimumBalanceForRentExemption: (p, l) =>
    Number(l.runtime.minimumBalanceForRentExemption(nonNegativeInteger(p[0] ?? 0, "data length"))),
  getFeeForMessage: (p, l) => {
    if (typeof p[0] !== "string") throw invalidParams("Invalid param: message must be a base64 string");
    if (p[0].length > MAX_ENCODED.base64)
      throw invalidParams(
        `Invalid param: message too large: ${p[0].length} base64 characters (max ${MAX_ENCODED.base64})`,
      );
    let message: VersionedMessage;
    try {
      message = VersionedMessage.deserialize(Buffer.from(p[0], "base64"));
    } catch (e) {
      throw invalidParams(`Invalid param: failed to deserialize message: ${(e as Error).message}`);
    }
    const valid = l.isBlockhashValid(message.recentBlockhash);
    return { context: context(l), value: valid ? LAMPORTS_PER_SIGNATURE * message.header.numRequiredSignatures : null };
  },
  getRecentPrioritizationFees: (p, l) => {
    const keys = p[0] === undefined || p[0] === null ? [] : p[0];
    if (!Array.isArray(keys)) throw invalidParams("Invalid param: expected an array of pubkeys");
    if (keys.length > 128) throw invalidParams("Too many inputs provided; max 128");
    return l.recentPrioritizationFees(keys.map((k) => parsePubkey(k)));
  },
  requestAirdrop: async (p, l) => {
    const to = new PublicKey(parsePubkey(p[0]));
    const lamports = nonNegativeInteger(p[1], "lamports");
    if (lamports === 0) throw invalidParams("Invalid param: lamports must be positive");
    const outcome = await l.requestAirdrop(to, lamports);
    if (outcome.kind === "rejected") throw new RpcError(INTERNAL_ERROR, `airdrop failed: ${outcome.errMessage}`);
    return outcome.record.signature;
  },
  sendTransaction: async (p, l) => {
    const cfg = config(p, 1);
    const wire = decodeWire(p[0], cfg.encoding);
    const outcome = await l.sendTransaction(
      wire,
      { skipPreflight: cfg.skipPreflight === true },
      parseTransaction(wire),
    );
    if (outcome.kind === "rejected") {
      if (outcome.errMessage.includes("signature")) {
        throw new RpcError(TRANSACTION_SIGNATURE_VERIFICATION_FAILURE, "Transaction signature verification failure");
      }
      throw simulationFailure(outcome.errMessage, outcome.err, outcome.logs);
    }
    return outcome.record.signature;
  },
  simulateTransaction: (p, l) => {
    const cfg = config(p, 1);
    const wire = decodeWire(p[0], cfg.encoding);
    const tx = parseTransaction(wire);
    if (cfg.sigVerify === true && cfg.replaceRecentBlockhash === true) {
      throw invalidParams("sigVerify may not be used with replaceRecentBlockhash");
    }
    const latest = l.latestBlockhash();
    if (!cfg.replaceRecentBlockhash && !l.isBlockhashValid(tx.message.recentBlockhash)) {
      return { context: context(l), value: { err: "BlockhashNotFound", logs: [], accounts: null, returnData: null } };
    }
    const outcome = l.simulateTransaction(wire, cfg.sigVerify === true);
    const requested = cfg.accounts as { addresses?: unknown[]; encoding?: unknown } | undefined;
    let accounts: unknown = null;
    if (requested && Array.isArray(requested.addresses)) {
      const encoding = parseEncoding(requested.encoding, "base64");
      const post = new Map(outcome.accounts.map((a) => [a.pubkey, a.account]));
      accounts = requested.addresses.map((a) => {
        const key = parsePubkey(a);
        const account = post.get(key) ?? l.getAccount(key);
        if (!account || account.lamports === 0n) return null;
        refuseLongBase58(account, encoding);
        return encodeAccount(account, encoding, undefined, (m) => l.getAccount(m));
      });
    }
    return {
      context: context(l),
      value: {
        err: outcome.errJson ? JSON.parse(outcome.errJson) : null,
        logs: outcome.logs,
        accounts,
        returnData: null,
        innerInstructions: null,
        replacementBlockhash: cfg.replaceRecentBlockhash ? latest : undefined,
      },
    };
  },
  getSignatureStatuses: (p, l) => {
    if (!Array.isArray(p[0])) throw invalidParams("Invalid param: expected an array of signatures");
    if (p[0].length > 256) throw invalidParams("Too many inputs provided; max 256");
    return { context: context(l), value: p[0].map((s) => (typeof s === "string" ? l.signatureStatus(s) : null)) };
  },
  getTransaction,
  getSignaturesForAddress: signaturesForAddress,
  getBlockTime: blockTime,
  minimumLedgerSlot: (_p, l) => l.minimumSlot,
  getEpochSchedule: () => ({
    slotsPerEpoch: SLOTS_PER_EPOCH,
    leaderScheduleSlotOffset: SLOTS_PER_EPOCH,
    warmup: false,
    firstNormalEpoch: 0,
    firstNormalSlot: 0,
  }),
  getTokenAccountBalance: (p, l) => {
    const { account, mint } = tokenAccountAt(l, parsePubkey(p[0]));
    return { context: context(l), value: uiAmount(account.amount, mint.decimals) };
  },
  getTokenAccountsByOwner: tokenAccountsByOwner,

  // Localnet-only methods, for tests and the demo.
  [`${LOCALNET_PREFIX}setAccount`]: (p, l) => {
    const key = parsePubkey(p[0]);
    const a = p[1] as { lamports?: unknown; owner?: unknown; data?: unknown; executable?: unknown };
    if (!a || typeof a !== "object") throw invalidParams("Invalid param: expected an account object");
    const data =
      Array.isArray(a.data) && a.data[1] === "base64" && typeof a.data[0] === "string"
        ? Buffer.from(a.data[0], "base64")
        : undefined;
    if (!data) throw invalidParams('Invalid param: data must be ["<base64>", "base64"]');
    l.setAccount(key, {
      lamports: BigInt(nonNegativeInteger(a.lamports, "lamports")),
      owner: parsePubkey(a.owner, "owner"),
      data,
      executable: a.executable === true,
      rentEpoch: 0n,
    });
    return null;
  },
  [`${LOCALNET_PREFIX}advanceSlots`]: (p, l) => {
    const count = nonNegativeInteger(p[0] ?? 1, "slot count");
    if (count > 1_000_000) throw invalidParams("Invalid param: at most 1000000 slots at once");
    l.advanceSlots(count);
    return l.slot;
  },
  [`${LOCALNET_PREFIX}stats`]: (_p, l) => ({
    requests: Object.fromEntries(l.rpcRequests),
    transactions: l.transactionCount,
  }),
};

export const RPC_METHODS = Object.keys(methods);

interface Request {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/**
 * One request's reply, or null for a notification (a request without an `id` member): it runs
 * but is not answered, whatever its outcome. A request that is not a JSON-RPC 2.0 request object
 * (its id included) is answered with -32600 and `id: null`.
 */
async function respondOne(request: Request, ledger: Ledger): Promise<object | null> {
  const isObject = request !== null && typeof request === "object" && !Array.isArray(request);
  const notification = isObject && !Object.hasOwn(request, "id");
  if (
    !isObject ||
    request.jsonrpc !== "2.0" ||
    typeof request.method !== "string" ||
    !(notification || validId(request.id))
  ) {
    return { jsonrpc: "2.0", error: { code: INVALID_REQUEST, message: "Invalid request" }, id: null };
  }
  const id = notification ? null : request.id;
  let reply: object;
  try {
    const handler = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
    if (!handler) throw new RpcError(METHOD_NOT_FOUND, "Method not found");
    ledger.rpcRequests.set(request.method, (ledger.rpcRequests.get(request.method) ?? 0) + 1);
    const params = request.params === undefined ? [] : request.params;
    if (!Array.isArray(params)) throw new RpcError(INVALID_PARAMS, "Invalid params: expected an array");
    if (deeperThan(params, MAX_PARAM_DEPTH))
      throw new RpcError(INVALID_PARAMS, `Invalid params: nested deeper than ${MAX_PARAM_DEPTH} levels`);
    reply = { jsonrpc: "2.0", result: await handler(params, ledger), id };
  } catch (e) {
    const error =
      e instanceof RpcError
        ? { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) }
        : { code: INTERNAL_ERROR, message: `Internal error: ${(e as Error).message}` };
    reply = { jsonrpc: "2.0", error, id };
  }
  return notification ? null : reply;
}

/** Requests in one batch, at most. */
export const MAX_BATCH = 1_000;

/**
 * Answers one HTTP body, piece by piece: a request's reply, or a batch's replies as the pieces of
 * one JSON array (its requests start in order, each in its own turn of the event loop, so a heavy
 * batch never holds up other clients or the slot timer for longer than one of its requests, nor
 * serializes its whole answer at once). Nothing at all for a notification or a batch of them.
 * Never throws.
 */
export async function* rpcReply(body: string, ledger: Ledger): AsyncGenerator<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    yield JSON.stringify({ jsonrpc: "2.0", error: { code: PARSE_ERROR, message: "Parse error" }, id: null });
    return;
  }
  if (!Array.isArray(parsed)) {
    const reply = await respondOne(parsed as Request, ledger);
    if (reply !== null) yield JSON.stringify(reply);
    return;
  }
  if (parsed.length === 0) {
    yield JSON.stringify({ jsonrpc: "2.0", error: { code: INVALID_REQUEST, message: "Invalid request" }, id: null });
    return;
  }
  if (parsed.length > MAX_BATCH) {
    yield JSON.stringify({
      jsonrpc: "2.0",
      error: { code: INVALID_REQUEST, message: `Invalid request: a batch holds at most ${MAX_BATCH} requests` },
      id: null,
    });
    return;
  }
  const started: Promise<object | null>[] = [];
  for (const r of parsed) {
    started.push(respondOne(r as Request, ledger));
    await nextTurn();
  }
  let first = true;
  for (const reply of started) {
    const r = await reply;
    if (r === null) continue;
    yield (first ? "[" : ",") + JSON.stringify(r);
    first = false;
    await nextTurn();
  }
  if (!first) yield "]";
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
