// One JSON object per line so logs can be grepped by account or job id and shipped without parsing
// rules. Decisions carry `account`, `jobId` and `state`, which makes one account's history one query.
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Fields = Record<string, unknown>;
export type DecisionFields = Fields & { account: string; jobId: string | null; state: string };

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** An info line for something the orchestrator decided about one account. */
  decision(msg: string, fields: DecisionFields): void;
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  stream?: { write(line: string): unknown };
  base?: Fields;
}

/** JSON.stringify replacer shared by every JSON the orchestrator writes: bigints as decimal strings, errors readable. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/**
 * `value` as JSON.parse(JSON.stringify(value, jsonReplacer)) would give it back, for the plain data
 * of a job (objects, arrays, strings, numbers, booleans, bigints, null), without the round trip.
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object")
    return typeof value === "number" && !Number.isFinite(value) ? null : value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined || typeof v === "function" ? null : jsonSafe(v)));
  if (value instanceof Error || typeof (value as { toJSON?: unknown }).toJSON === "function")
    return JSON.parse(JSON.stringify(value, jsonReplacer));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== "function") out[k] = jsonSafe(v);
  return out;
}

export function createLogger({ level, stream = process.stdout, base = {} }: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const write = (lvl: LogLevel, msg: string, fields?: Fields) => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return;
    const head = { time: new Date().toISOString(), level: lvl, msg };
    // Assigning the head last keeps it first in the line and stops a field from overwriting it.
    const line = Object.assign({ ...head }, base, fields, head);
    let json: string;
    try {
      json = JSON.stringify(line, jsonReplacer);
    } catch (e) {
      // A circular field must not take the process down with it.
      json = JSON.stringify({ ...head, logError: `unserialisable fields: ${(e as Error).message}` });
    }
    stream.write(`${json}\n`);
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    decision: (msg, fields) => write("info", msg, { event: "decision", ...fields }),
    child: (fields) => createLogger({ level, stream, base: { ...base, ...fields } }),
  };
}

/**
 * One warning for a burst of the same trouble (Redis gone, every worker failing its fetch): the
 * first is logged at once, the rest are counted and logged as one line with `repeated` at the end
 * of each `intervalMs`, so an outage is a line per interval, not one per retry per worker.
 */
export function throttledWarning(log: Logger, msg: string, intervalMs: number): (fields?: Fields) => void {
  let windowEnd = 0;
  let repeated = 0;
  let lastFields: Fields | undefined;
  let timer: NodeJS.Timeout | undefined;
  const summarize = () => {
    timer = undefined;
    log.warn(msg, { ...lastFields, repeated, intervalMs });
    repeated = 0;
    // A summary opens the next window: an outage that goes on stays at a line per interval.
    windowEnd = Date.now() + intervalMs;
  };
  return (fields) => {
    const now = Date.now();
    if (now >= windowEnd && timer === undefined) {
      windowEnd = now + intervalMs;
      log.warn(msg, fields);
      return;
    }
    repeated++;
    lastFields = fields;
    if (timer === undefined) {
      timer = setTimeout(summarize, Math.max(0, windowEnd - now));
      timer.unref();
    }
  };
}
