// The actors' effects (actors/supervisor.ts Effects) acted out: a decided step becomes a job on
// its queue (one id per step, so a duplicate is dropped), a margin call becomes a log line, an
// audit record and the webhook's POST, a re-read goes to the feed. The supervisor decides; these act.
import type { AccountContext } from "./account-machine.js";
import { observation, type Effects } from "./supervisor.js";
import type { SnapshotWriter } from "./snapshot-writer.js";
import type { ChainFeed } from "../chain/feed.js";
import type { StepQueues } from "../jobs/queues.js";
import { jobId, type StepJob, type StepKind } from "../jobs/steps.js";
import type { Evaluation } from "../risk/evaluate.js";
import { skipReason, type FilterConfig } from "../risk/filter.js";
import { ChainStatus } from "../risk/types.js";
import type { AuditLog } from "../ops/audit.js";
import { jsonSafe, type Logger } from "../ops/log.js";
import type { Metrics } from "../ops/metrics.js";
import type { Alerter } from "../ops/alerts.js";
import { notifyOwner, type MarginCallChannel } from "../ops/webhook.js";
import type { RiskState } from "../risk/types.js";

/** How long a confirmed step waits for the account's notification before reading it itself. */
const SETTLED_NOTIFICATION_GRACE_MS = 500;

/** The job a decision asks for: what it acts on (its id) and what it was decided on (the audit's). */
export function stepJobFor(
  kind: StepKind,
  ctx: AccountContext,
  ev: Evaluation | undefined,
  detectedAtMs: number,
  market?: string,
): StepJob {
  return {
    kind,
    account: ctx.account,
    liquidationId: ctx.liquidationId,
    stepKey: ctx.stepKey,
    market: market ?? (kind === "liquidate" ? ctx.liquidationMarket : null),
    shortfall: ctx.shortfall,
    firstStep: kind === "liquidate" && ctx.chainStatus === ChainStatus.Healthy,
    detectedAtMs,
    decidedOn: jsonSafe({ health: ev?.health ?? null, prices: ev?.prices ?? {} }) as StepJob["decidedOn"],
  };
}

export interface EffectDeps {
  queues: StepQueues;
  feed: ChainFeed;
  snapshots: SnapshotWriter;
  audit: AuditLog;
  metrics: Metrics;
  log: Logger;
  instanceId: string;
  /** Margin-call notices for the account's owner (the webhook is one channel). */
  marginCallChannels: readonly MarginCallChannel[];
  /** Operator alerts, when configured. */
  alerts: Alerter | undefined;
  /** The operator's limits on which liquidations to take (config; all off by default). */
  filter: FilterConfig;
  onTransition(account: string, from: RiskState | null, to: RiskState): void;
}

