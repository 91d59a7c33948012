// Bad configuration and environment at start: the orchestrator must say what is wrong (naming the
// key or the cause), exit non-zero, and send nothing.
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, spawnNode, sleep } from "../demo/processes.js";
import { localnetStats } from "../bench/wave/measure.js";
import { FaultRun } from "./harness.js";

export interface ConfigFault {
  name: string;
  /** Changes to the working configuration (a key set to undefined is removed), or a file to write instead. */
  config(run: FaultRun, dir: string): Promise<Record<string, unknown>>;
  message: RegExp;
}

export interface ConfigRow {
  name: string;
  exitCode: number | null;
  messageOk: boolean;
  transactions: number;
  ok: boolean;
  detail: string;
}

const keyCopy = (run: FaultRun, dir: string, name: string, mode: number) => {
  const path = join(dir, name);
  copyFileSync(run.keypairPath, path);
  chmodSync(path, mode);
  return path;
};

export const CONFIG_FAULTS: ConfigFault[] = [
  { name: "config: exchange missing", config: async () => ({ exchange: undefined }), message: /exchange is required/ },
  {
    name: "config: mistyped key",
    config: async () => ({ redisURL: "redis://127.0.0.1:6379" }),
    message: /unknown key "redisURL".*redisUrl/,
  },
  { name: "config: bad value", config: async () => ({ jobLockMs: -5 }), message: /jobLockMs.*positive integer/ },
  {
    name: "config: keypair readable by others",
    config: async (run, dir) => ({ operatorKeypairPath: keyCopy(run, dir, "open-key.json", 0o644) }),
    message: /readable by others.*chmod 600/,
  },
  {
    name: "config: keypair unreadable",
    config: async (run, dir) => ({ operatorKeypairPath: keyCopy(run, dir, "closed-key.json", 0o000) }),
    message: /not readable by its owner/,
  },
  {
    name: "config: keypair not a keypair",
    config: async (_run, dir) => {
      const path = join(dir, "garbage-key.json");
      writeFileSync(path, "{}", { mode: 0o600 });
      return { operatorKeypairPath: path };
    },
    message: /cannot read operator keypair/,
  },
  {
    name: "config: RPC unreachable",
    config: async () => ({ rpcUrl: `http://127.0.0.1:${await freePort()}`, wsUrl: undefined }),
    message: /RPC|rpc|ECONNREFUSED|fetch failed/,
  },
  {
    name: "config: Redis unreachable",
    config: async () => ({ redisUrl: `redis://127.0.0.1:${await freePort()}` }),
    message: /Redis|redis/,
  },
];

/** Each fault's configuration tried in turn on one world where the working configuration would run. */
export async function runConfigFaults(
  faults: ConfigFault[],
  baseDir: string,
  say: (m: string) => void,
): Promise<ConfigRow[]> {
  if (faults.length === 0) return [];
  const run = await FaultRun.open("configuration", baseDir, 4, { say });
  const rows: ConfigRow[] = [];
  try {
    for (const fault of faults) rows.push(await runConfigFault(run, fault, say));
  } finally {
    await run.close();
  }
  return rows;
}

async function runConfigFault(run: FaultRun, fault: ConfigFault, say: (m: string) => void): Promise<ConfigRow> {
  const changes = await fault.config(run, run.dir);
  const file = run.writeConfig("orchestrator", await freePort());
  const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete config[k];
    else config[k] = v;
  }
  writeFileSync(file, JSON.stringify(config, null, 2));
  const before = (await localnetStats(run.local))?.transactions ?? 0;
  const child = spawnNode(
    fault.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase(),
    "orchestrator/src/cli.ts",
    ["run", "--config", file],
    run.dir,
  );
  const exitCode = await Promise.race([child.exited, sleep(30_000).then(() => null)]);
  if (exitCode === null) await child.stop();
  const output = child.tail(40);
  const transactions = ((await localnetStats(run.local))?.transactions ?? 0) - before;
  const messageOk = fault.message.test(output);
  const ok = exitCode !== null && exitCode !== 0 && messageOk && transactions === 0;
  const last =
    output
      .split("\n")
      .filter((l) => l.trim())
      .slice(-1)[0] ?? "";
  const detail =
    exitCode === null
      ? "still running after 30 s"
      : exitCode === 0
        ? "exit 0"
        : !messageOk
          ? `message: ${last}`
          : `${transactions} transactions sent`;
  say(`${fault.name}: ${ok ? "ok" : "FAILED"} (exit ${exitCode}) ${last}`);
  return { name: fault.name, exitCode, messageOk, transactions, ok, detail };
}
