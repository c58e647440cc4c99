import { create } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Money, MoneySchema } from "../../gen/boxoffice/common/v1/money_pb.js";
import {
  type Availability,
  type AvailabilityChange,
  AvailabilityChangeSchema,
  AvailabilitySchema,
  RowAvailabilitySchema,
  SeatAvailabilitySchema,
  SeatState,
  type SectionAvailability,
  SectionAvailabilitySchema,
} from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import {
  type Hold,
  type HoldItem,
  HoldItemSchema,
  HoldSchema,
  HoldState,
} from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import type { SectionCounts } from "./db/availability.js";
import type { HoldView } from "./db/holds.js";
import type { Inventory, SectionInfo } from "./db/inventory.js";
import type { HoldItemInput } from "./domain/items.js";
import { salesClosedReason } from "./domain/limits.js";
import type { Changes } from "./domain/seat-map.js";
import type { LiveEvent } from "./live-availability.js";

/**
 * Rows ↔ messages, in one place: repositories return rows (or views), use-cases return messages
 * (what the idempotency store replays and what caches and streams hold), and this file is the bridge.
 */

const money = (currencyCode: string, amountMinor: number): Money =>
  create(MoneySchema, { currencyCode, amountMinor: BigInt(amountMinor) });

/** HoldSeats' items as the domain checks them (the proto's oneof → a tagged union). */
export function toHoldItemInputs(items: readonly HoldItem[]): HoldItemInput[] {
  return items.map((i): HoldItemInput => {
    switch (i.kind.case) {
      case "seat":
        return {
          kind: "seat",
          sectionId: i.kind.value.sectionId,
          rowLabel: i.kind.value.rowLabel,
          seatLabel: i.kind.value.seatLabel,
        };
      case "generalAdmission":
        return { kind: "generalAdmission", sectionId: i.kind.value.sectionId, quantity: i.kind.value.quantity };
      case "bestAvailable":
        return { kind: "bestAvailable", sectionId: i.kind.value.sectionId, quantity: i.kind.value.quantity };
      default:
        // protovalidate refuses an item with no kind before any handler runs
        throw new Error("hold item without a kind");
    }
  });
}

const holdStates: Record<HoldView["state"], HoldState> = {
  ACTIVE: HoldState.ACTIVE,
  RELEASED: HoldState.RELEASED,
  EXPIRED: HoldState.EXPIRED,
  CONVERTED: HoldState.CONVERTED,
};

/** A hold as the API shows it: best-available seats are seat items, GA one item per section. */
export function toHold(h: HoldView): Hold {
  const items: HoldItem[] = [
    ...h.seats.map((s) =>
      create(HoldItemSchema, {
        kind: { case: "seat", value: { sectionId: s.sectionId, rowLabel: s.rowLabel, seatLabel: s.seatLabel } },
        price: money(h.currencyCode, s.priceMinor),
      }),
    ),
    ...h.generalAdmission.map((g) =>
      create(HoldItemSchema, {
        kind: { case: "generalAdmission", value: { sectionId: g.sectionId, quantity: g.quantity } },
        price: money(h.currencyCode, g.unitPriceMinor * g.quantity),
      }),
    ),
  ];
  return create(HoldSchema, {
    id: h.id,
    eventId: h.eventId,
    userId: h.buyerId,
    items,
    state: holdStates[h.state],
    expireTime: timestampFromDate(h.expireTime),
    createTime: timestampFromDate(h.createTime),
    total: money(h.currencyCode, h.totalMinor),
    orderId: h.orderId ?? "",
  });
}

/** The cached part of GetAvailability: counts per section (prices and the sales state are added per read). */
export function toCounts(inv: Inventory, counts: readonly SectionCounts[], asOf: Date): Availability {
  const by = new Map(counts.map((c) => [c.sectionNo, c]));
  return create(AvailabilitySchema, {
    eventId: inv.sales.eventId,
    asOfTime: timestampFromDate(asOf),
    sections: inv.sections.map((s) => {
      const c = by.get(s.sectionNo) ?? { total: s.capacity, available: s.capacity, held: 0, sold: 0 };
      return { sectionId: s.sectionId, total: c.total, available: c.available, held: c.held, sold: c.sold };
    }),
  });
}

const onSale = (inv: Inventory, nowMs: number) => salesClosedReason(inv.sales, new Date(nowMs)) === undefined;
const priceOf = (s: SectionInfo) => money(s.currencyCode, s.priceMinor);

