import { clone, create } from "@bufbuild/protobuf";
import { FieldMaskSchema, timestampDate, timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { type Event, EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import {
  type CancelEventRequest,
  CancelEventRequestSchema,
  CancelEventResponseSchema,
  type CreateEventRequest,
  CreateEventRequestSchema,
  CreateEventResponseSchema,
  type PublishEventRequest,
  PublishEventRequestSchema,
  PublishEventResponseSchema,
  type UpdateEventRequest,
  UpdateEventRequestSchema,
  UpdateEventResponseSchema,
} from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import {
  EventCancelledSchema,
  EventPublishedSchema,
  EventUpdatedSchema,
} from "../../../gen/boxoffice/event/v1/events_pb.js";
import { eventType } from "../../../platform/bus/events.js";
import type { OutboxEvent } from "../../../platform/bus/outbox.js";
import { idempotencyKey } from "../../../platform/db/idempotency.js";
import type { Tx } from "../../../platform/db/index.js";
import {
  AbortedError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../../../platform/rpc/errors.js";
import { defaultMaxTickets, eventViolations } from "../domain/validation.js";
import {
  type EventRow,
  insertEventRow,
  loadEvent,
  loadEventRow,
  loadTiers,
  recordRevision,
  replaceTiers,
  toEvent,
  updateEventRow,
  venueSectionIds,
} from "../repository.js";
import { assertOwner, type Caller, caller, type EventDeps } from "./context.js";

export const EventPublished = eventType(EventPublishedSchema, "event");
export const EventUpdated = eventType(EventUpdatedSchema, "event");
export const EventCancelled = eventType(EventCancelledSchema, "event");

/** Fields UpdateEvent may change (AIP-134 paths). */
const updatable = new Set([
  "name",
  "description",
  "start_time",
  "end_time",
  "price_tiers",
  "max_tickets_per_order",
  "sales_start_time",
  "sales_end_time",
  "venue_id",
]);
/**
 * The sellable layout: changing one bumps layout_version, and only a DRAFT may change them — the
 * ticket service sells the published layout. Prices are not in it: they may change after
 * publishing (each change a new revision and an EventUpdated), as texts and times may.
 */
const layoutFields = new Set(["venue_id", "max_tickets_per_order", "sales_start_time", "sales_end_time"]);

const required = (field: string) => new InvalidArgumentError([{ field, description: "required", reason: "REQUIRED" }]);

async function venueFor(tx: Tx, venueId: string, who: Caller) {
  if (venueId === "") throw required("event.venue_id");
  const venue = await venueSectionIds(tx, venueId);
  if (venue === undefined) throw new NotFoundError("venue", venueId);
  assertOwner(who, venue.organizerId, "venue");
  return venue;
}

/** The event row, locked for the transaction; NOT_FOUND, or PERMISSION_DENIED for another organiser's. */
async function lockOwned(tx: Tx, id: string, who: Caller): Promise<EventRow> {
  if (id === "") throw required("event_id");
  const row = await loadEventRow(tx, id, true);
  if (row === undefined) throw new NotFoundError("event", id);
  assertOwner(who, row.organizerId, "event");
  return row;
}

async function current(tx: Tx, row: EventRow, nowMs: number): Promise<Event> {
  return toEvent(row, await loadTiers(tx, [row.id]), nowMs);
}

/**
 * Commits one change of an event inside the caller's transaction: the row (with the next revision),
 * the revision's snapshot, and the integration event `announce` derives from the result, if any.
 */
async function commitChange(
  d: EventDeps,
  tx: Tx,
  row: EventRow,
  set: Parameters<typeof updateEventRow>[2],
  changed: string[],
  who: Caller,
  now: number,
  announce: (e: Event, at: Date) => OutboxEvent | undefined,
): Promise<Event> {
  const at = new Date(now);
  await updateEventRow(tx, row.id, { ...set, revision: row.revision + 1, updateTime: at });
  const event = (await loadEvent(tx, row.id, now))!;
  await recordRevision(tx, event, changed, who.id, at);
  const integration = announce(event, at);
  if (integration !== undefined) await d.outbox.add(tx, integration);
  return event;
}

/** Writers invalidate after commit and before answering: Redis is never stale after a write's response. */
async function afterWrite(d: EventDeps, id: string): Promise<void> {
  d.outbox.notify();
  await d.cache.invalidate(id);
}

export async function createEvent(d: EventDeps, req: CreateEventRequest, ctx: HandlerContext): Promise<Event> {
  const key = idempotencyKey(ctx, req.requestId);
  const who = caller(ctx);
  if (req.event === undefined) throw required("event");
  const { response } = await d.idempotency.run(
    key,
    { schema: CreateEventRequestSchema, message: req },
    CreateEventResponseSchema,
    async (tx) => {
      const now = d.clock.now();
      const e = clone(EventSchema, req.event!);
      const venue = await venueFor(tx, e.venueId, who);
      e.timeZone = venue.timeZone;
      e.maxTicketsPerOrder ||= defaultMaxTickets;
      const violations = eventViolations(e, venue.sectionIds);
      if (violations.length > 0) throw new InvalidArgumentError(violations);
      const id = d.newId();
      const at = new Date(now);
      await insertEventRow(tx, {
        id,
        organizerId: venue.organizerId,
        venueId: e.venueId,
        name: e.name.trim(),
        description: e.description,
        city: venue.city,
        startTime: timestampDate(e.startTime!),
        endTime: timestampDate(e.endTime!),
        timeZone: e.timeZone,
        state: "DRAFT",
        maxTicketsPerOrder: e.maxTicketsPerOrder,
        salesStartTime: e.salesStartTime ? timestampDate(e.salesStartTime) : null,
        salesEndTime: e.salesEndTime ? timestampDate(e.salesEndTime) : null,
        layoutVersion: 1,
        revision: 1,
        createTime: at,
        updateTime: at,
      });
      await replaceTiers(tx, id, e.priceTiers);
      const created = (await loadEvent(tx, id, now))!;
      await recordRevision(tx, created, ["*"], who.id, at);
      return { event: created };
    },
  );
  return response.event!;
}

export async function updateEvent(d: EventDeps, req: UpdateEventRequest, ctx: HandlerContext): Promise<Event> {
  const key = idempotencyKey(ctx, req.requestId);
  const who = caller(ctx);
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0)
    throw new InvalidArgumentError([
      { field: "update_mask", description: "list the fields to change", reason: "REQUIRED" },
    ]);
  const unknown = paths.filter((p) => !updatable.has(p));
  if (unknown.length > 0) {
    throw new InvalidArgumentError([
      {
        field: "update_mask",
        description: `not updatable: ${unknown.join(", ")}; updatable: ${[...updatable].join(", ")}`,
        reason: "UNKNOWN_FIELD",
      },
    ]);
  }
  if (req.event === undefined || req.event.id === "") throw required("event.id");
  const { response } = await d.idempotency.run(
    key,
    { schema: UpdateEventRequestSchema, message: req },
    UpdateEventResponseSchema,
    async (tx) => {
      const now = d.clock.now();
      const row = await lockOwned(tx, req.event!.id, who);
      if (req.expectedRevision !== 0n && BigInt(row.revision) !== req.expectedRevision) {
        throw new AbortedError(
          "REVISION_MISMATCH",
          `the event is at revision ${row.revision}, not ${req.expectedRevision}; read it again`,
          { revision: String(row.revision) },
        );
      }
      const before = await current(tx, row, now);
      if (before.state !== EventState.DRAFT && before.state !== EventState.PUBLISHED) {
        throw new FailedPreconditionError("EVENT_NOT_EDITABLE", `a ${EventState[before.state]} event cannot change`);
      }
      const next = clone(EventSchema, before);
      const src = req.event!;
      for (const p of paths) {
        switch (p) {
          case "name":
            next.name = src.name;
            break;
          case "description":
            next.description = src.description;
            break;
          case "start_time":
            next.startTime = src.startTime;
            break;
          case "end_time":
            next.endTime = src.endTime;
            break;
          case "price_tiers":
            next.priceTiers = src.priceTiers;
            break;
          case "max_tickets_per_order":
            next.maxTicketsPerOrder = src.maxTicketsPerOrder || defaultMaxTickets;
            break;
          case "sales_start_time":
            next.salesStartTime = src.salesStartTime;
            break;
          case "sales_end_time":
            next.salesEndTime = src.salesEndTime;
            break;
          case "venue_id":
            next.venueId = src.venueId;
            break;
        }
      }
      const changed = paths.filter((p) => fieldChanged(p, before, next));
      const venueChanged = next.venueId !== before.venueId;
      const layoutChanged =
        changed.some((p) => layoutFields.has(p)) ||
        (before.state === EventState.DRAFT && changed.includes("price_tiers"));
      if (before.state !== EventState.DRAFT && changed.some((p) => layoutFields.has(p))) {
        throw new FailedPreconditionError(
          "LAYOUT_FROZEN",
          `a published event's layout cannot change (${changed.filter((p) => layoutFields.has(p)).join(", ")})`,
        );
      }
      const venue = await venueFor(tx, next.venueId, who);
      next.timeZone = venue.timeZone;
      const violations = eventViolations(next, venue.sectionIds);
      if (violations.length > 0) throw new InvalidArgumentError(violations);
      if (paths.includes("price_tiers") || venueChanged)
        await replaceTiers(tx, row.id, venueChanged && !paths.includes("price_tiers") ? [] : next.priceTiers);
      const set = {
        name: next.name.trim(),
        description: next.description,
        startTime: timestampDate(next.startTime!),
        endTime: timestampDate(next.endTime!),
        maxTicketsPerOrder: next.maxTicketsPerOrder,
        salesStartTime: next.salesStartTime ? timestampDate(next.salesStartTime) : null,
        salesEndTime: next.salesEndTime ? timestampDate(next.salesEndTime) : null,
        venueId: next.venueId,
        city: venue.city,
        timeZone: venue.timeZone,
        layoutVersion: layoutChanged ? row.layoutVersion + 1 : row.layoutVersion,
      };
      const updated = await commitChange(d, tx, row, set, changed, who, now, (e, at) =>
        before.state === EventState.PUBLISHED && changed.length > 0
          ? {
              type: EventUpdated,
              payload: {
                eventId: e.id,
                revision: e.revision,
                changedFields: create(FieldMaskSchema, { paths: changed }),
                updateTime: timestampFromDate(at),
                name: e.name,
                startTime: e.startTime,
                endTime: e.endTime,
              },
              aggregate: { type: "event", id: e.id, version: e.revision },
            }
          : undefined,
      );
      return { event: updated };
    },
  );
  await afterWrite(d, response.event!.id);
  return response.event!;
}

export async function publishEvent(d: EventDeps, req: PublishEventRequest, ctx: HandlerContext): Promise<Event> {
  const key = idempotencyKey(ctx, req.requestId);
  const who = caller(ctx);
  const { response } = await d.idempotency.run(
    key,
    { schema: PublishEventRequestSchema, message: req },
    PublishEventResponseSchema,
    async (tx) => {
      const now = d.clock.now();
      const row = await lockOwned(tx, req.eventId, who);
      if (row.state !== "DRAFT")
        throw new FailedPreconditionError(
          "EVENT_NOT_DRAFT",
          `only a DRAFT event can be published; this one is ${row.state}`,
        );
      if (row.startTime.getTime() <= now)
        throw new FailedPreconditionError("EVENT_IN_PAST", "the event has already started");
      if (row.salesStartTime === null || row.salesEndTime === null) {
        throw new FailedPreconditionError(
          "SALES_WINDOW_MISSING",
          "set sales_start_time and sales_end_time before publishing",
        );
      }
      const venue = await venueSectionIds(tx, row.venueId);
      const priced = new Set((await loadTiers(tx, [row.id])).map((t) => t.sectionId));
      const missing = [...(venue?.sectionIds ?? [])].filter((s) => !priced.has(s));
      if (missing.length > 0)
        throw new FailedPreconditionError(
          "MISSING_PRICES",
          `every section needs a price before publishing (${missing.length} without)`,
          { sections: missing.join(",") },
        );
      const published = await commitChange(
        d,
        tx,
        row,
        { state: "PUBLISHED", publishTime: new Date(now) },
        ["state"],
        who,
        now,
        (e, at) => ({
          type: EventPublished,
          payload: {
            eventId: e.id,
            organizerId: e.organizerId,
            layoutVersion: e.layoutVersion,
            publishTime: timestampFromDate(at),
            salesStartTime: e.salesStartTime,
            salesEndTime: e.salesEndTime,
          },
          aggregate: { type: "event", id: e.id, version: e.revision },
        }),
      );
      return { event: published };
    },
  );
  await afterWrite(d, response.event!.id);
  return response.event!;
}

export async function cancelEvent(d: EventDeps, req: CancelEventRequest, ctx: HandlerContext): Promise<Event> {
  const key = idempotencyKey(ctx, req.requestId);
  const who = caller(ctx);
  if (req.reason.trim() === "")
    throw new InvalidArgumentError([
      { field: "reason", description: "required: ticket holders are told why", reason: "REQUIRED" },
    ]);
  if (req.reason.length > 500)
    throw new InvalidArgumentError([{ field: "reason", description: "at most 500 characters", reason: "TOO_LONG" }]);
  const { response } = await d.idempotency.run(
    key,
    { schema: CancelEventRequestSchema, message: req },
    CancelEventResponseSchema,
    async (tx) => {
      const now = d.clock.now();
      const row = await lockOwned(tx, req.eventId, who);
      const state = (await current(tx, row, now)).state;
      if (state !== EventState.DRAFT && state !== EventState.PUBLISHED) {
        throw new FailedPreconditionError("EVENT_NOT_CANCELLABLE", `a ${EventState[state]} event cannot be cancelled`);
      }
      const set = { state: "CANCELLED", cancelTime: new Date(now), cancelReason: req.reason };
      const cancelled = await commitChange(d, tx, row, set, ["state"], who, now, (e, at) => ({
        type: EventCancelled,
        payload: {
          eventId: e.id,
          reason: req.reason,
          cancelTime: timestampFromDate(at),
          name: e.name,
          startTime: e.startTime,
        },
        aggregate: { type: "event", id: e.id, version: e.revision },
      }));
      return { event: cancelled };
    },
  );
  await afterWrite(d, response.event!.id);
  return response.event!;
}

/** ENDED is derived: a cached PUBLISHED entry must not outlive its end time. */
export function withDerivedState(e: Event, nowMs: number): Event {
  if (e.state === EventState.PUBLISHED && e.endTime !== undefined && timestampMs(e.endTime) <= nowMs) {
    const ended = clone(EventSchema, e);
    ended.state = EventState.ENDED;
    return ended;
  }
  return e;
}

/** Whether an update path really changes the event (EventUpdated lists only those). */
function fieldChanged(path: string, a: Event, b: Event): boolean {
  const pick = (e: Event): unknown => {
    switch (path) {
      case "name":
        return e.name.trim();
      case "description":
        return e.description;
      case "start_time":
        return e.startTime === undefined ? null : timestampMs(e.startTime);
      case "end_time":
        return e.endTime === undefined ? null : timestampMs(e.endTime);
      case "sales_start_time":
        return e.salesStartTime === undefined ? null : timestampMs(e.salesStartTime);
      case "sales_end_time":
        return e.salesEndTime === undefined ? null : timestampMs(e.salesEndTime);
      case "max_tickets_per_order":
        return e.maxTicketsPerOrder;
      case "venue_id":
        return e.venueId;
      case "price_tiers":
        return JSON.stringify(
          [...e.priceTiers].map((t) => [t.sectionId, t.price?.currencyCode, String(t.price?.amountMinor)]).sort(),
        );
    }
    return undefined;
  };
  return pick(a) !== pick(b);
}
