// Alerts a person reads: one POST per event to a webhook in the receiver's own format (Slack,
// Discord, Telegram, or plain JSON), at most one per event and subject (an account, a market, the
// feed) per `alertDedupMs`, and at most `alertsPerMinute` in any minute. What the limit holds back
// is counted and named in the next alert that goes out, never silently lost. Sending never waits
// on the decision path and never throws: a receiver that fails costs a warning and a metric.
import type { Logger } from "./log.js";

export const ALERT_FORMATS = ["json", "slack", "discord", "telegram"] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

export type AlertKind =
  | "margin-call"
  | "job-failed"
  | "bankruptcy"
  | "feed-silent"
  | "oracle-unusable"
  | "kill-switch"
  | "low-balance";
export type Severity = "info" | "warning" | "critical";

export interface Alert {
  kind: AlertKind;
  severity: Severity;
  /** What it is about (an account, a market's oracle, "feed", "operator"): the de-duplication key with `kind`. */
  subject: string;
  title: string;
  fields: Record<string, string>;
  atMs: number;
  instance: string;
  /** Alerts the rate limit held back since the last one sent. */
  suppressed: number;
}

/** Discord allows 25 fields of at most 1,024 characters; Slack and Telegram messages are kept as short. */
const MAX_FIELDS = 25;
const MAX_VALUE = 1_024;
const SEVERITY_COLOR: Record<Severity, number> = { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 };
const SEVERITY_MARK: Record<Severity, string> = { info: "ℹ️", warning: "⚠️", critical: "🚨" };

const clip = (s: string, n = MAX_VALUE) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const entries = (a: Alert) =>
  Object.entries(a.fields)
    .slice(0, MAX_FIELDS)
    .map(([k, v]) => [clip(k, 256), clip(v)] as const);
const footer = (a: Alert) =>
  `${a.kind} · ${a.instance} · ${new Date(a.atMs).toISOString()}${a.suppressed > 0 ? ` · ${a.suppressed} more held back by the rate limit` : ""}`;

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
// Slack's mrkdwn treats only these three as control characters.
const escapeSlack = escapeHtml;

/** The request body for `format`; Telegram also needs the chat to post in. */
export function renderAlert(format: AlertFormat, a: Alert, opts: { telegramChatId?: string } = {}): unknown {
  switch (format) {
    case "json":
      return {
        kind: a.kind,
        severity: a.severity,
        subject: a.subject,
        title: a.title,
        fields: a.fields,
        time: new Date(a.atMs).toISOString(),
        instance: a.instance,
        suppressed: a.suppressed,
      };
    case "slack": {
      const lines = entries(a).map(([k, v]) => `*${escapeSlack(k)}*: ${escapeSlack(v)}`);
      const text = `${SEVERITY_MARK[a.severity]} *${escapeSlack(a.title)}*`;
      return {
        text: `${text}\n${lines.join("\n")}`,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: clip(`${text}\n${lines.join("\n")}`, 3_000) } },
          { type: "context", elements: [{ type: "mrkdwn", text: escapeSlack(footer(a)) }] },
        ],
      };
    }
    case "discord":
      return {
        // Discord renders no mentions from a webhook unless asked: none are.
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: clip(`${SEVERITY_MARK[a.severity]} ${a.title}`, 256),
            color: SEVERITY_COLOR[a.severity],
            fields: entries(a).map(([name, value]) => ({ name, value: value === "" ? "—" : value, inline: true })),
            footer: { text: clip(footer(a), 2_048) },
            timestamp: new Date(a.atMs).toISOString(),
          },
        ],
      };
    case "telegram": {
      if (!opts.telegramChatId) throw new Error("a telegram alert needs alertTelegramChatId");
      const lines = entries(a).map(([k, v]) => `<b>${escapeHtml(k)}</b>: ${escapeHtml(v)}`);
      return {
        chat_id: opts.telegramChatId,
        parse_mode: "HTML",
        disable_web_page_preview: true,
        text: clip(
          `${SEVERITY_MARK[a.severity]} <b>${escapeHtml(a.title)}</b>\n${lines.join("\n")}\n<i>${escapeHtml(footer(a))}</i>`,
          4_096,
        ),
      };
    }
  }
}

export interface AlerterOptions {
  url: string;
  format: AlertFormat;
  telegramChatId?: string;
  dedupMs: number;
  perMinute: number;
  instance: string;
  log: Logger;
  /** Each alert's fate: sent, deduplicated, rate-limited or failed. */
  onOutcome?: (kind: AlertKind, outcome: "sent" | "deduplicated" | "rate-limited" | "failed") => void;
  now?: () => number;
  post?: (url: string, body: string) => Promise<void>;
}

const TIMEOUT_MS = 3_000;

async function postJson(url: string, body: string): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  await res.body?.cancel();
}

export class Alerter {
  private readonly lastSent = new Map<string, number>();
  private readonly window: number[] = [];
  private held = 0;
  private readonly now: () => number;
  private readonly post: (url: string, body: string) => Promise<void>;

  constructor(private readonly o: AlerterOptions) {
    this.now = o.now ?? Date.now;
    this.post = o.post ?? postJson;
    // Fails at start, not at the first alert.
    if (o.format === "telegram" && !o.telegramChatId) throw new Error("alertFormat telegram needs alertTelegramChatId");
  }

  /** Sends unless the same kind and subject went out within `dedupMs` or the minute's budget is spent; true if it was sent. */
  raise(
    kind: AlertKind,
    severity: Severity,
    subject: string,
    title: string,
    fields: Record<string, string> = {},
  ): boolean {
    const at = this.now();
    const key = `${kind}\u0000${subject}`;
    const last = this.lastSent.get(key);
    if (last !== undefined && at - last < this.o.dedupMs) {
      this.o.onOutcome?.(kind, "deduplicated");
      return false;
    }
    while (this.window.length > 0 && at - this.window[0] >= 60_000) this.window.shift();
    if (this.window.length >= this.o.perMinute) {
      this.held++;
      this.o.onOutcome?.(kind, "rate-limited");
      return false;
    }
    this.window.push(at);
    this.remember(key, at);
    const alert: Alert = {
      kind,
      severity,
      subject,
      title,
      fields,
      atMs: at,
      instance: this.o.instance,
      suppressed: this.held,
    };
    this.held = 0;
    const body = JSON.stringify(renderAlert(this.o.format, alert, { telegramChatId: this.o.telegramChatId }));
    this.post(this.o.url, body).then(
      () => this.o.onOutcome?.(kind, "sent"),
      (e: Error) => {
        this.o.onOutcome?.(kind, "failed");
        this.o.log.warn("alert not delivered", { kind, subject, error: e.message });
      },
    );
    return true;
  }

  private remember(key: string, at: number): void {
    this.lastSent.set(key, at);
    // A wave raises one alert per account: keep only what can still de-duplicate.
    if (this.lastSent.size > 10_000) {
      for (const [k, t] of this.lastSent) if (at - t >= this.o.dedupMs) this.lastSent.delete(k);
    }
  }
}
