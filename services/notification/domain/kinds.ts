/**
 * What each kind of notification says, as data: the payload a consumer stores with the
 * notification (JSON) and the templates render at send time. Kinds are the names of the proto's
 * NotificationKind without the prefix (ORDER_CONFIRMED ↔ NOTIFICATION_KIND_ORDER_CONFIRMED); the
 * ones the proto does not have yet are proposed in docs/notification.md.
 *
 * Payloads are validated when they are enqueued and again when they are read back, so a template
 * never sees a half-filled fact, and a payload that no longer parses fails that one notification
 * permanently instead of crashing the sender.
 */
import { z } from "zod";
import { knownCurrency, validTimeZone } from "./money-time.js";

export const notificationKinds = [
  "WELCOME",
  "EMAIL_VERIFICATION",
  "PASSWORD_RESET",
  "ORDER_CONFIRMED",
  "ORDER_FAILED",
  "ORDER_CANCELLED",
  "EVENT_CANCELLED",
  "PAYMENT_REFUNDED",
  "EVENT_RESCHEDULED",
] as const;

/** A NotificationKind name without its prefix. */
export type NotificationKind = (typeof notificationKinds)[number];

export const isNotificationKind = (s: string): s is NotificationKind =>
  (notificationKinds as readonly string[]).includes(s);

const id = z.string().min(1).max(64);
const instant = z.iso.datetime({ offset: true });
/** Only http(s): a link in an email must never be javascript: or data:. */
const link = z.url({ protocol: /^https?$/ }).max(2000);

export const moneySchema = z.strictObject({
  currencyCode: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .refine(knownCurrency, "not an ISO 4217 currency"),
  amountMinor: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
export type Money = z.infer<typeof moneySchema>;

/** The event as an email shows it; times are rendered in its own time zone. */
export const eventInfoSchema = z.strictObject({
  eventId: id,
  name: z.string().min(1).max(200),
  startTime: instant,
  /** IANA zone of the venue, e.g. "Europe/Berlin" */
  timeZone: z.string().refine(validTimeZone, "not an IANA time zone"),
  venueName: z.string().max(200).default(""),
  /** one line: street, city */
  venueAddress: z.string().max(400).default(""),
});
export type EventInfo = z.infer<typeof eventInfoSchema>;

/** One issued ticket: where it admits to, and the code the door scans. */
export const ticketInfoSchema = z.strictObject({
  ticketId: id,
  /** section name; for general admission the tier/area name */
  section: z.string().min(1).max(100),
  /** empty for general admission */
  row: z.string().max(20).default(""),
  seat: z.string().max(20).default(""),
  code: z.string().min(1).max(1000),
});
export type TicketInfo = z.infer<typeof ticketInfoSchema>;

const accountLink = z.strictObject({ url: link, expireTime: instant });

export const payloadSchemas = {
  /**
   * UserRegistered: welcome, with the email-verification link; null when the event carries no
   * verification token (events from before auth issued them).
   */
  WELCOME: z.strictObject({ verification: accountLink.nullable() }),
  EMAIL_VERIFICATION: z.strictObject({ verification: accountLink }),
  PASSWORD_RESET: z.strictObject({ reset: accountLink }),
  /** OrderConfirmed: the tickets, each with its place and code (also as a QR image). */
  ORDER_CONFIRMED: z.strictObject({
    orderId: id,
    event: eventInfoSchema,
    tickets: z.array(ticketInfoSchema).min(1).max(100),
    total: moneySchema,
    confirmTime: instant,
  }),
  /** OrderFailed: nothing was charged (or it will be refunded), the places are released. */
  ORDER_FAILED: z.strictObject({
    orderId: id,
    event: eventInfoSchema,
    /** Order.failure_reason, e.g. PAYMENT_DECLINED */
    reason: z.string().max(100),
  }),
  /** OrderCancelled for any reason but the event's cancellation. */
  ORDER_CANCELLED: z.strictObject({
    orderId: id,
    event: eventInfoSchema,
    /** Order.cancel_reason as given to CancelOrder; may be empty */
    reason: z.string().max(500),
    /** set when the order was paid: this amount is refunded (a PAYMENT_REFUNDED follows) */
    refund: moneySchema.nullable(),
  }),
  /** The OrderCancelled whose reason is the event's cancellation: one per order, a refund follows. */
  EVENT_CANCELLED: z.strictObject({
    orderId: id,
    event: eventInfoSchema,
    /** the organiser's reason (EventCancelled.reason); may be empty */
    eventReason: z.string().max(500),
    /** null when nothing was paid */
    refund: moneySchema.nullable(),
  }),
  PAYMENT_REFUNDED: z.strictObject({
    orderId: id,
    /**
     * PaymentRefunded does not say which event: it comes from what this service was told about the
     * order (its cancellation or failure); null when nothing was heard about the order in time.
     */
    event: eventInfoSchema.nullable(),
    amount: moneySchema,
    totalRefunded: moneySchema,
    fullyRefunded: z.boolean(),
  }),
  /** EventUpdated with a new start time, once per order: `event.startTime` is the new one. */
  EVENT_RESCHEDULED: z.strictObject({
    orderId: id,
    event: eventInfoSchema,
    previousStartTime: instant,
  }),
} satisfies Record<NotificationKind, z.ZodType>;

/** The payload of kind K, as the templates see it (defaults applied). */
export type PayloadOf<K extends NotificationKind> = z.output<(typeof payloadSchemas)[K]>;
/** The payload of kind K, as a consumer may write it (defaults optional). */
export type PayloadInput<K extends NotificationKind> = z.input<(typeof payloadSchemas)[K]>;

/** A kind with its payload: what a consumer hands to enqueueNotification. */
export type NotificationContent = { [K in NotificationKind]: { kind: K; payload: PayloadInput<K> } }[NotificationKind];
/** The same after validation. */
export type ParsedContent = { [K in NotificationKind]: { kind: K; payload: PayloadOf<K> } }[NotificationKind];

/** The payload problem, as an Error naming the kind and the first bad field. */
export class InvalidPayloadError extends Error {
  constructor(kind: string, detail: string) {
    super(`invalid ${kind} payload: ${detail}`);
    this.name = "InvalidPayloadError";
  }
}

/** Validates a payload for its kind (throws InvalidPayloadError). */
export function parseContent(kind: string, payload: unknown): ParsedContent {
  if (!isNotificationKind(kind)) throw new InvalidPayloadError(kind, "unknown kind");
  const r = payloadSchemas[kind].safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InvalidPayloadError(kind, `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return { kind, payload: r.data } as ParsedContent;
}
