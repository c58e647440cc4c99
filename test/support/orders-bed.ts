/**
 * A running ticket process for the order half's handler-level suites: auth (users and service
 * tokens) and the ticket test module (orders-kit.ts) in one process on the test infrastructure,
 * payment answered by the contract stand-in (payment-fake.ts), with helpers to open events and buy.
 */
import { randomUUID } from "node:crypto";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Hold } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { type Order, OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { sleep } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import { authModule } from "../../services/auth/index.js";
import type { SectionSpec } from "../integration/ticket-kit.js";
import { testPrefix } from "./infra.js";
import { type OpenedEvent, openEvent, ordersInternals, ordersTestModule } from "./orders-kit.js";
import { FakePayments } from "./payment-fake.js";
import { startTestProcess } from "./process.js";
import { bearer, newUsersConfig, type TestUser, Users, usersEnv } from "./users.js";

export type Proc = Awaited<ReturnType<typeof startTestProcess>>;

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The buyer's and organiser's side of a running ticket service: clients and helpers to open events and buy. */
export abstract class Shop {
  users!: Users;
  ticket!: Client<typeof TicketService>;
  internal!: Client<typeof TicketInternalService>;
  organizer!: TestUser;
  /** The ticket service's database. */
  abstract get db(): Db;

  protected async connect(baseUrl: string, users: Users): Promise<void> {
    this.users = users;
    const transport = createGrpcTransport({ baseUrl });
    this.ticket = createClient(TicketService, transport);
    this.internal = createClient(TicketInternalService, transport);
    this.organizer = await this.users.organizer("org");
  }

  /** An event on sale owned by the organiser (one reserved section 5×10 at 50.00, one GA of 100 at 20.00 by default). */
  open(
    sections: SectionSpec[] = defaultSections,
    o: { startTime?: Date; maxPerBuyer?: number } = {},
  ): Promise<OpenedEvent> {
    return openEvent(this.db, { organizerId: this.organizer.id, sections, ...o });
  }

  async hold(
    user: TestUser,
    ev: OpenedEvent,
    items: { seats?: string[]; ga?: number; section?: number },
  ): Promise<Hold> {
    const reserved = ev.sections[items.section ?? 0]!;
    const ga = ev.sections.find((s) => s.kind === "ga");
    const { hold } = await this.ticket.holdSeats(
      {
        requestId: randomUUID(),
        eventId: ev.eventId,
        items: [
          ...(items.seats ?? []).map((label) => {
            const [row, seat] = label.split("-");
            return {
              kind: { case: "seat" as const, value: { sectionId: reserved.id, rowLabel: row!, seatLabel: seat! } },
            };
          }),
          ...(items.ga
            ? [{ kind: { case: "generalAdmission" as const, value: { sectionId: ga!.id, quantity: items.ga } } }]
            : []),
        ],
      },
      await user.auth(),
    );
    return hold!;
  }

  async checkout(user: TestUser, hold: Hold, token = "sandbox_ok", requestId = randomUUID()): Promise<Order> {
    const { order } = await this.ticket.checkout(
      { requestId, holdId: hold.id, paymentToken: token },
      await user.auth(),
    );
    return order!;
  }

  /** An order of `items` for `user`, paid with `sandbox_ok`. */
  async buy(user: TestUser, ev: OpenedEvent, items: { seats?: string[]; ga?: number }): Promise<Order> {
    return this.checkout(user, await this.hold(user, ev, items));
  }

  async order(user: TestUser, orderId: string): Promise<Order> {
    return (await this.ticket.getOrder({ orderId }, await user.auth())).order!;
  }

  /** The order once it is no longer PENDING_PAYMENT. */
  settled(user: TestUser, orderId: string, ms = 20_000): Promise<Order> {
    return eventually(
      `order ${orderId} settled`,
      async () => {
        const o = await this.order(user, orderId);
        return o.state !== OrderState.PENDING_PAYMENT && o;
      },
      ms,
    );
  }

  async serviceAuth(service = "notification") {
    return bearer(await this.users.serviceToken(service));
  }

  /** The integration events the ticket service wrote for an aggregate, in order. */
  async outbox(aggregateId: string): Promise<string[]> {
    const [rows] = await this.db.pool.query(
      "SELECT event_type FROM outbox_events WHERE aggregate_id = ? ORDER BY seq",
      [aggregateId],
    );
    return (rows as Array<{ event_type: string }>).map((r) => r.event_type.replace("boxoffice.ticket.v1.", ""));
  }

  async count(sqlText: string, params: unknown[], db: Db = this.db): Promise<number> {
    const [rows] = await db.pool.query(sqlText, params);
    return Number(Object.values((rows as Array<Record<string, unknown>>)[0] ?? { n: 0 })[0]);
  }
}

export class OrdersBed extends Shop {
  proc!: Proc;
  fake!: FakePayments;
  readonly prefix = testPrefix();
  readonly cfg = newUsersConfig();

  async start(env: Record<string, string> = {}): Promise<this> {
    this.fake = await new FakePayments(this.prefix).start();
    this.proc = await startTestProcess({
      modules: [authModule, ordersTestModule],
      echo: false,
      env: {
        ...usersEnv(this.cfg),
        BOXOFFICE_PREFIX: this.prefix,
        BOXOFFICE_PAYMENT_URL: this.fake.url,
        ...env,
      },
    });
    await this.connect(this.proc.baseUrl, new Users(this.proc.baseUrl, this.cfg));
    return this;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    await this.fake?.stop();
  }

  get orders() {
    return ordersInternals(this.proc.services);
  }

  get db(): Db {
    return this.orders.db;
  }
}

export const defaultSections: SectionSpec[] = [
  { kind: "reserved", rows: 5, seats: 10, price: 5000 },
  { kind: "ga", capacity: 100, price: 2000 },
];
