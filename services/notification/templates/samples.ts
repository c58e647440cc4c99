/**
 * Sample payloads, one per kind: what `boxoffice mail preview KIND` renders, and what the template
 * tests start from. The names carry markup characters on purpose (HTML escaping shows in preview).
 */
import type { EventInfo, NotificationKind, PayloadInput } from "../domain/kinds.js";

const event: EventInfo = {
  eventId: "0192a7f0-0000-7000-8000-000000000e01",
  name: "Spring Gala <Live> & Friends",
  // 19:00 UTC = 20:00 in Berlin (CET, before the switch to summer time on 29 March 2026)
  startTime: "2026-03-14T19:00:00.000Z",
  timeZone: "Europe/Berlin",
  venueName: "Philharmonie",
  venueAddress: "Herbert-von-Karajan-Straße 1, Berlin",
};
const orderId = "0192a7f0-0000-7000-8000-0000000000a1";
const link = (path: string) => `https://boxoffice.example/${path}?token=sample-token-1234`;
const expireTime = "2026-03-02T09:30:00.000Z";

export const samples: { [K in NotificationKind]: PayloadInput<K> } = {
  WELCOME: { verification: { url: link("verify-email"), expireTime } },
  EMAIL_VERIFICATION: { verification: { url: link("verify-email"), expireTime } },
  PASSWORD_RESET: { reset: { url: link("reset-password"), expireTime } },
  ORDER_CONFIRMED: {
    orderId,
    event,
    tickets: [
      {
        ticketId: "0192a7f0-0000-7000-8000-0000000000t1",
        section: "Block A",
        row: "3",
        seat: "12",
        code: "BX1.AAAA-1111",
      },
      {
        ticketId: "0192a7f0-0000-7000-8000-0000000000t2",
        section: "Block A",
        row: "3",
        seat: "13",
        code: "BX1.BBBB-2222",
      },
      { ticketId: "0192a7f0-0000-7000-8000-0000000000t3", section: "Standing", code: "BX1.CCCC-3333" },
    ],
    total: { currencyCode: "EUR", amountMinor: 14850 },
    confirmTime: "2026-03-01T09:30:00.000Z",
  },
  ORDER_FAILED: { orderId, event, reason: "PAYMENT_DECLINED" },
  ORDER_CANCELLED: {
    orderId,
    event,
    reason: "Asked by the buyer",
    refund: { currencyCode: "EUR", amountMinor: 14850 },
  },
  EVENT_CANCELLED: {
    orderId,
    event,
    eventReason: "The soloist is ill <sadly>.",
    refund: { currencyCode: "EUR", amountMinor: 14850 },
  },
  PAYMENT_REFUNDED: {
    orderId,
    event,
    amount: { currencyCode: "EUR", amountMinor: 4950 },
    totalRefunded: { currencyCode: "EUR", amountMinor: 4950 },
    fullyRefunded: false,
  },
  EVENT_RESCHEDULED: {
    orderId,
    event: { ...event, startTime: "2026-04-18T18:30:00.000Z" },
    previousStartTime: event.startTime,
  },
};

/** The recipient the samples are addressed to. */
export const sampleRecipient = { email: "ana@example.com", name: "Ana O'Neil" };
