// The orchestrator's whole configuration: one schema, defaults < JSON file < environment < overrides.
// Every problem is collected before failing so an operator fixes a broken deployment in one pass.
import { readFileSync } from "node:fs";
import { PublicKey } from "@solana/web3.js";
import { endpointLabels } from "./chain/endpoint.js";
import { ALERT_FORMATS, type AlertFormat } from "./ops/alerts.js";
import { LOG_LEVELS, type LogLevel } from "./ops/log.js";

export interface Config {
  rpcUrl: string;
  readRpcUrls?: string[];
  sendRpcUrls?: string[];
  confirmRpcUrl?: string;
  rpcRequestTimeoutMs: number;
  rpcEndpointCooldownMs: number;
  /** Calls per second by endpoint label (host:port); "*" for every endpoint not named. */
  rpcEndpointRateLimitPerSecond: Record<string, number>;
  wsUrl?: string;
  redisUrl: string;
  programId: string;
  exchange?: string;
  operatorKeypairPath?: string;
  liquidatorTokenAccount?: string;
  queuePrefix: string;
  marginCallBandPpm: bigint;
  maxAccountAgeSlots: number;
  maxOracleAgeSlots: number;
  resubscribeAfterSilenceMs: number;
  resyncIntervalMs: number;
  resyncBatchSize: number;
  pollIntervalMs: number;
  fullScanIntervalMs: number;
  jobAttempts: number;
  jobBackoffMs: number;
  jobLockMs: number;
  rpcRateLimitPerSecond: number;
  workerConcurrency: number;
  maxStepsPerTransaction: number;
  confirmTimeoutMs: number;
  confirmPollAfterMs: number;
  simulateEveryStep: boolean;
  dryRun: boolean;
  minOperatorLamports: number;
  balanceCheckIntervalMs: number;
  blockhashMaxAgeMs: number;
  priorityFeeMaxAgeMs: number;
  computeUnitMarginPercent: number;
  computeUnitFloor: number;
  computeUnitCeiling: number;
  priorityFeeCapMicroLamports: number;
  priorityFeePercentile: number;
  httpHost: string;
  httpPort: number;
  auditLogPath: string;
  marginCallWebhookUrl?: string;
  alertWebhookUrl?: string;
  alertFormat: AlertFormat;
  alertTelegramChatId?: string;
  alertDedupMs: number;
  alertsPerMinute: number;
  liquidateMarkets: string[];
  minLiquidationNotional: bigint;
  minExpectedFee: bigint;
  logLevel: LogLevel;
  // Risk analytics (risk/var/, risk/stress/): return history, VaR / ES scoring.
  riskRecordIntervalS: number;
  riskHistoryMaxSamples: number;
  riskReturnIntervalS: number;
  riskHorizonS: number;
  riskVarLevelPpm: number;
  riskEsLevelPpm: number;
  riskEwmaLambdaPpm: number;
  riskMinReturns: number;
  riskScoreIntervalMs: number;
  riskHistoryCsv?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.map((p) => `config: ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** Parses one raw value (a string from the environment, any JSON value from the file) or throws the expectation. */
type Parse<T> = (raw: unknown) => T;
interface Field<T> {
  expected: string;
  parse: Parse<T>;
  default?: T;
  /** The default as usage texts show it, when it is derived from other keys or not a plain value. */
  shown?: string;
}
type Schema = { [K in keyof Config]-?: Field<Exclude<Config[K], undefined>> };

/** A value not as expected; `detail` says which part, when the expectation alone does not. */
class Expected extends Error {
  constructor(readonly detail?: string) {
    super(detail);
  }
}
const fail = (detail?: string): never => {
  throw new Expected(detail);
};

function integer(min: number, max: number): Parse<number> {
  return (raw) => {
    const n = typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    return typeof n === "number" && Number.isSafeInteger(n) && n >= min && n <= max ? n : fail();
  };
}
const positive = (def: number): Field<number> => ({
  expected: "a positive integer",
  parse: integer(1, Number.MAX_SAFE_INTEGER),
  default: def,
});
const nonNegative = (def: number): Field<number> => ({
  expected: "a non-negative integer",
  parse: integer(0, Number.MAX_SAFE_INTEGER),
  default: def,
});
const range = (min: number, max: number, def: number): Field<number> => ({
  expected: `an integer in ${min}..${max}`,
  parse: integer(min, max),
  default: def,
});

const bool = (def: boolean): Field<boolean> => ({
  expected: "true or false",
  parse: (raw) => (raw === true || raw === "true" ? true : raw === false || raw === "false" ? false : fail()),
  default: def,
});

const text: Parse<string> = (raw) => (typeof raw === "string" && raw.trim() !== "" ? raw.trim() : fail());
function url(protocols: string[]): Parse<string> {
  return (raw) => {
    const s = text(raw);
    let parsed: URL;
    try {
      parsed = new URL(s);
    } catch {
      return fail();
    }
    return protocols.includes(parsed.protocol) ? s : fail();
  };
}
/** A JSON array, or comma-separated in the environment; at least one, no two the same URL. */
function urlList(protocols: string[]): Parse<string[]> {
  return (raw) => {
    const list = Array.isArray(raw)
      ? raw
      : typeof raw === "string"
        ? raw.split(",").filter((s) => s.trim() !== "")
        : fail();
    if (list.length === 0) fail("the list is empty");
    const urls = list.map((u) => url(protocols)(u));
    const hrefs = urls.map((u) => new URL(u).href);
    hrefs.forEach((h, i) => {
      const j = hrefs.indexOf(h);
      if (j !== i) fail(`entry ${i + 1} is the same URL as entry ${j + 1}`);
    });
    return urls;
  };
}
/** One number for every endpoint, or per endpoint label: a JSON object, or `label=n,…` in the environment. */
const endpointRates: Parse<Record<string, number>> = (raw) => {
  const rate = integer(1, Number.MAX_SAFE_INTEGER);
  if (typeof raw === "number" || (typeof raw === "string" && /^\s*\d+\s*$/.test(raw))) return { "*": rate(raw) };
  const entries =
    typeof raw === "string"
      ? raw
          .split(",")
          .filter((s) => s.trim() !== "")
          .map((s) =>
            s.includes("=") ? [s.slice(0, s.lastIndexOf("=")).trim(), s.slice(s.lastIndexOf("=") + 1)] : fail(),
          )
      : typeof raw === "object" && raw !== null && !Array.isArray(raw)
        ? Object.entries(raw)
        : fail();
  if (entries.length === 0) fail("no endpoint named");
  return Object.fromEntries(
    entries.map(([label, n]) => {
      // A label, never a URL: the URL's path may hold an API key, which has no place in a second key.
      if (label !== "*" && !/^[^\s/?#@]+:\d+(#\d+)?$/.test(String(label))) fail(`"${label}" is not host:port or *`);
      return [label, rate(n)];
    }),
  );
};
/** A non-negative integer amount: a JSON number or string, or the environment's digits. */
const units = (def: bigint): Field<bigint> => ({
  expected: "a non-negative integer amount in quote native units",
  parse: (raw) => {
    const s = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
    return typeof s === "string" && /^\d+$/.test(s.trim()) ? BigInt(s.trim()) : fail();
  },
  default: def,
});
const pubkey: Parse<string> = (raw) => {
  const s = text(raw);
  try {
    return new PublicKey(s).toBase58() === s ? s : fail();
  } catch {
    return fail();
  }
};

const schema: Schema = {
  // The endpoint of every role not given its own (chain/endpoints.ts).
  rpcUrl: { expected: "an http(s) URL", parse: url(["http:", "https:"]), default: "http://127.0.0.1:8899" },
  // Reads (accounts, blockhashes, fees, simulations, balances) go to the healthiest of these and
  // fail over in this order; every signed transaction goes to all send endpoints at once.
  readRpcUrls: {
    expected: "a list of distinct http(s) URLs (comma-separated in the environment)",
    parse: urlList(["http:", "https:"]),
    shown: "[rpcUrl]",
  },
  sendRpcUrls: {
    expected: "a list of distinct http(s) URLs (comma-separated in the environment)",
    parse: urlList(["http:", "https:"]),
    shown: "[rpcUrl]",
  },
  // Signature statuses and block heights while confirming; the read endpoints are its failover.
  confirmRpcUrl: { expected: "an http(s) URL", parse: url(["http:", "https:"]), shown: "the first read endpoint" },
  // Longer than this without an answer and the endpoint counts as failed (the feed's full load,
  // getProgramAccounts, gets six times as long).
  rpcRequestTimeoutMs: positive(10_000),
  // A failed endpoint's cool-down, doubling with each failure in a row up to 60 s; until it answers
  // again (a background getSlot after the cool-down; a send endpoint, the next send) it gets calls
  // only when no other endpoint of its role is left.
  rpcEndpointCooldownMs: positive(5_000),
  // Each endpoint's own plan, over every call made to it (feed included): one number for each, or
  // by host:port label with "*" for the rest. Steps also share rpcRateLimitPerSecond.
  rpcEndpointRateLimitPerSecond: {
    expected:
      'a positive integer, or per endpoint host:port a positive integer ({"host:port": n, "*": n}; host:port=n,*=n in the environment)',
    parse: endpointRates,
    default: {},
    shown: "none",
  },
  wsUrl: { expected: "a ws(s) URL", parse: url(["ws:", "wss:"]), shown: "derived from the first read endpoint" },
  redisUrl: {
    expected: "a redis:// or rediss:// URL",
    parse: url(["redis:", "rediss:"]),
    default: "redis://127.0.0.1:6379",
  },
  programId: {
    expected: "a base58 public key",
    parse: pubkey,
    default: "796WEWCyqBUDsnMbNSLgaJR5bZAG32237yywsBogJnfG",
  },
  exchange: { expected: "a base58 public key", parse: pubkey },
  operatorKeypairPath: { expected: "a path to a Solana JSON keypair file", parse: text },
  liquidatorTokenAccount: { expected: "a base58 public key", parse: pubkey },
  queuePrefix: {
    expected: "lowercase letters, digits and dashes",
    parse: (raw) => (/^[a-z0-9-]+$/.test(text(raw)) ? text(raw) : fail()),
    default: "margin-warden",
  },
  marginCallBandPpm: {
    expected: "an integer ppm of maintenance in 0..10000000",
    parse: (raw) => {
      const s =
        typeof raw === "bigint"
          ? raw.toString()
          : typeof raw === "number" && Number.isSafeInteger(raw)
            ? String(raw)
            : raw;
      const v = typeof s === "string" && /^\d+$/.test(s.trim()) ? BigInt(s) : fail();
      return v <= 10_000_000n ? v : fail();
    },
    default: 200_000n,
  },
  maxAccountAgeSlots: positive(150),
  maxOracleAgeSlots: positive(50),
  // Slot notifications come every slot (~400 ms): this much silence means the websocket is gone.
  resubscribeAfterSilenceMs: positive(3_000),
  resyncIntervalMs: positive(30_000),
  // getMultipleAccounts takes at most 100 keys.
  resyncBatchSize: range(1, 100, 100),
  pollIntervalMs: positive(2_000),
  fullScanIntervalMs: positive(60_000),
  jobAttempts: positive(5),
  jobBackoffMs: nonNegative(500),
  // How long a job stays locked to a worker that stopped answering (killed, frozen) before another
  // takes it over; a live worker renews it every half. A takeover never sends a second
  // transaction: the job's stored one is checked or resent as it is.
  jobLockMs: positive(5_000),
  // RPC calls per second this process may make for steps (a step alone costs about two: a snapshot
  // and a send; in a wave, steps share both and cost a fraction of one); size it to the RPC plan.
  // Feed subscriptions and resyncs are not counted.
  rpcRateLimitPerSecond: positive(100),
  // Steps in flight per queue. They wait on the network, not the CPU, so a wave needs many; the
  // steps in flight together are the ones that can share transactions.
  workerConcurrency: positive(256),
  // Steps signed in the same turn share a transaction, up to this many (and within the packet and
  // compute limits, one per account); 1 sends every step alone.
  maxStepsPerTransaction: range(1, 32, 8),
  confirmTimeoutMs: positive(30_000),
  // Confirmation comes from the signature's websocket notification; polling starts only if none
  // has arrived after this long.
  confirmPollAfterMs: positive(1_000),
  // false: simulate a step only when no earlier step of its shape sized the compute budget.
  simulateEveryStep: bool(false),
  // Shadow mode: every step is decided, built and simulated, nothing is signed or sent; the
  // simulated outcome goes to the log, the audit trail and dry_run_steps_total. Its jobs live
  // under `<queuePrefix>-dry-run`, apart from any live orchestrator's.
  dryRun: bool(false),
  // Below this SOL balance (lamports) steps are held, not sent to fail for want of fees.
  minOperatorLamports: nonNegative(10_000_000),
  balanceCheckIntervalMs: positive(10_000),
  // A blockhash is valid for 150 blocks (about a minute); steps share one for this long.
  blockhashMaxAgeMs: positive(1_000),
  priorityFeeMaxAgeMs: positive(2_000),
  computeUnitMarginPercent: range(0, 1_000, 20),
  // 1.4M is the runtime's per-transaction compute limit.
  computeUnitFloor: range(1, 1_400_000, 200_000),
  computeUnitCeiling: range(1, 1_400_000, 1_400_000),
  priorityFeeCapMicroLamports: nonNegative(100_000),
  priorityFeePercentile: range(0, 100, 75),
  httpHost: { expected: "a host name or address", parse: text, default: "127.0.0.1" },
  httpPort: range(0, 65_535, 9_464),
  auditLogPath: { expected: "a file path", parse: text, default: "margin-warden-audit.jsonl" },
  marginCallWebhookUrl: { expected: "an http(s) URL", parse: url(["http:", "https:"]) },
  // Operator alerts (ops/alerts.ts): margin calls, failed steps, bankruptcies, a silent feed, an
  // unusable oracle, the kill switch, a low balance. For telegram the URL is
  // https://api.telegram.org/bot<token>/sendMessage and the chat id is required.
  alertWebhookUrl: { expected: "an http(s) URL", parse: url(["http:", "https:"]) },
  alertFormat: {
    expected: `one of ${ALERT_FORMATS.join(", ")}`,
    parse: (raw) => (ALERT_FORMATS.includes(raw as AlertFormat) ? (raw as AlertFormat) : fail()),
    default: "json",
  },
  alertTelegramChatId: { expected: "a Telegram chat id", parse: text },
  // The same alert about the same subject (an account, an oracle) goes out once per this interval.
  alertDedupMs: positive(600_000),
  alertsPerMinute: positive(20),
  // Which liquidations to take (risk/filter.ts): all off by default, so a protocol's own
  // deployment liquidates everything. Markets: a JSON array, or comma-separated in the environment.
  liquidateMarkets: {
    expected: "a list of base58 market addresses",
    parse: (raw) => {
      const list = Array.isArray(raw)
        ? raw
        : typeof raw === "string"
          ? raw.split(",").filter((s) => s.trim() !== "")
          : fail();
      return list.map((m) => pubkey(m));
    },
    default: [],
  },
  minLiquidationNotional: units(0n),
  minExpectedFee: units(0n),
  logLevel: {
    expected: `one of ${LOG_LEVELS.join(", ")}`,
    parse: (raw) => (LOG_LEVELS.includes(raw as LogLevel) ? (raw as LogLevel) : fail()),
    default: "info",
  },
  // Risk analytics. Each market's accepted oracle prices are recorded in Redis, at most one per
  // riskRecordIntervalS and the last riskHistoryMaxSamples of them; VaR / ES use their log returns
  // per riskReturnIntervalS (or the CSV file riskHistoryCsv, columns named by market address),
  // scaled to riskHorizonS. riskScoreIntervalMs 0 turns the background scoring off.
  riskRecordIntervalS: positive(60),
  riskHistoryMaxSamples: range(2, 1_000_000, 20_000),
  riskReturnIntervalS: positive(3_600),
  riskHorizonS: positive(86_400),
  riskVarLevelPpm: range(500_000, 999_999, 990_000),
  riskEsLevelPpm: range(500_000, 999_999, 975_000),
  riskEwmaLambdaPpm: range(1, 999_999, 940_000),
  riskMinReturns: positive(30),
  riskScoreIntervalMs: nonNegative(60_000),
  riskHistoryCsv: { expected: "a CSV file path (timestamp, one price column per market address)", parse: text },
};

const KEYS = Object.keys(schema) as (keyof Config)[];
const ENV_PREFIX = "MARGIN_WARDEN_";

/** `fooBarMs` → `MARGIN_WARDEN_FOO_BAR_MS`. */
export function envName(key: string): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** Every key with its environment variable, expectation and default, for usage texts. */
export function configKeys(): Array<{ key: keyof Config; env: string; expected: string; default?: string }> {
  return KEYS.map((key) => {
    const { default: d, shown } = schema[key];
    return {
      key,
      env: envName(key),
      expected: schema[key].expected,
      default: shown ?? (d === undefined ? undefined : String(d)),
    };
  });
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<Config>;
}

export function loadConfig({ file, env = process.env, overrides = {} }: LoadOptions): Config {
  const problems: string[] = [];
  const layers: Array<{ source: (key: string) => string; values: Record<string, unknown> }> = [];

  if (file !== undefined) {
    const values = readFile(file, problems);
    for (const key of Object.keys(values)) {
      if (!(key in schema)) problems.push(`unknown key "${key}" in ${file}${suggest(key)}`);
    }
    layers.push({ source: () => file, values });
  }

  const fromEnv: Record<string, unknown> = {};
  const envKeys = new Map(KEYS.map((k) => [envName(k), k]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX)) continue;
    const key = envKeys.get(name);
    // A typo in a variable name would otherwise silently leave the default in force.
    if (key === undefined) problems.push(`unknown environment variable ${name}${suggest(name, true)}`);
    // Shells and compose files export empty values to mean "unset".
    else if (value !== undefined && value !== "") fromEnv[key] = value;
  }
  layers.push({ source: envName, values: fromEnv });
  layers.push({ source: () => "overrides", values: overrides });

  const config: Record<string, unknown> = {};
  for (const key of KEYS) {
    const field = schema[key] as Field<unknown>;
    config[key] = field.default;
    for (const { source, values } of layers) {
      const raw = values[key];
      if (raw === undefined) continue;
      try {
        config[key] = field.parse(raw);
      } catch (e) {
        if (!(e instanceof Expected)) throw e;
        const detail = e.detail ? `: ${e.detail}` : "";
        problems.push(`${key} must be ${field.expected}${detail} (got ${show(raw)} from ${source(key)})`);
      }
    }
  }
  const c = config as unknown as Config;
  if (c.computeUnitFloor > c.computeUnitCeiling) {
    problems.push(
      `computeUnitFloor (${c.computeUnitFloor}) must not exceed computeUnitCeiling (${c.computeUnitCeiling})`,
    );
  }
  if (c.alertFormat === "telegram" && c.alertWebhookUrl !== undefined && c.alertTelegramChatId === undefined) {
    problems.push("alertFormat telegram needs alertTelegramChatId (the chat the bot posts in)");
  }
  if (c.rpcUrl !== undefined) {
    const roles = rpcRoles(c);
    const labels = [...endpointLabels([...roles.read, ...roles.send, ...roles.confirm]).values()];
    for (const label of Object.keys(c.rpcEndpointRateLimitPerSecond)) {
      if (label !== "*" && !labels.includes(label))
        problems.push(
          `rpcEndpointRateLimitPerSecond names ${label}, which is none of the endpoints (${labels.join(", ")})`,
        );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return c;
}

/**
 * Which URLs serve which role: `rpcUrl` is the default of the read and send lists; confirmations
 * go to `confirmRpcUrl` (default the first read endpoint), failing over to the read endpoints.
 */
export function rpcRoles(c: Pick<Config, "rpcUrl" | "readRpcUrls" | "sendRpcUrls" | "confirmRpcUrl">): {
  read: string[];
  send: string[];
  confirm: string[];
} {
  const read = c.readRpcUrls ?? [c.rpcUrl];
  const send = c.sendRpcUrls ?? [c.rpcUrl];
  const confirm = c.confirmRpcUrl ?? read[0];
  const href = new URL(confirm).href;
  return { read, send, confirm: [confirm, ...read.filter((u) => new URL(u).href !== href)] };
}

/** Keys a command cannot run without; narrows them to defined. */
export function requireKeys<K extends keyof Config>(
  config: Config,
  keys: K[],
): asserts config is Config & Required<Pick<Config, K>> {
  const missing = keys.filter((k) => config[k] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((k) => `${k} is required (set ${envName(k)} or "${k}" in the config file)`));
  }
}

/** The config as it may be logged: credentials in URLs masked. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...config,
    marginCallBandPpm: config.marginCallBandPpm.toString(),
    minLiquidationNotional: config.minLiquidationNotional.toString(),
    minExpectedFee: config.minExpectedFee.toString(),
  };
  for (const key of [
    "rpcUrl",
    "confirmRpcUrl",
    "wsUrl",
    "redisUrl",
    "marginCallWebhookUrl",
    "alertWebhookUrl",
  ] as const) {
    const v = config[key];
    if (v !== undefined) out[key] = maskUrl(v, key === "redisUrl");
  }
  for (const key of ["readRpcUrls", "sendRpcUrls"] as const) {
    const v = config[key];
    if (v !== undefined) out[key] = v.map((u) => maskUrl(u, false));
  }
  return out;
}

/** RPC providers put API keys in the path or query, Redis in the password. */
function maskUrl(v: string, redis: boolean): string {
  const u = new URL(v);
  const secret = u.password !== "" || (!redis && (u.search !== "" || u.pathname.length > 1));
  if (!secret) return v;
  if (u.password) u.password = "***";
  if (!redis) {
    u.search = u.search ? "?***" : "";
    u.pathname = u.pathname.length > 1 ? "/***" : u.pathname;
  }
  return u.toString();
}

function readFile(file: string, problems: string[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    problems.push(`cannot read ${file}: ${(e as Error).message}`);
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    problems.push(`${file} must hold a JSON object`);
    return {};
  }
  return parsed as Record<string, unknown>;
}

function show(raw: unknown): string {
  return typeof raw === "bigint" ? `"${raw}"` : (JSON.stringify(raw) ?? String(raw));
}

function suggest(name: string, isEnv = false): string {
  const candidates = isEnv ? KEYS.map(envName) : KEYS;
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best === undefined ? "" : ` (did you mean ${best}?)`;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The Redis prefix of the deployment's queues and control keys: a dry run's are its own, so it never takes a live orchestrator's jobs. */
export const deploymentPrefix = (c: Pick<Config, "queuePrefix" | "dryRun">) =>
  c.dryRun ? `${c.queuePrefix}-dry-run` : c.queuePrefix;
