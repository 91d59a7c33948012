// Operator alerts: each receiver's format rendered from one alert (escaping, limits), one alert per
// kind and subject per de-duplication window, at most N a minute with what was held back named in
// the next one, and delivery to a real HTTP server (a failing receiver costs a warning).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { type Alert, Alerter, renderAlert } from "../../orchestrator/src/ops/alerts.js";
import { loadConfig } from "../../orchestrator/src/config.js";
import { createLogger } from "../../orchestrator/src/ops/log.js";

const alert: Alert = {
  kind: "bankruptcy",
  severity: "critical",
  subject: "Acc1",
  title: "Account <b>bankrupt</b> & more",
  fields: { account: "Acc1", deficit: "1250", note: "x".repeat(2_000) },
  atMs: Date.UTC(2026, 11, 3, 12, 0, 0),
  instance: "i-1",
  suppressed: 2,
};

describe("renderAlert", () => {
  it("json: every field as it is", () => {
    expect(renderAlert("json", alert)).toEqual({
      kind: "bankruptcy",
      severity: "critical",
      subject: "Acc1",
      title: alert.title,
      fields: alert.fields,
      time: "2026-12-03T12:00:00.000Z",
      instance: "i-1",
      suppressed: 2,
    });
  });

  it("slack: mrkdwn text with its control characters escaped, and a context line", () => {
    const body = renderAlert("slack", alert) as {
      text: string;
      blocks: [{ text: { text: string } }, { elements: [{ text: string }] }];
    };
    expect(body.text).toContain("*Account &lt;b&gt;bankrupt&lt;/b&gt; &amp; more*");
    expect(body.text).toContain("*deficit*: 1250");
    expect(body.blocks[0].text.text.length).toBeLessThanOrEqual(3_000);
    expect(body.blocks[1].elements[0].text).toBe(
      "bankruptcy · i-1 · 2026-12-03T12:00:00.000Z · 2 more held back by the rate limit",
    );
  });

  it("discord: one embed, severity colour, fields within Discord's limits, no mentions", () => {
    const body = renderAlert("discord", alert) as {
      allowed_mentions: { parse: string[] };
      embeds: [{ title: string; color: number; fields: { name: string; value: string }[]; timestamp: string }];
    };
    const [embed] = body.embeds;
    expect(body.allowed_mentions.parse).toEqual([]);
    expect(embed.color).toBe(0xdc2626);
    expect(embed.title).toContain("Account <b>bankrupt</b> & more");
    expect(embed.fields.map((f) => f.name)).toEqual(["account", "deficit", "note"]);
    expect(embed.fields[2].value.length).toBe(1_024);
    expect(embed.timestamp).toBe("2026-12-03T12:00:00.000Z");
  });

  it("telegram: HTML with its entities escaped, in the configured chat", () => {
    const body = renderAlert("telegram", alert, { telegramChatId: "-100123" }) as {
      chat_id: string;
      parse_mode: string;
      text: string;
    };
    expect(body.chat_id).toBe("-100123");
    expect(body.parse_mode).toBe("HTML");
    expect(body.text).toContain("<b>Account &lt;b&gt;bankrupt&lt;/b&gt; &amp; more</b>");
    expect(body.text).toContain("<b>deficit</b>: 1250");
    expect(body.text.length).toBeLessThanOrEqual(4_096);
    expect(() => renderAlert("telegram", alert)).toThrow(/alertTelegramChatId/);
  });

  it("the configuration refuses telegram without a chat and an unknown format", () => {
    const env = { MARGIN_WARDEN_ALERT_WEBHOOK_URL: "https://api.telegram.org/botX/sendMessage" };
    expect(() => loadConfig({ env: { ...env, MARGIN_WARDEN_ALERT_FORMAT: "telegram" } })).toThrow(
      /alertTelegramChatId/,
    );
    expect(() => loadConfig({ env: { ...env, MARGIN_WARDEN_ALERT_FORMAT: "teams" } })).toThrow(
      /alertFormat must be one of json, slack, discord, telegram/,
    );
    expect(loadConfig({ env: { ...env, MARGIN_WARDEN_ALERT_FORMAT: "slack" } }).alertFormat).toBe("slack");
  });
});

