/** One line about the live availability of an event page: live, reconnecting, closed or unavailable. */
import { Code } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { Notice } from "../components/form.js";
import type { Event } from "../gen/boxoffice/event/v1/event_pb.js";
import { formatDateTime } from "../lib/format.js";
import type { LiveAvailability } from "../lib/use-availability.js";

export function AvailabilityStatus(props: { live: LiveAvailability; event: Event }) {
  const { live, event } = props;
  const [, tick] = useState(0);
  useEffect(() => {
    if (live.stream.kind !== "retrying") return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [live.stream]);
  if (live.problem) {
    const why =
      live.problem.code === Code.Unimplemented
        ? "the ticket service is not running yet"
        : live.problem.message.replace(/\.$/, "").toLowerCase();
    return (
      <Notice kind="warning" testId="availability-status">
        Live availability is not available right now ({why}). You can look at the seat map, but places cannot be held
        until it is back.
      </Notice>
    );
  }
  const s = live.stream;
  if (s.kind === "retrying") {
    const wait = Math.max(0, Math.ceil((s.retryAtMs - Date.now()) / 1000));
    const text =
      s.problem?.code === Code.NotFound
        ? "Seats for this event are being prepared; this page fills in by itself."
        : `Connection to live availability lost; reconnecting ${wait > 0 ? `in ${wait} s` : "now"}…`;
    return (
      <Notice kind="info" testId="availability-status">
        {text}
      </Notice>
    );
  }
  if (live.onSale === false) {
    const opens = event.salesStartTime && Number(event.salesStartTime.seconds) * 1000 > Date.now();
    return (
      <Notice kind="info" testId="availability-status">
        {opens
          ? `Sales open ${formatDateTime(event.salesStartTime, event.timeZone)}.`
          : "Sales for this event have closed."}
      </Notice>
    );
  }
  return (
    <p class="live" role="status" data-testid="availability-status">
      {s.kind === "live" ? "Live: seats update as they are held and sold." : "Connecting to live availability…"}
    </p>
  );
}
