/** The round's verdict as the tables `make chaos` prints. Pure. */
import type { RoundResult } from "./round.js";

const secs = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);

/** The fault table, the invariant table, the 80 % rule; ok when nothing is violated and the round counts. */
export function renderRound(r: RoundResult): { text: string; ok: boolean } {
  const lines: string[] = [];
  lines.push(
    `  ${"fault".padEnd(30)} ${"checkouts in flight".padEnd(20)} ${"aim wait".padEnd(9)} ${"down".padEnd(9)} heal`,
  );
  for (const f of r.faults) {
    lines.push(
      `  ${f.name.padEnd(30)} ${String(f.checkoutsInFlight).padEnd(20)} ${secs(f.aimWaitMs).padEnd(9)} ${secs(f.downMs).padEnd(9)} ${f.healMs === undefined ? `NOT healed: ${f.healError}` : secs(f.healMs)}`,
    );
  }
  lines.push("");
  lines.push(`  ${"invariant".padEnd(96)} violations`);
  for (const i of r.invariants) {
    lines.push(`  ${i.title.padEnd(96)} ${i.violations}`);
    for (const e of i.examples) lines.push(`      ${e}`);
  }
  const share = r.okConfirmed.checkouts === 0 ? 0 : r.okConfirmed.confirmed / r.okConfirmed.checkouts;
  lines.push("");
  lines.push(
    `  sandbox_ok checkouts ended CONFIRMED: ${r.okConfirmed.confirmed} of ${r.okConfirmed.checkouts} (${(share * 100).toFixed(1)} %, at least 80 % needed)`,
  );
  for (const [why, n] of Object.entries(r.okConfirmed.others ?? {})) lines.push(`      ${n}× ${why}`);
  const left = r.leftUnsettled;
  lines.push(
    `  phases: stack ready ${secs(r.phases.stackMs)}, crowd and faults ${secs(r.phases.crowdMs)}, recovery ${secs(r.phases.recoveryMs)}${left.pendingOrders + left.pendingNotifications + left.confirmedWithoutEmail > 0 ? ` (ran out with ${left.pendingOrders} orders pending, ${left.pendingNotifications} notifications pending, ${left.confirmedWithoutEmail} confirmed orders not emailed)` : " (everything settled)"}`,
  );
  const unhealed = r.faults.filter((f) => f.healMs === undefined);
  const violations = r.invariants.reduce((n, i) => n + i.violations, 0);
  const counts = r.notCounted.length === 0;
  lines.push(`  round counts: ${counts ? "yes" : `NO — ${r.notCounted.join("; ")}`}`);
  lines.push(
    `  verdict (seed ${r.seed}, ${secs(r.durationMs)}): ${violations === 0 && counts && unhealed.length === 0 ? "PASS" : `FAIL — ${violations} violation(s)${unhealed.length > 0 ? `, ${unhealed.length} fault(s) not healed` : ""}`}`,
  );
  return { text: lines.join("\n"), ok: violations === 0 && counts && unhealed.length === 0 };
}
