// Wires the pieces: chain feed → supervisor (risk engine, trigger index, actors) → step queues →
// workers → chain, with logs, metrics, audit, kill switch and status around them. `stop()` is the
// graceful shutdown: no new decisions, active jobs finish, snapshots are flushed.
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { DelayedError, UnrecoverableError, type Job, type Worker } from "bullmq";
import { Redis } from "ioredis";
import { type Connection, PublicKey } from "@solana/web3.js";
import { getAssociatedTokenAddressSync, getOrCreateAssociatedTokenAccount } from "@solana/spl-token";
import { decodeExchange, type ExchangeState } from "./chain/accounts.js";
import { ChainFeed } from "./chain/feed.js";
import { Supervisor, type Effects } from "./actors/supervisor.js";
import { actorEffects } from "./actors/effects.js";
import { deploymentPrefix, requireKeys, rpcRoles, type Config } from "./config.js";
import { StepQueues, sharedDecisions, storeUnderLock } from "./jobs/queues.js";
import type { StepJob, StepResult } from "./jobs/steps.js";
import { RpcBudget } from "./jobs/rpc-budget.js";
import { Signer } from "./jobs/signer.js";
import { Submitter } from "./jobs/submitter.js";
import { StepBatcher } from "./jobs/batcher.js";
import { SnapshotReader } from "./chain/snapshot.js";
import { StepRpc } from "./chain/rpc.js";
import { RpcEndpoints, endpointSettings, type RpcObserver } from "./chain/endpoints.js";
import { endpointConnection } from "./chain/rpc-fetch.js";
import { PubSub, wsUrlFor } from "./chain/pubsub.js";
import { processStep, type StepContext } from "./jobs/worker.js";
import { AuditLog } from "./ops/audit.js";
import { AuditStore } from "./ops/audit-store.js";
import { ALL_MARKETS, Control } from "./ops/control.js";
import { startHttp, type HttpServer } from "./ops/http.js";
import { createLogger, throttledWarning, type Logger } from "./ops/log.js";
import { stepRecords } from "./ops/step-records.js";
import { Alerter } from "./ops/alerts.js";
import { webhookChannel } from "./ops/webhook.js";
import { StartupError, checkRedisSettings, loadKeypair, within } from "./startup.js";
import { WalletWatch } from "./ops/wallet.js";
import { Metrics } from "./ops/metrics.js";
import { SnapshotWriter } from "./actors/snapshot-writer.js";
import { RiskService } from "./risk/service.js";
import { Dashboard } from "./ops/dashboard/dashboard.js";
import { auditTrail, dashboardRoutes } from "./ops/dashboard/routes.js";

export interface OrchestratorEvents {
  settled: [StepJob, string, StepResult];
  transition: [string, string | null, string];
}

