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
    for (const cmd of ["run", "status", "accounts", "pause", "resume"]) expect(text).toContain(cmd);
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
});
