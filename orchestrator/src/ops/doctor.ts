// `margin-warden doctor`: every check `run` depends on, one line each, without starting anything
// or sending anything: configuration, the operator key, the RPC and its websocket, the program
// and the exchange, Redis and its settings, the operator's balances. Exit 1 if any check fails.
import { PublicKey } from "@solana/web3.js";
import { getAssociatedTokenAddressSync } from "@solana/spl-token";
import { Redis } from "ioredis";
import WebSocket from "ws";
import { rpcRoles, type Config } from "../config.js";
import { decodeExchange } from "../chain/accounts.js";
import { hostPort } from "../chain/endpoint.js";
import { checkRedisSettings, loadKeypair, within as withinMs } from "../startup.js";
import { wsUrlFor } from "../chain/pubsub.js";
import { RpcEndpoints, endpointSettings, type Role } from "../chain/endpoints.js";
import { endpointConnection } from "../chain/rpc-fetch.js";
import { createLogger } from "./log.js";

export interface DoctorIo {
  out(text: string): void;
}

/**
 * Every endpoint asked on its own, each named by host:port with its roles. One that does not
 * answer is a warning while another endpoint of each of its roles does (run fails over to it), and
 * a failure when a role is left with none.
 */
async function checkEndpoints(endpoints: RpcEndpoints): Promise<Outcome> {
  const roles: Role[] = ["read", "send", "confirm"];
  const answering = new Set<string>();
  const lines: string[] = [];
  const warnings: string[] = [];
  for (const e of endpoints.all) {
    const of = roles.filter((r) => endpoints.of(r).includes(e)).join(", ");
    const ask = <T>(method: string) =>
      endpoints.request<T>(e, method, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }));
    try {
      const [version, slot] = await Promise.all([ask<{ "solana-core": string }>("getVersion"), ask<number>("getSlot")]);
      answering.add(e.label);
      lines.push(`${e.label} (${of}): solana-core ${version["solana-core"]}, slot ${slot}`);
    } catch (err) {
      warnings.push(`${e.label} (${of}) does not answer: ${(err as Error).message}`);
    }
  }
  const orphaned = roles.filter((r) => !endpoints.of(r).some((e) => answering.has(e.label)));
  if (orphaned.length > 0)
    return { ok: false, detail: `no ${orphaned.join(", ")} endpoint answers; ${warnings.join("; ")}` };
  return { ok: true, detail: lines.join("; "), warnings };
}

type Outcome = { ok: true; detail: string; warnings?: string[] } | { ok: false; detail: string };

const TIMEOUT_MS = 5_000;
const within = <T>(p: Promise<T>, what: string) => withinMs(p, TIMEOUT_MS, what);

/** One slot notification from the websocket: it is live, not only open. */
function slotNotification(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const done = (f: () => void) => {
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      f();
    };
    ws.on("open", () => ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "slotSubscribe", params: [] })));
    ws.on("message", (raw) => {
      const m = JSON.parse(raw.toString()) as {
        method?: string;
        params?: { result?: { slot?: number } };
        error?: { message: string };
      };
      if (m.error) done(() => reject(new Error(m.error!.message)));
      if (m.method === "slotNotification") done(() => resolve(m.params!.result!.slot!));
    });
    ws.on("error", (e) => done(() => reject(e)));
  });
}

export async function runDoctor(c: Config, io: DoctorIo): Promise<number> {
  // Each endpoint gets the doctor's own time limit, not run's.
  const settings = endpointSettings(c);
  const endpoints = new RpcEndpoints({ ...settings, timeoutMs: Math.min(settings.timeoutMs, TIMEOUT_MS) });
  const wsUrl = c.wsUrl ?? wsUrlFor(rpcRoles(c).read[0]);
  try {
    return await doctor(c, io, endpoints, wsUrl);
  } finally {
    endpoints.close();
  }
}

