// `npm run idl`: rebuilds idl/margin.json from the program (stable Rust, no SBF) and writes the
// TypeScript type idl/margin.ts from it. `--check` fails when either committed file is stale.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { idlTypeScript } from "./idl-types.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const run = spawnSync("cargo", ["run", "--release", "-q", "-p", "idl-gen", "--", ...(check ? ["--check"] : [])], {
  cwd: root,
  stdio: "inherit",
});
if (run.status !== 0) process.exit(run.status ?? 1);

const idl = JSON.parse(readFileSync(path.join(root, "idl/margin.json"), "utf8"));
const tsPath = path.join(root, "idl/margin.ts");
const ts = idlTypeScript(idl);
if (check) {
  if (readFileSync(tsPath, "utf8") !== ts) {
    console.error("idl/margin.ts is out of date: run `npm run idl`");
    process.exit(1);
  }
  console.log(`${tsPath} is current`);
} else {
  writeFileSync(tsPath, ts);
  console.log(`wrote ${tsPath}`);
}
