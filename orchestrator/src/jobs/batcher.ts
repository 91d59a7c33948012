// Several steps in one transaction. Jobs stay one per step (their ids, locks, retries and stored
// transactions are as before); the steps whose jobs reach signing in the same turn of the event
// loop share transactions, as many as fit in the packet limit, the compute limit and
// `maxStepsPerTransaction`, at most one per margin account. A shared transaction is sent once
// every one of its steps' jobs has stored it and still holds its lock; if any of them drops out
// first, it is never sent and the others start again at once. It is atomic on chain: all of its
// steps land or none, and when one step's instruction fails that step gets the program's error
// and the others start again. Whether a shared transaction is sent or abandoned is decided once,
// in Redis, for every orchestrator (DecideShared): a job that took a step over from a dead process
// resends the stored transaction under "send" and signs anew under "abandon" (jobs/worker.ts).
import type { TransactionInstruction } from "@solana/web3.js";
import type { MessageSize } from "./message.js";
import {
  BUDGET_INSTRUCTIONS,
  MAX_TRANSACTION_BYTES,
  MAX_TRANSACTION_UNITS,
  ProgramFailure,
  type Prepared,
  type Step,
  type Submitted,
  type Submitter,
} from "./submitter.js";

/** The transaction this step shared was not sent, or failed on another step's instruction: it never lands, so the step may start again at once. */
export class SharedTransactionLost extends Error {}

/**
 * This process gave up on a shared transaction, but a job that took one of its steps over (in
 * another orchestrator) had already decided to send it: it may land, so its steps must not be
 * signed anew; the job retries and finds the transaction's fate.
 */
export class SharedTransactionTakenOver extends Error {}

export type SharedChoice = "send" | "abandon";
/**
 * Decides a shared transaction's fate once, for every orchestrator on the Redis: the first choice
 * made for `signature` wins and is returned to every later caller (jobs/queues.ts
 * sharedDecisions). A shared transaction is sent only under "send"; its steps are signed anew
 * only under "abandon". So a job that takes a step over from a dead process can settle a stored,
 * unsent transaction at once instead of waiting for its blockhash to expire.
 */
export type DecideShared = (signature: string, choice: SharedChoice) => Promise<SharedChoice>;

/** A decider for one process alone (tests, a single orchestrator without Redis decisions). */
export function localDecisions(): DecideShared {
  const made = new Map<string, SharedChoice>();
  return async (signature, choice) => {
    if (!made.has(signature)) made.set(signature, choice);
    return made.get(signature)!;
  };
}

export interface Ticket {
  prepared: Prepared;
  /** How many steps share the transaction. */
  steps: number;
  /** The job stored the transaction and holds its lock: send once every step's job is ready, and wait for the outcome. */
  send(): Promise<Submitted>;
  /** The job cannot go on (lock lost, store failed): the transaction is never sent by this process. */
  abandon(reason: string): void;
}

interface Waiting {
  ix: TransactionInstruction;
  step: Step;
  resolve(t: Ticket): void;
  reject(e: unknown): void;
}

/** One shared transaction: sent when all its steps are ready and "send" is decided, never after one abandoned it. */
class Shared {
  private pending: number;
  private outcome: Promise<Submitted> | null = null;
  private readonly gate: Promise<void>;
  private open!: () => void;

  constructor(
    readonly prepared: Prepared,
    readonly steps: number,
    private readonly sendOnce: (p: Prepared) => Promise<Submitted>,
    private readonly decide: DecideShared,
  ) {
    this.pending = steps;
    this.gate = new Promise<void>((res) => (this.open = res));
  }

  async send(position: number): Promise<Submitted> {
    if (this.outcome === null && --this.pending === 0) {
      const signature = this.prepared.signature;
      // Whatever goes wrong on the way out is every step's answer: nobody waits forever.
      this.outcome = (this.steps === 1 ? Promise.resolve<SharedChoice>("send") : this.decide(signature, "send")).then(
        (choice) => {
          if (choice !== "send")
            throw new SharedTransactionLost(
              `transaction ${signature} was abandoned by a job that took one of its steps over`,
            );
          return this.sendOnce(this.prepared);
        },
      );
      this.open();
    }
    await this.gate;
    try {
      return await this.outcome!;
    } catch (e) {
      throw this.forStep(e, position);
    }
  }

