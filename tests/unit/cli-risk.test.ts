// The risk commands' contract: help text, and bad options refused before anything connects.
import { describe, expect, it } from "vitest";
import { main } from "../../orchestrator/src/cli.js";

function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

describe("risk and stress commands", () => {
  it("list every scenario in stress --help and the history option in risk --help", async () => {
    const c = capture();
    expect(await main(["stress", "--help"], c.io)).toBe(0);
    for (const s of ["all-20", "lead-30-beta", "crash-35", "grind-25", "vol-spike-3x"])
      expect(c.out.join("")).toContain(s);
    const r = capture();
    expect(await main(["risk", "--help"], r.io)).toBe(0);
    expect(r.out.join("")).toContain("--history <csv>");
  });

  it("refuse bad options with exit code 2 before connecting to anything", async () => {
    // No RPC or Redis listens on these ports: a usage error must come first.
    const env = {
      MARGIN_WARDEN_REDIS_URL: "redis://127.0.0.1:1",
      MARGIN_WARDEN_RPC_URL: "http://127.0.0.1:1",
      MARGIN_WARDEN_EXCHANGE: "796WEWCyqBUDsnMbNSLgaJR5bZAG32237yywsBogJnfG",
    };
    for (const [argv, message] of [
      [["stress", "--scenario", "boom"], /--scenario must be one of all-20, .* or all \(got "boom"\)/],
      [["stress", "--top", "0"], /--top must be a positive integer/],
      [["stress", "--lead", "not-a-key"], /--lead must be a market address/],
      [["stress", "--out", "x.json"], /--out is not an option of stress/],
      [["risk"], /risk needs its subcommand/],
      [["risk", "summary"], /risk needs its subcommand/],
      [["risk", "report", "--json"], /--json is not an option of risk/],
      [["risk", "report", "--top", "ten"], /--top must be a positive integer/],
    ] as const) {
      const c = capture(env);
      expect(await main([...argv], c.io), argv.join(" ")).toBe(2);
      expect(c.err.join("")).toMatch(message);
    }
  });

  it("needs the exchange", async () => {
    const c = capture({ MARGIN_WARDEN_RPC_URL: "http://127.0.0.1:1" });
    expect(await main(["stress"], c.io)).toBe(2);
    expect(c.err.join("")).toContain("exchange is required");
  });
});
