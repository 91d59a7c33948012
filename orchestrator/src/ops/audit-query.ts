// `margin-warden audit`: the shared audit store read back. Queries select by account, market, kind,
// event and time range and print JSON lines or CSV; `audit verify` walks the hash chain and says
// where it breaks.
import type { Redis } from "ioredis";
import { readRecords, verifyChain } from "./audit-store.js";

export interface AuditFilter {
  account?: string;
  market?: string;
  kind?: string;
  event?: string;
  sinceMs?: number;
  untilMs?: number;
  limit?: number;
}

export type AuditFormat = "jsonl" | "csv";

const CSV_COLUMNS = [
  "seq",
  "time",
  "event",
  "kind",
  "account",
  "market",
  "jobId",
  "signature",
  "instance",
  "hash",
  "record",
] as const;

/** RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A time given as ISO 8601 or as ms since the epoch. */
export function parseTime(raw: string, what: string): number {
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new Error(`${what} must be an ISO 8601 time or ms since the epoch (got "${raw}")`);
  return ms;
}

export async function queryAudit(
  redis: Redis,
  prefix: string,
  f: AuditFilter,
  format: AuditFormat,
  out: (text: string) => void,
): Promise<number> {
  if (format === "csv") out(`${CSV_COLUMNS.join(",")}\n`);
  let n = 0;
  for await (const r of readRecords(redis, prefix, { sinceMs: f.sinceMs, untilMs: f.untilMs })) {
    const e = JSON.parse(r.body) as Record<string, unknown>;
    if (f.account !== undefined && e.account !== f.account) continue;
    if (f.market !== undefined && e.market !== f.market) continue;
    if (f.kind !== undefined && e.kind !== f.kind) continue;
    if (f.event !== undefined && e.event !== f.event) continue;
    if (format === "jsonl") out(`${JSON.stringify({ seq: r.seq, ...e, hash: r.hash })}\n`);
    else {
      const row = { ...e, seq: r.seq, hash: r.hash, record: r.body } as Record<string, unknown>;
      out(`${CSV_COLUMNS.map((c) => csvCell(row[c])).join(",")}\n`);
    }
    if (++n === f.limit) break;
  }
  return n;
}

/** Prints the verdict; 0 when the chain holds, 1 where it breaks. */
export async function verifyAudit(redis: Redis, prefix: string, out: (text: string) => void): Promise<number> {
  const v = await verifyChain(redis, prefix);
  if (v.ok) {
    out(`audit chain ok: ${v.records} records; head ${v.head.seq}:${v.head.hash}\n`);
    return 0;
  }
  out(`audit chain BROKEN after ${v.head.seq} good records: ${v.problem!.what}\n`);
  return 1;
}
