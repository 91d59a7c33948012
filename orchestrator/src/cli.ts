// Operator entry point. Everything but `run` talks to running orchestrators through Redis
// (ops/control.ts), so it works from any host that can reach that Redis.
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import {
  ConfigError,
  configKeys,
  deploymentPrefix,
  loadConfig,
  redactConfig,
  requireKeys,
  type Config,
} from "./config.js";
import { ALL_MARKETS, Control, type StatusRecord } from "./ops/control.js";
import { RISK_DETAILS, RiskUsageError, STRESS_DETAILS, checkRiskOptions, riskReport, stress } from "./risk/cli-risk.js";
import { createLogger, jsonReplacer } from "./ops/log.js";
import { scoresKey, type PublishedScore } from "./risk/service.js";

/** What ./orchestrator.js must export as `runOrchestrator`. */
type RunFn = (config: Config) => Promise<{ stop(reason: string): Promise<void> }>;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env?: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

const OPTIONS = {
  config: { type: "string", short: "c" },
  help: { type: "boolean", short: "h" },
  market: { type: "string" },
  "at-risk": { type: "boolean" },
  json: { type: "boolean" },
  account: { type: "string" },
  kind: { type: "string" },
  event: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  format: { type: "string" },
  limit: { type: "string" },
  // risk report, stress
  history: { type: "string" },
  out: { type: "string" },
  scenario: { type: "string" },
  lead: { type: "string" },
  top: { type: "string" },
} as const;
type Option = keyof typeof OPTIONS;
type Values = { [K in Option]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean };

