import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, Code } from "@connectrpc/connect";
import { SeatState } from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { Hold } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { HoldState } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { sleep } from "../../platform/clock/index.js";
import type { InventoryPort } from "../../services/ticket/deps.js";
import { invalid, reason, rejects } from "../support/assert.js";
import {
  availabilityOf,
  clientsOf,
  ga,
  grid,
  type Proc,
  type Published,
  publishEvent,
  stackEnv,
  startTestProcess,
  type TokenMint,
} from "./ticket-kit.js";

const TTL_SECONDS = 600;
const seat = (sectionId: string, row: string, label: string) => ({
  kind: { case: "seat" as const, value: { sectionId, rowLabel: row, seatLabel: label } },
});
const gaItem = (sectionId: string, quantity: number) => ({
  kind: { case: "generalAdmission" as const, value: { sectionId, quantity } },
});
const best = (sectionId: string, quantity: number) => ({
  kind: { case: "bestAvailable" as const, value: { sectionId, quantity } },
});
const placesOf = (h: Hold) =>
  h.items.reduce((n, i) => n + (i.kind.case === "generalAdmission" ? i.kind.value.quantity : 1), 0);

/**
 * HoldSeats, ReleaseHold, GetAvailability and WatchAvailability through the one port of an
 * all-in-one process: the event is built and published through the event service, the ticket
 * service materialises it from EventPublished, and every answer is checked against the contract.
 */
