// The orchestrator against the native localnet and a real Redis: a crash is cured completely and
// only unhealthy accounts are touched; a killed orchestrator's successor finishes the work without
// sending any step twice; two orchestrators sharing a Redis never send a step twice; a flagged
// account whose price recovered is unflagged, not liquidated; a winner's claim on a pool that could
// not pay it is paid once the pool has money.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PublicKey } from "@solana/web3.js";
import { afterEach, describe, expect, it } from "vitest";
import { connectionReader } from "../../orchestrator/src/chain/rpc.js";
import { readSnapshot } from "../../orchestrator/src/chain/snapshot.js";
import type { Orchestrator } from "../../orchestrator/src/orchestrator.js";
import { killOrchestrator } from "./kill.js";
import { ChainStatus } from "../../orchestrator/src/risk/types.js";
import { checkTransactions } from "../../orchestrator/demo/report.js";
import BN from "bn.js";
import { USD } from "../../orchestrator/demo/exchange.js";
import { chainVerdicts, harness, idle, shock, signaturesPerJob, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A webhook receiver on a free port: what it was sent, parsed. */
async function receiver() {
  const got: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push(JSON.parse(body));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

function sent(o: Orchestrator): Promise<void> {
  return new Promise((resolve) => o.on("settled", (_job, _id, result) => result.outcome === "confirmed" && resolve()));
}

describe("orchestrator end to end", () => {
  it("liquidates every account below maintenance back above liquidation-end, resolves bankruptcies, and never touches a healthy account", async () => {
    h = await harness(40, 11);
    const alerts = await receiver();
    const notices = await receiver();
    const o = await h.start("a", {
      alertWebhookUrl: alerts.url,
      alertsPerMinute: 1_000,
      marginCallWebhookUrl: notices.url,
    });
    const before = await chainVerdicts(h.world);
    expect(before.every((v) => v.ev.state !== "partial-liquidation")).toBe(true);

    // A dip first (margin calls), then the crash.
    await shock(h.world, -0.06);
    await idle([o]);
    await shock(h.world, -0.12);
    await idle([o]);

    const after = await chainVerdicts(h.world);
    const below = after.filter((v) => v.ev.health && v.ev.health.equity < v.ev.health.maintenance);
    expect(below.map((v) => v.account.address)).toEqual([]);
    const stuck = after.filter(
      (v) => v.account.status === ChainStatus.BeingLiquidated && v.ev.health!.equity < v.ev.health!.liquidationEnd,
    );
    expect(stuck).toEqual([]);
    expect(
      after.filter(
        (v) =>
          v.account.status === ChainStatus.Bankrupt || (v.account.positions.length === 0 && v.account.collateral < 0n),
      ),
    ).toEqual([]);

    const audit = h.audit("a");
    const confirmed = audit.filter((e) => e.event === "confirmed");
    expect(confirmed.filter((e) => e.kind === "liquidate").length).toBeGreaterThan(0);
    const check = await checkTransactions(
      h.world,
      confirmed.map((e) => e.signature as string),
    );
    expect(check.touchedWhileHealthy).toEqual([]);
    expect(check.duplicateSteps).toBe(0);
    // Accounts healthy before and after, at every price, were never acted on.
    const touched = new Set(confirmed.map((e) => e.account));
    const alwaysHealthy = before.filter(
      (v, i) => v.ev.state === "healthy" && after[i].ev.state === "healthy" && after[i].account.liquidationId === 0n,
    );
    for (const v of alwaysHealthy) expect(touched.has(v.account.address)).toBe(false);

    // One margin-call alert per account called (de-duplicated), one owner notice per call, and a
    // bankruptcy alert only for an account that was acted on.
    const called = audit.filter((e) => e.event === "margin-call").map((e) => e.account as string);
    expect(called.length).toBeGreaterThan(0);
    await expect.poll(() => notices.got.length).toBe(called.length);
    const owners = new Map(h.world.traders.map((t) => [t.account.toBase58(), t.owner.publicKey.toBase58()]));
    for (const n of notices.got) expect(n.owner).toBe(owners.get(n.account as string));
    await expect.poll(() => alerts.got.filter((a) => a.kind === "margin-call").length).toBe(new Set(called).size);
    for (const a of alerts.got) expect(a).toMatchObject({ instance: o.instanceId, suppressed: 0 });
    const bankrupt = alerts.got.filter((a) => a.kind === "bankruptcy").map((a) => a.subject as string);
    expect(bankrupt.length).toBeGreaterThan(0);
    for (const account of bankrupt) expect(touched.has(account)).toBe(true);
    alerts.close();
    notices.close();

    // The shared audit store holds every record the instance wrote, and its chain verifies.
    const { main } = await import("../../orchestrator/src/cli.js");
    const env = { MARGIN_WARDEN_REDIS_URL: o.config.redisUrl, MARGIN_WARDEN_QUEUE_PREFIX: o.config.queuePrefix };
    const run = async (...argv: string[]) => {
      let out = "";
      const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (out += t), env });
      return { code, out };
    };
    await o.stop("test over");
    const verified = await run("audit", "verify");
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).toMatch(new RegExp(`audit chain ok: ${h.audit("a").length} records`));
    const csv = await run("audit", "--event", "sent", "--format", "csv");
    expect(csv.code).toBe(0);
    const sentSignatures = new Set(
      h
        .audit("a")
        .filter((e) => e.event === "sent")
        .map((e) => e.signature),
    );
    const rows = csv.out.trimEnd().split("\n").slice(1);
    expect(rows.length).toBe(h.audit("a").filter((e) => e.event === "sent").length);
    for (const row of rows) expect(sentSignatures.has(row.split(",")[7])).toBe(true);
  });

  it("in a dry run decides and simulates every step and sends nothing, leaving the chain liquidatable", async () => {
    h = await harness(40, 11);
    const o = await h.start("dry", { dryRun: true });
    const lamportsBefore = await h.world.connection.getBalance(o.operatorKey);
    await shock(h.world, -0.12);
    const due = (await chainVerdicts(h.world)).filter(
      (v) => v.ev.state === "partial-liquidation" || v.ev.state === "bankrupt",
    );
    expect(due.length).toBeGreaterThan(0);
    const deadline = Date.now() + 30_000;
    const simulated = () =>
      new Set(
        h!
          .audit("dry")
          .filter((e) => e.event === "dry-run")
          .map((e) => e.account as string),
      );
    while (due.some((v) => !simulated().has(v.account.address)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    // The operator has no quote token account yet, and a dry run creates nothing: the simulation says so.
    const dryRuns = () => h!.audit("dry").filter((e) => e.event === "dry-run" && e.kind === "liquidate");
    expect(due.filter((v) => !simulated().has(v.account.address))).toEqual([]);
    expect(dryRuns().every((e) => e.code === 3012)).toBe(true);
    // With the account created, the same steps (asked again after confirmTimeoutMs) would succeed.
    const { createAssociatedTokenAccountIdempotent } = await import("@solana/spl-token");
    await createAssociatedTokenAccountIdempotent(h.world.connection, h.world.admin, h.world.mint, o.operatorKey);
    const seen = dryRuns().length;
    const succeeded = () =>
      new Set(
        dryRuns()
          .slice(seen)
          .filter((e) => e.simulatedError === null)
          .map((e) => e.account as string),
      );
    const later = Date.now() + 30_000;
    while (
      due.some((v) => v.ev.state === "partial-liquidation" && !succeeded().has(v.account.address)) &&
      Date.now() < later
    )
      await new Promise((r) => setTimeout(r, 200));
    expect(due.filter((v) => v.ev.state === "partial-liquidation" && !succeeded().has(v.account.address))).toEqual([]);
    const entries = h.audit("dry");
    expect(entries.filter((e) => e.event === "sent" || e.event === "confirmed")).toEqual([]);
    // The chain is untouched: every account that was due still is, and the operator paid no fee.
    const after = await chainVerdicts(h.world);
    for (const v of due) expect(after.find((a) => a.account.address === v.account.address)!.ev.state).toBe(v.ev.state);
    expect(await h.world.connection.getBalance(o.operatorKey)).toBe(lamportsBefore);
  });

  it("holds every step while the operator's SOL is below the floor, and says it is not ready", async () => {
    h = await harness(40, 11);
    // The harness funds the operator with 100 SOL: a floor above it.
    const alerts = await receiver();
    const o = await h.start("poor", {
      minOperatorLamports: 1_000 * 1_000_000_000,
      alertWebhookUrl: alerts.url,
      alertFormat: "slack",
    });
    await shock(h.world, -0.12);
    const due = (await chainVerdicts(h.world)).filter((v) => v.ev.state === "partial-liquidation");
    expect(due.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(o.readiness()).toMatchObject({ ok: false, details: { funded: false } });
    expect(h.audit("poor").filter((e) => e.event === "sent")).toEqual([]);
    const counts = await o.queues.counts();
    expect(
      (counts.liquidate.delayed ?? 0) + (counts.liquidate.prioritized ?? 0) + (counts.liquidate.waiting ?? 0),
    ).toBeGreaterThan(0);
    const after = await chainVerdicts(h.world);
    for (const v of due)
      expect(after.find((a) => a.account.address === v.account.address)!.ev.state).toBe("partial-liquidation");

    // The operator hears of it, in Slack's format, and of the kill switch once engaged.
    const texts = () => alerts.got.map((a) => String(a.text));
    expect(texts().filter((t) => t.includes("Operator SOL below minOperatorLamports"))).toHaveLength(1);
    await o.control.pause();
    await expect.poll(() => texts().filter((t) => t.includes("Kill switch engaged")).length).toBe(1);
    alerts.close();
  });

  it("takes no liquidation in a market outside liquidateMarkets, and says so in its metrics", async () => {
    h = await harness(40, 11);
    const elsewhere = PublicKey.unique().toBase58();
    const o = await h.start("picky", { liquidateMarkets: [elsewhere] });
    await shock(h.world, -0.12);
    const due = (await chainVerdicts(h.world)).filter((v) => v.ev.state === "partial-liquidation");
    expect(due.length).toBeGreaterThan(0);
    await expect
      .poll(
        async () =>
          (await o.metrics.registry.getSingleMetricAsString("decisions_total")).match(/action="skipped"} (\d+)/)?.[1],
        {
          timeout: 10_000,
        },
      )
      .toBeDefined();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(h.audit("picky").filter((e) => e.event === "sent")).toEqual([]);
    for (const v of await chainVerdicts(h.world))
      if (due.some((d) => d.account.address === v.account.address)) expect(v.ev.state).toBe("partial-liquidation");
  });

  it("doctor checks everything run needs and names what is wrong, sending nothing", async () => {
    h = await harness(4, 5);
    const { runDoctor } = await import("../../orchestrator/src/ops/doctor.js");
    const { localConfig } = await import("../../orchestrator/demo/operator.js");
    const { join } = await import("node:path");
    const good = localConfig(h.world, h.redis.url, join(h.dir, "operator.json"), {});
    let text = "";
    expect(await runDoctor(good, { out: (t) => (text += t) })).toBe(0);
    for (const name of [
      "configuration",
      "operator key",
      "RPC",
      "websocket",
      "program",
      "exchange",
      "Redis",
      "operator balances",
    ])
      expect(text).toMatch(new RegExp(`^ok  \\s+${name}: `, "m"));
    // The private test Redis persists nothing, and no liquidator token account exists yet.
    expect(text).toMatch(/^warn\s+Redis: .*persists nothing/m);
    expect(text).toMatch(/^warn\s+operator balances: liquidator token account .* does not exist yet/m);

    text = "";
    const bad = {
      ...good,
      exchange: h.world.admin.publicKey.toBase58(),
      redisUrl: "redis://127.0.0.1:1",
      minOperatorLamports: 10 ** 15,
    };
    expect(await runDoctor(bad, { out: (t) => (text += t) })).toBe(1);
    expect(text).toMatch(/^FAIL\s+exchange: .* is owned by 11111111111111111111111111111111/m);
    expect(text).toMatch(/^FAIL\s+Redis: /m);
    expect(text).toMatch(/^FAIL\s+operator balances: .* below minOperatorLamports/m);
    expect(text).toMatch(/^ok {2}\s+RPC: /m);
    expect(text).toMatch(/3 check\(s\) failed/);
  });

  it("finishes a killed orchestrator's work after a restart without sending any step twice", async () => {
    h = await harness(40, 12);
    const first = await h.start("first");
    const firstSent = sent(first);
    await shock(h.world, -0.12);
    await firstSent;
    await killOrchestrator(first);

    const second = await h.start("second");
    await idle([second]);
    const after = await chainVerdicts(h.world);
    expect(after.filter((v) => v.ev.health && v.ev.health.equity < v.ev.health.maintenance)).toEqual([]);

    const entries = [...h.audit("first"), ...h.audit("second")];
    for (const [jobId, signatures] of signaturesPerJob(entries)) expect([jobId, signatures.size]).toEqual([jobId, 1]);
    const check = await checkTransactions(
      h.world,
      entries.filter((e) => e.event === "confirmed").map((e) => e.signature as string),
    );
    expect(check.duplicateSteps).toBe(0);
    expect(check.touchedWhileHealthy).toEqual([]);
  });

  it("clears the flag of accounts whose price recovered, and liquidates none of them", async () => {
    h = await harness(30, 14);
    const world = h.world;
    const move = async (ppm: bigint) => {
      for (const m of world.markets) await world.setPrice(m.symbol, (m.price * ppm) / 1_000_000n);
    };
    const start = world.markets.map((m) => m.price);
    await move(880_000n);
    // A keeper that only flags: every account below maintenance is flagged, none liquidated.
    const flagged: string[] = [];
    for (const v of await chainVerdicts(world)) {
      if (v.ev.state !== "partial-liquidation") continue;
      const remaining = v.account.positions.flatMap((p) => {
        const m = world.markets.find((x) => x.address.toBase58() === p.market)!;
        return [m.address, m.oracle].map((pubkey) => ({ pubkey, isSigner: false, isWritable: false }));
      });
      await world.program.methods
        .flagAccount()
        .accounts({ exchange: world.exchange, marginAccount: new PublicKey(v.account.address) })
        .remainingAccounts(remaining)
        .rpc();
      flagged.push(v.account.address);
    }
    expect(flagged.length).toBeGreaterThan(0);
    // The prices come back before any liquidator acts.
    for (const [i, m] of world.markets.entries()) await world.setPrice(m.symbol, start[i]);

    const o = await h.start("a");
    const deadline = Date.now() + 30_000;
    let verdicts = await chainVerdicts(world);
    while (verdicts.some((v) => v.account.status === ChainStatus.BeingLiquidated)) {
      if (Date.now() > deadline) throw new Error("flags were not cleared in time");
      await new Promise((r) => setTimeout(r, 250));
      verdicts = await chainVerdicts(world);
    }
    await idle([o]);
    const confirmed = h.audit("a").filter((e) => e.event === "confirmed");
    expect(
      confirmed
        .filter((e) => e.kind === "unflag")
        .map((e) => e.account)
        .sort(),
    ).toEqual([...flagged].sort());
    expect(confirmed.filter((e) => e.kind === "liquidate")).toEqual([]);
    const check = await checkTransactions(
      world,
      confirmed.map((e) => e.signature as string),
    );
    expect(check.unflags).toBe(flagged.length);
    expect(check.touchedWhileHealthy).toEqual([]);
  });

  it("sends no transaction twice when two orchestrators share one Redis", async () => {
    h = await harness(40, 13);
    const [a, b] = await Promise.all([h.start("a"), h.start("b")]);
    await shock(h.world, -0.12);
    await idle([a, b]);

    const entries = [...h.audit("a"), ...h.audit("b")];
    const sentPerJob = new Map<string, Set<string>>();
    for (const e of entries.filter((x) => x.event === "sent")) {
      const set = sentPerJob.get(e.jobId as string) ?? new Set<string>();
      set.add(e.signature as string);
      sentPerJob.set(e.jobId as string, set);
    }
    expect(sentPerJob.size).toBeGreaterThan(0);
    for (const [jobId, signatures] of sentPerJob) expect([jobId, signatures.size]).toEqual([jobId, 1]);
    const check = await checkTransactions(
      h.world,
      entries.filter((e) => e.event === "confirmed").map((e) => e.signature as string),
    );
    expect(check.duplicateSteps).toBe(0);
    const after = await chainVerdicts(h.world);
    expect(after.filter((v) => v.ev.health && v.ev.health.equity < v.ev.health.maintenance)).toEqual([]);
  });

  it("pays a winner's claim on a pool that could not pay it once the pool has money", async () => {
    h = await harness(12, 5);
    const w = h.world;
    const sol = w.markets.find((m) => m.symbol === "SOL-PERP")!;
    const longs = w.traders.filter((t) => (t.positions["SOL-PERP"] ?? 0n) > 0n);
    expect(longs.length).toBeGreaterThan(0);
    // The provider takes out all the program lets go (what stays backs the traders' gains and
    // their net position against a 10% move), then SOL jumps 40%: the longs' gains outrun the pool.
    await w.refresh(sol.symbol).catch(() => {});
    const poolOf = async () => BigInt((await w.program.account.market.fetch(sol.address)).poolBalance.toString());
    const remove = (amount: bigint) =>
      w.program.methods
        .poolLiquidity(new BN((-amount).toString()))
        .accounts({ exchange: w.exchange, market: sol.address, adminToken: w.adminToken, quoteVault: w.quoteVault })
        .rpc();
    for (let amount = await poolOf(); amount > USD; ) {
      if (
        !(await remove(amount).then(
          () => true,
          () => false,
        ))
      )
        amount /= 2n;
    }
    await w.setPrice(sol.symbol, (sol.price * 140n) / 100n);
    const known = new Map(w.markets.map((m) => [m.address.toBase58(), m.oracle.toBase58()]));
    let claimed = 0n;
    let claimant = longs[0];
    for (const long of longs) {
      const snap = await readSnapshot(connectionReader(w.connection), long.account.toBase58(), known);
      const others = snap.account.positions
        .filter((p) => p.market !== sol.address.toBase58())
        .flatMap((p) =>
          [p.market, known.get(p.market)!].map((k) => ({
            pubkey: new PublicKey(k),
            isSigner: false,
            isWritable: false,
          })),
        );
      await w.program.methods
        .trade(new BN((-long.positions["SOL-PERP"]).toString()), new BN(0))
        .accounts({
          owner: long.owner.publicKey,
          exchange: w.exchange,
          marginAccount: long.account,
          market: sol.address,
          oracle: sol.oracle,
        })
        .remainingAccounts(others)
        .signers([long.owner])
        .rpc();
      const c = (await w.program.account.marginAccount.fetch(long.account)).claims.reduce(
        (x, y) => x + BigInt(y.toString()),
        0n,
      );
      if (c > 0n) [claimed, claimant] = [c, long];
    }
    expect(claimed > 0n).toBe(true);
    const collateralBefore = BigInt(
      (await w.program.account.marginAccount.fetch(claimant.account)).collateral.toString(),
    );
    // The pool receives money: the orchestrator sees it and pays the claim.
    const o = await h.start("a");
    const paid = new Promise<void>((resolve) =>
      o.on(
        "settled",
        (job, _id, result) =>
          job.kind === "claim" &&
          job.account === claimant.account.toBase58() &&
          result.outcome === "confirmed" &&
          resolve(),
      ),
    );
    await w.program.methods
      .poolLiquidity(new BN((1_000_000n * USD).toString()))
      .accounts({ exchange: w.exchange, market: sol.address, adminToken: w.adminToken, quoteVault: w.quoteVault })
      .rpc();
    await paid;
    await idle([o]);
    const after = await w.program.account.marginAccount.fetch(claimant.account);
    expect(after.claims.every((c) => c.isZero())).toBe(true);
    expect(BigInt(after.collateral.toString())).toBe(collateralBefore + claimed);
    expect((await w.program.account.market.fetch(sol.address)).totalClaims.toString()).toBe("0");
    expect(h.audit("a").some((e) => e.event === "confirmed" && e.kind === "claim")).toBe(true);
  });
});
