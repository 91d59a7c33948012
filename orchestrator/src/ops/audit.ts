// Every automated action leaves one record: in the audit store all orchestrators sharing the Redis
// write (ops/audit-store.ts, hash-chained), and as a JSON line in this instance's file. Records of
// one turn of the event loop go out together at its end; `flush()` writes at once and resolves once
// the store holds them (before a transaction is sent). A crash can cut off at most the file's lines
// being written and never an earlier one. The file's `seq` continues across restarts so it stays
// ordered even when the process is restarted onto the same path.
import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync } from "node:fs";
import type { AuditStore } from "./audit-store.js";
import { jsonReplacer } from "./log.js";

export interface AuditEntry {
  time: string;
  seq: number;
  [key: string]: unknown;
}

/** Written when the file ended mid-line, so readers know the line before it was cut off by a crash. */
export const RECOVERED_EVENT = "audit-recovered";
const TAIL_BYTES = 1 << 20;

export class AuditLog {
  private fd: number | null;
  private seq: number;
  private buffered: string[] = [];
  private bodies: string[] = [];
  private scheduled = false;
  private stored: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly store?: AuditStore,
  ) {
    const { lastSeq, partialBytes } = existsSync(path) ? inspectTail(path) : { lastSeq: 0, partialBytes: 0 };
    this.fd = openSync(path, "a");
    this.seq = lastSeq;
    if (partialBytes > 0) {
      const marker = this.line({ event: RECOVERED_EVENT, truncatedBytes: partialBytes }, new Date().toISOString());
      appendFileSync(this.fd, `\n${marker}`);
    }
  }

  append(entry: Record<string, unknown>): void {
    if (this.fd === null) throw new Error(`audit log ${this.path} is closed`);
    const time = new Date().toISOString();
    // One serialisation for both: the store's body is the file's line without its seq.
    const body = JSON.stringify(Object.assign({ time }, entry, { time }), jsonReplacer);
    const fast = "seq" in entry ? null : withSeq(body, time, this.seq + 1);
    if (fast !== null) this.seq++;
    this.buffered.push(fast ?? this.line(entry, time));
    if (this.store) this.bodies.push(body);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        try {
          this.flush().catch((e: Error) => console.error(`audit store: ${e.message}`));
        } catch (e) {
          // Kept for the next flush; the step about to be sent is refused by that one.
          console.error(`audit log ${this.path}: ${(e as Error).message}`);
        }
      });
    }
  }

  /**
   * Writes the buffered records now: the file's at once (a failure there throws and keeps them
   * buffered), the store's in order after every earlier flush; resolves when the store holds them,
   * rejects if it did not (they are kept for the next flush).
   */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.fd === null) return this.stored;
    if (this.buffered.length > 0) {
      appendFileSync(this.fd, this.buffered.join(""));
      this.buffered = [];
    }
    if (this.store && this.bodies.length > 0) {
      const bodies = this.bodies;
      this.bodies = [];
      // A batch the store refused goes out again with the next flush: nothing is lost to an outage.
      this.stored = this.store.append(bodies).catch((e: Error) => {
        this.bodies.unshift(...bodies);
        throw e;
      });
    }
    return this.stored;
  }

  async close(): Promise<void> {
    if (this.fd === null) return;
    const stored = this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    await stored;
  }

  private line(entry: Record<string, unknown>, time: string): string {
    const head = { time, seq: ++this.seq };
    return `${JSON.stringify(Object.assign({ ...head }, entry, head), jsonReplacer)}\n`;
  }
}

/** `body` (the JSON of an entry whose first key is `time`) with `seq` after its time, as a line. */
function withSeq(body: string, time: string, seq: number): string | null {
  const head = `{"time":${JSON.stringify(time)}`;
  // Not so for an entry with integer-like keys (JSON puts them first) or a toJSON of its own.
  if (!body.startsWith(head)) return null;
  return `${head},"seq":${seq}${body.slice(head.length)}\n`;
}

/**
 * All entries in order. A line that does not parse is accepted only where a crash can leave one:
 * at the end of the file, or right before the marker a restarted writer adds; anywhere else it throws.
 */
export function readAudit(path: string): AuditEntry[] {
  const lines = readFileSync(path, "utf8").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const entries: AuditEntry[] = [];
  lines.forEach((text, i) => {
    const entry = parse(text);
    if (entry !== null) entries.push(entry);
    else if (i !== lines.length - 1 && parse(lines[i + 1])?.event !== RECOVERED_EVENT) {
      throw new Error(`audit: line ${i + 1} of ${path} is corrupt`);
    }
  });
  return entries;
}

function parse(text: string): AuditEntry | null {
  try {
    const v = JSON.parse(text);
    return typeof v === "object" && v !== null && typeof v.seq === "number" ? (v as AuditEntry) : null;
  } catch {
    return null;
  }
}

/** The last written seq and the length of an unterminated last line, from the end of the file only. */
function inspectTail(path: string): { lastSeq: number; partialBytes: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const lastNewline = buf.lastIndexOf(0x0a);
    const partialBytes = length - (lastNewline + 1);
    const complete = buf
      .subarray(0, lastNewline + 1)
      .toString("utf8")
      .split("\n")
      .reverse();
    for (const line of complete) {
      const entry = parse(line);
      if (entry !== null) return { lastSeq: entry.seq, partialBytes };
    }
    return { lastSeq: 0, partialBytes };
  } finally {
    closeSync(fd);
  }
}
