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
import { createPool, type Pool } from "mysql2/promise";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { OrderState } from "../gen/boxoffice/ticket/v1/order_pb.js";
import { TicketService } from "../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { type LoadResult, measure, row } from "./load.js";
import { cpuSeconds } from "./processes.js";

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
  /** The platform's process: its CPU time per purchase is read from /proc. */
  readonly pid?: number;
  /** MariaDB (any database): statements per purchase from its global Questions counter. */
  readonly mariadbUrl?: string;
  /** MariaDB's process, when the bench started it: its CPU time per purchase. */
  readonly mariadbPid?: number;
  /** The platform's admin port: RPCs, events published and events consumed per purchase. */
  readonly adminUrl?: string;
}

/** What a measured phase cost, per operation: server CPU, statements, RPCs and messages. */
interface Cost {
  cpuMs: number;
  dbCpuMs: number;
  statements: number;
  lockWaits: number;
  rpcs: number;
  published: number;
  consumed: number;
}

/** Counters read before and after a phase (NaN when the bench was not told where to read them). */
async function counters(o: PurchaseBench, status: Pool | undefined): Promise<Cost> {
  let rpcs = Number.NaN;
  let published = Number.NaN;
  let consumed = Number.NaN;
  if (o.adminUrl !== undefined) {
    const text = await (await fetch(`${o.adminUrl}/metrics`)).text();
    const sum = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, "gm"))].reduce((n, m) => n + Number(m[1]), 0);
    rpcs = sum("rpc_server_handled_total");
    published = sum("bus_outbox_published_total");
    consumed = sum("bus_consumer_handled_total");
  }
  let statements = Number.NaN;
  let lockWaits = Number.NaN;
  if (status !== undefined) {
    const [r] = await status.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Innodb_row_lock_waits')");
    const value = (name: string) =>
      Number((r as Array<{ Variable_name: string; Value: string }>).find((v) => v.Variable_name === name)?.Value);
    statements = value("Questions");
    lockWaits = value("Innodb_row_lock_waits");
  }
  const cpuMs = (pid: number | undefined) => (pid === undefined ? Number.NaN : cpuSeconds(pid) * 1000);
  return {
    cpuMs: cpuMs(o.pid),
    dbCpuMs: cpuMs(o.mariadbPid),
    statements,
    lockWaits,
    rpcs,
    published,
    consumed,
  };
}

/** Runs a measured phase and divides what the counters moved by the operations done. */
async function costed(
  o: PurchaseBench,
  status: Pool | undefined,
  run: () => Promise<LoadResult>,
): Promise<{ r: LoadResult; per: Cost }> {
  const before = await counters(o, status);
  const r = await run();
  const after = await counters(o, status);
  const n = Math.max(r.ops + r.errors, 1);
  const per = (k: keyof Cost) => (after[k] - before[k]) / n;
  // the status read itself is one statement on each side
  const statements = (after.statements - before.statements - 1) / n;
  return {
    r,
    per: {
      cpuMs: per("cpuMs"),
      dbCpuMs: per("dbCpuMs"),
      statements,
      lockWaits: per("lockWaits"),
      rpcs: per("rpcs"),
      published: per("published"),
      consumed: per("consumed"),
    },
  };
}

const costLine = (c: Cost) =>
  `${c.cpuMs.toFixed(1)} ms platform CPU + ${c.dbCpuMs.toFixed(1)} ms MariaDB CPU, ${c.statements.toFixed(1)} statements ` +
  `(${c.lockWaits.toFixed(2)} row lock waits), ${c.rpcs.toFixed(1)} RPCs served, ${c.published.toFixed(1)} events published, ` +
  `${c.consumed.toFixed(1)} consumed`;

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
  const status =
    o.mariadbUrl === undefined ? undefined : createPool({ uri: o.mariadbUrl, connectionLimit: 1, timezone: "Z" });
  try {
    return await phases(o, ticket, buyers, hold, status);
  } finally {
    await status?.end();
  }
}

async function phases(
  o: PurchaseBench,
  ticket: ReturnType<typeof createClient<typeof TicketService>>,
  buyers: CallOptions[],
  hold: (w: number) => ReturnType<ReturnType<typeof createClient<typeof TicketService>>["holdSeats"]>,
  status: Pool | undefined,
): Promise<{ lines: string[]; errors: number }> {
  // holds alone (each buyer's new hold releases the previous one): the ceiling of a purchase
  await measure(o.concurrency, 300, hold);
  const { r: holds, per: holdCost } = await costed(o, status, () => measure(o.concurrency, o.seconds * 1000, hold));
  const purchase = async (w: number) => {
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
  };
  // a short unmeasured round first: the checkout path's code gets compiled before it is timed
  await measure(o.concurrency, 500, purchase);
  const { r: purchases, per: purchaseCost } = await costed(o, status, () =>
    measure(o.concurrency, o.seconds * 1000, purchase),
  );
  return {
    errors: holds.errors + purchases.errors,
    lines: [
      row("HoldSeats, 1 GA place (the purchase's ceiling)", holds),
      row("purchase: hold → checkout → CONFIRMED", purchases),
      `${"purchases vs holds".padEnd(44)} ${((purchases.perSec / Math.max(holds.perSec, 1e-9)) * 100).toFixed(0)}% of the hold rate; p50/p99 hold-to-confirmed ${purchases.p50Ms.toFixed(1)} / ${purchases.p99Ms.toFixed(1)} ms`,
      `${"per hold".padEnd(44)} ${costLine(holdCost)}`,
      `${"per purchase (its hold included)".padEnd(44)} ${costLine(purchaseCost)}`,
    ],
  };
}