function alerter(opts: { dedupMs?: number; perMinute?: number; fail?: boolean } = {}) {
  let now = 1_000_000;
  const posted: Record<string, unknown>[] = [];
  const outcomes: string[] = [];
  const a = new Alerter({
    url: "http://receiver.invalid/",
    format: "json",
    dedupMs: opts.dedupMs ?? 60_000,
    perMinute: opts.perMinute ?? 100,
    instance: "i-1",
    log: createLogger({ level: "error", stream: { write: () => true } as never }),
    onOutcome: (kind, outcome) => outcomes.push(`${kind} ${outcome}`),
    now: () => now,
    post: async (_url, body) => {
      if (opts.fail) throw new Error("down");
      posted.push(JSON.parse(body));
    },
  });
  return { a, posted, outcomes, advance: (ms: number) => (now += ms) };
}

describe("Alerter", () => {
  it("sends one alert per kind and subject per window", async () => {
    const { a, posted, advance } = alerter({ dedupMs: 60_000 });
    expect(a.raise("margin-call", "warning", "Acc1", "Margin call")).toBe(true);
    expect(a.raise("margin-call", "warning", "Acc1", "Margin call")).toBe(false);
    expect(a.raise("margin-call", "warning", "Acc2", "Margin call")).toBe(true);
    expect(a.raise("bankruptcy", "critical", "Acc1", "Bankrupt")).toBe(true);
    advance(59_999);
    expect(a.raise("margin-call", "warning", "Acc1", "Margin call")).toBe(false);
    advance(1);
    expect(a.raise("margin-call", "warning", "Acc1", "Margin call")).toBe(true);
    await expect.poll(() => posted.length).toBe(4);
    expect(posted.map((p) => `${p.kind} ${p.subject}`)).toEqual([
      "margin-call Acc1",
      "margin-call Acc2",
      "bankruptcy Acc1",
      "margin-call Acc1",
    ]);
  });

  it("holds back what exceeds the minute's budget and names the count in the next alert", async () => {
    const { a, posted, outcomes, advance } = alerter({ perMinute: 3 });
    for (let i = 0; i < 10; i++) a.raise("margin-call", "warning", `Acc${i}`, "Margin call");
    await expect.poll(() => posted.length).toBe(3);
    expect(outcomes.filter((o) => o.endsWith("rate-limited"))).toHaveLength(7);
    advance(60_000);
    expect(a.raise("bankruptcy", "critical", "Acc9", "Bankrupt")).toBe(true);
    await expect.poll(() => posted.length).toBe(4);
    expect(posted[3]).toMatchObject({ kind: "bankruptcy", suppressed: 7 });
    expect(posted[0]).toMatchObject({ suppressed: 0 });
  });

  it("counts a receiver's failure and throws nothing", async () => {
    const { a, outcomes } = alerter({ fail: true });
    expect(a.raise("feed-silent", "warning", "feed", "Websocket silent")).toBe(true);
    await expect.poll(() => outcomes).toEqual(["feed-silent failed"]);
  });

  it("posts to a real receiver in its format", async () => {
    const bodies: { type?: string; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        bodies.push({ type: req.headers["content-type"], body: JSON.parse(body) });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const outcomes: string[] = [];
    const a = new Alerter({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      format: "discord",
      dedupMs: 1_000,
      perMinute: 10,
      instance: "i-1",
      log: createLogger({ level: "error", stream: { write: () => true } as never }),
      onOutcome: (kind, outcome) => outcomes.push(`${kind} ${outcome}`),
    });
    a.raise("kill-switch", "critical", "engaged-1", "Kill switch engaged");
    await expect.poll(() => outcomes).toEqual(["kill-switch sent"]);
    expect(bodies[0].type).toBe("application/json");
    expect(bodies[0].body).toMatchObject({ embeds: [{ color: 0xdc2626 }] });
    server.close();
  });
});