  abandon(reason: string): void {
    if (this.outcome !== null) return;
    const signature = this.prepared.signature;
    // The steps are signed anew only once "abandon" is on record: a job elsewhere may be about to send it.
    this.outcome = (
      this.steps === 1 ? Promise.resolve<SharedChoice>("abandon") : this.decide(signature, "abandon")
    ).then((choice) => {
      if (choice === "abandon")
        throw new SharedTransactionLost(
          `a step sharing transaction ${signature} dropped out before it was sent (${reason})`,
        );
      throw new SharedTransactionTakenOver(`transaction ${signature} is sent by a job that took one of its steps over`);
    });
    this.outcome.catch(() => {});
    this.open();
  }

  /** A failed instruction is its own step's answer; to the others it is a transaction that never landed. */
  private forStep(e: unknown, position: number): unknown {
    if (this.steps === 1 || !(e instanceof ProgramFailure) || e.instruction === null) return e;
    if (e.instruction === BUDGET_INSTRUCTIONS + position) return e;
    return new SharedTransactionLost(
      `another step's instruction (${e.instruction}) failed in transaction ${this.prepared.signature}: ${e.message}`,
    );
  }
}

export class StepBatcher {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly submitter: Submitter,
    private readonly opts: { maxStepsPerTransaction: number },
    /** Just before a transaction goes out (the audit log writes its lines). */
    private readonly beforeSend: () => void | Promise<void> = () => {},
    private readonly decide: DecideShared = localDecisions(),
  ) {}

  /** Signs the step's instruction into a transaction, shared with the steps that reach this point in the same turn. */
  prepare(ix: TransactionInstruction, step: Step): Promise<Ticket> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ix, step, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const all = this.waiting;
    this.waiting = [];
    // Each step's compute (a simulation for a new shape answers a program error for that step alone).
    const sized = await Promise.all(
      all.map((w) =>
        this.submitter.unitsFor(w.ix, w.step).then(
          (units) => ({ w, units }),
          (e) => (w.reject(e), null),
        ),
      ),
    );
    let groups: { w: Waiting; units: number }[][];
    try {
      groups = this.pack(sized.filter((s): s is { w: Waiting; units: number } => s !== null));
    } catch (e) {
      for (const s of sized) s?.w.reject(e);
      return;
    }
    await Promise.all(groups.map((g) => this.sign(g)));
  }

  /** First come, first packed: each step joins the first transaction it fits in. */
  private pack(steps: { w: Waiting; units: number }[]): { w: Waiting; units: number }[][] {
    const groups: {
      members: { w: Waiting; units: number }[];
      units: number;
      accounts: Set<string>;
      size: MessageSize;
    }[] = [];
    const wire = (message: number) => 1 + 64 + message;
    for (const s of steps) {
      const fits = (g: (typeof groups)[number]) =>
        g.members.length < this.opts.maxStepsPerTransaction &&
        !g.accounts.has(s.w.step.account) &&
        g.units + s.units <= MAX_TRANSACTION_UNITS &&
        wire(g.size.with(s.w.ix)) <= MAX_TRANSACTION_BYTES;
      let group = groups.find(fits);
      if (!group)
        groups.push((group = { members: [], units: 0, accounts: new Set(), size: this.submitter.transactionSize() }));
      group.members.push(s);
      group.units += s.units;
      group.accounts.add(s.w.step.account);
      group.size.add(s.w.ix);
    }
    return groups.map((g) => g.members);
  }

  private async sign(group: { w: Waiting; units: number }[]): Promise<void> {
    try {
      const prepared = await this.submitter.prepare(
        group.map((m) => m.w.ix),
        group.map((m) => m.w.step),
        group.map((m) => m.units),
      );
      const shared = new Shared(
        prepared,
        group.length,
        async (p) => {
          await this.beforeSend();
          return this.submitter.send(p);
        },
        this.decide,
      );
      for (const [position, m] of group.entries()) {
        m.w.resolve({
          prepared: group.length > 1 ? { ...prepared, steps: group.length, position } : prepared,
          steps: group.length,
          send: () => shared.send(position),
          abandon: (reason) => shared.abandon(reason),
        });
      }
    } catch (e) {
      for (const m of group) m.w.reject(e);
    }
  }
}
