/**
 * Checkout of a hold: what is held, the time left, a sandbox card, pay. Safe to reload at any
 * point: the hold comes from storage (lib/purchase.ts); a checkout that was sent before the reload
 * is found again through ListOrders (orders carry their hold id) instead of being sent twice.
 */
import { useEffect, useState } from "preact/hooks";
import { eventClient, ticketClient } from "../api/clients.js";
import { type Problem, problemOf } from "../api/errors.js";
import { newRequestId } from "../api/ids.js";
import { currentUser } from "../api/session.js";
import { Countdown } from "../components/countdown.js";
import { ErrorSummary, Notice } from "../components/form.js";
import { holdLines } from "../components/hold-panel.js";
import { Loading, PageHeading } from "../components/page.js";
import { VenueView } from "../gen/boxoffice/event/v1/venue_pb.js";
import { formatMoney } from "../lib/format.js";
import { forgetHold, holdExpired, holdExpireMs, loadPurchase, noteCheckout } from "../lib/purchase.js";
import { useCall } from "../lib/use-call.js";
import { Link, navigate } from "../router.js";

/** The sandbox provider's test tokens (see docs/payment.md), as cards a tester can pick. */
export const SANDBOX_CARDS = [
  { token: "sandbox_ok", label: "Test card: payment succeeds" },
  { token: "sandbox_declined", label: "Test card: declined by the bank" },
  { token: "sandbox_insufficient_funds", label: "Test card: insufficient funds" },
  { token: "sandbox_error", label: "Test card: the payment provider fails" },
  { token: "sandbox_slow", label: "Test card: slow payment (settles after a while)" },
  { token: "sandbox_lost_answer", label: "Test card: the provider's answer is lost (settled later)" },
] as const;

export function CheckoutPage(props: { holdId: string }) {
  const user = currentUser.value;
  const purchase = user ? loadPurchase(user.id, props.holdId) : undefined;
  const hold = purchase?.hold;
  const [card, setCard] = useState<string>(SANDBOX_CARDS[0].token);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  // After PAYMENT_UNAVAILABLE (nothing charged, the order waits) paying again with the same card is
  // a retry of the same request: it charges that order instead of finding the hold converted.
  const [retry, setRetry] = useState<{ requestId: string; card: string } | undefined>();
  const [expired, setExpired] = useState(() => (hold ? holdExpired(hold) : false));
  const names = useCall(
    async (signal) => {
      if (!hold) return new Map<string, string>();
      const { event } = await eventClient.getEvent({ eventId: hold.eventId }, { signal });
      const { venue } = await eventClient.getVenue(
        { venueId: event?.venueId ?? "", view: VenueView.BASIC },
        { signal },
      );
      return new Map((venue?.sections ?? []).map((s) => [s.id, s.name]));
    },
    [hold?.eventId],
  );

  // Sent before a reload? Then the order exists: find it rather than paying twice.
  const [recovering, setRecovering] = useState(purchase?.checkoutRequestId !== undefined);
  useEffect(() => {
    if (purchase?.orderId) return navigate(`/orders/${purchase.orderId}`, { replace: true });
    if (!recovering || !hold) return;
    void findOrder(hold.eventId, hold.id).then((orderId) => {
      if (orderId) {
        noteCheckout(hold.id, { orderId });
        navigate(`/orders/${orderId}`, { replace: true });
      } else setRecovering(false);
    });
  }, [props.holdId]);

  if (!hold) {
    return (
      <section>
        <PageHeading title="Checkout" />
        <Notice kind="warning">
          This hold is not known in this browser (it may have been used or have expired).{" "}
          <Link href="/">Choose an event</Link> to start again.
        </Notice>
      </section>
    );
  }
  if (recovering) return <Loading what="your payment" />;

  const pay = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const requestId = retry?.card === card ? retry.requestId : newRequestId();
    setRetry(undefined);
    noteCheckout(hold.id, { checkoutRequestId: requestId });
    try {
      const { order } = await ticketClient.checkout({ requestId, holdId: hold.id, paymentToken: card });
      if (!order) throw new Error("no order in the answer");
      noteCheckout(hold.id, { orderId: order.id });
      navigate(`/orders/${order.id}`);
    } catch (err) {
      const p = problemOf(err, { sectionName: (id) => names.data?.get(id) });
      if (p.reason === "PAYMENT_UNAVAILABLE") setRetry({ requestId, card });
      if (p.reason === "HOLD_NOT_ACTIVE" && p.metadata.state === "CONVERTED") {
        const orderId = await findOrder(hold.eventId, hold.id);
        if (orderId) return navigate(`/orders/${orderId}`);
      }
      if (p.reason === "HOLD_NOT_ACTIVE") forgetHold(hold.id);
      setProblem(p);
    } finally {
      setBusy(false);
    }
  };
  const sectionName = (id: string) => names.data?.get(id);
  return (
    <section class="narrow">
      <PageHeading title="Checkout" />
      <section class="panel" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Your places</h2>
        <ul data-testid="checkout-lines">
          {holdLines(hold, sectionName).map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
        <p class="total">Total {formatMoney(hold.total)}</p>
        {expired ? (
          <Notice kind="warning">
            Your hold has expired and the places went back on sale.{" "}
            <Link href={`/events/${hold.eventId}`}>Choose again</Link>.
          </Notice>
        ) : (
          <p>
            Held for you for <Countdown untilMs={holdExpireMs(hold)} onExpire={() => setExpired(true)} />.
          </p>
        )}
      </section>
      <ErrorSummary problem={problem} title="The payment did not go through" />
      <form onSubmit={pay}>
        <fieldset class="cards-choice">
          <legend>Payment card (sandbox: no real money moves)</legend>
          {SANDBOX_CARDS.map((c) => (
            <label key={c.token} class="radio">
              <input
                type="radio"
                name="card"
                value={c.token}
                checked={card === c.token}
                onChange={() => setCard(c.token)}
              />
              {c.label}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={busy || expired}>
          {busy ? "Paying…" : `Pay ${formatMoney(hold.total)}`}
        </button>
      </form>
      <p>
        <Link href={`/events/${hold.eventId}`}>Back to the event</Link>
      </p>
    </section>
  );
}

/** The order made from `holdId`, found among the caller's orders for the event. */
async function findOrder(eventId: string, holdId: string): Promise<string | undefined> {
  try {
    const { orders } = await ticketClient.listOrders({ eventId, pageSize: 50 });
    return orders.find((o) => o.holdId === holdId)?.id;
  } catch {
    return undefined;
  }
}
