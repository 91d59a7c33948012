// The margin-call webhook (config `marginCallWebhookUrl`): one JSON POST per margin call, bounded
// to 3 s, never retried and never in the way of the decision; a failure is a warning.
import type { Logger } from "./log.js";

export const WEBHOOK_TIMEOUT_MS = 3_000;

/** The body a receiver gets: the account and its equity and maintenance requirement, quote native units as strings. */
export function marginCallBody(
  account: string,
  health: { equity?: bigint; maintenance?: bigint } | null | undefined,
): string {
  return JSON.stringify({ account, equity: health?.equity?.toString(), maintenance: health?.maintenance?.toString() });
}

export function postMarginCall(
  url: string,
  account: string,
  health: { equity?: bigint; maintenance?: bigint } | null | undefined,
  log: Logger,
): void {
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: marginCallBody(account, health),
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  }).catch((e: Error) => log.warn("margin-call webhook failed", { account, error: e.message }));
}
