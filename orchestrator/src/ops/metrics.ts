// A private registry per orchestrator so tests (and two orchestrators in one process) never share
// or double-register series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type JobOutcome = "completed" | "failed" | "unrecoverable" | "duplicate";

// Detection to confirmation spans one slot (400 ms) to a congested confirmation timeout.
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];
// One RPC call: a local node's millisecond to a request timeout.
const RPC_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the endpoint health gauge reads when scraped: each endpoint's label and health. */
type HealthSource = () => Iterable<{ label: string; health: number }>;

export class Metrics {
  readonly registry = new Registry();
  readonly accountsByState: Gauge<"state">;
  readonly decisions: Counter<"state" | "action">;
  readonly jobs: Counter<"queue" | "outcome">;
  readonly txSent: Counter<"kind">;
  readonly detectionToConfirmation: Histogram<"kind">;
  readonly priceUpdates: Counter<"market">;
  readonly feedResubscribes: Counter;
  readonly feedResyncs: Counter;
  readonly staleWaits: Counter<"reason">;
  readonly oracleAgeSlots: Gauge<"market">;
  readonly serviceErrors: Counter<"service">;
  readonly dryRunSteps: Counter<"kind" | "result">;
  readonly operatorLamports: Gauge;
  readonly operatorQuote: Gauge;
  readonly queueJobs: Gauge<"queue" | "state">;
  readonly alerts: Counter<"kind" | "outcome">;
  // Risk analytics (risk/var/, risk/stress/).
  readonly riskExchangeVar: Gauge<"measure">;
  readonly riskExchangeEs: Gauge<"measure">;
  readonly riskTopVarToEquity: Gauge<"account">;
  readonly riskInsuranceCoverage: Gauge<"scenario">;
  readonly riskAccountsScored: Gauge;
  readonly rpcRequests: Counter<"endpoint" | "method">;
  readonly rpcErrors: Counter<"endpoint" | "method" | "reason">;
  readonly rpcSeconds: Histogram<"endpoint" | "method">;
  readonly rpcEndpointHealth: Gauge<"endpoint">;
  private readonly healthSources: HealthSource[] = [];

  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.accountsByState = new Gauge({
      name: "accounts_by_state",
      help: "Tracked accounts per risk state",
      labelNames: ["state"],
      registers,
    });
    this.decisions = new Counter({
      name: "decisions_total",
      help: "Decisions taken per account state and action",
      labelNames: ["state", "action"],
      registers,
    });
    this.jobs = new Counter({
      name: "jobs_total",
      help: "Finished jobs per queue and outcome (completed, failed, unrecoverable, duplicate)",
      labelNames: ["queue", "outcome"],
      registers,
    });
    this.txSent = new Counter({
      name: "tx_sent_total",
      help: "Transactions sent per kind",
      labelNames: ["kind"],
      registers,
    });
    this.detectionToConfirmation = new Histogram({
      name: "detection_to_confirmation_seconds",
      help: "From seeing an account cross a threshold to confirming the transaction that acts on it",
      labelNames: ["kind"],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.priceUpdates = new Counter({
      name: "price_updates_total",
      help: "Oracle price updates received per market",
      labelNames: ["market"],
      registers,
    });
    this.feedResubscribes = new Counter({
      name: "feed_resubscribes_total",
      help: "Subscriptions renewed after silence or disconnect",
      registers,
    });
    this.feedResyncs = new Counter({ name: "feed_resyncs_total", help: "Account resyncs fetched over RPC", registers });
    this.staleWaits = new Counter({
      name: "stale_waits_total",
      help: "Actions deferred because data was too old",
      labelNames: ["reason"],
      registers,
    });
    this.oracleAgeSlots = new Gauge({
      name: "oracle_age_slots",
      help: "Slots since the oracle price was last updated, per market",
      labelNames: ["market"],
      registers,
    });
    this.serviceErrors = new Counter({
      name: "service_errors_total",
      help: "Errors from a service the orchestrator depends on (redis: its connection; worker: a job fetch or renewal)",
      labelNames: ["service"],
      registers,
    });
    this.dryRunSteps = new Counter({
      name: "dry_run_steps_total",
      help: "Steps a dry run simulated instead of sending, per kind and simulated result",
      labelNames: ["kind", "result"],
      registers,
    });
    this.operatorLamports = new Gauge({
      name: "operator_sol_lamports",
      help: "The operator's SOL balance (pays the fees), lamports",
      registers,
    });
    this.operatorQuote = new Gauge({
      name: "operator_quote_units",
      help: "The liquidator token account's quote balance, native units",
      registers,
    });
    this.queueJobs = new Gauge({
      name: "queue_jobs",
      help: "Jobs per step queue and state (waiting, prioritized, active, delayed, completed, failed)",
      labelNames: ["queue", "state"],
      registers,
    });
    this.alerts = new Counter({
      name: "alerts_total",
      help: "Operator alerts per kind and outcome (sent, deduplicated, rate-limited, failed)",
      labelNames: ["kind", "outcome"],
      registers,
    });
    // Per RPC endpoint, labelled host:port only (chain/endpoint.ts): paths and queries hold API keys.
    this.rpcRequests = new Counter({
      name: "rpc_requests_total",
      help: "JSON-RPC requests per endpoint (host:port) and method, failed ones included",
      labelNames: ["endpoint", "method"],
      registers,
    });
    this.rpcErrors = new Counter({
      name: "rpc_errors_total",
      help: "JSON-RPC requests that failed per endpoint, method and reason (connection, timeout, http, unhealthy, bad-reply: the endpoint failed; answer: a JSON-RPC error answer)",
      labelNames: ["endpoint", "method", "reason"],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: "rpc_request_seconds",
      help: "JSON-RPC request duration per endpoint and method",
      labelNames: ["endpoint", "method"],
      buckets: RPC_BUCKETS_S,
      registers,
    });
    const sources = this.healthSources;
    this.rpcEndpointHealth = new Gauge({
      name: "rpc_endpoint_health",
      help: "RPC endpoint health 0..1 (share of recent calls answered times a latency factor; 0 while cooling down after a failure)",
      labelNames: ["endpoint"],
      registers,
      collect() {
        for (const source of sources) for (const { label, health } of source()) this.set({ endpoint: label }, health);
      },
    });
    this.riskExchangeVar = new Gauge({
      name: "risk_exchange_var_quote",
      help: "Exchange VaR at the configured horizon and level, quote native units (shortfall: losses collateral cannot pay before liquidation; pool_loss: the pools' loss as counterparty)",
      labelNames: ["measure"],
      registers,
    });
    this.riskExchangeEs = new Gauge({
      name: "risk_exchange_es_quote",
      help: "Exchange expected shortfall at the configured horizon and level, quote native units (measures as for risk_exchange_var_quote)",
      labelNames: ["measure"],
      registers,
    });
    this.riskTopVarToEquity = new Gauge({
      name: "risk_account_var_to_equity",
      help: "VaR / equity of the accounts with the highest score (top 10 of the last scoring run)",
      labelNames: ["account"],
      registers,
    });
    this.riskInsuranceCoverage = new Gauge({
      name: "risk_insurance_coverage_ratio",
      help: "Insurance funds ÷ the bad debt a stress scenario leaves (+Inf without bad debt)",
      labelNames: ["scenario"],
      registers,
    });
    this.riskAccountsScored = new Gauge({
      name: "risk_accounts_scored",
      help: "Accounts with a VaR / ES score in the last scoring run",
      registers,
    });
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** One RPC request's outcome: "ok", "answer" (a JSON-RPC error) or why the endpoint failed. */
  rpcRequest(endpoint: string, method: string, seconds: number, outcome: string): void {
    this.rpcRequests.inc({ endpoint, method });
    this.rpcSeconds.observe({ endpoint, method }, seconds);
    if (outcome !== "ok") this.rpcErrors.inc({ endpoint, method, reason: outcome });
  }

  /** Endpoints whose health the gauge reports at each scrape. */
  watchEndpoints(source: HealthSource): void {
    this.healthSources.push(source);
  }

  job(queue: string, outcome: JobOutcome): void {
    this.jobs.inc({ queue, outcome });
  }

  /** Prometheus text exposition and its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
