// An exchange's accounts at risk, with their liquidation prices: what a UI needs, in ten lines.
//   EXCHANGE=<address> RPC_URL=http://127.0.0.1:8899 npx tsx sdk/examples/at-risk.ts
// (`npx tsx sdk/examples/localnet-world.ts` starts a localnet with an exchange to point it at.)
import { pathToFileURL } from "node:url";
import { Connection } from "@solana/web3.js";
import { type AccountHealthSummary, accountsAtRisk, loadExchange } from "@margin-warden/sdk";
import { web3Client } from "@margin-warden/sdk/web3";

/** The accounts of `exchange` liquidatable, flagged or within 10% of a liquidation price, nearest first. */
export async function atRisk(rpcUrl: string, exchange: string): Promise<AccountHealthSummary[]> {
  const client = web3Client(new Connection(rpcUrl, "confirmed")); // or kitClient(createSolanaRpc(rpcUrl))
  const snapshot = await loadExchange(client, exchange); // markets, oracle prices, every margin account
  return accountsAtRisk(snapshot, { withinRatio: 100_000n }); // 100_000 = 10% (RATIO_PRECISION 1e6)
}

const usd = (v: bigint | null) => (v === null ? "-" : `$${(Number(v) / 1e6).toFixed(2)}`);

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const exchange = process.env.EXCHANGE;
  if (!exchange) throw new Error("set EXCHANGE to the exchange's address");
  for (const s of await atRisk(process.env.RPC_URL ?? "http://127.0.0.1:8899", exchange)) {
    console.log(
      `${s.address} equity ${usd(s.equity)} maintenance ${usd(s.maintenance)}${s.liquidatable ? " LIQUIDATABLE" : ""}`,
    );
    for (const p of s.positions)
      console.log(
        `  ${p.market} ${Number(p.base) / 1e9} at ${usd(p.price)}: liquidation at ${usd(p.liquidationPrice)}`,
      );
  }
}
