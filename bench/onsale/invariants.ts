/**
 * The on-sale's invariants, read from where the truth is: the services' MariaDB databases (across
 * databases on one server), the SMTP sink's mail folder, the dead-letter stream, and what clients
 * were answered. Every query lives here, with the table and column names in one place (TABLES), so
 * a schema change is one edit. Used by the fault suite (all of them, a violation fails the round)
 * and by the bench (oversold places, double charges, emails vs confirmed orders).
 */
import { type Connection, createConnection } from "mysql2/promise";
import { listMail } from "../../harness/index.js";
import { listDeadLetters } from "../../platform/bus/dead-letter.js";
import { connectNats } from "../../platform/bus/nats.js";
import { infraNames } from "../../platform/config/names.js";
import type { CallRecord } from "./record.js";

/** Table names per service database (see services/<svc>/db/schema.ts and ticket's orders-schema.ts). */
export const TABLES = {
  ticket: {
    seats: "seats",
    sections: "inventory_sections",
    stripes: "ga_stripes",
    holds: "holds",
    orders: "orders",
    tickets: "tickets",
  },
  payment: {
    payments: "payments",
    ledger: "payment_ledger_entries",
    /** The sandbox provider's own books (the processor's side): what was really taken from cards. */
    providerCharges: "sandbox_charges",
    providerRefunds: "sandbox_refunds",
  },
  notification: { notifications: "notifications" },
} as const;

/** FAILED_PRECONDITION reasons the ticket service's catalogue gives its clients. */
export const catalogued = new Set([
  // holds (services/ticket/domain/errors.ts)
  "SEATS_UNAVAILABLE",
  "SALES_CLOSED",
  "HOLD_NOT_ACTIVE",
  "BUYER_LIMIT_REACHED",
  // orders and tickets (services/ticket/orders/domain/errors.ts)
  "ORDER_NOT_CANCELLABLE",
  "EVENT_STARTED",
  "TICKET_CHECKED_IN",
  "ALREADY_CHECKED_IN",
  "TICKET_VOID",
]);

/** Codes a client may see while a fault is in force (the rest must never reach a buyer). */
export const allowedDuringFaults = new Set(["UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"]);

export interface InvariantResult {
  id: string;
  title: string;
  /** How many things break it (0 = holds). */
  violations: number;
  /** A few of them, for the table and the log. */
  examples: string[];
  /** Counted facts behind the verdict (e.g. confirmed orders, emails). */
  facts?: Record<string, number>;
}

export interface InvariantInput {
  mariadbUrl: string;
  natsUrl: string;
  prefix: string;
  mailDir: string;
  /** Errors clients were answered (the fault suite's classification); omitted by the bench. */
  clientErrors?: readonly CallRecord[];
  /** An ACTIVE hold this long past its expire_time counts as stuck (the sweeper's period and more). */
  holdGraceMs?: number;
}

type Row = Record<string, unknown>;

/** Every invariant, in the order the table prints them. */
export async function checkInvariants(i: InvariantInput): Promise<InvariantResult[]> {
  const conn = await connect(i.mariadbUrl);
  try {
    const db = dbNames(i.prefix);
    const q = async (sql: string, params: unknown[] = []) => (await conn.query(sql, params))[0] as Row[];
    const out: InvariantResult[] = [];
    const run = async (id: string, title: string, f: () => Promise<Omit<InvariantResult, "id" | "title">>) => {
      try {
        out.push({ id, title, ...(await f()) });
      } catch (e) {
        // a check that cannot run proves nothing: it counts as a violation
        out.push({
          id,
          title,
          violations: 1,
          examples: [`check failed: ${e instanceof Error ? e.message : String(e)}`],
        });
      }
    };
    await run("seat-two-tickets", "no place in two VALID tickets", () => placeInTwoTickets(q, db));
    await run("sold-and-available", "no place both sold and available", () => soldAndAvailable(q, db));
    await run("one-charge", "every CONFIRMED order has exactly one successful charge", () => oneCharge(q, db));
    await run("money", "captured − refunded = value of CONFIRMED orders", () => money(q, db));
    await run("charge-without-order", "no charge without a CONFIRMED order unless refunded", () =>
      chargeWithoutOrder(q, db),
    );
    await run("one-email", "every CONFIRMED order has exactly one confirmation email (distinct Message-ID)", () =>
      oneEmail(q, db, i.mailDir),
    );
    await run("no-pending", "no order left PENDING_PAYMENT", () => noPending(q, db));
    await run("no-stale-hold", "no hold left ACTIVE past its expiry", () =>
      noStaleHold(q, db, i.holdGraceMs ?? 60_000),
    );
    await run("dlq-reason", "nothing in a dead-letter stream without a reason", () => dlqReasons(i.natsUrl, i.prefix));
    if (i.clientErrors !== undefined) {
      const errors = i.clientErrors;
      await run(
        "client-errors",
        "client errors only UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED / catalogued FAILED_PRECONDITION",
        async () => clientErrors(errors),
      );
    }
    return out;
  } finally {
    await conn.end();
  }
}

