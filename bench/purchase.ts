/**
 * The purchase path of an on-sale, through the one port: HoldSeats (one GA place) → Checkout with
 * `sandbox_ok` → CONFIRMED, by `concurrency` buyers at once. Reports purchases/s and the
 * hold-to-confirmed latency (from the hold's request to the CONFIRMED order), next to the rate of
 * holds alone measured in the same run on the same event (the ceiling a purchase is bounded by).
 *
 * `make bench` calls it after the event scenarios (bench/run.ts); the event is created and
 * published through EventService and sold once the ticket service has materialised it.
 */
import { randomUUID } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { OrderState } from "../gen/boxoffice/ticket/v1/order_pb.js";
import { TicketService } from "../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { measure, row } from "./load.js";

/** Where to sell: an on-sale event and one of its general-admission sections. */
export interface PurchaseTarget {
  readonly eventId: string;
  readonly sectionId: string;
}

export interface PurchaseBench {
  readonly baseUrl: string;
  /** Where auth answers when it is not `baseUrl` (split processes). */
  readonly authUrl?: string;
  /** The admin's call options (creates the venue and the event). */
  readonly asAdmin: CallOptions;
  readonly seconds: number;
  readonly concurrency: number;
  /** Another way to open the event (a test process without the event service). */
  readonly open?: () => Promise<PurchaseTarget>;
}

/** A published event with one large GA section, once the ticket service sells it. */
export async function publishedGaEvent(baseUrl: string, asAdmin: CallOptions): Promise<PurchaseTarget> {
  const transport = createGrpcTransport({ baseUrl });
  const events = createClient(EventService, transport);
  const ticket = createClient(TicketService, transport);
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: "Bench Stadium",
        addressLine: "Rua 2",
        city: "Porto",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections: [{ name: "Field", kind: { case: "generalAdmission", value: { capacity: 100_000 } } }],
      },
    },
    asAdmin,
  );
  const now = Date.now();
  const { event } = await events.createEvent(
    {
      requestId: randomUUID(),
      event: {
        venueId: venue!.id,
        name: "Bench on-sale",
        startTime: timestampFromMs(now + 30 * 86_400_000),
        endTime: timestampFromMs(now + 30 * 86_400_000 + 3 * 3600_000),
        salesStartTime: timestampFromMs(now - 1000),
        salesEndTime: timestampFromMs(now + 30 * 86_400_000),
        maxTicketsPerOrder: 10,
        maxTicketsPerBuyer: 200,
        priceTiers: [{ sectionId: venue!.sections[0]!.id, price: { currencyCode: "EUR", amountMinor: 6000n } }],
      },
    },
    asAdmin,
  );
  await events.publishEvent({ requestId: randomUUID(), eventId: event!.id }, asAdmin);
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await ticket.getAvailability({ eventId: event!.id });
      return { eventId: event!.id, sectionId: venue!.sections[0]!.id };
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function benchPurchase(o: PurchaseBench): Promise<{ lines: string[]; errors: number }> {
  const transport = createGrpcTransport({ baseUrl: o.baseUrl });
  const auth = createClient(AuthService, o.authUrl ? createGrpcTransport({ baseUrl: o.authUrl }) : transport);
  const ticket = createClient(TicketService, transport);
  const target = await (o.open ?? (() => publishedGaEvent(o.baseUrl, o.asAdmin)))();
  const buyers = await Promise.all(
    Array.from({ length: o.concurrency }, async (_, i) => {
      const email = `buyer-${i}-${randomUUID().slice(0, 8)}@example.com`;
      const password = `bench-buyer-${randomUUID()}`;
      await auth.register({ requestId: randomUUID(), email, password, displayName: `Buyer ${i}` });
      const { tokens } = await auth.login({ email, password });
      return { headers: { authorization: `Bearer ${tokens!.accessToken}` } } satisfies CallOptions;
    }),
  );
  const hold = (w: number) =>
    ticket.holdSeats(
      {
        requestId: randomUUID(),
        eventId: target.eventId,
        items: [{ kind: { case: "generalAdmission", value: { sectionId: target.sectionId, quantity: 1 } } }],
      },
      buyers[w]!,
    );
  // holds alone (each buyer's new hold releases the previous one): the ceiling of a purchase
  await measure(o.concurrency, 300, hold);
  const holds = await measure(o.concurrency, o.seconds * 1000, hold);
  const purchases = await measure(o.concurrency, o.seconds * 1000, async (w) => {
    const { hold: h } = await hold(w);
    const { order } = await ticket.checkout(
      { requestId: randomUUID(), holdId: h!.id, paymentToken: "sandbox_ok" },
      buyers[w]!,
    );
    let state = order!.state;
    if (state === OrderState.PENDING_PAYMENT)
      for await (const u of ticket.watchOrder({ orderId: order!.id }, buyers[w]!))
        if (u.update.case === "order") state = u.update.value.state;
    if (state !== OrderState.CONFIRMED) throw new Error(`order ${order!.id} ended ${OrderState[state]}`);
  });
  return {
    errors: holds.errors + purchases.errors,
    lines: [
      row("HoldSeats, 1 GA place (the purchase's ceiling)", holds),
      row("purchase: hold → checkout → CONFIRMED", purchases),
      `${"purchases vs holds".padEnd(44)} ${((purchases.perSec / Math.max(holds.perSec, 1e-9)) * 100).toFixed(0)}% of the hold rate; p50/p99 hold-to-confirmed ${purchases.p50Ms.toFixed(1)} / ${purchases.p99Ms.toFixed(1)} ms`,
    ],
  };
}
