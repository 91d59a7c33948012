// Where our liquidator's time went, from its own audit log (the reference keeper keeps none): for
// each account, its first decided, sent and confirmed records, against the oracle write. "Decided"
// is written once the job is in Redis, so it includes the add.
import { existsSync } from "node:fs";
import { readAudit } from "../../src/ops/audit.js";
import { percentile } from "../../src/ops/stats.js";

export interface Stages {
  /** Oracle write → the first decision of the wave (the price notification and its evaluation). */
  detectMs: number;
  /** Oracle write → decided, over the accounts' first steps (p50, p99). */
  decided: [number, number];
  /** Decided → sent: waiting for a worker, the snapshot, signing. */
  queued: [number, number];
  /** Sent → confirmed as the orchestrator saw it. */
  confirming: [number, number];
}

export function firstStepStages(auditPath: string, crashAtMs: number): Stages | null {
  if (!existsSync(auditPath)) return null;
  const at = new Map<string, { decided?: number; sent?: number; confirmed?: number }>();
  for (const e of readAudit(auditPath)) {
    const t = Date.parse(e.time);
    const event = e.event as string;
    if (t < crashAtMs || typeof e.account !== "string") continue;
    if (event !== "decided" && event !== "sent" && event !== "confirmed") continue;
    let a = at.get(e.account);
    if (!a) at.set(e.account, (a = {}));
    a[event] ??= t;
  }
  const firsts = [...at.values()].filter(
    (a) => a.decided !== undefined && a.sent !== undefined && a.confirmed !== undefined,
  );
  if (firsts.length === 0) return null;
  const p = (xs: number[]): [number, number] => [percentile(xs, 50), percentile(xs, 99)];
  const decided = firsts.map((a) => a.decided! - crashAtMs);
  return {
    detectMs: decided.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY),
    decided: p(decided),
    queued: p(firsts.map((a) => a.sent! - a.decided!)),
    confirming: p(firsts.map((a) => a.confirmed! - a.sent!)),
  };
}
