// The CLI's contract with operators: help text, exit codes, and configuration errors that name the key.
import { describe, expect, it } from "vitest";
import { main } from "../../orchestrator/src/cli.js";

function capture(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

describe("cli", () => {
  it("prints every command in --help and exits 0", async () => {
    const c = capture();
    expect(await main(["--help"], c.io)).toBe(0);
    const text = c.out.join("\n");
    for (const cmd of ["run", "doctor", "status", "accounts", "pause", "resume", "audit"]) expect(text).toContain(cmd);
    // One line per command: no command's arguments push the summaries off the screen.
    for (const line of text.split("\n").filter((l) => l.startsWith("  ") && !l.startsWith("   "))) {
      if (/^ {2}(run|doctor|status|accounts|pause|resume|audit)\b/.test(line))
        expect(line.indexOf("  ", 2)).toBeLessThan(40);
    }
  });

  it("refuses run without the required keys, naming them, with exit code 2", async () => {
    const c = capture();
    expect(await main(["run"], c.io)).toBe(2);
    const text = c.err.join("\n");
    expect(text).toContain("exchange");
    expect(text).toContain("operatorKeypairPath");
  });

  it("rejects a bad environment value with the variable's name", async () => {
    const c = capture({ MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS: "soon" });
    expect(await main(["status"], c.io)).toBe(2);
    expect(c.err.join("\n")).toContain("MARGIN_WARDEN_MAX_ORACLE_AGE_SLOTS");
  });

  it("rejects an unknown command with exit code 2", async () => {
    const c = capture();
    expect(await main(["liquidate-everything"], c.io)).toBe(2);
  });

  it("refuses bad audit options before connecting to anything, with exit code 2", async () => {
    // No Redis listens on this port: a usage error must come first.
    const env = { MARGIN_WARDEN_REDIS_URL: "redis://127.0.0.1:1" };
    for (const [argv, message] of [
      [["audit", "--format", "xml"], /--format must be jsonl or csv/],
      [["audit", "--since", "yesterday"], /--since must be an ISO 8601 time/],
      [["audit", "--limit", "0"], /--limit must be a positive integer/],
      [["audit", "verify", "--account", "A"], /--account is not an option of audit verify/],
      [["audit", "verify", "now"], /unexpected argument "now"/],
      [["audit", "--json"], /--json is not an option of audit/],
    ] as const) {
      const c = capture(env);
      expect(await main([...argv], c.io), argv.join(" ")).toBe(2);
      expect(c.err.join("")).toMatch(message);
    }
    expect(await main(["audit", "--help"], capture().io)).toBe(0);
  });
});
