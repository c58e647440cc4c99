/**
 * FOR THE DOCUMENTATION SCREENSHOTS ONLY (web/test/docs-screenshots.ts), never for a test: answers
 * the browser's ticket-service calls inside the page (Playwright routes) with messages built from the
 * generated types, so the buyer pages can be pictured while the ticket service answers UNIMPLEMENTED.
 * Installed only when the real service is not there; the screenshots then say so in README.
 */
import { randomUUID } from "node:crypto";
import { create, type DescMessage, type MessageInitShape, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Page, Route } from "playwright-core";
import type { Venue } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import { SeatState } from "../../../gen/boxoffice/ticket/v1/availability_pb.js";
import { type HoldSchema, HoldState } from "../../../gen/boxoffice/ticket/v1/hold_pb.js";
import { type OrderSchema, OrderState } from "../../../gen/boxoffice/ticket/v1/order_pb.js";
import { type TicketSchema, TicketState } from "../../../gen/boxoffice/ticket/v1/ticket_pb.js";
import {
  CheckInResponseSchema,
  CheckoutResponseSchema,
  GetAvailabilityResponseSchema,
  GetTicketResponseSchema,
  HoldSeatsResponseSchema,
  ListOrdersResponseSchema,
  ListTicketsResponseSchema,
  WatchAvailabilityResponseSchema,
  WatchOrderResponseSchema,
} from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";

const PRICE: Record<string, bigint> = { Stalls: 4_500n, Standing: 2_500n };

/** One Connect streaming frame (flags, big-endian length, JSON). */
function frame(flags: number, json: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(json));
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function unary<D extends DescMessage>(route: Route, desc: D, init: MessageInitShape<D>) {
  return route.fulfill({
    status: 200,
    contentType: "application/json",
    body: JSON.stringify(toJson(desc, create(desc, init))),
  });
}

function stream<D extends DescMessage>(route: Route, desc: D, init: MessageInitShape<D>) {
  const body = Buffer.concat([frame(0, toJson(desc, create(desc, init))), frame(2, {})]);
  return route.fulfill({ status: 200, contentType: "application/connect+json", body });
}

