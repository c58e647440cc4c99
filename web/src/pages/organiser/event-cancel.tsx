/** Cancelling an event: a reason (shown to ticket holders) and an explicit confirmation. */
import { useState } from "preact/hooks";
import { eventClient } from "../../api/clients.js";
import { type Problem, problemOf } from "../../api/errors.js";
import { newRequestId } from "../../api/ids.js";
import { ErrorSummary } from "../../components/form.js";
import type { Event as BoxEvent } from "../../gen/boxoffice/event/v1/event_pb.js";

export function CancelEventForm(props: { event: BoxEvent; onCancelled(e: BoxEvent): void }) {
  const [reason, setReason] = useState("");
  const [sure, setSure] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const cancel = async (e: Event) => {
    e.preventDefault();
    try {
      const res = await eventClient.cancelEvent({ requestId: newRequestId(), eventId: props.event.id, reason });
      if (res.event) props.onCancelled(res.event);
    } catch (err) {
      setProblem(problemOf(err));
    }
  };
  return (
    <details class="danger-zone">
      <summary>Cancel this event</summary>
      <ErrorSummary problem={problem} fieldIds={{ reason: "cancel-reason" }} title="The event could not be cancelled" />
      <form onSubmit={cancel}>
        <div class={problem?.fields.reason ? "field field--error" : "field"}>
          <label for="cancel-reason">Reason (shown to ticket holders)</label>
          {problem?.fields.reason && <p class="field-error">{problem.fields.reason}</p>}
          <textarea
            id="cancel-reason"
            rows={3}
            maxLength={500}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </div>
        <label class="radio">
          <input type="checkbox" checked={sure} onChange={(e) => setSure(e.currentTarget.checked)} />
          Yes: stop sales, cancel every order and refund the buyers.
        </label>
        <button type="submit" class="danger" disabled={!sure || reason.trim() === ""}>
          Cancel event
        </button>
      </form>
    </details>
  );
}
