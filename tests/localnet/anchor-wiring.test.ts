// The `anchor test` path, checked without the Solana toolchain: Anchor.toml parses and names the
// program id the program declares, the keypair holds and the IDL carries; its test script runs the
// localnet suites; and those suites, given ANCHOR_PROVIDER_URL (as `anchor test` sets it), use that
// cluster instead of starting their own. A separate localnet stands in for solana-test-validator.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Connection, Keypair, PublicKey } from "@solana/web3.js";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Localnet, startLocalnet } from "../../localnet/src/server.js";
import { EXTERNAL_CLUSTER } from "./helpers.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const run = EXTERNAL_CLUSTER ? describe.skip : describe;

function vitestChild(
  files: string[],
  providerUrl: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...files, "--reporter=json"], {
      cwd: root,
      env: { ...process.env, ANCHOR_PROVIDER_URL: providerUrl, VITEST: undefined, VITEST_POOL_ID: undefined },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 240_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

run("the anchor test wiring", () => {
  it("names one program id everywhere: Anchor.toml, declare_id!, the program keypair and the IDL", () => {
    const toml = parse(read("Anchor.toml")) as {
      toolchain: { anchor_version: string };
      programs: Record<string, { margin: string }>;
      scripts: { test: string };
    };
    const declared = /declare_id!\("([1-9A-HJ-NP-Za-km-z]{32,44})"\)/.exec(read("programs/margin/src/lib.rs"))?.[1];
    const keypair = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(read("keys/margin-program-keypair.json"))));
    const idl = JSON.parse(read("idl/margin.json")) as { address: string; metadata: { version: string } };
    const cargo = read("programs/margin/Cargo.toml");
    const workspace = parse(read("Cargo.toml")) as { workspace: { dependencies: Record<string, string> } };
    expect(declared).toBeDefined();
    expect(keypair.publicKey.toBase58()).toBe(declared);
    expect(idl.address).toBe(declared);
    expect(toml.programs.localnet.margin).toBe(declared);
    expect(toml.programs.devnet.margin).toBe(declared);
    expect(toml.toolchain.anchor_version).toBe("0.32.1");
    // The CLI that builds and tests is the version the program compiles against.
    expect(cargo).toMatch(/^anchor-lang\.workspace = true$/m);
    expect(workspace.workspace.dependencies["anchor-lang"]).toBe(`=${toml.toolchain.anchor_version}`);
    expect(toml.scripts.test).toBe("npx vitest run tests/localnet");
  });

  describe("the suites against a cluster named by ANCHOR_PROVIDER_URL", () => {
    let cluster: Localnet;
    beforeAll(async () => {
      cluster = await startLocalnet({ port: 0, slotMs: 50 });
    });
    afterAll(async () => {
      await cluster?.close();
    });

    it("send their transactions to that cluster, and skip the localnet's own RPC tests", async () => {
      const connection = new Connection(cluster.rpcUrl, "confirmed");
      const program = new PublicKey(JSON.parse(read("idl/margin.json")).address);
      expect(await connection.getSignaturesForAddress(program)).toEqual([]);
      // Asynchronous: the stand-in cluster answers from this process's event loop.
      const child = await vitestChild(
        ["tests/localnet/margin-program.test.ts", "tests/localnet/rpc.test.ts"],
        cluster.rpcUrl,
      );
      const start = child.stdout.indexOf("{");
      expect(
        start,
        `no report from the child (exit ${child.status}): ${child.stderr.slice(-2_000)}`,
      ).toBeGreaterThanOrEqual(0);
      const report = JSON.parse(child.stdout.slice(start)) as {
        testResults: {
          name: string;
          assertionResults: { status: string; fullName?: string; failureMessages?: string[] }[];
        }[];
      };
      // A failure names the child's failing tests and why, not only its exit status.
      const failures = report.testResults
        .flatMap((f) => f.assertionResults)
        .filter((a) => a.status === "failed")
        .map((a) => `${a.fullName}: ${(a.failureMessages ?? []).join(" | ").slice(0, 600)}`);
      expect(failures, child.stderr.slice(-2_000)).toEqual([]);
      expect(child.status, child.stderr.slice(-2_000)).toBe(0);
      const byFile: Record<string, string[]> = Object.fromEntries(
        report.testResults.map((f) => [f.name.split("/").pop(), f.assertionResults.map((a) => a.status)]),
      );
      expect(byFile["margin-program.test.ts"].length).toBeGreaterThan(0);
      expect(byFile["margin-program.test.ts"].every((s) => s === "passed")).toBe(true);
      expect(byFile["rpc.test.ts"].every((s) => s === "skipped" || s === "pending")).toBe(true);
      // The program's transactions landed on the stand-in cluster, not on a localnet of their own.
      expect((await connection.getSignaturesForAddress(program)).length).toBeGreaterThan(5);
    }, 300_000);
  });
});
