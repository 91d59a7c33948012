// The deployment files, checked as far as this machine can without a container runtime:
// docker-compose.yml validates (docker-compose config) and runs Redis as BullMQ's production guide
// asks; Prometheus's config passes promtool and scrapes the port the image serves; every query of
// the Grafana dashboard parses (promtool) and names only metrics the orchestrator exports; and what
// the Dockerfile builds (npm run build, production dependencies only) loads and runs its entry point,
// with the allocator the image preloads.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Metrics } from "../../orchestrator/src/ops/metrics.js";

const root = new URL("../../", import.meta.url).pathname;
const read = (p: string) => readFileSync(join(root, p), "utf8");

function tool(name: string, args: string[]): { status: number | null; stdout: string; out: string } {
  const r = spawnSync(name, args, { cwd: root, encoding: "utf8" });
  if (r.error) throw new Error(`${name} is not installed: run npm run setup (it installs the Debian package)`);
  return { status: r.status, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
}

describe("deployment files", () => {
  it("docker-compose.yml validates and runs Redis with AOF synced on every write and no eviction", () => {
    const r = tool("docker-compose", ["-f", "docker-compose.yml", "config"]);
    expect(r.status, r.out).toBe(0);
    // The file as docker-compose resolved it (defaults filled in, paths absolute).
    const compose = parse(r.stdout) as {
      services: Record<string, { command?: string[]; build?: unknown; environment?: Record<string, string> }>;
    };
    const redis = compose.services.redis.command!.join(" ");
    expect(redis).toMatch(/--appendonly yes/);
    expect(redis).toMatch(/--appendfsync always/);
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(compose.services.orchestrator.build).toBeDefined();
    expect(compose.services.orchestrator.environment?.MARGIN_WARDEN_REDIS_URL).toBe("redis://redis:6379");
    expect(Object.keys(compose.services).sort()).toEqual(["grafana", "orchestrator", "prometheus", "redis"]);
  });

  it("Prometheus's config passes promtool and scrapes the port the image serves /metrics on", () => {
    const r = tool("promtool", ["check", "config", "deploy/prometheus.yml"]);
    expect(r.status, r.out).toBe(0);
    const port = /MARGIN_WARDEN_HTTP_PORT=(\d+)/.exec(read("Dockerfile"))?.[1];
    expect(read("deploy/prometheus.yml")).toContain(`"orchestrator:${port}"`);
    expect(read("Dockerfile")).toMatch(/HEALTHCHECK[\s\S]*\/health/);
    expect(read("Dockerfile")).toMatch(/^USER node$/m);
  });

  it("every dashboard query parses and names only metrics the orchestrator exports", async () => {
    const dashboard = JSON.parse(read("deploy/grafana/dashboards/margin-warden.json")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    // promtool parses PromQL in rule files: one recording rule per query.
    const dir = mkdtempSync(join(tmpdir(), "dashboard-"));
    const rules = `groups:\n  - name: dashboard\n    rules:\n${exprs.map((e, i) => `      - record: q${i}\n        expr: ${JSON.stringify(e)}\n`).join("")}`;
    writeFileSync(join(dir, "rules.yml"), rules);
    const r = tool("promtool", ["check", "rules", join(dir, "rules.yml")]);
    expect(r.status, r.out).toBe(0);

    const metrics = new Metrics({ processMetrics: false });
    const exported = new Set<string>();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      exported.add(m.name);
      if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) exported.add(m.name + s);
    }
    const FUNCTIONS = new Set(["sum", "by", "rate", "increase", "histogram_quantile", "max", "le"]);
    const named = new Set(
      exprs.flatMap(
        (e) =>
          e.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"|\b\d+(?:\.\d+)?(?:e\d+)?\b/g, "").match(/[a-z_][a-z0-9_]*/g) ?? [],
      ),
    );
    const labels = new Set([
      "queue",
      "state",
      "kind",
      "outcome",
      "service",
      "market",
      "reason",
      "action",
      "result",
      "endpoint",
      "method",
    ]);
    const unknown = [...named].filter((n) => !FUNCTIONS.has(n) && !labels.has(n) && !exported.has(n));
    expect(unknown).toEqual([]);
    // Every exported metric is on the dashboard (a histogram through its buckets).
    const missing = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => !named.has(n) && !named.has(`${n}_bucket`));
    expect(missing).toEqual([]);
  });

  it("what the Dockerfile builds runs on production dependencies alone", () => {
    const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    // The image's second stage: package files, production node_modules, dist.
    const image = mkdtempSync(join(tmpdir(), "image-"));
    mkdirSync(join(image, "sdk"));
    for (const f of ["package.json", "package-lock.json", "sdk/package.json"]) cpSync(join(root, f), join(image, f));
    const install = spawnSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: image,
      encoding: "utf8",
    });
    expect(install.status, install.stderr).toBe(0);
    cpSync(join(root, "dist"), join(image, "dist"), { recursive: true });
    const argv = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(read("Dockerfile"))?.[1] ?? "[]") as string[];
    expect(argv[0]).toBe("node");
    const entry = argv[argv.length - 1];
    expect(entry).toBe("dist/orchestrator/src/cli.js");
    // Node accepts the flags the image starts it with.
    const help = spawnSync("node", [...argv.slice(1), "--help"], { cwd: image, encoding: "utf8" });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: margin-warden");
    // The whole orchestrator (what `run` loads) resolves with those dependencies.
    const load = spawnSync(
      "node",
      ["-e", "import('./dist/orchestrator/src/orchestrator.js').then((m) => console.log(typeof m.runOrchestrator))"],
      {
        cwd: image,
        encoding: "utf8",
      },
    );
    expect(load.stdout.trim(), load.stderr).toBe("function");
    // With the allocator the image preloads, found where its RUN line links it from: it is loaded.
    const linked = /ln -s "([^"]+)" (\S+)/.exec(read("Dockerfile"));
    expect(read("Dockerfile")).toMatch(new RegExp(`LD_PRELOAD=${linked?.[2]}`));
    const jemalloc = linked![1].replace("$(uname -m)", spawnSync("uname", ["-m"], { encoding: "utf8" }).stdout.trim());
    const preloaded = spawnSync(
      "node",
      ["-e", "console.log(require('node:fs').readFileSync('/proc/self/maps', 'utf8').includes('libjemalloc'))"],
      { cwd: image, encoding: "utf8", env: { PATH: process.env.PATH, LD_PRELOAD: jemalloc } },
    );
    expect(preloaded.stdout.trim(), preloaded.stderr).toBe("true");
    const helped = spawnSync("node", [...argv.slice(1), "--help"], {
      cwd: image,
      encoding: "utf8",
      env: { PATH: process.env.PATH, LD_PRELOAD: jemalloc },
    });
    expect(helped.status, helped.stderr).toBe(0);
    expect(helped.stderr).toBe("");
    // A configuration error is the CLI's own exit code 2, as on the host.
    const run = spawnSync("node", [...argv.slice(1), "run"], {
      cwd: image,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/exchange is required/);
  }, 180_000);
});
