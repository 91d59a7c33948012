// Installs what `npm run demo` and `npm test` need on a fresh Debian/Ubuntu machine, and does nothing
// when it is all there already: Node ≥ 20 (checked), the Debian packages the native build and the
// tests need (installed when run as root, printing what it installs; otherwise the exact command to
// run), Rust (rustup, if it can be reached; otherwise how to get it), and the npm dependencies of the
// lockfile (`npm ci` when node_modules does not match it). Only Node's standard library is used: this
// runs before node_modules exists.
//
//   node scripts/setup.mjs [--redis] [--deploy-checks] [--quiet] [--run <npm script> [-- args...]]
//   --redis   redis-server is needed too (the demo and the tests start private ones), unless REDIS_URL is set
//   --deploy-checks  promtool, docker-compose and libjemalloc2 too (the tests check the deployment files with them)
//   --browser  Chromium too (the dashboard's test drives it headless)
//   --run     then runs that npm script with what setup found on PATH (a cargo rustup just installed)
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const dashes = argv.indexOf("--");
const own = dashes < 0 ? argv : argv.slice(0, dashes);
const passed = dashes < 0 ? [] : argv.slice(dashes + 1);
const args = new Set(own);
const runIndex = own.indexOf("--run");
const runScript = runIndex < 0 ? undefined : own[runIndex + 1];
if (runIndex >= 0 && !runScript) {
  console.error("setup: --run needs an npm script name");
  process.exit(2);
}
const quiet = args.has("--quiet");
const say = (msg) => console.log(`setup: ${msg}`);
const fail = (msg) => {
  console.error(`setup: ${msg}`);
  process.exit(1);
};
const ok = (cmd, cmdArgs, opts = {}) => spawnSync(cmd, cmdArgs, { stdio: "ignore", ...opts }).status === 0;

// 1. Node.
const [major] = process.versions.node.split(".").map(Number);
if (major < 20) fail(`Node.js ${process.versions.node} is too old: install Node.js 20 or newer`);

// 2. Debian packages: a C toolchain and OpenSSL's headers for the native build, redis-server for
//    the private Redis the demo and the tests start.
const wanted = ["build-essential", "pkg-config", "libssl-dev"];
if (args.has("--redis") && !process.env.REDIS_URL) wanted.push("redis-server");
// promtool ships in Debian's prometheus package; neither starts anything here. libjemalloc2: the
// allocator the Dockerfile preloads (the deploy test runs the CLI with it; the benches use it too).
if (args.has("--deploy-checks")) wanted.push("prometheus", "docker-compose", "libjemalloc2");
// Debian's own build: playwright-core drives it, as its own browser downloads need the internet.
if (args.has("--browser")) wanted.push("chromium");
if (ok("dpkg", ["--version"])) {
  const missing = wanted.filter((p) => !ok("dpkg", ["-s", p]));
  if (missing.length > 0) {
    const isRoot = process.getuid?.() === 0;
    const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
    if (!isRoot) fail(`missing Debian packages: ${missing.join(", ")}. Install them with:\n  sudo ${command}`);
    say(`installing Debian packages: ${missing.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    for (const step of [
      ["apt-get", ["update", "-q"]],
      ["apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing]],
    ]) {
      const r = spawnSync(step[0], step[1], { stdio: "inherit", env });
      if (r.status !== 0)
        fail(`\`${step[0]} ${step[1].join(" ")}\` failed (exit ${r.status}); run \`${command}\` yourself`);
    }
  } else if (!quiet) say(`Debian packages present: ${wanted.join(" ")}`);
} else {
  // Not Debian: say what is missing; the package names differ per system.
  const lacking = [
    ["cc", ["--version"], "a C compiler"],
    ["pkg-config", ["--exists", "openssl"], "pkg-config and OpenSSL's development files"],
    ...(wanted.includes("redis-server") ? [["redis-server", ["--version"], "redis-server"]] : []),
    ...(wanted.includes("prometheus") ? [["promtool", ["--version"], "promtool (Prometheus)"]] : []),
    ...(wanted.includes("docker-compose") ? [["docker-compose", ["version"], "docker-compose"]] : []),
    ...(wanted.includes("chromium") ? [["chromium", ["--version"], "chromium"]] : []),
  ].filter(([cmd, a]) => !ok(cmd, a));
  if (lacking.length > 0) fail(`not a Debian system and missing: ${lacking.map((l) => l[2]).join(", ")}`);
}

// 3. Rust: cargo on PATH, or in rustup's default place (added to PATH for what follows).
const cargoBin = path.join(process.env.CARGO_HOME ?? path.join(homedir(), ".cargo"), "bin");
if (!ok("cargo", ["--version"]) && existsSync(path.join(cargoBin, "cargo"))) {
  process.env.PATH = `${cargoBin}${path.delimiter}${process.env.PATH}`;
  if (!quiet) say(`using cargo from ${cargoBin} (add it to PATH: . "$HOME/.cargo/env")`);
}
if (!ok("cargo", ["--version"])) {
  const reachable = ok("curl", ["-sSfI", "--max-time", "10", "https://sh.rustup.rs"]);
  if (!reachable) {
    fail(
      "Rust is not installed and https://sh.rustup.rs cannot be reached from here. Install Rust stable with rustup (https://rustup.rs), then run this again.",
    );
  }
  say("installing Rust stable with rustup (minimal profile)");
  const r = spawnSync(
    "sh",
    ["-c", "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal"],
    {
      stdio: "inherit",
    },
  );
  if (r.status !== 0) fail("rustup failed; install Rust stable from https://rustup.rs, then run this again");
  process.env.PATH = `${cargoBin}${path.delimiter}${process.env.PATH}`;
  say(`Rust installed in ${cargoBin}; open a new shell or run . "$HOME/.cargo/env" to have it on PATH`);
}

// 4. npm dependencies: `npm ci` unless node_modules was installed from this very lockfile.
const lock = readFileSync(path.join(root, "package-lock.json"));
const digest = createHash("sha256").update(lock).digest("hex");
const stamp = path.join(root, "node_modules", ".setup-lock-sha256");
if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== digest) {
  say("installing npm dependencies (npm ci)");
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) fail(`npm ci failed (exit ${r.status})`);
  writeFileSync(stamp, digest);
} else if (!quiet) say("npm dependencies match package-lock.json");

// 5. Hand over to the script, with signals passed on so it can stop cleanly.
if (runScript) {
  const child = spawn("npm", ["run", "--silent", runScript, ...(passed.length > 0 ? ["--", ...passed] : [])], {
    cwd: root,
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("error", (e) => fail(`could not run npm run ${runScript}: ${e.message}`));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
