/**
 * Test kit for the order half of the ticket service, usable before the inventory half's RPCs are
 * wired: a ticket module built from the real repository (services/ticket/db) and the real
 * `createOrders`, plus a HoldSeats made of the repository's `placeHold` (no idempotency record: a
 * test helper, not the inventory half's RPC). Events are opened by materialising a layout straight
 * into the ticket database, as the EventPublished consumer does; their summaries (name, start time,
 * venue) live in a test table until the inventory keeps them.
 */
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { MoneySchema } from "../../gen/boxoffice/common/v1/money_pb.js";
import { HoldSchema, HoldState } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { type HoldSeatsRequest, TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { serviceModule } from "../../platform/app/index.js";
import { envVar } from "../../platform/config/index.js";
import { type Db, mysqlErrno, withTransaction } from "../../platform/db/index.js";
import { NotFoundError } from "../../platform/errors/index.js";
import { requireUser } from "../../platform/principal/index.js";
import { principalOf } from "../../platform/rpc/context.js";
import type { ServiceRegistration } from "../../platform/rpc/service.js";
import { ticketAccess, ticketContracts, ticketInternalAccess } from "../../services/ticket/access.js";
import { placeHold } from "../../services/ticket/db/holds.js";
import { loadInventory, materialiseInventory } from "../../services/ticket/db/inventory.js";
import { type Q, rows } from "../../services/ticket/db/sql.js";
import { type HoldItemInput, normaliseItems } from "../../services/ticket/domain/items.js";
import {
  createOrders,
  type OrdersPart,
  ordersPublishes,
  ordersSpec,
  repositoryInventoryPort,
} from "../../services/ticket/orders/index.js";
import type { EventSummaryView } from "../../services/ticket/orders/ports.js";
import { layoutOf, type SectionSpec } from "../integration/ticket-kit.js";

export const ticketMigrations = fileURLToPath(new URL("../../services/ticket/db/migrations", import.meta.url));

const SUMMARIES = "test_event_summaries";

async function summaryOf(q: Q, eventId: string): Promise<EventSummaryView | undefined> {
  try {
    const [r] = await rows<{
      name: string;
      start_time: Date | string | null;
      end_time: Date | string | null;
      time_zone: string;
      venue_name: string;
      venue_city: string;
    }>(q, sql`SELECT * FROM test_event_summaries WHERE event_id = ${eventId}`);
    if (r === undefined) return undefined;
    const d = (v: Date | string | null) =>
      v === null ? undefined : v instanceof Date ? v : new Date(`${v.replace(" ", "T")}Z`);
    return {
      name: r.name,
      startTime: d(r.start_time),
      endTime: d(r.end_time),
      timeZone: r.time_zone,
      venueName: r.venue_name,
      venueCity: r.venue_city,
    };
  } catch (e) {
    if (mysqlErrno(e) === 1146) return undefined; // no event opened yet
    throw e;
  }
}

const testSpec = {
  ...ordersSpec,
  holdTtlMs: envVar(
    "BOXOFFICE_TEST_HOLD_TTL_MS",
    z.coerce.number().int().positive().default(600_000),
    "test holds' lifetime",
  ),
};

/** The ticket module of these tests: the order half over the real repository, plus a test HoldSeats. */
export const ordersTestModule = serviceModule({
  name: "ticket",
  contracts: ticketContracts,
  migrations: ticketMigrations,
  config: testSpec,
  publishes: ordersPublishes,
  async create(ctx) {
    const db = ctx.database();
    const orders = await createOrders(ctx, repositoryInventoryPort({ summaryOf }));
    const holdSeats = async (
      req: HoldSeatsRequest,
      hc: Parameters<NonNullable<OrdersPart["handlers"]["getOrder"]>>[1],
    ) => {
      const user = requireUser(principalOf(hc));
      const inv = await loadInventory(db.orm, req.eventId);
      if (inv === undefined) throw new NotFoundError("event", req.eventId);
      const items: HoldItemInput[] = req.items.map((i) =>
        i.kind.case === "seat"
          ? { kind: "seat", ...i.kind.value }
          : i.kind.case === "generalAdmission"
            ? { kind: "generalAdmission", sectionId: i.kind.value.sectionId, quantity: i.kind.value.quantity }
            : { kind: "bestAvailable", sectionId: i.kind.value!.sectionId, quantity: i.kind.value!.quantity },
      );
      const now = ctx.clock.date();
      const placed = await ctx.commands().transaction(principalOf(hc), (w) =>
        placeHold(w.tx, {
          inventory: inv,
          holdId: ctx.newId(),
          buyerId: user.subject,
          now,
          expireTime: new Date(now.getTime() + ctx.settings.holdTtlMs),
          items: normaliseItems(items, inv.sections, inv.sales.maxPerOrder),
          stripeHint: Math.floor(Math.random() * 1000),
        }),
      );
      const h = placed.hold;
      const price = (minor: number) =>
        create(MoneySchema, { currencyCode: h.currencyCode, amountMinor: BigInt(minor) });
      return {
        hold: create(HoldSchema, {
          id: h.id,
          eventId: h.eventId,
          userId: h.buyerId,
          state: HoldState.ACTIVE,
          expireTime: timestampFromDate(h.expireTime),
          createTime: timestampFromDate(h.createTime),
          total: price(h.totalMinor),
          items: [
            ...h.seats.map((s) => ({
              kind: {
                case: "seat" as const,
                value: { sectionId: s.sectionId, rowLabel: s.rowLabel, seatLabel: s.seatLabel },
              },
              price: price(s.priceMinor),
            })),
            ...h.generalAdmission.map((g) => ({
              kind: { case: "generalAdmission" as const, value: { sectionId: g.sectionId, quantity: g.quantity } },
              price: price(g.unitPriceMinor * g.quantity),
            })),
          ],
        }),
      };
    };
    const main: ServiceRegistration<typeof TicketService> = {
      desc: TicketService,
      access: ticketAccess.access,
      impl: { ...orders.handlers, holdSeats },
    };
    const internal: ServiceRegistration<typeof TicketInternalService> = {
      desc: TicketInternalService,
      access: ticketInternalAccess.access,
      impl: orders.internal,
    };
    const services = [main, internal] as unknown as ServiceRegistration[];
    return { services, httpRoutes: orders.httpRoutes, internals: { ...orders.internals, db } };
  },
});

/** The order half's handles in a running test process. */
export function ordersInternals(services: ReadonlyMap<string, { internals?: Readonly<Record<string, unknown>> }>) {
  return services.get("ticket")!.internals as unknown as OrdersPart["internals"] & { db: Db };
}

export interface OpenedEvent {
  readonly eventId: string;
  readonly organizerId: string;
  /** Section ids in layout order with their kind. */
  readonly sections: ReadonlyArray<{ id: string; kind: "reserved" | "ga"; price: number }>;
}

/**
 * Opens an event's sales in the ticket database (as EventPublished would) with `sections`, owned by
 * `organizerId`, starting at `startTime` (default in 30 days).
 */
export async function openEvent(
  db: Db,
  o: {
    organizerId: string;
    sections: SectionSpec[];
    startTime?: Date;
    maxPerOrder?: number;
    maxPerBuyer?: number;
    name?: string;
  },
): Promise<OpenedEvent> {
  const now = Date.now();
  const layout = layoutOf(o.sections, { now, maxPerOrder: o.maxPerOrder ?? 20 });
  layout.organizerId = o.organizerId;
  const start = o.startTime ?? new Date(now + 30 * 24 * 3600_000);
  layout.salesEndTime = timestampFromMs(Math.max(now + 3600_000, start.getTime()));
  await withTransaction(db, async (tx) => {
    await materialiseInventory(tx, layout, {
      now: new Date(now),
      revision: 1,
      gaStripes: 4,
      maxPerBuyer: o.maxPerBuyer,
    });
    await tx.execute(
      sql.raw(`CREATE TABLE IF NOT EXISTS ${SUMMARIES} (event_id varchar(36) PRIMARY KEY, name varchar(200) NOT NULL,
        start_time datetime(3), end_time datetime(3), time_zone varchar(64) NOT NULL, venue_name varchar(200) NOT NULL,
        venue_city varchar(100) NOT NULL)`),
    );
  });
  await db.orm.execute(
    sql`INSERT INTO test_event_summaries VALUES (${layout.eventId}, ${o.name ?? "Test night"}, ${start},
        ${new Date(start.getTime() + 3 * 3600_000)}, 'Europe/Berlin', 'Test Hall', 'Berlin')`,
  );
  return {
    eventId: layout.eventId,
    organizerId: o.organizerId,
    sections: layout.sections.map((s, i) => ({
      id: s.id,
      kind: s.kind.case === "generalAdmission" ? "ga" : "reserved",
      price: Number(layout.priceTiers[i]!.price!.amountMinor),
    })),
  };
}

/** Moves an event's start (what an EventUpdated applied by the inventory half would do to the summary). */
export async function moveStart(db: Db, eventId: string, start: Date): Promise<void> {
  await db.orm.execute(sql`UPDATE test_event_summaries SET start_time = ${start} WHERE event_id = ${eventId}`);
}

export { timestampFromMs };
