import { z } from "zod";
import { type ConfigOf, envTypes, envVar } from "../../../platform/config/index.js";

/**
 * The order half's variables (the lead merges them into the ticket module's config spec). Bounds:
 * a checkout answers within the charge timeout; an order whose outcome was lost is asked about after
 * `reconcileAfterSeconds` and then every `reconcileEveryMs`; one still unknown after
 * `paymentTimeoutSeconds` fails (PAYMENT_TIMEOUT) and is refunded if its charge succeeds later.
 */
export const ordersSpec = {
  ticketSigningKeys: envVar(
    "BOXOFFICE_TICKET_SIGNING_KEYS",
    z.string().optional(),
    "JSON array of private Ed25519 JWKs with kid signing ticket codes; all are published at /.well-known/boxoffice-ticket-keys.json, the last one signs (secret; unset = an ephemeral dev key)",
    // An ephemeral key signs codes that no other replica, and no restart, verifies.
    { required: true },
  ),
  chargeTimeoutMs: envVar(
    "BOXOFFICE_TICKET_CHARGE_TIMEOUT_MS",
    envTypes.positiveInt(3000),
    "how long Checkout waits for payment's Charge before answering PENDING_PAYMENT (the client policy caps one attempt at 3 s)",
  ),
  reconcileAfterSeconds: envVar(
    "BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS",
    envTypes.positiveInt(60),
    "age of a PENDING_PAYMENT order (or an unknown charge) before the reconciliation sweeper asks payment's GetChargeOutcome",
  ),
  reconcileEveryMs: envVar(
    "BOXOFFICE_TICKET_RECONCILE_EVERY_MS",
    envTypes.positiveInt(5000),
    "pause between reconciliation sweeps, and between two questions about one unknown charge",
  ),
  paymentTimeoutSeconds: envVar(
    "BOXOFFICE_TICKET_PAYMENT_TIMEOUT_SECONDS",
    envTypes.positiveInt(600),
    "a PENDING_PAYMENT order older than this fails with PAYMENT_TIMEOUT (places back on sale; a late success is refunded)",
  ),
  refundEveryMs: envVar(
    "BOXOFFICE_TICKET_REFUND_EVERY_MS",
    envTypes.positiveInt(2000),
    "pause between rounds of the refund job (refunds owed are also sent at once after the change that owes them)",
  ),
  eventJobEveryMs: envVar(
    "BOXOFFICE_TICKET_EVENT_JOB_EVERY_MS",
    envTypes.positiveInt(2000),
    "pause between rounds of the event jobs (cancel every order of a cancelled event, tell holders of a new start time)",
  ),
  eventJobBatch: envVar(
    "BOXOFFICE_TICKET_EVENT_JOB_BATCH",
    envTypes.positiveInt(25),
    "orders per transaction in the event jobs",
  ),
  watchPollMs: envVar(
    "BOXOFFICE_TICKET_WATCH_POLL_MS",
    envTypes.positiveInt(20_000),
    "WatchOrder's safety re-read of the order (±25 %): changes are sent at once when made in this process or announced by another replica through Redis; this catches notices lost while Redis was away",
  ),
  watchHeartbeatMs: envVar(
    "BOXOFFICE_TICKET_WATCH_HEARTBEAT_MS",
    envTypes.positiveInt(15_000),
    "WatchOrder sends a heartbeat after this long without a message",
  ),
};

export type OrdersSettings = ConfigOf<typeof ordersSpec>;