function dbNames(prefix: string) {
  const n = infraNames(prefix);
  const t = (svc: "ticket" | "payment" | "notification", table: string) => `\`${n.database(svc)}\`.\`${table}\``;
  return {
    seats: t("ticket", TABLES.ticket.seats),
    sections: t("ticket", TABLES.ticket.sections),
    stripes: t("ticket", TABLES.ticket.stripes),
    holds: t("ticket", TABLES.ticket.holds),
    orders: t("ticket", TABLES.ticket.orders),
    tickets: t("ticket", TABLES.ticket.tickets),
    payments: t("payment", TABLES.payment.payments),
    ledger: t("payment", TABLES.payment.ledger),
    providerCharges: t("payment", TABLES.payment.providerCharges),
    providerRefunds: t("payment", TABLES.payment.providerRefunds),
    notifications: t("notification", TABLES.notification.notifications),
  };
}
type Names = ReturnType<typeof dbNames>;
type Q = (sql: string, params?: unknown[]) => Promise<Row[]>;

function connect(url: string): Promise<Connection> {
  const u = new URL(url);
  return createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    timezone: "Z",
    supportBigNumbers: true,
    bigNumberStrings: false,
  });
}

const examples = (rows: Row[], f: (r: Row) => string) => rows.slice(0, 5).map(f);

async function placeInTwoTickets(q: Q, t: Names) {
  // by the place key the service writes, and by the seat itself (in case two keys name one seat)
  const byKey = await q(
    `SELECT place_key, COUNT(*) AS n FROM ${t.tickets} WHERE state IN ('VALID', 'CHECKED_IN') GROUP BY place_key HAVING n > 1`,
  );
  const bySeat = await q(
    `SELECT event_id, section_id, row_label, seat_label, COUNT(*) AS n FROM ${t.tickets}
     WHERE state IN ('VALID', 'CHECKED_IN') AND row_label <> '' GROUP BY event_id, section_id, row_label, seat_label HAVING n > 1`,
  );
  return {
    violations: byKey.length + bySeat.length,
    examples: [
      ...examples(byKey, (r) => `place ${r.place_key}: ${r.n} live tickets`),
      ...examples(bySeat, (r) => `seat ${r.row_label}${r.seat_label} of ${r.section_id}: ${r.n} live tickets`),
    ],
  };
}

async function soldAndAvailable(q: Q, t: Names) {
  // reserved: a seat marked sold must be taken for ever; a VALID ticket's seat must be sold
  const freeSold = await q(
    `SELECT seat_no, row_label, seat_label FROM ${t.seats} WHERE sold AND (taken_until IS NULL OR taken_until <= NOW(3))`,
  );
  const ticketOnFree = await q(
    `SELECT k.id, k.row_label, k.seat_label FROM ${t.tickets} k
     JOIN ${t.sections} s ON s.section_id = k.section_id
     JOIN ${t.seats} x ON x.inv_id = s.inv_id AND x.section_no = s.section_no AND x.row_label = k.row_label AND x.seat_label = k.seat_label
     WHERE k.state IN ('VALID', 'CHECKED_IN') AND k.row_label <> '' AND (NOT x.sold OR x.taken_until IS NULL OR x.taken_until <= NOW(3))`,
  );
  // general admission: VALID tickets + places still on the stripes never exceed the capacity
  const ga = await q(
    `SELECT s.section_id, s.capacity,
            (SELECT COALESCE(SUM(available), 0) FROM ${t.stripes} st WHERE st.inv_id = s.inv_id AND st.section_no = s.section_no) AS on_sale,
            (SELECT COUNT(*) FROM ${t.tickets} k WHERE k.section_id = s.section_id AND k.state IN ('VALID', 'CHECKED_IN')) AS sold
     FROM ${t.sections} s WHERE s.kind = 'GA'`,
  );
  const over = ga.filter((g) => Number(g.on_sale) + Number(g.sold) > Number(g.capacity));
  return {
    violations: freeSold.length + ticketOnFree.length + over.length,
    examples: [
      ...examples(freeSold, (r) => `seat ${r.row_label}${r.seat_label} sold but free`),
      ...examples(ticketOnFree, (r) => `ticket ${r.id} on seat ${r.row_label}${r.seat_label} that is for sale`),
      ...examples(over, (g) => `GA ${g.section_id}: ${g.sold} sold + ${g.on_sale} for sale > ${g.capacity}`),
    ],
  };
}