describe("ticket: holds and availability through the one port", function () {
  this.timeout(60_000);
  let proc: Proc;
  let mint: TokenMint;
  let ev: Published;
  let t: ReturnType<typeof clientsOf>;
  let stalls: string;
  let balcony: string;
  let standing: string;

  before(async () => {
    const stack = await stackEnv({ BOXOFFICE_TICKET_HOLD_TTL_SECONDS: String(TTL_SECONDS) });
    mint = stack.mint;
    proc = await startTestProcess({ env: stack.env, echo: false });
    t = clientsOf(proc);
    ev = await publishEvent(proc, mint, [grid("Stalls", 3, 6, 3), grid("Balcony", 2, 4), ga("Standing", 20)], {
      maxPerOrder: 6,
    });
    [stalls, balcony, standing] = ev.sections as [string, string, string];
  });
  after(() => proc?.stop());

  const hold = async (
    who: CallOptions,
    items: ReturnType<typeof seat | typeof gaItem | typeof best>[],
    rid = randomUUID(),
  ) => (await t.tickets.holdSeats({ requestId: rid, eventId: ev.event.id, items }, who)).hold!;
  const counts = async () => {
    await sleep(700); // the cached counts are invalidated within BOXOFFICE_TICKET_AVAILABILITY_INVALIDATE_MS
    const a = await availabilityOf(proc, ev.event.id);
    return Object.fromEntries(a.sections.map((s) => [s.sectionId, s]));
  };

  it("GetAvailability: counts and prices per section, on sale; seat states; unknown event and section refused", async () => {
    const a = await availabilityOf(proc, ev.event.id);
    assert.equal(a.onSale, true);
    assert.deepEqual(
      a.sections.map((s) => [s.total, s.available, s.held, s.sold, Number(s.price?.amountMinor)]),
      [
        [18, 18, 0, 0, 2500],
        [8, 8, 0, 0, 3500],
        [20, 20, 0, 0, 4500],
      ],
    );
    const { availability } = await t.tickets.getAvailability({
      eventId: ev.event.id,
      includeSeats: true,
      sectionId: stalls,
    });
    assert.equal(availability!.sections.length, 1);
    const rows = availability!.sections[0]!.rows;
    assert.deepEqual(
      rows[0]!.seats.map((s) => s.seatLabel),
      ["1", "2", "3", "5", "6", "7"],
      "layout order, the gap kept",
    );
    assert.ok(rows.every((r) => r.seats.every((s) => s.state === SeatState.AVAILABLE)));
    await rejects(t.tickets.getAvailability({ eventId: randomUUID() }), Code.NotFound, "unknown event");
    await invalid(
      t.tickets.getAvailability({ eventId: ev.event.id, sectionId: randomUUID() }),
      "section_id",
      "unknown section",
    );
  });

  it("HoldSeats: specific seats, GA and best available in one hold, priced, until now + the TTL", async () => {
    const buyer = await mint.as();
    const before = Date.now();
    const h = await hold(buyer, [
      seat(stalls, "1", "1"),
      seat(stalls, "1", "2"),
      gaItem(standing, 2),
      best(balcony, 2),
    ]);
    assert.equal(h.state, HoldState.ACTIVE);
    assert.equal(placesOf(h), 6);
    assert.equal(Number(h.total?.amountMinor), 2 * 2500 + 2 * 4500 + 2 * 3500);
    const expire = timestampMs(h.expireTime!);
    assert.ok(expire >= before + TTL_SECONDS * 1000 - 1000 && expire <= Date.now() + TTL_SECONDS * 1000 + 1000);
    const bestSeats = h.items.filter((i) => i.kind.case === "seat" && i.kind.value.sectionId === balcony);
    assert.deepEqual(
      bestSeats.map((i) => (i.kind.case === "seat" ? `${i.kind.value.rowLabel}/${i.kind.value.seatLabel}` : "")),
      ["1/1", "1/2"],
      "best available: two adjacent seats of the front row that leave no single seat (the middle pair of 4 would)",
    );
    const c = await counts();
    assert.equal(c[stalls]!.held, 2);
    assert.equal(c[standing]!.available, 18);
    assert.equal(c[balcony]!.available, 6);
    await t.tickets.releaseHold({ requestId: randomUUID(), holdId: h.id }, buyer);
  });

  it("the same request_id answers the same hold; reused for another request: FAILED_PRECONDITION", async () => {
    const buyer = await mint.as();
    const rid = randomUUID();
    const a = await hold(buyer, [gaItem(standing, 1)], rid);
    const b = await hold(buyer, [gaItem(standing, 1)], rid);
    assert.equal(b.id, a.id);
    assert.equal(b.state, HoldState.ACTIVE);
    const e = await rejects(hold(buyer, [gaItem(standing, 2)], rid), Code.FailedPrecondition, "reused request id");
    assert.equal(reason(e), "REQUEST_ID_REUSED");
    await t.tickets.releaseHold({ requestId: randomUUID(), holdId: a.id }, buyer);
  });

  it("a later repeat answers the first hold even when its change would now refuse or succeed again, and holds nothing", async () => {
    // HoldSeats writes its idempotency record at the end (recordAtEnd): a repeat runs the change
    // again, which either refuses (the seat is someone else's now) or succeeds (the seat is free
    // again); both are rolled back and the first answer is replayed
    const buyer = await mint.as();
    const rid = randomUUID();
    const a = await hold(buyer, [seat(stalls, "2", "6")], rid);
    await t.tickets.releaseHold({ requestId: randomUUID(), holdId: a.id }, buyer);
    const taker = await mint.as();
    const other = await hold(taker, [seat(stalls, "2", "6")]);
    assert.equal((await hold(buyer, [seat(stalls, "2", "6")], rid)).id, a.id, "the seat is taken: replayed");
    await t.tickets.releaseHold({ requestId: randomUUID(), holdId: other.id }, taker);
    assert.equal((await hold(buyer, [seat(stalls, "2", "6")], rid)).id, a.id, "the seat is free: replayed");
    const last = await mint.as();
    const third = await hold(last, [seat(stalls, "2", "6")]);
    assert.equal(third.state, HoldState.ACTIVE, "the repeats held nothing");
    await t.tickets.releaseHold({ requestId: randomUUID(), holdId: third.id }, last);
  });

  it("a place already held: SEATS_UNAVAILABLE with section_id and what is left; nothing of the request is held", async () => {
    const first = await mint.as();
    const second = await mint.as();
    const h = await hold(first, [seat(stalls, "2", "1")]);
    const e = await rejects(
      hold(second, [seat(stalls, "2", "2"), seat(stalls, "2", "1")]),
      Code.FailedPrecondition,
      "taken seat",
    );
    const info = e.findDetails(ErrorInfoSchema)[0]!;
    assert.equal(info.reason, "SEATS_UNAVAILABLE");
    assert.equal(info.metadata.section_id, stalls);
    assert.ok(Number(info.metadata.available) >= 1);
    // all or nothing: 2/2 is still free for anyone
    const other = await hold(await mint.as(), [seat(stalls, "2", "2")]);
    assert.equal(other.state, HoldState.ACTIVE);
    const ga = await rejects(hold(second, [gaItem(standing, 50)]), Code.InvalidArgument, "over the per-order limit");
    assert.equal(ga.code, Code.InvalidArgument);
    for (const [who, id] of [
      [first, h.id],
      [await mint.as(), other.id],
    ] as const)
      await t.tickets.releaseHold({ requestId: randomUUID(), holdId: id }, who).catch(() => undefined);
  });

  it("one ACTIVE hold per buyer and event: a new hold releases the previous one", async () => {
    const buyer = await mint.as();
    const a = await hold(buyer, [seat(stalls, "3", "1")]);
    const b = await hold(buyer, [seat(stalls, "3", "2")]);
    assert.equal(b.state, HoldState.ACTIVE);
    const again = await t.tickets.releaseHold({ requestId: randomUUID(), holdId: a.id }, buyer);
    assert.equal(again.hold!.state, HoldState.RELEASED, "the first hold was released by the second");
    // its seat is free again: someone else can hold it
    assert.equal((await hold(await mint.as(), [seat(stalls, "3", "1")])).state, HoldState.ACTIVE);
  });

  it("ReleaseHold: RELEASED and the places back at once; a repeat answers the same; another user's hold is NOT_FOUND", async () => {
    const buyer = await mint.as();
    const h = await hold(buyer, [gaItem(standing, 3)]);
    await rejects(
      t.tickets.releaseHold({ requestId: randomUUID(), holdId: h.id }, await mint.as()),
      Code.NotFound,
      "someone else's hold",
    );
    const r1 = await t.tickets.releaseHold({ requestId: randomUUID(), holdId: h.id }, buyer);
    const r2 = await t.tickets.releaseHold({ requestId: randomUUID(), holdId: h.id }, buyer);
    assert.equal(r1.hold!.state, HoldState.RELEASED);
    assert.equal(r2.hold!.state, HoldState.RELEASED);
    await rejects(
      t.tickets.releaseHold({ requestId: randomUUID(), holdId: randomUUID() }, buyer),
      Code.NotFound,
      "unknown hold",
    );
  });

  it("bad holds: unknown seat, a seat in a GA section, unknown event, no token", async () => {
    const buyer = await mint.as();
    await invalid(hold(buyer, [seat(stalls, "9", "9")]), "items[0].seat", "unknown seat");
    await invalid(hold(buyer, [seat(standing, "1", "1")]), "items[0].seat.section_id", "seat in a GA section");
    await invalid(
      hold(buyer, [gaItem(stalls, 1)]),
      "items[0].general_admission.section_id",
      "GA in a reserved section",
    );
    await rejects(
      t.tickets.holdSeats({ requestId: randomUUID(), eventId: randomUUID(), items: [gaItem(standing, 1)] }, buyer),
      Code.NotFound,
      "unknown event",
    );
    await rejects(
      t.tickets.holdSeats({ requestId: randomUUID(), eventId: ev.event.id, items: [gaItem(standing, 1)] }),
      Code.Unauthenticated,
      "anonymous",
    );
  });

  it("WatchAvailability: a paid order's seats turn SOLD and a declined order's come back, live (no resync)", async () => {
    const small = await publishEvent(proc, mint, [grid("Loge", 1, 4)]);
    const loge = small.sections[0]!;
    const states = new Map<string, SeatState>();
    const watching = new AbortController();
    const stream = t.tickets
      .watchAvailability({ eventId: small.event.id, sectionId: loge, includeSeats: true }, { signal: watching.signal })
      [Symbol.asyncIterator]();
    /** Reads the stream (snapshot, then changes) until the seats show `want`; fails after 10 s. */
    const until = async (want: Record<string, SeatState>) => {
      const deadline = Date.now() + 10_000;
      while (!Object.entries(want).every(([k, v]) => states.get(k) === v)) {
        const left = deadline - Date.now();
        const next = await Promise.race([stream.next(), sleep(Math.max(0, left)).then(() => undefined)]);
        assert.ok(next && !next.done, `seats ${JSON.stringify(want)} within 10 s; saw ${JSON.stringify([...states])}`);
        const u = next.value.update;
        if (u.case !== "availability" && u.case !== "change") continue;
        for (const sec of u.value.sections)
          for (const r of sec.rows) for (const st of r.seats) states.set(`${r.rowLabel}-${st.seatLabel}`, st.state);
      }
    };
    const checkout = async (seats: string[], token: string) => {
      const buyer = await mint.as();
      const items = seats.map((k) => seat(loge, "1", k));
      const { hold: h } = await t.tickets.holdSeats({ requestId: randomUUID(), eventId: small.event.id, items }, buyer);
      await t.tickets.checkout({ requestId: randomUUID(), holdId: h!.id, paymentToken: token }, buyer);
    };
    try {
      await until({ "1-1": SeatState.AVAILABLE, "1-4": SeatState.AVAILABLE });
      // the live map hears of the order's settlement by its hold, not 60 s later at a full resync
      await checkout(["1", "2"], "sandbox_ok");
      await until({ "1-1": SeatState.SOLD, "1-2": SeatState.SOLD });
      await checkout(["3", "4"], "sandbox_declined");
      await until({ "1-3": SeatState.AVAILABLE, "1-4": SeatState.AVAILABLE, "1-1": SeatState.SOLD });
    } finally {
      watching.abort();
    }
  });

  it("EventUpdated: new holds pay the new price, the summary follows; EventCancelled: SALES_CLOSED at once", async () => {
    const port = proc.services.get("ticket")!.internals!.inventoryPort as InventoryPort;
    const db = (proc.services.get("ticket")!.internals!.db as { orm: Parameters<InventoryPort["loadInventory"]>[0] })
      .orm;
    await t.events.updateEvent(
      {
        requestId: randomUUID(),
        event: {
          id: ev.event.id,
          name: "Renamed show",
          priceTiers: ev.venue.sections.map((s) => ({
            sectionId: s.id,
            price: { currencyCode: "EUR", amountMinor: 9_900n },
          })),
        },
        updateMask: { paths: ["name", "price_tiers"] },
      },
      ev.organizer,
    );
    const deadline = Date.now() + 10_000;
    while ((await port.loadInventory(db, ev.event.id))?.summary.name !== "Renamed show") {
      assert.ok(Date.now() < deadline, "EventUpdated applied within 10 s");
      await sleep(50);
    }
    const inv = await port.loadInventory(db, ev.event.id);
    assert.deepEqual(
      inv!.sections.map((s) => s.priceMinor),
      [9900, 9900, 9900],
    );
    await sleep(1200); // the inventory cache of this process was dropped; the local tier lives ≤ 1 s anyway
    const buyer = await mint.as();
    const h = await hold(buyer, [gaItem(standing, 1)]);
    assert.equal(Number(h.total?.amountMinor), 9_900);

    await t.events.cancelEvent({ requestId: randomUUID(), eventId: ev.event.id, reason: "storm" }, ev.organizer);
    const until = Date.now() + 10_000;
    for (;;) {
      const someone = await mint.as();
      const answer = await hold(someone, [gaItem(standing, 1)]).catch((e: unknown) => e);
      if (!("id" in (answer as object))) {
        const e = await rejects(Promise.reject(answer), Code.FailedPrecondition, "a hold after the cancellation");
        assert.equal(reason(e), "SALES_CLOSED");
        assert.equal(e.findDetails(ErrorInfoSchema)[0]!.metadata.why, "CANCELLED");
        break;
      }
      assert.ok(Date.now() < until, "SALES_CLOSED within 10 s of CancelEvent");
      await t.tickets.releaseHold({ requestId: randomUUID(), holdId: (answer as Hold).id }, someone);
      await sleep(50);
    }
    await sleep(1200);
    assert.equal((await availabilityOf(proc, ev.event.id)).onSale, false);
  });
});