/** GetAvailability's answer from the cached counts: prices and on_sale from the inventory now. */
export function toAvailability(
  inv: Inventory,
  counts: Availability,
  nowMs: number,
  only: SectionInfo | undefined,
): Availability {
  const byId = new Map(inv.sections.map((s) => [s.sectionId, s]));
  return create(AvailabilitySchema, {
    eventId: counts.eventId,
    asOfTime: counts.asOfTime,
    onSale: onSale(inv, nowMs),
    sections: counts.sections
      .filter((c) => only === undefined || c.sectionId === only.sectionId)
      .map((c) => ({ ...c, price: priceOf(byId.get(c.sectionId)!) })),
  });
}

const seatStates = [SeatState.AVAILABLE, SeatState.HELD, SeatState.SOLD];

/** One section of a live map: counts, price and (reserved, when asked) the given seats by row. */
function liveSection(live: LiveEvent, s: SectionInfo, seats: Iterable<number> | undefined): SectionAvailability {
  const c = live.map.counts(s.sectionNo);
  const section = create(SectionAvailabilitySchema, {
    sectionId: s.sectionId,
    total: c.total,
    available: c.available,
    held: c.held,
    sold: c.sold,
    price: priceOf(s),
  });
  if (seats === undefined || s.kind !== "RESERVED") return section;
  const { rowNo, rowLabel, seatLabel } = live.labels;
  let row: SectionAvailability["rows"][number] | undefined;
  let rowOf = -1;
  for (const n of seats) {
    if (row === undefined || rowNo[n] !== rowOf) {
      rowOf = rowNo[n]!;
      row = create(RowAvailabilitySchema, { rowLabel: rowLabel[n]! });
      section.rows.push(row);
    }
    row.seats.push(create(SeatAvailabilitySchema, { seatLabel: seatLabel[n]!, state: seatStates[live.map.state(n)]! }));
  }
  return section;
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i < to; i++) yield i;
}

/** Which part of the event a stream or read wants. */
export interface View {
  readonly section: SectionInfo | undefined;
  readonly seats: boolean;
}

/** A view as a key (for what is built once per view and shared). */
export const viewKey = (v: View) => `${v.section?.sectionNo ?? "*"}:${v.seats ? "s" : "c"}`;

/** A full snapshot of a live map (shared by every stream of the same view at this version). */
export function liveSnapshot(live: LiveEvent, view: View, nowMs: number): Availability {
  const key = `snap:${viewKey(view)}`;
  const built = live.built.get(key) as Availability | undefined;
  if (built !== undefined && built.onSale === onSale(live.inventory, nowMs)) return built;
  const msg = create(AvailabilitySchema, {
    eventId: live.eventId,
    asOfTime: timestampFromMs(live.asOf),
    onSale: onSale(live.inventory, nowMs),
    sections: live.inventory.sections
      .filter((s) => view.section === undefined || s.sectionNo === view.section.sectionNo)
      .map((s) => liveSection(live, s, view.seats ? range(s.firstSeat, s.firstSeat + s.capacity) : undefined)),
  });
  live.built.set(key, msg);
  return msg;
}

/**
 * The changes a stream of `view` has not seen (sections whose counts changed, with only the seats
 * that changed), or undefined when none of them concern it.
 */
export function liveChange(
  live: LiveEvent,
  since: number,
  changes: Changes,
  view: View,
  nowMs: number,
): AvailabilityChange | undefined {
  const key = `change:${since}:${viewKey(view)}`;
  if (live.built.has(key)) return live.built.get(key) as AvailabilityChange | undefined;
  const sections = live.inventory.sections.filter(
    (s) => changes.sections.has(s.sectionNo) && (view.section === undefined || s.sectionNo === view.section.sectionNo),
  );
  let msg: AvailabilityChange | undefined;
  if (sections.length > 0) {
    msg = create(AvailabilityChangeSchema, {
      eventId: live.eventId,
      asOfTime: timestampFromMs(live.asOf),
      onSale: onSale(live.inventory, nowMs),
      sections: sections.map((s) =>
        liveSection(
          live,
          s,
          view.seats ? changes.seats.filter((n) => n >= s.firstSeat && n < s.firstSeat + s.capacity) : undefined,
        ),
      ),
    });
  }
  live.built.set(key, msg);
  return msg;
}