const COMMANDS: Record<string, { args: string; summary: string; options: Option[]; details?: string }> = {
  run: { args: "", summary: "start the orchestrator (needs exchange and operatorKeypairPath)", options: [] },
  doctor: {
    args: "",
    summary:
      "check the configuration, the operator key, RPC, websocket, program, exchange, Redis and balances; send nothing",
    options: [],
  },
  status: {
    args: "[--json]",
    summary: "live orchestrator instances: last update, accounts per state, queue depths",
    options: ["json"],
  },
  accounts: {
    args: "[--at-risk] [--json]",
    summary: "accounts the orchestrators track, with their VaR score; --at-risk: only those with a step due",
    options: ["at-risk", "json"],
  },
  pause: {
    args: "[--market <addr>]",
    summary: "stop automated actions on one market, or on all markets",
    options: ["market"],
  },
  resume: { args: "[--market <addr>]", summary: "lift the pause of one market, or every pause", options: ["market"] },
  dashboard: {
    args: "",
    summary: "the web dashboard's URL of every live instance (each serves it at /dashboard on its HTTP port)",
    options: [],
  },
  audit: {
    args: "[verify] [filters]",
    summary: "the shared audit store's records that match, as JSON lines or CSV; verify: check its hash chain",
    details: [
      "Filters: --account <addr>  --market <addr>  --kind <liquidate|resolve|unflag|claim>  --event <decided|sent|...>",
      "         --since <time>  --until <time>  (ISO 8601 or ms since the epoch; Redis stamps each record)",
      "Output:  --format jsonl|csv (default jsonl)  --limit <n>",
      "verify:  walks the hash chain; exits 1 and names the first record that was changed, removed or cut off",
    ].join("\n"),
    options: ["account", "market", "kind", "event", "since", "until", "format", "limit"],
  },
};
// Risk analytics (risk/cli-risk.ts): the book from the RPC node, the history from --history or Redis.
COMMANDS.risk = {
  args: "report [--history <csv>] [--out <file>]",
  summary: "VaR / ES of every account and the exchange, and the stress scenarios: a JSON file and tables",
  details: RISK_DETAILS,
  options: ["history", "out", "top"],
};
COMMANDS.stress = {
  args: "[--scenario <name>] [--lead <m>]",
  summary: "named stress scenarios on the live book with the exact liquidation math: liquidations, bad debt",
  details: STRESS_DETAILS,
  options: ["scenario", "lead", "history", "top", "json"],
};
const GLOBAL: Option[] = ["config", "help"];

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const opts = values as Values;
    const [command, ...extra] = positionals;
    if (command === undefined) {
      if (!opts.help) throw new UsageError("missing command");
      io.out(usage());
      return 0;
    }
    const spec = COMMANDS[command];
    if (spec === undefined) throw new UsageError(`unknown command "${command}"`);
    if (opts.help) {
      io.out(commandUsage(command));
      return 0;
    }
    const verify = (command === "audit" && extra[0] === "verify") || (command === "risk" && extra[0] === "report");
    if (command === "risk" && !verify) throw new UsageError('risk needs its subcommand: "risk report"');
    if (extra.length > (verify ? 1 : 0)) throw new UsageError(`unexpected argument "${extra[verify ? 1 : 0]}"`);
    for (const name of Object.keys(opts) as Option[]) {
      if (!GLOBAL.includes(name) && !spec.options.includes(name))
        throw new UsageError(`--${name} is not an option of ${command}`);
    }
    const config = loadConfig({ file: opts.config, env: io.env ?? process.env });
    if (command === "run") return await run(config);
    if (command === "doctor") return await (await import("./ops/doctor.js")).runDoctor(config, { out: io.out });
    if (command === "audit") return await audit(config, verify, opts, io);
    if (command === "risk" || command === "stress") return await risk(command, config, opts, io);
    if (command === "accounts")
      return await withRedis(config, (redis) =>
        accounts(new Control(redis, deploymentPrefix(config)), opts, io, redis, deploymentPrefix(config)),
      );
    return await withControl(config, (control) => {
      if (command === "status") return status(control, opts, io);
      if (command === "dashboard") return dashboards(control, io);
      return pauseOrResume(control, command as "pause" | "resume", opts.market, io);
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(`${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`margin-warden: ${(e as Error).message}\nRun "margin-warden --help" for usage.\n`);
      return 2;
    }
    io.err(`margin-warden: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

/** How long a clean stop may take after a fatal error before the process exits anyway. */
const FATAL_STOP_MS = 10_000;

async function run(config: Config): Promise<never> {
  requireKeys(config, ["exchange", "operatorKeypairPath"]);
  if (!existsSync(config.operatorKeypairPath)) {
    throw new ConfigError([
      `operatorKeypairPath must name an existing keypair file (got "${config.operatorKeypairPath}")`,
    ]);
  }
  const log = createLogger({ level: config.logLevel, base: { component: "cli" } });
  log.info("starting", { config: redactConfig(config) });
  let handle: Awaited<ReturnType<RunFn>> | undefined;
  let stopping: string | undefined;
  const stop = (reason: string) =>
    handle!.stop(reason).then(
      () => process.exit(0),
      (e: unknown) => {
        log.error("stop failed", { err: e });
        process.exit(1);
      },
    );
  const onSignal = (signal: string) => {
    if (stopping !== undefined) {
      log.error("second signal: exiting without a clean stop", { signal });
      process.exit(1);
    }
    stopping = signal;
    log.info("stopping", { signal });
    if (handle !== undefined) void stop(signal);
  };
  // Installed before startup so a signal during startup still gets a clean stop once it is done.
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  // A bug that escapes every handler: say what it was and exit non-zero (a supervisor restarts us;
  // jobs and their stored transactions are in Redis), after a bounded try at a clean stop.
  const onFatal = (kind: string) => (e: unknown) => {
    log.error(kind, { err: e });
    setTimeout(() => process.exit(1), FATAL_STOP_MS).unref();
    if (handle !== undefined && stopping === undefined) {
      stopping = kind;
      void handle.stop(kind).finally(() => process.exit(1));
    } else process.exit(1);
  };
  process.on("unhandledRejection", onFatal("unhandled rejection"));
  process.on("uncaughtException", onFatal("uncaught exception"));

  // A variable specifier: the module's contract is RunFn, checked here at run time.
  const specifier = "./orchestrator.js";
  const mod = (await import(specifier)) as { runOrchestrator?: RunFn };
  if (typeof mod.runOrchestrator !== "function") throw new Error(`${specifier} does not export runOrchestrator`);
  handle = await mod.runOrchestrator(config);
  if (stopping !== undefined) void stop(stopping);
  // The orchestrator's own handles keep the process alive; if they all close, it died without
  // being asked to, and a supervisor should see a failure and restart it.
  process.once("beforeExit", () => {
    log.error("orchestrator stopped without a signal");
    process.exit(1);
  });
  return new Promise<never>(() => {});
}

async function withControl(config: Config, body: (control: Control) => Promise<number>): Promise<number> {
  return withRedis(config, (redis) => body(new Control(redis, deploymentPrefix(config))));
}

/** Checks the options before anything connects; then reads the store. */
async function audit(config: Config, verify: boolean, opts: Values, io: Io): Promise<number> {
  const { queryAudit, verifyAudit, parseTime } = await import("./ops/audit-query.js");
  const prefix = deploymentPrefix(config);
  if (verify) {
    for (const name of Object.keys(opts) as Option[])
      if (!GLOBAL.includes(name)) throw new UsageError(`--${name} is not an option of audit verify`);
    return withRedis(config, (redis) => verifyAudit(redis, prefix, io.out));
  }
  const format = opts.format ?? "jsonl";
  if (format !== "jsonl" && format !== "csv") throw new UsageError(`--format must be jsonl or csv (got "${format}")`);
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0))
    throw new UsageError(`--limit must be a positive integer (got "${opts.limit}")`);
  const time = (raw: string | undefined, what: string) => {
    try {
      return raw === undefined ? undefined : parseTime(raw, what);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  const filter = {
    account: opts.account,
    market: opts.market,
    kind: opts.kind,
    event: opts.event,
    sinceMs: time(opts.since, "--since"),
    untilMs: time(opts.until, "--until"),
    limit,
  };
  return withRedis(config, async (redis) => {
    await queryAudit(redis, prefix, filter, format, io.out);
    return 0;
  });
}

async function withRedis(config: Config, body: (redis: Redis) => Promise<number>): Promise<number> {
  // Fail fast: a CLI that retries forever looks like a hang.
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 5_000,
  });
  let lastError: Error | undefined;
  redis.on("error", (e: Error) => (lastError = e)); // surfaced by the failing command instead
  try {
    await redis.connect().catch((e: Error) => {
      throw new Error(`cannot reach Redis at ${redactConfig(config).redisUrl}: ${lastError?.message ?? e.message}`);
    });
    return await body(redis);
  } finally {
    redis.disconnect();
  }
}

async function status(control: Control, opts: Values, io: Io): Promise<number> {
  const [instances, paused] = await Promise.all([control.readStatus(), control.pausedMarkets()]);
  if (opts.json) {
    io.out(`${JSON.stringify({ paused: [...paused], instances }, jsonReplacer, 2)}\n`);
    return 0;
  }
  io.out(`paused: ${describePaused(paused)}\n`);
  if (instances.length === 0) {
    io.out("no live orchestrator instances\n");
    return 0;
  }
  const now = Date.now();
  const rows = instances.map((r: StatusRecord) => [
    r.instanceId,
    ago(now - r.updatedAt),
    counts(r.status.accountsByState),
    queues(r.status.queues),
  ]);
  io.out(table([["INSTANCE", "UPDATED", "ACCOUNTS", "QUEUES"], ...rows]));
  return 0;
}

/** Each live instance publishes its dashboard's URL with its status (orchestrator.ts `status()`). */
async function dashboards(control: Control, io: Io): Promise<number> {
  const instances = await control.readStatus();
  if (instances.length === 0) {
    io.out("no live orchestrator instances: start one with `npm run orchestrator -- run` (or `npm run demo`)\n");
    return 1;
  }
  for (const r of instances) {
    const url = (r.status as { dashboard?: string | null }).dashboard;
    io.out(`${r.instanceId}  ${url ?? "(this instance is older and serves no dashboard)"}\n`);
  }
  return 0;
}

/** Actor states (actors/account-machine.ts) that say nothing is due: healthy, or not yet evaluated. */
const NOT_AT_RISK = new Set(["healthy", "watching"]);

interface AccountView {
  account: string;
  state: string;
  shortfall: string;
  liquidationId: string;
  lastJob: string;
  /** The last VaR / ES scoring run's figures (risk/service.ts), when the account has any. */
  risk?: PublishedScore | null;
}

async function accounts(control: Control, opts: Values, io: Io, redis?: Redis, prefix?: string): Promise<number> {
  const snapshots = await control.loadActorSnapshots();
  const views = [...snapshots]
    .map(([account, snap]) => accountView(account, snap))
    .sort((a, b) => a.account.localeCompare(b.account));
  const shown = opts["at-risk"] ? views.filter((v) => !NOT_AT_RISK.has(v.state.split(".")[0])) : views;
  if (redis && prefix !== undefined && shown.length > 0) {
    const published = await redis.hmget(scoresKey(prefix), ...shown.map((v) => v.account));
    for (const [i, v] of shown.entries()) v.risk = published[i] ? (JSON.parse(published[i]!) as PublishedScore) : null;
  }
  const score = (r: PublishedScore | null | undefined) =>
    r
      ? `${r.score === null ? "∞" : r.score.toFixed(2)} (VaR $${(r.var / 1e6).toFixed(2)}, P ${(100 * r.pCross).toFixed(0)}%)`
      : "-";
  if (opts.json) io.out(`${JSON.stringify(shown, null, 2)}\n`);
  else if (shown.length === 0) io.out(opts["at-risk"] ? "no accounts at risk\n" : "no tracked accounts\n");
  else
    io.out(
      table([
        ["ACCOUNT", "STATE", "SHORTFALL", "LIQUIDATION", "VaR/EQUITY", "LAST JOB"],
        ...shown.map((v) => [v.account, v.state, v.shortfall, v.liquidationId, score(v.risk), v.lastJob]),
      ]),
    );
  return 0;
}

/** `risk report` and `stress`; their option errors are usage errors. */
async function risk(command: "risk" | "stress", config: Config, opts: Values, io: Io): Promise<number> {
  try {
    checkRiskOptions(command, opts);
  } catch (e) {
    throw e instanceof RiskUsageError ? new UsageError(e.message) : e;
  }
  requireKeys(config, ["exchange"]);
  const riskIo = {
    out: io.out,
    withRedis: async <T>(body: (redis: Redis | null) => Promise<T>): Promise<T> => {
      let result: T | undefined;
      await withRedis(config, async (redis) => {
        result = await body(redis);
        return 0;
      });
      return result as T;
    },
  };
  try {
    return command === "risk"
      ? await riskReport(config, deploymentPrefix(config), opts, riskIo)
      : await stress(config, deploymentPrefix(config), opts, riskIo);
  } catch (e) {
    if (e instanceof RiskUsageError) throw new UsageError(e.message);
    throw e;
  }
}

async function pauseOrResume(
  control: Control,
  command: "pause" | "resume",
  market: string | undefined,
  io: Io,
): Promise<number> {
  if (command === "pause") await control.pause(market);
  else await control.resume(market);
  const paused = await control.pausedMarkets();
  io.out(`${command}d ${market ?? "all markets"}; paused now: ${describePaused(paused)}\n`);
  if (command === "resume" && market !== undefined && paused.has(ALL_MARKETS)) {
    io.out(`note: ${market} stays paused by the pause of all markets ("resume" without --market lifts it)\n`);
  }
  return 0;
}

/**
 * Reads an actor snapshot, either XState's persisted form ({ value, context }) or a flat object.
 * The last job is its id when the snapshot records one, else the step key it was requested for.
 */
function accountView(account: string, snap: unknown): AccountView {
  const s = (isObject(snap) ? snap : {}) as Record<string, unknown>;
  const ctx = (isObject(s.context) ? s.context : s) as Record<string, unknown>;
  const text = (v: unknown) => (v === undefined || v === null ? "-" : String(v));
  return {
    account,
    state: stateName(s.value ?? s.state),
    shortfall: text(ctx.shortfall),
    liquidationId: text(ctx.liquidationId),
    lastJob: text(ctx.lastJobId ?? ctx.requestedStep),
  };
}

function stateName(value: unknown): string {
  if (typeof value === "string") return value;
  if (!isObject(value)) return "-";
  return Object.entries(value)
    .map(([k, v]) => (isObject(v) || typeof v === "string" ? `${k}.${stateName(v)}` : k))
    .join(",");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const describePaused = (paused: Set<string>) =>
  paused.has(ALL_MARKETS) ? "all markets" : paused.size === 0 ? "none" : [...paused].sort().join(", ");
const counts = (c: Record<string, number> | undefined) =>
  c
    ? Object.entries(c)
        .map(([k, n]) => `${k}=${n}`)
        .join(" ") || "-"
    : "-";
const queues = (q: Record<string, number | Record<string, number>> | undefined) =>
  q
    ? Object.entries(q)
        .map(([name, v]) => `${name}: ${typeof v === "number" ? v : counts(v)}`)
        .join("; ") || "-"
    : "-";

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return (
    rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n") +
    "\n"
  );
}

function usage(): string {
  const commands = Object.entries(COMMANDS).map(([name, c]) => [`  ${name} ${c.args}`.trimEnd(), c.summary]);
  const keys = configKeys().map((k) => [
    `  ${k.key}`,
    k.default === undefined ? k.expected : `${k.expected}; default ${k.default}`,
  ]);
  return [
    "Usage: margin-warden <command> [options]",
    "",
    "Commands:",
    table(commands).trimEnd(),
    "",
    "Options:",
    "  -c, --config <file>  JSON config file; unknown keys are errors",
    "  -h, --help           this text; margin-warden <command> --help for one command",
    "",
    "Configuration: defaults, then the --config file, then the environment (which wins).",
    "Key fooBarMs is read from MARGIN_WARDEN_FOO_BAR_MS; unknown MARGIN_WARDEN_* variables are errors.",
    "",
    table(keys).trimEnd(),
    "",
    "Exit codes: 0 ok, 1 runtime error, 2 usage or configuration error.",
    "",
  ].join("\n");
}

function commandUsage(name: string): string {
  const c = COMMANDS[name];
  const details = c.details ? `\n${c.details}\n` : "";
  return `Usage: margin-warden ${[name, c.args, "[--config <file>]"].filter(Boolean).join(" ")}\n\n${c.summary}\n${details}`;
}

const stdio: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