async function doctor(c: Config, io: DoctorIo, endpoints: RpcEndpoints, wsUrl: string): Promise<number> {
  // The checks after the RPC's read through the read endpoints, failing over as `run` does.
  const connection = endpointConnection(endpoints, "read", wsUrl);
  let failures = 0;
  const known: { operator?: PublicKey; quoteMint?: PublicKey } = {};
  const check = async (name: string, body: () => Promise<Outcome>) => {
    let outcome: Outcome;
    try {
      outcome = await body();
    } catch (e) {
      outcome = { ok: false, detail: (e as Error).message };
    }
    if (!outcome.ok) failures++;
    io.out(`${outcome.ok ? "ok  " : "FAIL"}  ${name}: ${outcome.detail}\n`);
    for (const w of outcome.ok ? (outcome.warnings ?? []) : []) io.out(`warn  ${name}: ${w}\n`);
  };

  await check("configuration", async () => {
    const missing = (["exchange", "operatorKeypairPath"] as const).filter((k) => c[k] === undefined);
    return missing.length === 0
      ? { ok: true, detail: "every key valid" }
      : { ok: false, detail: `${missing.join(", ")} missing (needed by run)` };
  });
  await check("operator key", async () => {
    if (!c.operatorKeypairPath) return { ok: false, detail: "operatorKeypairPath not set" };
    known.operator = loadKeypair(c.operatorKeypairPath).publicKey;
    return { ok: true, detail: `${known.operator.toBase58()} (${c.operatorKeypairPath}, private)` };
  });
  await check("RPC", () => checkEndpoints(endpoints));
  await check("websocket", async () => {
    const slot = await within(slotNotification(wsUrl), hostPort(wsUrl));
    return { ok: true, detail: `${hostPort(wsUrl)}: slot notification ${slot}` };
  });
  await check("program", async () => {
    const info = await within(connection.getAccountInfo(new PublicKey(c.programId)), "getAccountInfo");
    if (!info) return { ok: false, detail: `${c.programId} does not exist on this cluster` };
    return info.executable
      ? { ok: true, detail: `${c.programId} deployed` }
      : { ok: false, detail: `${c.programId} is not executable` };
  });
  await check("exchange", async () => {
    if (!c.exchange) return { ok: false, detail: "exchange not set" };
    const info = await within(connection.getAccountInfo(new PublicKey(c.exchange)), "getAccountInfo");
    if (!info) return { ok: false, detail: `${c.exchange} does not exist` };
    if (!info.owner.equals(new PublicKey(c.programId)))
      return {
        ok: false,
        detail: `${c.exchange} is owned by ${info.owner.toBase58()}, not the program ${c.programId}`,
      };
    const exchange = decodeExchange(c.exchange, info.data);
    known.quoteMint = new PublicKey(exchange.quoteMint);
    return { ok: true, detail: `${c.exchange}, quote mint ${exchange.quoteMint}` };
  });
  await check("Redis", async () => {
    const redis = new Redis(c.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on("error", () => {});
    try {
      await within(redis.connect(), c.redisUrl);
      const warnings: string[] = [];
      const log = createLogger({
        level: "warn",
        stream: { write: (line: string) => warnings.push(JSON.parse(line).msg) },
      });
      await checkRedisSettings(redis, log);
      return { ok: true, detail: `${c.redisUrl} answers, maxmemory-policy noeviction`, warnings };
    } finally {
      redis.disconnect();
    }
  });
  await check("operator balances", async () => {
    if (!known.operator) return { ok: false, detail: "no operator key to check" };
    const lamports = await within(connection.getBalance(known.operator), "getBalance");
    if (lamports < c.minOperatorLamports)
      return {
        ok: false,
        detail: `${lamports} lamports, below minOperatorLamports ${c.minOperatorLamports}: steps would be held`,
      };
    const warnings: string[] = [];
    const token = c.liquidatorTokenAccount
      ? new PublicKey(c.liquidatorTokenAccount)
      : known.quoteMint
        ? getAssociatedTokenAddressSync(known.quoteMint, known.operator)
        : null;
    if (token && !(await connection.getAccountInfo(token)))
      warnings.push(
        `liquidator token account ${token.toBase58()} does not exist yet (run creates it; a dry run does not)`,
      );
    return { ok: true, detail: `${lamports} lamports`, warnings };
  });
  io.out(failures === 0 ? "all checks passed\n" : `${failures} check(s) failed\n`);
  return failures === 0 ? 0 : 1;
}
