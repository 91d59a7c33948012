// Margin-call notices addressed to the account's owner, through pluggable channels. The webhook
// (config `marginCallWebhookUrl`) is one: a JSON POST per margin call, bounded to 3 s, never
// retried; a protocol's own service can forward it by mail, push or chat. A channel never stands
// in the way of the decision: a failure is a warning.
import type { Logger } from "./log.js";

export const WEBHOOK_TIMEOUT_MS = 3_000;

export interface MarginCallNotice {
  account: string;
  /** The account's owner: whom the notice is for. */
  owner: string | undefined;
  /** Quote native units. */
  equity: bigint | undefined;
  maintenance: bigint | undefined;
  atMs: number;
}

export interface MarginCallChannel {
  readonly name: string;
  notify(notice: MarginCallNotice): Promise<void>;
}

/** The body a webhook receiver gets: amounts in quote native units as strings. */
export function marginCallBody(n: MarginCallNotice): string {
  return JSON.stringify({
    account: n.account,
    owner: n.owner,
    equity: n.equity?.toString(),
    maintenance: n.maintenance?.toString(),
    time: new Date(n.atMs).toISOString(),
  });
}

export function webhookChannel(url: string): MarginCallChannel {
  return {
    name: "webhook",
    async notify(n) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: marginCallBody(n),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      await res.body?.cancel();
    },
  };
}

/** Every channel, each on its own: one failing does not keep the notice from the others. */
export function notifyOwner(channels: readonly MarginCallChannel[], n: MarginCallNotice, log: Logger): void {
  for (const c of channels) {
    c.notify(n).catch((e: Error) =>
      log.warn("margin-call notice not delivered", { channel: c.name, account: n.account, error: e.message }),
    );
  }
}
