import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, envName, loadConfig, redactConfig, requireKeys } from "../../orchestrator/src/config.js";

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
  });
});
