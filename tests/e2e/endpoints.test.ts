// Multi-endpoint failover on the localnet: the orchestrator is given two read endpoints and two
// send endpoints, the first of each a closed port (as an RPC provider that went down), and the
// default confirm endpoint is the dead read one. It must still start, liquidate every account the
// crash put below maintenance, say which endpoint failed in its metrics, and doctor must name it.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { localConfig } from "../../orchestrator/demo/operator.js";
import { freePort } from "../../orchestrator/demo/processes.js";
import { checkTransactions } from "../../orchestrator/demo/report.js";
import { runDoctor } from "../../orchestrator/src/ops/doctor.js";
import { chainVerdicts, harness, idle, shock, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const metric = async (o: { metrics: { registry: { metrics(): Promise<string> } } }, pattern: RegExp) =>
  Number(pattern.exec(await o.metrics.registry.metrics())?.[1] ?? 0);

describe("multi-endpoint failover", () => {
  it("liquidates on the localnet with one of two read endpoints and one of two send endpoints down", async () => {
    h = await harness(20, 21);
    const live = h.world.localnet.rpcUrl;
    const deadRead = await freePort();
    let deadSend = await freePort();
    while (deadSend === deadRead) deadSend = await freePort();
    const endpoints = {
      readRpcUrls: [`http://127.0.0.1:${deadRead}`, live],
      sendRpcUrls: [`http://127.0.0.1:${deadSend}`, live],
    };
    const o = await h.start("failover", endpoints);

    await shock(h.world, -0.12);
    await idle([o]);

    const after = await chainVerdicts(h.world);
    expect(after.filter((v) => v.ev.health && v.ev.health.equity < v.ev.health.maintenance)).toEqual([]);
    const confirmed = h.audit("failover").filter((e) => e.event === "confirmed");
    expect(confirmed.filter((e) => e.kind === "liquidate").length).toBeGreaterThan(0);
    const check = await checkTransactions(
      h.world,
      confirmed.map((e) => e.signature as string),
    );
    expect(check.duplicateSteps).toBe(0);
    expect(check.touchedWhileHealthy).toEqual([]);

    // The dead endpoints were tried and refused; the live one served the reads and the sends.
    const liveLabel = new URL(live).host;
    expect(
      await metric(
        o,
        new RegExp(
          `rpc_errors_total\\{endpoint="127.0.0.1:${deadRead}",method="getSlot",reason="connection"\\} (\\d+)`,
        ),
      ),
    ).toBeGreaterThan(0);
    expect(
      await metric(
        o,
        new RegExp(
          `rpc_errors_total\\{endpoint="127.0.0.1:${deadSend}",method="sendTransaction",reason="connection"\\} (\\d+)`,
        ),
      ),
    ).toBeGreaterThan(0);
    expect(
      await metric(
        o,
        new RegExp(`rpc_requests_total\\{endpoint="${liveLabel}",method="getMultipleAccounts"\\} (\\d+)`),
      ),
    ).toBeGreaterThan(0);
    expect(
      await metric(o, new RegExp(`rpc_requests_total\\{endpoint="${liveLabel}",method="sendTransaction"\\} (\\d+)`)),
    ).toBeGreaterThan(0);
    expect(await metric(o, new RegExp(`rpc_endpoint_health\\{endpoint="${liveLabel}"\\} ([\\d.]+)`))).toBeGreaterThan(
      0.5,
    );
    expect(o.readiness().details.rpcAnswering).toBe(true);

    // doctor: a warning naming the endpoint down and its roles, not a failure, while others answer.
    let text = "";
    const config = localConfig(h.world, h.redis.url, join(h.dir, "operator.json"), endpoints);
    expect(await runDoctor(config, { out: (t) => (text += t) })).toBe(0);
    expect(text).toMatch(new RegExp(`^ok {2}\\s+RPC: ${liveLabel} \\(read, send, confirm\\)`, "m"));
    expect(text).toMatch(new RegExp(`^warn\\s+RPC: 127.0.0.1:${deadRead} \\(read, confirm\\) does not answer`, "m"));
    expect(text).toMatch(new RegExp(`^warn\\s+RPC: 127.0.0.1:${deadSend} \\(send\\) does not answer`, "m"));

    // With every read endpoint down, doctor fails the RPC check.
    text = "";
    const dead = localConfig(h.world, h.redis.url, join(h.dir, "operator.json"), {
      rpcUrl: `http://127.0.0.1:${deadRead}`,
    });
    expect(await runDoctor(dead, { out: (t) => (text += t) })).toBe(1);
    expect(text).toMatch(/^FAIL\s+RPC: no read, send, confirm endpoint answers/m);
  });
});
