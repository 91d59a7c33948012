// A native localnet with an exchange, three markets and traders to point the examples at; prices
// drop 12% so that some accounts are near liquidation. Runs until interrupted.
//   npx tsx sdk/examples/localnet-world.ts
import { buildWorld } from "../../orchestrator/demo/world.js";

const world = await buildWorld({ traders: 40, seed: 7, onProgress: (msg) => console.log(msg) });
for (const m of world.markets) await world.setPrice(m.symbol, (m.price * 88n) / 100n);
// Publishers keep prices fresh: the program refuses prices older than the market allows.
const timer = setInterval(() => {
  for (const m of world.markets) void world.setPrice(m.symbol, m.price);
}, 10_000);
console.log(`\nRPC_URL=${world.localnet.rpcUrl} EXCHANGE=${world.exchange.toBase58()} npx tsx sdk/examples/at-risk.ts`);
process.on("SIGINT", () => {
  clearInterval(timer);
  void world.close().then(() => process.exit(0));
});