async function oneCharge(q: Q, t: Names) {
  // our ledger, and the processor's books (an order charged twice at the provider is a double charge
  // even if our records hold one)
  const rows = await q(
    `SELECT o.id, COUNT(l.id) AS charges FROM ${t.orders} o
     LEFT JOIN ${t.payments} p ON p.order_id = o.id
     LEFT JOIN ${t.ledger} l ON l.payment_id = p.id AND l.kind = 'CHARGE'
     WHERE o.state = 'CONFIRMED' GROUP BY o.id HAVING charges <> 1`,
  );
  const provider = await q(
    `SELECT JSON_VALUE(metadata, '$.order_id') AS order_id, COUNT(*) AS charges FROM ${t.providerCharges}
     WHERE status = 'SUCCEEDED' GROUP BY order_id HAVING charges > 1`,
  );
  const [confirmed] = await q(`SELECT COUNT(*) AS n FROM ${t.orders} WHERE state = 'CONFIRMED'`);
  return {
    violations: rows.length + provider.length,
    examples: [
      ...examples(rows, (r) => `order ${r.id}: ${r.charges} successful charges in the ledger`),
      ...examples(provider, (r) => `order ${r.order_id}: charged ${r.charges} times at the provider`),
    ],
    facts: {
      confirmed: Number(confirmed?.n ?? 0),
      doubleCharged: rows.filter((r) => Number(r.charges) > 1).length + provider.length,
    },
  };
}

async function money(q: Q, t: Names) {
  const [l] = await q(
    `SELECT COALESCE(SUM(CASE WHEN kind = 'CHARGE' THEN amount_minor ELSE 0 END), 0) AS captured,
            COALESCE(SUM(CASE WHEN kind = 'REFUND' THEN amount_minor ELSE 0 END), 0) AS refunded FROM ${t.ledger}`,
  );
  const [p] = await q(
    `SELECT (SELECT COALESCE(SUM(amount_minor), 0) FROM ${t.providerCharges} WHERE status = 'SUCCEEDED') AS captured,
            (SELECT COALESCE(SUM(amount_minor), 0) FROM ${t.providerRefunds}) AS refunded`,
  );
  const [o] = await q(`SELECT COALESCE(SUM(total_minor), 0) AS value FROM ${t.orders} WHERE state = 'CONFIRMED'`);
  const captured = Number(l?.captured ?? 0);
  const refunded = Number(l?.refunded ?? 0);
  const providerNet = Number(p?.captured ?? 0) - Number(p?.refunded ?? 0);
  const value = Number(o?.value ?? 0);
  const bad = [
    ...(captured - refunded === value
      ? []
      : [`ledger: captured ${captured} − refunded ${refunded} = ${captured - refunded} ≠ confirmed value ${value}`]),
    ...(providerNet === value
      ? []
      : [`provider: taken ${p?.captured} − refunded ${p?.refunded} = ${providerNet} ≠ confirmed value ${value}`]),
  ];
  return { violations: bad.length, examples: bad, facts: { captured, refunded, providerNet, confirmedValue: value } };
}

async function chargeWithoutOrder(q: Q, t: Names) {
  const rows = await q(
    `SELECT p.id, p.order_id, p.state, p.amount_minor, p.refunded_minor, o.state AS order_state FROM ${t.payments} p
     JOIN ${t.ledger} l ON l.payment_id = p.id AND l.kind = 'CHARGE'
     LEFT JOIN ${t.orders} o ON o.id = p.order_id
     WHERE (o.state IS NULL OR o.state <> 'CONFIRMED') AND p.refunded_minor < p.amount_minor`,
  );
  return {
    violations: rows.length,
    examples: examples(
      rows,
      (r) =>
        `payment ${r.id} (${r.state}) for order ${r.order_id} (${r.order_state ?? "missing"}), refunded ${r.refunded_minor}/${r.amount_minor}`,
    ),
  };
}

