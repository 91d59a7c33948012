// The probe surface for Prometheus and the process supervisor. Read-only: control goes through
// Redis (ops/control.ts) so an exposed port can never pause or resume anything.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { jsonReplacer } from "./log.js";
import type { Metrics } from "./metrics.js";

export interface Health {
  ok: boolean;
  details: object;
}

export interface HttpOptions {
  host: string;
  port: number;
  metrics: Metrics;
  health: () => Health;
  /** `/readyz`: able to act now (loaded, services reachable), apart from `/health`. */
  ready?: () => Health;
  status: () => object;
  /** More read-only routes by path (the dashboard's); they get the request's URL for its query. */
  routes?: Record<string, (res: ServerResponse, url: URL) => Promise<void>>;
}

export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttp({
  host,
  port,
  metrics,
  health,
  ready = health,
  status,
  routes: extra = {},
}: HttpOptions): Promise<HttpServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = req.method === "GET" ? (routes[url.pathname] ?? extra[url.pathname]) : undefined;
    if (route === undefined) return json(res, 404, { error: "not found" });
    route(res, url).catch((e: unknown) => json(res, 500, { error: (e as Error).message ?? String(e) }));
  });
  const routes: Record<string, (res: ServerResponse, url: URL) => Promise<void>> = {
    "/metrics": async (res) => {
      const { contentType, body } = await metrics.expose();
      res.writeHead(200, { "content-type": contentType }).end(body);
    },
    "/health": async (res) => {
      const h = health();
      json(res, h.ok ? 200 : 503, { ok: h.ok, details: h.details });
    },
    "/readyz": async (res) => {
      const r = ready();
      json(res, r.ok ? 200 : 503, { ok: r.ok, details: r.details });
    },
    "/status": async (res) => json(res, 200, status()),
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Keep-alive scrapers would otherwise hold shutdown open until they time out.
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(code, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body, jsonReplacer));
}