/** Installs the simulation on `page` for the event at `venue`; seats in `sold`/`held` start that way. */
export async function simulateTicketService(
  page: Page,
  eventId: string,
  venue: Venue,
  start: { sold: string[]; held: string[] },
): Promise<void> {
  const state = new Map<string, SeatState>();
  const stalls = venue.sections.find((s) => s.kind.case === "reservedSeating");
  for (const s of venue.sections) {
    if (s.kind.case !== "reservedSeating") continue;
    for (const r of s.kind.value.rows)
      for (const seat of r.seats) state.set(`${r.label}-${seat.label}`, SeatState.AVAILABLE);
  }
  for (const k of start.sold) state.set(k, SeatState.SOLD);
  for (const k of start.held) state.set(k, SeatState.HELD);
  const money = (name: string, n = 1) => ({ currencyCode: "EUR", amountMinor: (PRICE[name] ?? 0n) * BigInt(n) });
  const availability = (sectionId: string, seats: boolean) => ({
    eventId,
    onSale: true,
    asOfTime: timestampFromDate(new Date()),
    sections: venue.sections
      .filter((s) => sectionId === "" || s.id === sectionId)
      .map((s) => {
        const rows = s.kind.case === "reservedSeating" ? s.kind.value.rows : [];
        const all = rows.flatMap((r) => r.seats.map((x) => state.get(`${r.label}-${x.label}`)));
        const ga = s.kind.case === "generalAdmission";
        // general admission: two places sold, the rest for sale
        const gaCount = (st: SeatState) =>
          st === SeatState.AVAILABLE ? s.capacity - 2 : st === SeatState.SOLD ? 2 : 0;
        const count = (st: SeatState) => (ga ? gaCount(st) : all.filter((x) => x === st).length);
        return {
          sectionId: s.id,
          total: ga ? s.capacity : all.length,
          available: count(SeatState.AVAILABLE),
          held: count(SeatState.HELD),
          sold: count(SeatState.SOLD),
          price: money(s.name),
          rows: seats
            ? rows.map((r) => ({
                rowLabel: r.label,
                seats: r.seats.map((x) => ({ seatLabel: x.label, state: state.get(`${r.label}-${x.label}`) })),
              }))
            : [],
        };
      }),
  });
  const tickets: Array<MessageInitShape<typeof TicketSchema>> = [];
  let hold: MessageInitShape<typeof HoldSchema> | undefined;
  let order: MessageInitShape<typeof OrderSchema> | undefined;
  let scans = 0;
  await page.route("**/boxoffice.ticket.v1.TicketService/**", async (route) => {
    const method = new URL(route.request().url()).pathname.split("/").pop();

    const url = new URL(route.request().url());
    // side-effect-free calls come as Connect GETs, the message in the query
    const query = url.searchParams.get("message");
    // a stream's request is one enveloped message (5-byte prefix, then JSON)
    const body = route.request().postDataBuffer();
    const enveloped = (route.request().headers()["content-type"] ?? "").includes("connect+json");
    const text = body === null ? "{}" : (enveloped ? body.subarray(5) : body).toString("utf8");
    const req = JSON.parse(query ?? text) as Record<string, never>;
    switch (method) {
      case "GetAvailability":
        return unary(route, GetAvailabilityResponseSchema, { availability: availability("", false) });
      case "WatchAvailability":
        // a real stream stays open; this one ends with its snapshot, so answer late enough that the
        // page reconnects quietly (api/watch.ts) instead of reporting a dropped connection
        await new Promise((r) => setTimeout(r, 2_500));
        return stream(route, WatchAvailabilityResponseSchema, {
          update: { case: "availability", value: availability(req.sectionId ?? "", req.includeSeats === true) },
        });
      case "HoldSeats": {
        const items = (
          (req.items ?? []) as unknown as Array<{ seat?: { rowLabel: string; seatLabel: string } }>
        ).flatMap((i) => (i.seat ? [i.seat] : []));
        for (const i of items) state.set(`${i.rowLabel}-${i.seatLabel}`, SeatState.HELD);
        hold = {
          id: randomUUID(),
          eventId,
          state: HoldState.ACTIVE,
          items: items.map((i) => ({
            kind: { case: "seat", value: { sectionId: stalls?.id ?? "", ...i } },
            price: money("Stalls"),
          })),
          total: money("Stalls", items.length),
          createTime: timestampFromDate(new Date()),
          expireTime: timestampFromDate(new Date(Date.now() + 9 * 60_000 + 42_000)),
        };
        return unary(route, HoldSeatsResponseSchema, { hold });
      }
      case "Checkout": {
        const lines = (hold?.items ?? []).map((i) => {
          const v = i.kind?.case === "seat" ? i.kind.value : undefined;
          state.set(`${v?.rowLabel}-${v?.seatLabel}`, SeatState.SOLD);
          const t = {
            id: randomUUID(),
            eventId,
            sectionId: stalls?.id ?? "",
            rowLabel: v?.rowLabel ?? "",
            seatLabel: v?.seatLabel ?? "",
            state: TicketState.VALID,
            code: `BX1.${randomUUID()}.${randomUUID()}`,
          };
          tickets.push(t);
          return {
            sectionId: t.sectionId,
            rowLabel: t.rowLabel,
            seatLabel: t.seatLabel,
            quantity: 1,
            unitPrice: money("Stalls"),
            amount: money("Stalls"),
          };
        });
        order = {
          id: randomUUID(),
          eventId,
          holdId: hold?.id ?? "",
          state: OrderState.CONFIRMED,
          lines,
          total: hold?.total,
          ticketIds: tickets.map((t) => t.id ?? ""),
          createTime: timestampFromDate(new Date()),
        };
        return unary(route, CheckoutResponseSchema, { order });
      }
      case "WatchOrder":
        return stream(route, WatchOrderResponseSchema, { update: { case: "order", value: order ?? {} } });
      case "ListOrders":
        return unary(route, ListOrdersResponseSchema, { orders: order ? [order] : [] });
      case "GetTicket":
        return unary(route, GetTicketResponseSchema, { ticket: tickets.find((t) => t.id === req.ticketId) ?? {} });
      case "ListTickets":
        return unary(route, ListTicketsResponseSchema, { tickets });
      case "CheckIn": {
        const t = tickets[0] ?? {
          sectionId: stalls?.id ?? "",
          rowLabel: "A",
          seatLabel: "3",
          state: TicketState.VALID,
        };
        if (scans++ === 0)
          return unary(route, CheckInResponseSchema, {
            ticket: {
              ...t,
              state: TicketState.CHECKED_IN,
              checkInTime: timestampFromDate(new Date(Date.now() - 95_000)),
            },
          });
        const info = create(ErrorInfoSchema, {
          reason: "ALREADY_CHECKED_IN",
          domain: "ticket.boxoffice",
          metadata: { ticket_id: "", check_in_time: new Date(Date.now() - 95_000).toISOString() },
        });
        return route.fulfill({
          status: 400,
          contentType: "application/json",
          body: JSON.stringify({
            code: "failed_precondition",
            message: "ticket already checked in",
            details: [
              {
                type: "google.rpc.ErrorInfo",
                value: Buffer.from(toBinary(ErrorInfoSchema, info)).toString("base64").replace(/=+$/, ""),
              },
            ],
          }),
        });
      }
      default:
        return route.continue();
    }
  });
}
