/** The buyer's active hold on an event page: what is held, the time left, checkout or release. */
import { useState } from "preact/hooks";
import { ticketClient } from "../api/clients.js";
import { type Problem, problemOf } from "../api/errors.js";
import { newRequestId } from "../api/ids.js";
import type { Hold } from "../gen/boxoffice/ticket/v1/hold_pb.js";
import { formatMoney } from "../lib/format.js";
import { forgetHold, holdExpireMs } from "../lib/purchase.js";
import { Link } from "../router.js";
import { Countdown } from "./countdown.js";
import { ErrorSummary } from "./form.js";

/** "Stalls, row A, seat 5" or "Standing × 3". */
export function placeText(sectionName: string | undefined, row: string, seat: string, quantity = 1): string {
  const where = sectionName ?? "Section";
  return row ? `${where}, row ${row}, seat ${seat}` : `${where} × ${quantity}`;
}

export function holdLines(hold: Hold, sectionName: (id: string) => string | undefined): string[] {
  return hold.items.map((i) =>
    i.kind.case === "seat"
      ? placeText(sectionName(i.kind.value.sectionId), i.kind.value.rowLabel, i.kind.value.seatLabel)
      : i.kind.case === "generalAdmission" || i.kind.case === "bestAvailable"
        ? placeText(sectionName(i.kind.value.sectionId), "", "", i.kind.value.quantity)
        : "",
  );
}

export function HoldPanel(props: { hold: Hold; sectionName(id: string): string | undefined; onGone(): void }) {
  const [problem, setProblem] = useState<Problem | undefined>();
  const release = async () => {
    try {
      await ticketClient.releaseHold({ requestId: newRequestId(), holdId: props.hold.id });
      forgetHold(props.hold.id);
      props.onGone();
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  return (
    <section class="panel hold" aria-labelledby="hold-heading" data-testid="hold-panel">
      <h2 id="hold-heading">Held for you</h2>
      <ul>
        {holdLines(props.hold, props.sectionName).map((l) => (
          <li key={l}>{l}</li>
        ))}
      </ul>
      <p>
        Total {formatMoney(props.hold.total)} · time left{" "}
        <Countdown untilMs={holdExpireMs(props.hold)} onExpire={props.onGone} />
      </p>
      <ErrorSummary problem={problem} title="The hold could not be released" />
      <p class="actions">
        <Link class="button primary" href={`/checkout/${props.hold.id}`}>
          Continue to checkout
        </Link>
        <button type="button" onClick={release}>
          Release these places
        </button>
      </p>
    </section>
  );
}