/** Message-ID `<notification-id@domain>` → notification id. */
export function notificationIdOf(messageId: string): string {
  return /^<?([^@>]+)@/.exec(messageId.trim())?.[1]?.toLowerCase() ?? "";
}

/** Emails in the sink: files, distinct Message-IDs, and distinct Message-IDs per notification id. */
export function mailStats(mailDir: string): {
  files: number;
  distinct: number;
  byNotification: Map<string, Set<string>>;
} {
  const mail = listMail(mailDir);
  const byNotification = new Map<string, Set<string>>();
  for (const m of mail) {
    const id = notificationIdOf(m.messageId);
    let s = byNotification.get(id);
    if (s === undefined) byNotification.set(id, (s = new Set()));
    s.add(m.messageId);
  }
  return { files: mail.length, distinct: new Set(mail.map((m) => m.messageId)).size, byNotification };
}

async function oneEmail(q: Q, t: Names, mailDir: string) {
  const confirmed = await q(`SELECT id FROM ${t.orders} WHERE state = 'CONFIRMED'`);
  const notes = await q(`SELECT id, order_id FROM ${t.notifications} WHERE kind = 'ORDER_CONFIRMED'`);
  const mail = mailStats(mailDir);
  const idsByOrder = new Map<string, string[]>();
  for (const n of notes) {
    const l = idsByOrder.get(String(n.order_id)) ?? [];
    l.push(String(n.id).toLowerCase());
    idsByOrder.set(String(n.order_id), l);
  }
  const bad: string[] = [];
  let emailed = 0;
  for (const o of confirmed) {
    const ids = idsByOrder.get(String(o.id)) ?? [];
    const messageIds = new Set(ids.flatMap((id) => [...(mail.byNotification.get(id) ?? [])]));
    if (messageIds.size === 1) emailed++;
    else bad.push(`order ${o.id}: ${messageIds.size} confirmation emails (${ids.length} notifications)`);
  }
  const confirmedIds = new Set(confirmed.map((o) => String(o.id)));
  const stray = notes.filter(
    (n) => !confirmedIds.has(String(n.order_id)) && mail.byNotification.has(String(n.id).toLowerCase()),
  );
  for (const n of stray.slice(0, 5)) bad.push(`confirmation email for order ${n.order_id}, which is not CONFIRMED`);
  return {
    violations: confirmed.length - emailed + stray.length,
    examples: bad.slice(0, 5),
    facts: {
      confirmed: confirmed.length,
      emailed,
      // distinct Message-IDs of ORDER_CONFIRMED notifications (the sink also holds e.g. the admin's welcome)
      confirmationEmails: notes.reduce(
        (n, x) => n + (mail.byNotification.get(String(x.id).toLowerCase())?.size ?? 0),
        0,
      ),
      files: mail.files,
      distinctMessageIds: mail.distinct,
    },
  };
}

async function noPending(q: Q, t: Names) {
  const rows = await q(`SELECT id, create_time FROM ${t.orders} WHERE state = 'PENDING_PAYMENT'`);
  return {
    violations: rows.length,
    examples: examples(rows, (r) => `order ${r.id} pending since ${(r.create_time as Date).toISOString()}`),
  };
}

async function noStaleHold(q: Q, t: Names, graceMs: number) {
  const rows = await q(
    `SELECT id, expire_time FROM ${t.holds} WHERE state = 'ACTIVE' AND expire_time < NOW(3) - INTERVAL ? MICROSECOND`,
    [graceMs * 1000],
  );
  return {
    violations: rows.length,
    examples: examples(rows, (r) => `hold ${r.id} ACTIVE, expired ${(r.expire_time as Date).toISOString()}`),
  };
}

