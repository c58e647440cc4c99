/**
 * One buyer's on-sale, as a storefront would run it: read the event and the availability, hold
 * (chosen seats, best available or standing places), check out with a payment token, follow the
 * order to a final state with WatchOrder — or abandon the hold. Every call is recorded; calls are
 * retried with the same request_id on UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED until
 * the buyer's deadline, as a well-behaved client does (the fault suite relies on it).
 */
import { randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { SeatState } from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { HoldItem, HoldItemSchema } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { type Order, OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { as, type OnsaleClients } from "./clients.js";
import type { OnsaleEvent, SectionInfo } from "./event-setup.js";
import { between, weighted } from "./random.js";
import { type Recorder, reasonOf } from "./record.js";

export type HoldKind = "seat" | "best" | "ga";
export type Abandon = "none" | "release" | "walk";

/** How a crowd of buyers behaves (shares need not sum to 1). */
export interface BuyerMix {
  kinds: Record<HoldKind, number>;
  /** Payment tokens of the sandbox provider and their shares. */
  tokens: Record<string, number>;
  /** Places per hold ("1".."8") and their shares. */
  quantities: Record<string, number>;
  /** Share of buyers who hold and then give up (half release, half walk away). */
  abandon: number;
}

/** The bench's crowd: mostly sandbox_ok; a few declines, provider errors, lost answers and slow charges. */
export const benchMix: BuyerMix = {
  kinds: { seat: 0.35, best: 0.35, ga: 0.3 },
  tokens: {
    sandbox_ok: 0.88,
    sandbox_declined: 0.04,
    sandbox_insufficient_funds: 0.02,
    sandbox_error: 0.02,
    sandbox_lost_answer: 0.02,
    sandbox_slow: 0.02,
  },
  quantities: { "1": 0.2, "2": 0.45, "3": 0.15, "4": 0.2 },
  abandon: 0.08,
};

export interface BuyerPlan {
  kind: HoldKind;
  quantity: number;
  token: string;
  abandon: Abandon;
}

export function planBuyer(random: () => number, mix: BuyerMix): BuyerPlan {
  const abandoning = random() < mix.abandon;
  return {
    kind: weighted(random, mix.kinds),
    quantity: Number(weighted(random, mix.quantities)),
    token: weighted(random, mix.tokens),
    abandon: abandoning ? (random() < 0.5 ? "release" : "walk") : "none",
  };
}

export type FinalState = "CONFIRMED" | "FAILED" | "CANCELLED" | "PENDING_PAYMENT" | "NO_HOLD" | "ABANDONED" | "ERROR";

/** What happened to one buyer; times are wall-clock ms (undefined when the step never happened). */
export interface BuyerResult {
  buyer: number;
  plan: BuyerPlan;
  arriveMs: number;
  /** Start of the HoldSeats call that succeeded. */
  holdStartMs?: number;
  holdOkMs?: number;
  holdId?: string;
  holdAttempts: number;
  places: number;
  amountMinor: number;
  checkoutStartMs?: number;
  checkoutAnsweredMs?: number;
  orderId?: string;
  final: FinalState;
  finalMs: number;
  failureReason?: string;
  error?: string;
}

/** Counters the progress display reads while buyers run. */
export interface Live {
  arrived: number;
  held: number;
  checkingOut: number;
  confirmed: number;
  done: number;
}

export interface BuyerContext {
  clients: OnsaleClients;
  event: OnsaleEvent;
  token: string;
  rec: Recorder;
  random: () => number;
  /** Wall-clock ms after which the buyer stops retrying and reports what it has. */
  deadlineMs: number;
  live: Live;
}

const terminal = new Set([OrderState.CONFIRMED, OrderState.FAILED, OrderState.CANCELLED]);

export async function runBuyer(buyer: number, plan: BuyerPlan, c: BuyerContext): Promise<BuyerResult> {
  const r: BuyerResult = {
    buyer,
    plan,
    arriveMs: Date.now(),
    holdAttempts: 0,
    places: 0,
    amountMinor: 0,
    final: "ERROR",
    finalMs: 0,
  };
  c.live.arrived++;
  const opts = (timeoutMs = 10_000) => as(c.token, timeoutMs);
  const { eventId } = c.event;
  try {
    await c.rec.retrying("GetEvent", c.deadlineMs, () => c.clients.events.getEvent({ eventId }, opts()), c.random);
    let availability = (
      await c.rec.retrying(
        "GetAvailability",
        c.deadlineMs,
        () => c.clients.tickets.getAvailability({ eventId }, opts()),
        c.random,
      )
    ).availability;
    const left = (s: SectionInfo) => availability?.sections.find((x) => x.sectionId === s.id)?.available ?? s.capacity;
    const reserved = c.event.sections.filter((s) => s.kind === "reserved");
    const ga = c.event.sections.filter((s) => s.kind === "ga");
    // the buyer's wishes in order: its kind first, then the other reserved section, then standing
    const wishes: Array<{ kind: HoldKind; section: SectionInfo }> = [];
    const first = reserved[Math.floor(c.random() * reserved.length)];
    if (plan.kind !== "ga" && first !== undefined) {
      wishes.push({ kind: plan.kind, section: first });
      for (const s of reserved) if (s !== first) wishes.push({ kind: "best", section: s });
    }
    for (const s of ga) wishes.push({ kind: "ga", section: s });
    if (plan.kind === "ga") for (const s of reserved) wishes.push({ kind: "best", section: s });

    let hold: { id: string; places: number; amount: number } | undefined;
    for (const w of wishes) {
      if (left(w.section) < plan.quantity) continue;
      for (let pick = 0; pick < (w.kind === "seat" ? 3 : 1) && hold === undefined; pick++) {
        let items: MessageInitShape<typeof HoldItemSchema>[];
        if (w.kind === "seat") {
          const seats = await c.rec.retrying(
            "GetAvailability",
            c.deadlineMs,
            () => c.clients.tickets.getAvailability({ eventId, includeSeats: true, sectionId: w.section.id }, opts()),
            c.random,
          );
          const chosen = pickSeats(seats.availability?.sections[0]?.rows ?? [], plan.quantity, c.random);
          if (chosen === undefined) break;
          items = chosen.map((s) => ({ kind: { case: "seat", value: { sectionId: w.section.id, ...s } } }));
        } else if (w.kind === "best") {
          items = [{ kind: { case: "bestAvailable", value: { sectionId: w.section.id, quantity: plan.quantity } } }];
        } else {
          items = [{ kind: { case: "generalAdmission", value: { sectionId: w.section.id, quantity: plan.quantity } } }];
        }
        r.holdAttempts++;
        const requestId = randomUUID();
        const start = Date.now();
        try {
          const res = await c.rec.retrying(
            "HoldSeats",
            c.deadlineMs,
            () => c.clients.tickets.holdSeats({ requestId, eventId, items }, opts()),
            c.random,
          );
          if (res.hold === undefined) throw new Error("HoldSeats answered without a hold");
          r.holdStartMs = start;
          r.holdOkMs = Date.now();
          hold = {
            id: res.hold.id,
            places: countPlaces(res.hold.items),
            amount: Number(res.hold.total?.amountMinor ?? 0n),
          };
        } catch (e) {
          const err = ConnectError.from(e);
          if (err.code !== Code.FailedPrecondition) throw err;
          // SEATS_UNAVAILABLE: someone was faster, try elsewhere; SALES_CLOSED, BUYER_LIMIT_REACHED…: give up
          if (reasonOf(err) !== "SEATS_UNAVAILABLE") {
            r.failureReason = reasonOf(err) || err.rawMessage;
            return finish(r, "NO_HOLD", c);
          }
          availability = (
            await c.rec.retrying(
              "GetAvailability",
              c.deadlineMs,
              () => c.clients.tickets.getAvailability({ eventId }, opts()),
              c.random,
            )
          ).availability;
        }
      }
      if (hold !== undefined) break;
    }
    if (hold === undefined) return finish(r, "NO_HOLD", c);
    r.holdId = hold.id;
    r.places = hold.places;
    r.amountMinor = hold.amount;
    c.live.held++;

    if (plan.abandon !== "none") {
      if (plan.abandon === "release") {
        const requestId = randomUUID();
        await c.rec.retrying(
          "ReleaseHold",
          c.deadlineMs,
          () => c.clients.tickets.releaseHold({ requestId, holdId: hold.id }, opts()),
          c.random,
        );
      }
      return finish(r, "ABANDONED", c);
    }

    const requestId = randomUUID();
    r.checkoutStartMs = Date.now();
    c.live.checkingOut++;
    let order: Order | undefined;
    try {
      order = (
        await c.rec.retrying(
          "Checkout",
          c.deadlineMs,
          () => c.clients.tickets.checkout({ requestId, holdId: hold.id, paymentToken: plan.token }, opts(30_000)),
          c.random,
        )
      ).order;
      r.checkoutAnsweredMs = Date.now();
      if (order === undefined) throw new Error("Checkout answered without an order");
      r.orderId = order.id;
      if (!terminal.has(order.state)) order = await followOrder(c, order.id);
    } finally {
      c.live.checkingOut--;
    }
    r.failureReason = order.failureReason || undefined;
    const state = terminal.has(order.state) ? (OrderState[order.state] as FinalState) : "PENDING_PAYMENT";
    if (state === "CONFIRMED") c.live.confirmed++;
    return finish(r, state, c);
  } catch (e) {
    r.error = e instanceof Error ? e.message.slice(0, 300) : String(e);
    return finish(r, "ERROR", c);
  }
}

function finish(r: BuyerResult, final: FinalState, c: BuyerContext): BuyerResult {
  r.final = final;
  r.finalMs = Date.now();
  c.live.done++;
  return r;
}

/** WatchOrder until a final state (reconnecting, and reading GetOrder between streams) or the deadline. */
async function followOrder(c: BuyerContext, orderId: string): Promise<Order> {
  let last: Order | undefined;
  while (Date.now() < c.deadlineMs) {
    try {
      await c.rec.call("WatchOrder", async () => {
        const stream = c.clients.tickets.watchOrder(
          { orderId },
          as(c.token, Math.max(1_000, Math.min(30_000, c.deadlineMs - Date.now()))),
        );
        for await (const m of stream) {
          if (m.update.case === "order") {
            last = m.update.value;
            if (terminal.has(last.state)) return;
          }
        }
      });
      if (last !== undefined && terminal.has(last.state)) return last;
    } catch (e) {
      const err = e as ConnectError;
      if (err.code !== Code.DeadlineExceeded && err.code !== Code.Unavailable && err.code !== Code.ResourceExhausted)
        throw err;
    }
    // the stream ended or broke without a final state: read it once, then watch again
    try {
      last =
        (await c.rec.call("GetOrder", () => c.clients.tickets.getOrder({ orderId }, as(c.token, 5_000)))).order ?? last;
      if (last !== undefined && terminal.has(last.state)) return last;
    } catch (e) {
      const err = e as ConnectError;
      if (err.code !== Code.DeadlineExceeded && err.code !== Code.Unavailable && err.code !== Code.ResourceExhausted)
        throw err;
    }
    await new Promise((r) => setTimeout(r, 200 + c.random() * 300));
  }
  if (last === undefined) throw new Error(`order ${orderId}: no state seen before the deadline`);
  return last;
}

/** `quantity` adjacent AVAILABLE seats of one row, preferring the front rows (everyone wants them). */
export function pickSeats(
  rows: ReadonlyArray<{ rowLabel: string; seats: ReadonlyArray<{ seatLabel: string; state: SeatState }> }>,
  quantity: number,
  random: () => number,
): Array<{ rowLabel: string; seatLabel: string }> | undefined {
  const candidates: Array<{ row: number; at: number }> = [];
  rows.forEach((row, ri) => {
    let run = 0;
    row.seats.forEach((s, si) => {
      run = s.state === SeatState.AVAILABLE ? run + 1 : 0;
      if (run >= quantity) candidates.push({ row: ri, at: si - quantity + 1 });
    });
  });
  if (candidates.length === 0) return undefined;
  // the front third of the candidates gets most buyers: contention, as at a real on-sale
  const front = candidates.slice(0, Math.max(1, Math.ceil(candidates.length / 3)));
  const pool = random() < 0.7 ? front : candidates;
  const pick = pool[between(random, 0, pool.length - 1)]!;
  const row = rows[pick.row]!;
  return row.seats.slice(pick.at, pick.at + quantity).map((s) => ({ rowLabel: row.rowLabel, seatLabel: s.seatLabel }));
}

function countPlaces(items: readonly HoldItem[]): number {
  return items.reduce(
    (n, i) => n + (i.kind.case === "generalAdmission" ? i.kind.value.quantity : i.kind.case === undefined ? 0 : 1),
    0,
  );
}
