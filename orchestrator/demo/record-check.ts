// The check the demo, the end-to-end tests and the wave bench apply to the program's own records of
// each step: the account was below its threshold when the step executed (and back at its
// liquidation-end level when unflagged), and no liquidation step appears twice. Fed the events Anchor's EventParser reads from transaction logs.
const big = (v: { toString(): string }) => BigInt(v.toString());

export type EventData = Record<string, { toString(): string }>;

export class RecordCheck {
  flags = 0;
  liquidationSteps = 0;
  resolutions = 0;
  unflags = 0;
  duplicateSteps = 0;
  touchedWhileHealthy: string[] = [];
  private readonly steps = new Set<string>();

  add(name: string, d: EventData): void {
    if (name === "accountFlagged") {
      this.flags++;
      if (big(d.equity) >= big(d.maintenanceRequirement)) this.touchedWhileHealthy.push(`${d.marginAccount} (flag)`);
    } else if (name === "liquidationRecord") {
      this.liquidationSteps++;
      // The program liquidates below maintenance, or a flagged account below liquidation-end.
      if (big(d.equityBefore) >= big(d.liquidationEndBefore))
        this.touchedWhileHealthy.push(`${d.marginAccount} (liquidation)`);
      const key = `${d.marginAccount}|${d.liquidationId}|${d.equityBefore}|${d.closedBase}`;
      if (this.steps.has(key)) this.duplicateSteps++;
      this.steps.add(key);
    } else if (name === "bankruptcyResolved") this.resolutions++;
    else if (name === "accountUnflagged") {
      this.unflags++;
      if (big(d.equity) < big(d.liquidationEndRequirement))
        this.touchedWhileHealthy.push(`${d.marginAccount} (unflagged below liquidation-end)`);
    }
  }
}
