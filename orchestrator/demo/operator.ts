// An orchestrator configuration for a world on the native localnet: a funded operator keypair
// written to `dir`, and the world's RPC, PubSub and exchange. Shared by the demo, the end-to-end
// tests and the benchmarks.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Keypair } from "@solana/web3.js";
import { loadConfig, type Config } from "../src/config.js";
import { systemAccount, type AccountWriter } from "./exchange.js";
import type { World } from "./world.js";

const OPERATOR_LAMPORTS = 100_000_000_000n;

function writeKeypair(dir: string, name: string, keypair: Keypair): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify([...keypair.secretKey]), { mode: 0o600 });
  return path;
}

export async function operatorKeypair(world: World, dir: string): Promise<string> {
  return (await fundedKeypairFile(world.localnet.write, dir)).path;
}

/** A keypair funded through `write`, saved as `dir/name`. */
export async function fundedKeypairFile(
  write: AccountWriter,
  dir: string,
  name = "operator.json",
): Promise<{ keypair: Keypair; path: string }> {
  const keypair = Keypair.generate();
  await write(keypair.publicKey, systemAccount(OPERATOR_LAMPORTS));
  return { keypair, path: writeKeypair(dir, name, keypair) };
}

export function localConfig(
  world: World,
  redisUrl: string,
  operatorKeypairPath: string,
  overrides: Partial<Config>,
): Config {
  return loadConfig({
    env: {},
    overrides: {
      rpcUrl: world.localnet.rpcUrl,
      wsUrl: world.localnet.wsUrl,
      redisUrl,
      exchange: world.exchange.toBase58(),
      operatorKeypairPath,
      httpPort: 0,
      ...overrides,
    },
  });
}
