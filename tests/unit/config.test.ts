import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  configKeys,
  envName,
  loadConfig,
  redactConfig,
  requireKeys,
  rpcRoles,
} from "../../orchestrator/src/config.js";

const dir = mkdtempSync(join(tmpdir(), "margin-warden-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(contents: unknown): string {
  const path = join(dir, `config-${n++}.json`);
  writeFileSync(path, typeof contents === "string" ? contents : JSON.stringify(contents));
  return path;
}
function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

const EXCHANGE = "796WEWCyqBUDsnMbNSLgaJR5bZAG32237yywsBogJnfG";

describe("loadConfig", () => {
  it("has a default for every key that can have one", () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      rpcUrl: "http://127.0.0.1:8899",
      redisUrl: "redis://127.0.0.1:6379",
      programId: "796WEWCyqBUDsnMbNSLgaJR5bZAG32237yywsBogJnfG",
      queuePrefix: "margin-warden",
      maxAccountAgeSlots: 150,
      maxOracleAgeSlots: 50,
      resyncBatchSize: 100,
      computeUnitCeiling: 1_400_000,
      priorityFeePercentile: 75,
      httpPort: 9464,
      logLevel: "info",
    });
    expect(c.exchange).toBeUndefined();
    expect(c.wsUrl).toBeUndefined();
  });

  it("names the environment variable after the key", () => {
    expect(envName("maxOracleAgeSlots")).toBe("MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS");
    expect(envName("rpcUrl")).toBe("MARGIN_WARDEN_RPC_URL");
  });

  it("lets the environment win over the file, and the file over the defaults", () => {
    const path = file({ maxOracleAgeSlots: 10, workerConcurrency: 8, logLevel: "debug" });
    const c = loadConfig({
      file: path,
      env: { MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS: "20", MARGIN_WARDEN_LOG_LEVEL: "" },
    });
    expect(c.maxOracleAgeSlots).toBe(20);
    expect(c.workerConcurrency).toBe(8);
    // An empty variable means unset, so the file's value stays.
    expect(c.logLevel).toBe("debug");
  });

  it("applies overrides last", () => {
    const c = loadConfig({ env: { MARGIN_WARDEN_HTTP_PORT: "1234" }, overrides: { httpPort: 0 } });
    expect(c.httpPort).toBe(0);
  });

  it("exposes the margin-call band as a bigint from any source", () => {
    expect(loadConfig({ env: {} }).marginCallBandPpm).toBe(200_000n);
    expect(loadConfig({ env: { MARGIN_WARDEN_MARGIN_CALL_BAND_PPM: "350000" } }).marginCallBandPpm).toBe(350_000n);
    expect(loadConfig({ file: file({ marginCallBandPpm: 10_000_000 }), env: {} }).marginCallBandPpm).toBe(10_000_000n);
    expect(loadConfig({ env: {}, overrides: { marginCallBandPpm: 1n } }).marginCallBandPpm).toBe(1n);
    expect(problems(() => loadConfig({ env: { MARGIN_WARDEN_MARGIN_CALL_BAND_PPM: "10000001" } }))).toHaveLength(1);
  });

  it("reports every problem at once, naming key, value and source", () => {
    const path = file({ rpcUrl: "ftp://x", resyncBatchSize: 101 });
    const found = problems(() =>
      loadConfig({
        file: path,
        env: {
          MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS: "abc",
          MARGIN_WARDEN_EXCHANGE: "not-a-key",
          MARGIN_WARDEN_LOG_LEVEL: "verbose",
          MARGIN_WARDEN_HTTP_PORT: "65536",
        },
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        `rpcUrl must be an http(s) URL (got "ftp://x" from ${path})`,
        `resyncBatchSize must be an integer in 1..100 (got 101 from ${path})`,
        'maxOracleAgeSlots must be a positive integer (got "abc" from MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS)',
        'exchange must be a base58 public key (got "not-a-key" from MARGIN_WARDEN_EXCHANGE)',
        'logLevel must be one of debug, info, warn, error (got "verbose" from MARGIN_WARDEN_LOG_LEVEL)',
        'httpPort must be an integer in 0..65535 (got "65536" from MARGIN_WARDEN_HTTP_PORT)',
      ]),
    );
    expect(found).toHaveLength(6);
  });

  it("prefixes every problem with config: in the message", () => {
    const e = (() => {
      try {
        loadConfig({ env: { MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS: "abc" } });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(e?.message).toBe(
      'config: maxOracleAgeSlots must be a positive integer (got "abc" from MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS)',
    );
  });

  it("rejects unknown keys in the file and unknown MARGIN_WARDEN_ variables, suggesting the likely key", () => {
    const path = file({ maxOracleAgeSlot: 5 });
    expect(problems(() => loadConfig({ file: path, env: { MARGIN_WARDEN_HTTP_PROT: "1" } }))).toEqual([
      `unknown key "maxOracleAgeSlot" in ${path} (did you mean maxOracleAgeSlots?)`,
      "unknown environment variable MARGIN_WARDEN_HTTP_PROT (did you mean MARGIN_WARDEN_HTTP_PORT?)",
    ]);
  });

  it("rejects a file that is not a JSON object", () => {
    expect(problems(() => loadConfig({ file: file("{ not json"), env: {} }))[0]).toMatch(
      /^cannot read .*config-\d+\.json/,
    );
    expect(problems(() => loadConfig({ file: file([1]), env: {} }))[0]).toMatch(/must hold a JSON object/);
    expect(problems(() => loadConfig({ file: join(dir, "missing.json"), env: {} }))[0]).toMatch(/^cannot read/);
  });

  it("rejects fractions, negatives and a compute floor above the ceiling", () => {
    const found = problems(() =>
      loadConfig({
        file: file({ jobAttempts: 1.5, pollIntervalMs: -5, computeUnitFloor: 300_000, computeUnitCeiling: 250_000 }),
        env: {},
      }),
    );
    expect(found).toHaveLength(3);
    expect(found[2]).toBe("computeUnitFloor (300000) must not exceed computeUnitCeiling (250000)");
  });

  it("accepts queue prefixes of lowercase letters, digits and dashes only", () => {
    expect(loadConfig({ env: { MARGIN_WARDEN_QUEUE_PREFIX: "mw-2" } }).queuePrefix).toBe("mw-2");
    expect(problems(() => loadConfig({ env: { MARGIN_WARDEN_QUEUE_PREFIX: "mw:2" } }))).toHaveLength(1);
  });
});

describe("RPC endpoints in the config", () => {
  it("keeps rpcUrl alone working as before: the one endpoint of every role, no per-endpoint budget", () => {
    const c = loadConfig({ env: { MARGIN_WARDEN_RPC_URL: "https://rpc.example.com/KEY" } });
    expect(c.readRpcUrls).toBeUndefined();
    expect(c.sendRpcUrls).toBeUndefined();
    expect(c.confirmRpcUrl).toBeUndefined();
    expect(c.rpcEndpointRateLimitPerSecond).toEqual({});
    expect(c).toMatchObject({ rpcRequestTimeoutMs: 10_000, rpcEndpointCooldownMs: 5_000 });
    const one = ["https://rpc.example.com/KEY"];
    expect(rpcRoles(c)).toEqual({ read: one, send: one, confirm: one });
  });

  it("takes read and send lists from the file or comma-separated from the environment, confirming on the first read endpoint", () => {
    const path = file({ readRpcUrls: ["https://a.example.com/k1", "https://b.example.com"] });
    const c = loadConfig({
      file: path,
      env: { MARGIN_WARDEN_SEND_RPC_URLS: "https://a.example.com/k1, https://jito.example.com/api/v1/transactions" },
    });
    expect(rpcRoles(c)).toEqual({
      read: ["https://a.example.com/k1", "https://b.example.com"],
      send: ["https://a.example.com/k1", "https://jito.example.com/api/v1/transactions"],
      confirm: ["https://a.example.com/k1", "https://b.example.com"],
    });
    // A confirm endpoint of its own comes first; the read endpoints are its failover.
    const own = loadConfig({
      file: path,
      env: { MARGIN_WARDEN_CONFIRM_RPC_URL: "https://b.example.com/" },
    });
    expect(rpcRoles(own).confirm).toEqual(["https://b.example.com/", "https://a.example.com/k1"]);
  });

  it("rejects empty lists, entries that are not http(s) URLs and the same URL twice, saying which entry", () => {
    const found = problems(() =>
      loadConfig({
        file: file({ readRpcUrls: [], sendRpcUrls: ["https://a.example.com", "wss://a.example.com"] }),
        env: {
          MARGIN_WARDEN_CONFIRM_RPC_URL: "not a url",
          MARGIN_WARDEN_READ_RPC_URLS: "http://a:8899,http://b:8899,http://a:8899/",
        },
      }),
    );
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(
      /^readRpcUrls must be a list of distinct http\(s\) URLs .*: the list is empty \(got \[\] from /,
    );
    expect(found[1]).toMatch(
      /^readRpcUrls must be .*: entry 3 is the same URL as entry 1 \(got .* from MARGIN_WARDEN_READ_RPC_URLS\)$/,
    );
    expect(found[2]).toMatch(/^sendRpcUrls must be a list of distinct http\(s\) URLs/);
    expect(found[3]).toMatch(/^confirmRpcUrl must be an http\(s\) URL/);
  });

  it("takes per-endpoint rate budgets as one number or by host:port, and names a label that matches no endpoint", () => {
    const env = { MARGIN_WARDEN_READ_RPC_URLS: "https://a.example.com/k,http://127.0.0.1:8899" };
    const rates = (v: unknown) => loadConfig({ file: file({ rpcEndpointRateLimitPerSecond: v }), env });
    expect(rates(50).rpcEndpointRateLimitPerSecond).toEqual({ "*": 50 });
    expect(rates({ "a.example.com:443": 20, "*": 100 }).rpcEndpointRateLimitPerSecond).toEqual({
      "a.example.com:443": 20,
      "*": 100,
    });
    const fromEnv = loadConfig({
      env: { ...env, MARGIN_WARDEN_RPC_ENDPOINT_RATE_LIMIT_PER_SECOND: "a.example.com:443=20,*=100" },
    });
    expect(fromEnv.rpcEndpointRateLimitPerSecond).toEqual({ "a.example.com:443": 20, "*": 100 });

    expect(problems(() => rates({ "b.example.com:443": 5 }))).toEqual([
      "rpcEndpointRateLimitPerSecond names b.example.com:443, which is none of the endpoints (a.example.com:443, 127.0.0.1:8899)",
    ]);
    // A URL is refused as a key: its path may hold an API key.
    expect(problems(() => rates({ "https://a.example.com/k": 5 }))[0]).toMatch(
      /^rpcEndpointRateLimitPerSecond must be .*: "https:\/\/a.example.com\/k" is not host:port or \*/,
    );
    expect(problems(() => rates(0))).toHaveLength(1);
    expect(problems(() => rates({ "*": -1 }))).toHaveLength(1);
  });

  it("shows derived defaults in the usage text", () => {
    const keys = new Map(configKeys().map((k) => [k.key, k.default]));
    expect(keys.get("readRpcUrls")).toBe("[rpcUrl]");
    expect(keys.get("confirmRpcUrl")).toBe("the first read endpoint");
    expect(keys.get("wsUrl")).toBe("derived from the first read endpoint");
    expect(keys.get("rpcEndpointRateLimitPerSecond")).toBe("none");
  });
});

describe("requireKeys", () => {
  it("names every missing key and how to set it", () => {
    const c = loadConfig({ env: {} });
    expect(problems(() => requireKeys(c, ["exchange", "operatorKeypairPath"]))).toEqual([
      'exchange is required (set MARGIN_WARDEN_EXCHANGE or "exchange" in the config file)',
      'operatorKeypairPath is required (set MARGIN_WARDEN_OPERATOR_KEYPAIR_PATH or "operatorKeypairPath" in the config file)',
    ]);
  });

  it("passes when the keys are set", () => {
    const c = loadConfig({
      env: { MARGIN_WARDEN_EXCHANGE: EXCHANGE, MARGIN_WARDEN_OPERATOR_KEYPAIR_PATH: "/keys/op.json" },
    });
    requireKeys(c, ["exchange", "operatorKeypairPath"]);
    expect(c.exchange.length).toBeGreaterThan(0);
  });
});

describe("redactConfig", () => {
  it("masks credentials in URLs and leaves plain ones alone", () => {
    const c = loadConfig({
      env: {
        MARGIN_WARDEN_RPC_URL: "https://rpc.example.com/v1/KEY123",
        MARGIN_WARDEN_REDIS_URL: "redis://:pw@redis:6379",
      },
    });
    const r = redactConfig(c);
    expect(r.rpcUrl).toBe("https://rpc.example.com/***");
    expect(r.redisUrl).toBe("redis://:***@redis:6379");
    expect(r.marginCallBandPpm).toBe("200000");
    expect(redactConfig(loadConfig({ env: {} })).rpcUrl).toBe("http://127.0.0.1:8899");
    const lists = redactConfig(
      loadConfig({
        env: {
          MARGIN_WARDEN_READ_RPC_URLS: "https://a.example.com/?api-key=K1,http://127.0.0.1:8899",
          MARGIN_WARDEN_SEND_RPC_URLS: "https://b.example.com/K2",
          MARGIN_WARDEN_CONFIRM_RPC_URL: "https://c.example.com/K3",
        },
      }),
    );
    expect(lists.readRpcUrls).toEqual(["https://a.example.com/?***", "http://127.0.0.1:8899"]);
    expect(lists.sendRpcUrls).toEqual(["https://b.example.com/***"]);
    expect(lists.confirmRpcUrl).toBe("https://c.example.com/***");
  });
});
