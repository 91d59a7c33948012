// Builds the napi-rs binding of the native runtime and places it where localnet/src/native.ts loads it.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const build = spawnSync("cargo", ["build", "--release", "-p", "localnet-node"], { cwd: root, stdio: "inherit" });
if (build.error) {
  console.error(`build-native: could not run cargo (${build.error.message}); install Rust from https://rustup.rs`);
  process.exit(1);
}
if (build.status !== 0) process.exit(build.status ?? 1);
const ext = process.platform === "darwin" ? "dylib" : process.platform === "win32" ? "dll" : "so";
const lib = process.platform === "win32" ? "localnet_node.dll" : `liblocalnet_node.${ext}`;
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
mkdirSync(path.join(root, "localnet/native"), { recursive: true });
copyFileSync(path.join(targetDir, "release", lib), path.join(root, "localnet/native/localnet.node"));
console.log("build-native: localnet/native/localnet.node is up to date");