/** A service that keeps failing (Redis away) is logged at most once per this interval. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

export class Orchestrator extends EventEmitter<OrchestratorEvents> {
  readonly instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly metrics = new Metrics({ processMetrics: false });
  readonly log: Logger;
  connection!: Connection;
  feed!: ChainFeed;
  supervisor!: Supervisor;
  queues!: StepQueues;
  control!: Control;
  http: HttpServer | undefined;
  exchange!: ExchangeState;
  private stepRpc: StepRpc | undefined;
  private pubsub: PubSub | undefined;
  private redis!: Redis;
  private wallet!: WalletWatch;
  /** The operator's public key: the fee payer and liquidator of every step. */
  operatorKey!: PublicKey;
  private workers: Worker<StepJob, StepResult>[] = [];
  private audit!: AuditLog;
  private snapshots!: SnapshotWriter;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;
  /** Operator alerts (config alertWebhookUrl), if any. */
  alerts: Alerter | undefined;
  private lastFlags = { killSwitch: false, low: false };
  /** Risk analytics: price history, VaR / ES scores, background stress (risk/service.ts). */
  risk: RiskService | undefined;
  /** The operator's web page (`/dashboard` on the HTTP server). */
  dashboard: Dashboard | undefined;
  /** The queues' counts from the last status publish (once per second). */
  private queueCounts: Record<string, Record<string, number>> | null = null;

  constructor(
    readonly config: Config,
    opts: { log?: Logger } = {},
  ) {
    super();
    this.log = opts.log ?? createLogger({ level: config.logLevel }).child({ instance: this.instanceId });
  }

  async start(): Promise<this> {
    const c = this.config;
    requireKeys(c, ["exchange", "operatorKeypairPath"]);
    const operator = loadKeypair(c.operatorKeypairPath);
    this.operatorKey = operator.publicKey;
    const endpoints = new RpcEndpoints(endpointSettings(c), this.rpcObserver());
    this.stepRpc = new StepRpc(endpoints);
    this.metrics.watchEndpoints(() => endpoints.all.map((e) => ({ label: e.label, health: e.health() })));
    const wsUrl = c.wsUrl ?? wsUrlFor(rpcRoles(c).read[0]);
    this.connection = endpointConnection(endpoints, "read", wsUrl);
    const reads = endpoints.of("read");
    const names = reads.map((e) => e.label).join(", ");
    // Long enough for every read endpoint to time out in turn before the last one answers.
    await within(this.connection.getSlot(), c.rpcRequestTimeoutMs * reads.length + 1_000, `RPC ${names}`).catch((e) => {
      throw new StartupError(`cannot reach the RPC at ${names}: ${(e as Error).message}`);
    });
    const programId = new PublicKey(c.programId);
    const exchangeKey = new PublicKey(c.exchange);
    const info = await this.connection.getAccountInfo(exchangeKey);
    if (!info?.owner.equals(programId))
      throw new StartupError(`exchange ${c.exchange} does not exist or is not owned by program ${c.programId}`);
    this.exchange = decodeExchange(c.exchange, info.data);

    if (c.alertWebhookUrl) {
      this.alerts = new Alerter({
        url: c.alertWebhookUrl,
        format: c.alertFormat,
        telegramChatId: c.alertTelegramChatId,
        dedupMs: c.alertDedupMs,
        perMinute: c.alertsPerMinute,
        instance: this.instanceId,
        log: this.log,
        onOutcome: (kind, outcome) => this.metrics.alerts.inc({ kind, outcome }),
      });
    }

    this.redis = new Redis(c.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    const redisWarning = throttledWarning(
      this.log,
      "redis error; commands wait for the reconnection",
      OUTAGE_LOG_INTERVAL_MS,
    );
    this.redis.on("error", (e) => {
      this.metrics.serviceErrors.inc({ service: "redis" });
      redisWarning({ error: e.message });
    });
    await within(this.redis.connect(), 5_000, `Redis ${c.redisUrl}`).catch((e) => {
      throw new StartupError(`cannot reach Redis at ${c.redisUrl}: ${(e as Error).message}`);
    });
    await checkRedisSettings(this.redis, this.log);
    this.control = new Control(this.redis, deploymentPrefix(c));
    await this.control.start();
    this.audit = new AuditLog(c.auditLogPath, new AuditStore(this.redis, deploymentPrefix(c)));
    this.snapshots = new SnapshotWriter(this.control, (e) =>
      this.log.warn("snapshot write failed", { error: e.message }),
    );
    this.queues = new StepQueues({
      connection: this.redis,
      prefix: deploymentPrefix(c),
      attempts: c.jobAttempts,
      backoffMs: c.jobBackoffMs,
    });

    const quoteMint = new PublicKey(this.exchange.quoteMint);
    // A dry run sends nothing, not even the token account's creation: its simulations say if it is missing.
    const liquidatorToken = c.liquidatorTokenAccount
      ? new PublicKey(c.liquidatorTokenAccount)
      : c.dryRun
        ? getAssociatedTokenAddressSync(quoteMint, operator.publicKey)
        : (await getOrCreateAssociatedTokenAccount(this.connection, operator, quoteMint, operator.publicKey)).address;
    if (c.dryRun) {
      this.log.warn("dry run: steps are simulated and never sent", {
        queuePrefix: deploymentPrefix(c),
        liquidatorToken: liquidatorToken.toBase58(),
      });
      if (!(await this.connection.getAccountInfo(liquidatorToken))) {
        this.log.warn(
          "dry run: the liquidator token account does not exist, so every liquidation's simulation fails (3012) until it is created (a live run creates it)",
          { liquidatorToken: liquidatorToken.toBase58() },
        );
      }
    }

    this.wallet = new WalletWatch(this.connection, operator.publicKey, liquidatorToken, c, this.metrics, this.log);
    await this.wallet.check();
    this.wallet.start();

    this.pubsub = new PubSub(wsUrl, (msg, fields) => this.log.warn(msg, fields));
    this.feed = new ChainFeed(this.connection, this.stepRpc, this.pubsub, programId, exchangeKey, c, {
      onWarning: (msg, fields) => this.log.warn(msg, fields),
      onResubscribe: () => {
        this.metrics.feedResubscribes.inc();
        this.alerts?.raise("feed-silent", "warning", "feed", "Websocket silent: resubscribing", {
          silentForMs: String(Math.round(this.feed?.silenceMs ?? 0)),
        });
      },
      onResync: () => {
        this.metrics.feedResyncs.inc();
        this.supervisor?.observeWaiting();
      },
    });
    this.supervisor = new Supervisor(
      {
        accounts: this.feed.accounts,
        markets: this.feed.markets,
        prices: this.feed.prices,
        freshness: () => ({
          currentSlot: this.feed.currentSlot,
          verifiedSlot: this.feed.verifiedSlot,
          nowS: Math.floor(Date.now() / 1000),
          maxAccountAgeSlots: c.maxAccountAgeSlots,
          maxOracleAgeSlots: c.maxOracleAgeSlots,
        }),
      },
      this.effects(),
      {
        marginCallBandPpm: c.marginCallBandPpm,
        confirmTimeoutMs: c.confirmTimeoutMs,
        onError: (error, account) =>
          this.log.error("evaluating an account failed; it is evaluated again on its next tick", {
            account,
            error: String(error),
          }),
      },
    );

    const budget = new RpcBudget(c.rpcRateLimitPerSecond);
    const submitter = new Submitter(
      this.connection,
      this.stepRpc,
      this.pubsub,
      new Signer(operator),
      c,
      budget,
      endpointConnection(endpoints, "confirm", wsUrl),
    );
    const knownMarkets = () => new Map([...this.feed.markets.values()].map((m) => [m.address, m.oracle]));
    const decideShared = sharedDecisions(this.redis, deploymentPrefix(c));
    const records = stepRecords(this.audit, this.metrics, this.log, this.instanceId);
    const stepCtx: StepContext = {
      snapshots: new SnapshotReader(this.stepRpc, knownMarkets, () => budget.take()),
      batcher: new StepBatcher(
        submitter,
        { maxStepsPerTransaction: c.maxStepsPerTransaction },
        () => this.audit.flush(),
        decideShared,
      ),
      decideShared,
      programId,
      exchange: this.exchange,
      submitter,
      operator: operator.publicKey,
      liquidatorToken,
      marginCallBandPpm: c.marginCallBandPpm,
      // Held like a pause: the kill switch, a paused market, or too little SOL to pay fees.
      isPaused: (market) =>
        this.wallet.low || this.control.isPaused(ALL_MARKETS) || (market !== null && this.control.isPaused(market)),
      pauseRecheckMs: 2_000,
      lockMs: c.jobLockMs,
      storeUnderLock: (job, token, data) => storeUnderLock(this.redis, job, token, c.jobLockMs, data),
      dryRun: c.dryRun,
      ...records,
      onSettled: (job, id, result) => {
        records.onSettled(job, id, result);
        this.supervisor.settled(job.account, job.stepKey, result.outcome, result.slot);
        this.emit("settled", job, id, result);
      },
    };
    // An observation that throws is logged (`onError`) and the account held for the exact math.
    this.feed.on("account", (a) => {
      const failure = this.supervisor.tryObserve(a.address);
      if (failure) throw failure.error;
    });
    this.feed.on("market", (m) => this.supervisor.onMarket(m));
    this.feed.on("price", (market, prev, next) => {
      this.metrics.priceUpdates.inc({ market });
      this.supervisor.onPrice(market, prev, next);
    });
    // Risk analytics: accepted prices recorded, every account re-scored off the tick path.
    this.risk = new RiskService(c, {
      redis: this.redis,
      prefix: deploymentPrefix(c),
      feed: this.feed,
      connection: this.connection,
      exchange: exchangeKey,
      metrics: this.metrics,
      log: this.log,
    });
    this.feed.on("price", (market, _prev, next) => {
      const m = this.feed.markets.get(market);
      if (m) this.risk?.recorder.observe(m, next);
    });
    await this.feed.start();
    for (const m of this.feed.markets.values()) this.supervisor.onMarket(m);
    this.supervisor.restore(await this.control.loadActorSnapshots());
    this.supervisor.fullScan();

    this.workers = this.queues.workers((job, token) => this.process(stepCtx, job, token), this.redis, {
      concurrency: c.workerConcurrency,
      lockMs: c.jobLockMs,
    });
    // Every worker fails its fetch while Redis is away: one line per interval for all of them.
    const workerWarning = throttledWarning(this.log, "worker error", OUTAGE_LOG_INTERVAL_MS);
    for (const w of this.workers) {
      w.on("error", (e) => {
        this.metrics.serviceErrors.inc({ service: "worker" });
        workerWarning({ error: e.message });
      });
    }
    this.timers.push(
      setInterval(() => {
        this.watchFlags();
        void this.publishStatus();
      }, 1_000),
    );
    this.timers.push(
      setInterval(() => {
        const { evaluated, missed } = this.supervisor.fullScan();
        if (missed.length > 0)
          this.log.warn("full scan found accounts the trigger index had not surfaced", { evaluated, missed });
      }, c.fullScanIntervalMs),
    );
    this.dashboard = this.startDashboard(programId);
    this.http = await startHttp({
      host: c.httpHost,
      port: c.httpPort,
      metrics: this.metrics,
      health: () => this.health(),
      ready: () => this.readiness(),
      status: () => this.status(),
      routes: dashboardRoutes(this.dashboard, (account) => auditTrail(this.redis, deploymentPrefix(c), account)),
    });
    this.risk.start();
    this.log.info("orchestrator running", {
      exchange: c.exchange,
      accounts: this.feed.accounts.size,
      markets: this.feed.markets.size,
      operator: operator.publicKey.toBase58(),
      http: this.http.url,
    });
    return this;
  }

  private startDashboard(programId: PublicKey): Dashboard {
    const d = new Dashboard({
      sources: () => ({
        accounts: this.feed.accounts,
        markets: this.feed.markets,
        prices: this.feed.prices,
        currentSlot: this.feed.currentSlot,
        lastEvaluation: this.supervisor.lastEvaluation,
        actors: this.supervisor.actors,
        marketName: (a) => a,
      }),
      countsByState: () => this.supervisor.countsByState(),
      queues: () => this.queueCounts,
      paused: () => this.control.pausedNow(),
      instance: { id: this.instanceId, dryRun: this.config.dryRun, exchange: this.config.exchange! },
    });
    if (this.pubsub) d.events.start(this.pubsub, programId);
    d.start();
    return d;
  }

  /** RPC calls into metrics; an endpoint that stops or starts answering into one log line each. */
  private rpcObserver(): RpcObserver {
    return {
      request: (endpoint, method, seconds, outcome) => this.metrics.rpcRequest(endpoint, method, seconds, outcome),
      down: (endpoint, method, error) =>
        this.log.warn("RPC endpoint stopped answering: it cools down, its roles' other endpoints take its calls", {
          endpoint,
          method,
          error,
        }),
      up: (endpoint) => this.log.info("RPC endpoint answers again", { endpoint }),
    };
  }

  private async process(ctx: StepContext, job: Job<StepJob, StepResult>, token?: string): Promise<StepResult> {
    try {
      const result = await processStep(ctx, job, token);
      this.metrics.jobs.inc({ queue: job.data.kind, outcome: "completed" });
      return result;
    } catch (e) {
      if (e instanceof DelayedError) throw e;
      const unrecoverable = e instanceof UnrecoverableError;
      this.metrics.jobs.inc({ queue: job.data.kind, outcome: unrecoverable ? "unrecoverable" : "failed" });
      this.log.warn(unrecoverable ? "step dropped: no retry can change it" : "step failed; will retry", {
        account: job.data.account,
        jobId: job.id,
        state: job.data.kind,
        attempt: job.attemptsMade + 1,
        error: (e as Error).message,
      });
      if (unrecoverable) ctx.onSettled(job.data, job.id!, { outcome: "not-needed", reason: (e as Error).message });
      else if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        this.alerts?.raise("job-failed", "critical", job.id!, `${job.data.kind} step failed after its last retry`, {
          account: job.data.account,
          jobId: job.id!,
          attempts: String(job.attemptsMade + 1),
          error: (e as Error).message,
        });
      }
      throw e;
    }
  }

  private effects(): Effects {
    return actorEffects({
      queues: this.queues,
      feed: this.feed,
      snapshots: this.snapshots,
      audit: this.audit,
      metrics: this.metrics,
      log: this.log,
      instanceId: this.instanceId,
      marginCallChannels: this.config.marginCallWebhookUrl ? [webhookChannel(this.config.marginCallWebhookUrl)] : [],
      alerts: this.alerts,
      filter: this.config,
      onTransition: (account, from, to) => this.emit("transition", account, from, to),
    });
  }

  /** Ready to act: the book loaded, Redis connected, the RPC answering, the websocket live, fees payable. */
  readiness() {
    const h = this.health();
    const loaded = this.feed !== undefined && this.supervisor !== undefined;
    const rpc = this.wallet?.rpcAnswering ?? false;
    const funded = this.wallet !== undefined && !this.wallet.low;
    return {
      ok: h.ok && loaded && rpc && funded,
      details: { ...h.details, loaded, rpcAnswering: rpc, operatorLamports: this.wallet?.lamports ?? null, funded },
    };
  }

  health() {
    const silenceMs = this.feed?.silenceMs ?? Infinity;
    const redisReady = this.redis?.status === "ready";
    const ok = redisReady && silenceMs < this.config.resubscribeAfterSilenceMs;
    return {
      ok,
      details: {
        redis: this.redis?.status,
        websocketSilenceMs: silenceMs,
        slot: this.feed?.currentSlot,
        verifiedSlot: this.feed?.verifiedSlot,
      },
    };
  }

  status() {
    const counts = this.supervisor.countsByState();
    for (const [state, n] of Object.entries(counts)) this.metrics.accountsByState.set({ state }, n);
    return {
      instanceId: this.instanceId,
      accounts: this.feed.accounts.size,
      accountsByState: counts,
      actors: this.supervisor.actors.size,
      indexed: this.supervisor.index.size,
      slot: this.feed.currentSlot,
      verifiedSlot: this.feed.verifiedSlot,
      dashboard: this.http ? `${this.http.url}/dashboard` : null,
    };
  }

  /** The kill switch and the fee floor, alerted when they change. */
  private watchFlags(): void {
    const killSwitch = this.control.isPaused(ALL_MARKETS);
    if (killSwitch !== this.lastFlags.killSwitch) {
      this.alerts?.raise(
        "kill-switch",
        killSwitch ? "critical" : "info",
        // Each change is its own subject: engaging the switch twice in a row alerts twice.
        `${killSwitch ? "engaged" : "released"}-${Date.now()}`,
        killSwitch ? "Kill switch engaged: no step is sent" : "Kill switch released: steps are sent again",
      );
    }
    const low = this.wallet.low;
    if (low !== this.lastFlags.low) {
      this.alerts?.raise(
        "low-balance",
        low ? "critical" : "info",
        `${low ? "below" : "restored"}-${Date.now()}`,
        low ? "Operator SOL below minOperatorLamports: steps are held" : "Operator SOL restored: steps are sent again",
        { lamports: String(this.wallet.lamports ?? "unknown"), floor: String(this.config.minOperatorLamports) },
      );
    }
    this.lastFlags = { killSwitch, low };
  }

  private async publishStatus(): Promise<void> {
    try {
      const queues = await this.queues.counts();
      this.queueCounts = queues;
      for (const [queue, counts] of Object.entries(queues))
        for (const [state, n] of Object.entries(counts)) this.metrics.queueJobs.set({ queue, state }, n);
      await this.control.publishStatus(this.instanceId, { ...this.status(), queues }, 10);
    } catch (e) {
      this.log.warn("status publish failed", { error: (e as Error).message });
    }
  }

  /** Graceful: stop deciding, let active jobs finish, flush actor snapshots, close everything. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info("stopping", { reason });
      for (const t of this.timers) clearInterval(t);
      await this.risk?.stop();
      this.dashboard?.stop();
      this.dashboard?.events.stop();
      this.wallet?.stop();
      await this.feed?.stop();
      await Promise.all(this.workers.map((w) => w.close()));
      this.supervisor?.stopAll();
      await this.snapshots?.flush();
      await this.queues?.close();
      this.control?.stop();
      await this.control?.clearStatus(this.instanceId).catch(() => {});
      await this.http?.close();
      await this.audit?.close();
      const socket = (this.connection as unknown as { _rpcWebSocket?: { close(): void; reconnect?: boolean } })
        ?._rpcWebSocket;
      if (socket) {
        socket.reconnect = false;
        socket.close();
      }
      await this.redis?.quit().catch(() => this.redis.disconnect());
      this.stepRpc?.close();
      this.pubsub?.close();
      this.log.info("stopped", { reason });
    })();
    return this.stopping;
  }
}

export async function runOrchestrator(config: Config): Promise<Orchestrator> {
  const o = new Orchestrator(config);
  try {
    return await o.start();
  } catch (e) {
    await o.stop("startup failed").catch(() => {});
    throw e;
  }
}
