// The reference liquidator: the loop common open keeper bots run. Every interval it reads every
// margin account (getProgramAccounts), the markets and their oracles (getMultipleAccounts),
// evaluates each account with the program's health math, then sends one step per account due, one
// after another, each confirmed before the next. It uses the orchestrator's instruction builders
// and limit-price rule, so the two liquidators differ only in how they find and schedule work.
//
//   node --import tsx orchestrator/bench/wave/reference-keeper.ts --rpc URL --ws URL --exchange KEY --keypair FILE
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import bs58 from "bs58";
import {
  ComputeBudgetProgram,
  Connection,
  Keypair,
  PublicKey,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";
import { getOrCreateAssociatedTokenAccount } from "@solana/spl-token";
import {
  EXCHANGE_OFFSET,
  MARGIN_ACCOUNT_SIZE,
  MARKET_SIZE,
  decodeExchange,
  decodeMarginAccount,
  decodeMarket,
  discriminator,
} from "../../src/chain/accounts.js";
import { IDL } from "../../src/chain/idl.js";
import { liquidateInstruction, resolveInstruction, resolveMarkets } from "../../src/chain/instructions.js";
import { OracleError, readOracle } from "../../src/chain/oracle.js";
import { executionPrice } from "../../src/math/oracle_price.js";
import { evaluate, isEmptyAndNegative } from "../../src/risk/evaluate.js";
import type { AccountState, MarketState, PriceState } from "../../src/risk/types.js";

const { values } = parseArgs({
  options: {
    rpc: { type: "string" },
    ws: { type: "string" },
    exchange: { type: "string" },
    keypair: { type: "string" },
    "program-id": { type: "string" },
    "interval-ms": { type: "string" },
  },
});
if (!values.rpc || !values.exchange || !values.keypair) {
  console.error("reference-keeper: --rpc, --exchange and --keypair are required");
  process.exit(2);
}
const INTERVAL_MS = Number(values["interval-ms"] ?? 1_000);
const connection = new Connection(values.rpc, {
  commitment: "confirmed",
  ...(values.ws ? { wsEndpoint: values.ws } : {}),
});
const programId = new PublicKey(values["program-id"] ?? IDL.address);
const exchangeKey = new PublicKey(values.exchange);
const operator = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(values.keypair, "utf8"))));

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => (stopping = true));

const filters = (kind: "marginAccount" | "market", size: number) => [
  { dataSize: size },
  { memcmp: { offset: 0, bytes: bs58.encode(discriminator(kind)) } },
  { memcmp: { offset: EXCHANGE_OFFSET[kind], bytes: exchangeKey.toBase58() } },
];

const exchangeInfo = await connection.getAccountInfo(exchangeKey);
if (!exchangeInfo) throw new Error(`exchange ${exchangeKey.toBase58()} not found`);
const exchange = decodeExchange(exchangeKey.toBase58(), exchangeInfo.data);
const liquidatorToken = (
  await getOrCreateAssociatedTokenAccount(connection, operator, new PublicKey(exchange.quoteMint), operator.publicKey)
).address;
// A market's oracle never changes: the market list is read once, their contents every pass.
const marketKeys = (await connection.getProgramAccounts(programId, { filters: filters("market", MARKET_SIZE) })).map(
  (r) => r.pubkey,
);
const oracleKeys = new Map<string, PublicKey>();
for (const [i, info] of (await connection.getMultipleAccountsInfo(marketKeys)).entries()) {
  oracleKeys.set(marketKeys[i].toBase58(), new PublicKey(decodeMarket(marketKeys[i].toBase58(), info!.data, 0).oracle));
}
console.log(
  `reference keeper ready: ${marketKeys.length} markets, operator ${operator.publicKey.toBase58()}, every ${INTERVAL_MS} ms`,
);

