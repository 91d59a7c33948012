// The dashboard's HTTP routes on the orchestrator's server: the page and its script and style
// (files beside this one, no CDN), the view as JSON, the view pushed over server-sent events, and
// one account's audit trail from the shared audit store. Read-only, like the rest of the server.
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { readRecords } from "../audit-store.js";
import { jsonReplacer } from "../log.js";
import type { Dashboard } from "./dashboard.js";

export type Route = (res: ServerResponse, url: URL) => Promise<void>;

const PUBLIC = new URL("./public/", import.meta.url);
const ASSETS: Record<string, [file: string, type: string]> = {
  "/dashboard": ["index.html", "text/html; charset=utf-8"],
  "/dashboard/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/dashboard/app.css": ["app.css", "text/css; charset=utf-8"],
};

/** The newest records first, at most this many. */
const AUDIT_LIMIT = 200;

/** An account's audit trail: the whole stream is read, so it costs a scan of the store per request. */
export async function auditTrail(redis: Redis, prefix: string, account: string, limit = AUDIT_LIMIT) {
  const out: Record<string, unknown>[] = [];
  for await (const r of readRecords(redis, prefix)) {
    const e = JSON.parse(r.body) as Record<string, unknown>;
    if (e.account !== account) continue;
    out.push({ seq: r.seq, ...e });
    if (out.length > limit) out.shift();
  }
  return out.reverse();
}

const send = (res: ServerResponse, code: number, body: unknown): void =>
  void res
    .writeHead(code, { "content-type": "application/json; charset=utf-8" })
    .end(JSON.stringify(body, jsonReplacer));

export function dashboardRoutes(
  dashboard: Dashboard,
  audit: (account: string) => Promise<Record<string, unknown>[]>,
  pushMs = 1_000,
): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const [path, [file, type]] of Object.entries(ASSETS)) {
    // Read per request: small files, and an edited page shows on reload.
    routes[path] = async (res) =>
      void res
        .writeHead(200, { "content-type": type, "cache-control": "no-cache" })
        .end(readFileSync(new URL(file, PUBLIC)));
  }
  routes["/dashboard/view"] = async (res) => {
    const view = dashboard.view();
    send(res, view ? 200 : 503, view ?? { error: "not loaded yet" });
  };
  routes["/dashboard/events"] = async (res) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const push = () => {
      const view = dashboard.view();
      if (view) res.write(`data: ${JSON.stringify(view, jsonReplacer)}\n\n`);
    };
    push();
    const timer = setInterval(push, pushMs);
    res.on("close", () => clearInterval(timer));
  };
  routes["/dashboard/audit"] = async (res, url) => {
    const account = url.searchParams.get("account")?.trim();
    if (!account) return send(res, 400, { error: "account is required" });
    send(res, 200, { account, records: await audit(account) });
  };
  return routes;
}
