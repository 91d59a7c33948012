// An orchestrator configuration for a world on the native localnet: a funded operator keypair
// written to `dir`, and the world's RPC, PubSub and exchange. Shared by the demo, the end-to-end
// tests and the latency benchmark.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Keypair, SystemProgram } from "@solana/web3.js";
import { loadConfig, type Config } from "../src/config.js";
import type { World } from "./world.js";

export function operatorKeypair(world: World, dir: string): string {
  const operator = Keypair.generate();
  world.localnet.ledger.setAccount(operator.publicKey.toBase58(), { lamports: 100_000_000_000n, owner: SystemProgram.programId.toBase58(), data: Buffer.alloc(0), executable: false, rentEpoch: 0n });
  const path = join(dir, "operator.json");
  writeFileSync(path, JSON.stringify([...operator.secretKey]));
  return path;
}

export function localConfig(world: World, redisUrl: string, operatorKeypairPath: string, overrides: Partial<Config>): Config {
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