async function readAll() {
  const keys = marketKeys.flatMap((k) => [k, oracleKeys.get(k.toBase58())!]);
  const [accounts, multi] = await Promise.all([
    connection.getProgramAccounts(programId, {
      filters: filters("marginAccount", MARGIN_ACCOUNT_SIZE),
      withContext: true,
    }),
    connection.getMultipleAccountsInfoAndContext(keys),
  ]);
  const slot = accounts.context.slot;
  const markets = new Map<string, MarketState>();
  const prices = new Map<string, PriceState>();
  marketKeys.forEach((k, i) => {
    const m = decodeMarket(k.toBase58(), multi.value[2 * i]!.data, multi.context.slot);
    markets.set(m.address, m);
    const oracle = multi.value[2 * i + 1];
    if (!oracle) return;
    try {
      prices.set(m.oracle, {
        ...readOracle(m, oracle.owner.toBase58(), oracle.data),
        oracle: m.oracle,
        slot: multi.context.slot,
      });
    } catch (e) {
      if (!(e instanceof OracleError)) throw e;
    }
  });
  return {
    slot,
    accounts: accounts.value.map((r) => decodeMarginAccount(r.pubkey.toBase58(), r.account.data, slot)),
    markets,
    prices,
  };
}

async function sendAndConfirm(ix: TransactionInstruction): Promise<void> {
  const latest = await connection.getLatestBlockhash("confirmed");
  const tx = new Transaction().add(ComputeBudgetProgram.setComputeUnitLimit({ units: 400_000 }), ix);
  tx.recentBlockhash = latest.blockhash;
  tx.feePayer = operator.publicKey;
  tx.sign(operator);
  const signature = await connection.sendRawTransaction(tx.serialize());
  const res = await connection.confirmTransaction({ signature, ...latest }, "confirmed");
  if (res.value.err) throw new Error(`transaction ${signature} failed: ${JSON.stringify(res.value.err)}`);
}

function stepFor(
  a: AccountState,
  markets: Map<string, MarketState>,
  prices: Map<string, PriceState>,
  slot: number,
): TransactionInstruction | null {
  const fresh = {
    currentSlot: slot,
    nowS: Math.floor(Date.now() / 1000),
    maxAccountAgeSlots: Number.MAX_SAFE_INTEGER,
    maxOracleAgeSlots: Number.MAX_SAFE_INTEGER,
  };
  const ev = evaluate(a, markets, prices, fresh, 200_000n);
  if (ev.state === "bankrupt" && isEmptyAndNegative(a)) {
    const [first, ...others] = resolveMarkets(a, markets);
    return resolveInstruction(programId, operator.publicKey, exchange, a, first, others);
  }
  if (ev.state !== "partial-liquidation" || ev.waitReason) return null;
  const market = markets.get(ev.liquidationMarket!)!;
  const base = a.positions.find((p) => p.market === market.address)!.base;
  const limit = executionPrice(base > 0n ? -1n : 1n, prices.get(market.oracle)!.price, market.maxImpactRatio);
  return liquidateInstruction(
    programId,
    { authority: operator.publicKey, token: liquidatorToken },
    exchange,
    a,
    market,
    markets,
    limit,
  );
}

for (let pass = 1; !stopping; pass++) {
  const started = Date.now();
  try {
    const { slot, accounts, markets, prices } = await readAll();
    const due = accounts.flatMap((a) => {
      const step = stepFor(a, markets, prices, slot);
      return step ? [step] : [];
    });
    let sent = 0;
    let failed = 0;
    let firstError = "";
    for (const step of due) {
      if (stopping) break;
      try {
        await sendAndConfirm(step);
        sent++;
      } catch (e) {
        failed++;
        firstError ||= (e as Error).message.split("\n")[0];
      }
    }
    if (due.length > 0) {
      console.log(
        `pass ${pass}: ${accounts.length} accounts read, ${due.length} due, ${sent} confirmed, ${failed} failed, ${Date.now() - started} ms${firstError ? `; first failure: ${firstError}` : ""}`,
      );
    }
  } catch (e) {
    console.log(`pass ${pass} failed: ${(e as Error).message}`);
  }
  const wait = INTERVAL_MS - (Date.now() - started);
  if (wait > 0 && !stopping) await new Promise((r) => setTimeout(r, wait));
}
process.exit(0);
