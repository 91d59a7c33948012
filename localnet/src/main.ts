// `npm run localnet`: serves the native runtime on JSON-RPC (HTTP) and PubSub (WebSocket).
import { parseArgs } from "node:util";
import { startLocalnet } from "./server.js";

const USAGE = `Usage: npm run localnet -- [--port 8899] [--host 127.0.0.1] [--slot-ms 400]

Serves a Solana JSON-RPC on http://HOST:PORT and PubSub on ws://HOST:PORT+1, with the margin
program executed natively. Environment: LOCALNET_PORT, LOCALNET_HOST, LOCALNET_SLOT_MS.`;

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`localnet: ${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    "slot-ms": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const localnet = await startLocalnet({
  host: values.host ?? process.env.LOCALNET_HOST ?? "127.0.0.1",
  port: integer("--port", values.port ?? process.env.LOCALNET_PORT, 8899, 0),
  slotMs: integer("--slot-ms", values["slot-ms"] ?? process.env.LOCALNET_SLOT_MS, 400, 0),
});
console.log(`localnet: JSON-RPC ${localnet.rpcUrl}  PubSub ${localnet.wsUrl}`);
console.log(
  `localnet: margin program ${localnet.ledger.programId} (native), slot every ${localnet.ledger.options.slotMs} ms`,
);

let closing = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (closing) return;
    closing = true;
    await localnet.close();
    console.log("localnet: stopped");
    process.exit(0);
  });
}