export function actorEffects(d: EffectDeps): Effects {
  const decide = (
    kind: StepKind,
    ctx: AccountContext,
    ev: Evaluation | undefined,
    detectedAtMs: number,
    market?: string,
  ) => {
    const job = stepJobFor(kind, ctx, ev, detectedAtMs, market);
    const id = jobId(job);
    if (kind === "liquidate" && job.market !== null) {
      const skip = skipReason(
        d.filter,
        d.feed.accounts.get(ctx.account),
        d.feed.markets.get(job.market),
        ev?.prices[job.market]?.price,
      );
      if (skip !== null) {
        d.metrics.decisions.inc({ state: ctx.state ?? "waiting", action: "skipped" });
        d.log.debug("liquidation not taken: outside the operator's limits", {
          account: ctx.account,
          jobId: id,
          reason: skip,
        });
        return;
      }
    }
    d.metrics.decisions.inc({ state: ctx.state ?? "waiting", action: kind });
    d.queues.add(job).then(
      ({ added }) => {
        if (!added) {
          d.metrics.jobs.inc({ queue: kind, outcome: "duplicate" });
          return;
        }
        d.log.decision(`enqueued ${kind}`, {
          account: ctx.account,
          jobId: id,
          state: ctx.state ?? "waiting",
          shortfall: ctx.shortfall,
        });
        d.audit.append({
          event: "decided",
          kind,
          account: ctx.account,
          jobId: id,
          liquidationId: ctx.liquidationId,
          state: ctx.state,
          shortfall: ctx.shortfall,
          health: ev?.health,
          prices: ev?.prices,
          instance: d.instanceId,
        });
      },
      (e: Error) =>
        d.log.error("could not enqueue; the actor asks again after its timeout", {
          account: ctx.account,
          jobId: id,
          state: ctx.state ?? "waiting",
          error: e.message,
        }),
    );
  };
  return {
    enqueue: decide,
    notifyMarginCall: (ctx, ev) => {
      d.log.decision("margin call", {
        account: ctx.account,
        jobId: null,
        state: "margin-call",
        shortfall: ctx.shortfall,
        equity: ev?.health?.equity,
        maintenance: ev?.health?.maintenance,
      });
      d.audit.append({
        event: "margin-call",
        account: ctx.account,
        health: ev?.health,
        prices: ev?.prices,
        instance: d.instanceId,
      });
      const owner = d.feed.accounts.get(ctx.account)?.owner;
      notifyOwner(
        d.marginCallChannels,
        {
          account: ctx.account,
          owner,
          equity: ev?.health?.equity,
          maintenance: ev?.health?.maintenance,
          atMs: Date.now(),
        },
        d.log,
      );
      d.alerts?.raise("margin-call", "warning", ctx.account, "Margin call", {
        account: ctx.account,
        owner: owner ?? "unknown",
        equity: String(ev?.health?.equity ?? "unknown"),
        maintenance: String(ev?.health?.maintenance ?? "unknown"),
      });
    },
    reread: (account, afterSlot) => {
      const fetch = () =>
        void d.feed
          .fetchBatched([account])
          .catch((e: Error) => d.log.warn("re-read failed", { account, error: e.message }));
      const current = () => (d.feed.accounts.get(account)?.slot ?? -1) >= (afterSlot ?? Infinity);
      if (afterSlot === undefined) return fetch();
      // After a confirmed step the feed's notification usually has the account already; read it
      // only if that notification is late.
      if (!current()) setTimeout(() => !current() && fetch(), SETTLED_NOTIFICATION_GRACE_MS).unref();
    },
    recordWait: (account, reason) => {
      d.metrics.staleWaits.inc({ reason: reason.split(" ")[0] });
      d.log.debug("waiting: data not fit for a decision", { account, reason });
      const oracle = unusableOracle(reason);
      if (oracle) {
        d.alerts?.raise("oracle-unusable", "critical", oracle, "Oracle unusable: liquidations on it wait", {
          oracle,
          reason,
          account,
        });
      }
    },
    // A covered shortfall record: one resolve job for this on-chain state pays the pools it is owed.
    settle: (a, ev) =>
      decide(
        "resolve",
        { ...observation(ev, a), account: a.address, requestedStep: null, requests: 0 },
        ev,
        Date.now(),
      ),
    // A claim on a pool that has money again: one claim job for this state pays it.
    // Its id names the market's state too (its slot): a pool that receives money again asks again.
    claim: (a, ev, market) => {
      const slot = d.feed.markets.get(market)?.slot ?? 0;
      decide(
        "claim",
        {
          ...observation(ev, a),
          stepKey: `${ev.stepKey}-${market}-${slot}`,
          account: a.address,
          requestedStep: null,
          requests: 0,
        },
        ev,
        Date.now(),
        market,
      );
    },
    persist: (account, snapshot) => d.snapshots.write(account, snapshot),
    transition: (account, from, to) => {
      d.log.decision(`state ${from ?? "none"} → ${to}`, { account, jobId: null, state: to });
      if (to === "bankrupt") {
        d.alerts?.raise("bankruptcy", "critical", account, "Account bankrupt: its deficit goes to the insurance fund", {
          account,
          from: from ?? "none",
        });
      }
      d.onTransition(account, from, to);
    },
  };
}

/** The oracle a wait reason names as one the program would refuse (stale, too uncertain, invalid) or as too old. */
export function unusableOracle(reason: string): string | null {
  const refused = /^(?:stale-oracle|oracle-too-uncertain|invalid-oracle-price|oracle-from-future) on (\S+)/.exec(
    reason,
  );
  if (refused) return refused[1];
  const old = /^price of (\S+) is \d+ slots old/.exec(reason);
  return old ? old[1] : null;
}