async function dlqReasons(natsUrl: string, prefix: string) {
  const nc = await connectNats(natsUrl, "onsale-invariants");
  try {
    const letters = await listDeadLetters(nc, infraNames(prefix));
    const bad = letters.filter((l) => ["", "-"].includes((l.reason ?? "").trim())); // "-" is the header of an empty reason
    return {
      violations: bad.length,
      examples: bad.slice(0, 5).map((l) => `dead letter of ${l.consumer} (${l.subject}) without a reason`),
      facts: { deadLetters: letters.length },
    };
  } finally {
    await nc.close();
  }
}

/** Errors a buyer must never see, whatever breaks underneath. */
export function clientErrors(errors: readonly CallRecord[]) {
  const bad = errors.filter(
    (e) => !(allowedDuringFaults.has(e.code) || (e.code === "FAILED_PRECONDITION" && catalogued.has(e.reason))),
  );
  const kinds = new Map<string, number>();
  for (const e of bad)
    kinds.set(
      `${e.method} ${e.code} ${e.reason}`.trim(),
      (kinds.get(`${e.method} ${e.code} ${e.reason}`.trim()) ?? 0) + 1,
    );
  return {
    violations: bad.length,
    examples: [...kinds]
      .slice(0, 5)
      .map(
        ([k, n]) => `${n}× ${k}: ${bad.find((e) => `${e.method} ${e.code} ${e.reason}`.trim() === k)?.message ?? ""}`,
      ),
    facts: { errors: errors.length },
  };
}

/** Orders by state that matter for settling: PENDING_PAYMENT and CONFIRMED. */
export async function orderCounts(db: {
  mariadbUrl: string;
  prefix: string;
}): Promise<{ pending: number; confirmed: number }> {
  const conn = await connect(db.mariadbUrl);
  try {
    const [rows] = await conn.query(
      `SELECT COALESCE(SUM(state = 'PENDING_PAYMENT'), 0) AS pending, COALESCE(SUM(state = 'CONFIRMED'), 0) AS confirmed FROM ${dbNames(db.prefix).orders}`,
    );
    const r = (rows as Row[])[0];
    return { pending: Number(r?.pending ?? 0), confirmed: Number(r?.confirmed ?? 0) };
  } finally {
    await conn.end();
  }
}

/** The state of the order made from each hold (holds with no order are absent). */
export async function orderStatesByHold(
  db: { mariadbUrl: string; prefix: string },
  holdIds: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (holdIds.length === 0) return out;
  const conn = await connect(db.mariadbUrl);
  try {
    for (let i = 0; i < holdIds.length; i += 1000) {
      const [rows] = await conn.query(`SELECT hold_id, state FROM ${dbNames(db.prefix).orders} WHERE hold_id IN (?)`, [
        holdIds.slice(i, i + 1000),
      ]);
      for (const r of rows as Row[]) out.set(String(r.hold_id), String(r.state));
    }
    return out;
  } finally {
    await conn.end();
  }
}

/**
 * What is still settling after the crowd: orders PENDING_PAYMENT (reconciliation asks payment after
 * BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS), notifications not yet sent, and CONFIRMED orders whose
 * ORDER_CONFIRMED notification is not SENT (the event may still be on its way). All zero = settled:
 * the fault suite's recovery window waits for this, not for a fixed time.
 */
export async function unsettled(db: {
  mariadbUrl: string;
  prefix: string;
}): Promise<{ pendingOrders: number; pendingNotifications: number; confirmedWithoutEmail: number }> {
  const conn = await connect(db.mariadbUrl);
  try {
    const t = dbNames(db.prefix);
    const [rows] = await conn.query(
      `SELECT
         (SELECT COUNT(*) FROM ${t.orders} WHERE state = 'PENDING_PAYMENT') AS pendingOrders,
         (SELECT COUNT(*) FROM ${t.notifications} WHERE state = 'PENDING') AS pendingNotifications,
         (SELECT COUNT(*) FROM ${t.orders} o WHERE o.state = 'CONFIRMED' AND NOT EXISTS (
            SELECT 1 FROM ${t.notifications} n
            WHERE n.kind = 'ORDER_CONFIRMED' AND n.order_id = o.id AND n.state = 'SENT')) AS confirmedWithoutEmail`,
    );
    const r = (rows as Row[])[0];
    return {
      pendingOrders: Number(r?.pendingOrders ?? 0),
      pendingNotifications: Number(r?.pendingNotifications ?? 0),
      confirmedWithoutEmail: Number(r?.confirmedWithoutEmail ?? 0),
    };
  } finally {
    await conn.end();
  }
}
