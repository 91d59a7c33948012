// What a step leaves behind as it goes: its audit records, its decision log lines and its metrics,
// shaped in one place. The worker calls these (jobs/worker.ts StepContext); the orchestrator adds
// what the rest of the process does with a settled step.
import type { StepJob } from "../jobs/steps.js";
import type { Prepared } from "../jobs/submitter.js";
import type { StepContext } from "../jobs/worker.js";
import type { AuditLog } from "./audit.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

export type StepRecords = Pick<StepContext, "onDryRun" | "onSent" | "onResend" | "onSettled">;

/** What every `sent` record says of its step and transaction. */
const sent = (job: StepJob, id: string, prepared: Prepared) => ({
  event: "sent",
  kind: job.kind,
  account: job.account,
  jobId: id,
  liquidationId: job.liquidationId,
  signature: prepared.signature,
  computeUnitLimit: prepared.computeUnitLimit,
  priorityFeeMicroLamports: prepared.priorityFeeMicroLamports,
});

export function stepRecords(audit: AuditLog, metrics: Metrics, log: Logger, instanceId: string): StepRecords {
  return {
    onDryRun: (job, id, simulated, ev) => {
      metrics.dryRunSteps.inc({ kind: job.kind, result: simulated.err ? "would-fail" : "would-succeed" });
      audit.append({
        event: "dry-run",
        kind: job.kind,
        account: job.account,
        jobId: id,
        liquidationId: job.liquidationId,
        market: job.market,
        simulatedError: simulated.err,
        code: simulated.code,
        logs: simulated.logs.slice(-8),
        health: ev.health,
        prices: ev.prices,
        instance: instanceId,
      });
      log.decision(simulated.err ? "dry run: step would fail" : "dry run: step would succeed", {
        account: job.account,
        jobId: id,
        state: job.kind,
        code: simulated.code,
      });
    },
    onSent: (job, id, prepared, ev) => {
      metrics.txSent.inc({ kind: job.kind });
      audit.append({ ...sent(job, id, prepared), health: ev.health, prices: ev.prices, instance: instanceId });
    },
    onResend: async (job, id, prepared) => {
      audit.append({ ...sent(job, id, prepared), resent: true, instance: instanceId });
      // On record before the bytes go out; a failure here refuses the resend (the job retries).
      await audit.flush();
    },
    onSettled: (job, id, result) => {
      if (result.outcome === "confirmed") {
        metrics.detectionToConfirmation.observe({ kind: job.kind }, (Date.now() - job.detectedAtMs) / 1000);
        audit.append({
          event: "confirmed",
          kind: job.kind,
          account: job.account,
          jobId: id,
          signature: result.signature,
          slot: result.slot,
          detectedAtMs: job.detectedAtMs,
          latencyMs: Date.now() - job.detectedAtMs,
          instance: instanceId,
        });
      } else {
        audit.append({
          event: "not-needed",
          kind: job.kind,
          account: job.account,
          jobId: id,
          reason: result.reason,
          instance: instanceId,
        });
      }
      log.decision(result.outcome === "confirmed" ? "step confirmed" : "step not needed", {
        account: job.account,
        jobId: id,
        state: job.kind,
        signature: result.signature,
        reason: result.reason,
      });
    },
  };
}
