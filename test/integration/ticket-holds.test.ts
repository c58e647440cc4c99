import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { type Db, withTransaction } from "../../platform/db/index.js";
import { DomainError } from "../../platform/rpc/errors.js";
import { seatStates, sectionCounts } from "../../services/ticket/db/availability.js";
import { STRIPE_WAIT_SECONDS } from "../../services/ticket/db/ga.js";
import { loadHold, placeHold } from "../../services/ticket/db/holds.js";
import { cancelSales, type Inventory } from "../../services/ticket/db/inventory.js";
import {
  convertHold,
  dueHolds,
  markHoldSold,
  returnOrderPlaces,
  transitionHold,
} from "../../services/ticket/db/lifecycle.js";
import { SectionBusyError } from "../../services/ticket/domain/errors.js";
import { type HoldItemInput, normaliseItems } from "../../services/ticket/domain/items.js";
import { assertInvariants, id, layoutOf, openSales, ticketDb } from "./ticket-kit.js";

describe("ticket holds on real MariaDB: claims, limits, lifecycle, lazy expiry", () => {
  const t0 = Date.UTC(2030, 5, 1, 12);
  const at = (ms = 0) => new Date(t0 + ms);
  const TTL = 600_000;
  let db: Db;
  let close: () => Promise<void>;
  before(async () => {
    ({ db, close } = await ticketDb(6));
  });
  after(() => close());

  const hold = (inv: Inventory, buyer: string, items: HoldItemInput[], now = at(), ttl = TTL) =>
    withTransaction(db, (tx) =>
      placeHold(tx, {
        inventory: inv,
        holdId: id(),
        buyerId: buyer,
        now,
        expireTime: new Date(now.getTime() + ttl),
        items: normaliseItems(items, inv.sections, inv.sales.maxPerOrder),
        stripeHint: Math.floor(Math.random() * 1000),
      }),
    );
  const refused = async (p: Promise<unknown>, reason: string, meta: Record<string, string> = {}) => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof DomainError, String(e));
      assert.equal(e.reason, reason);
      for (const [k, v] of Object.entries(meta)) assert.equal(e.metadata[k], v, k);
      return true;
    });
  };
  const counts = async (inv: Inventory, now = at()) =>
    (await sectionCounts(db.orm, inv.invId, now)).map((c) => [c.available, c.held, c.sold]);
  const seat = (inv: Inventory, section: number, row: string, s: string): HoldItemInput => ({
    kind: "seat",
    sectionId: inv.sections[section]!.sectionId,
    rowLabel: row,
    seatLabel: s,
  });
  const ga = (inv: Inventory, section: number, quantity: number): HoldItemInput => ({
    kind: "generalAdmission",
    sectionId: inv.sections[section]!.sectionId,
    quantity,
  });
  const best = (inv: Inventory, section: number, quantity: number): HoldItemInput => ({
    kind: "bestAvailable",
    sectionId: inv.sections[section]!.sectionId,
    quantity,
  });
  const smallEvent = () =>
    openSales(
      db,
      layoutOf(
        [
          { kind: "reserved", rows: 3, seats: 6, price: 5000 },
          { kind: "ga", capacity: 20, price: 2000 },
        ],
        { now: t0, maxPerOrder: 8 },
      ),
      { now: at(), gaStripes: 4 },
    );

  it("specific seats and GA in one hold: places taken, prices summed, counts add up", async () => {
    const inv = await smallEvent();
    const { hold: h } = await hold(inv, "alice", [seat(inv, 0, "1", "3"), seat(inv, 0, "1", "4"), ga(inv, 1, 3)]);
    assert.equal(h.state, "ACTIVE");
    assert.deepEqual(
      h.seats.map((s) => `${s.rowLabel}-${s.seatLabel}`),
      ["1-3", "1-4"],
    );
    assert.deepEqual(h.generalAdmission, [
      { sectionId: inv.sections[1]!.sectionId, quantity: 3, unitPriceMinor: 2000 },
    ]);
    assert.equal(h.totalMinor, 2 * 5000 + 3 * 2000);
    assert.deepEqual(await counts(inv), [
      [16, 2, 0],
      [17, 3, 0],
    ]);
    const loaded = await loadHold(db.orm, h.id, at());
    assert.deepEqual(
      { ...loaded, seats: loaded?.seats.map((s) => s.seatLabel) },
      { ...h, seats: ["3", "4"] },
      "loadHold reads back what placeHold returned",
    );
    const states = await seatStates(db.orm, inv.invId, 0, 18, at());
    assert.deepEqual(
      states.seats.filter((s) => s.state === "HELD").map((s) => s.seatLabel),
      ["3", "4"],
    );
    await assertInvariants(db, inv.invId, at());
  });

  it("a claim in flight: its seat refuses at once, the seat beside it in the same small section is granted", async () => {
    // claim_seats reaches the asked seats through the label index: it must neither wait for nor
    // trip over (zero lock-wait timeout) another buyer's uncommitted claim of a neighbouring seat
    const inv = await smallEvent();
    let commit!: () => void;
    const gate = new Promise<void>((r) => {
      commit = r;
    });
    let claimed!: () => void;
    const inFlight = new Promise<void>((r) => {
      claimed = r;
    });
    const carol = withTransaction(db, async (tx) => {
      const r = await placeHold(tx, {
        inventory: inv,
        holdId: id(),
        buyerId: "carol",
        now: at(),
        expireTime: at(TTL),
        items: normaliseItems([seat(inv, 0, "3", "1")], inv.sections, inv.sales.maxPerOrder),
        stripeHint: 0,
      });
      claimed();
      await gate;
      return r;
    });
    await inFlight;
    const started = Date.now();
    const dave = await hold(inv, "dave", [seat(inv, 0, "3", "2")]);
    assert.equal(dave.hold.state, "ACTIVE");
    // carol's claim is not committed: her seat still counts as free, and erin's statement (3-3
    // included) was rolled back whole on the busy seat
    await refused(hold(inv, "erin", [seat(inv, 0, "3", "1"), seat(inv, 0, "3", "3")]), "SEATS_UNAVAILABLE", {
      available: "17",
    });
    assert.ok(Date.now() - started < 2_000, "neither waited for carol's claim");
    commit();
    assert.equal((await carol).hold.state, "ACTIVE");
    assert.deepEqual(await counts(inv), [
      [16, 2, 0],
      [20, 0, 0],
    ]);
    await assertInvariants(db, inv.invId, at());
  });

  it("all or nothing: one taken seat refuses the hold with the section and what is left, and holds nothing", async () => {
    const inv = await smallEvent();
    await hold(inv, "alice", [seat(inv, 0, "2", "2")]);
    await refused(
      hold(inv, "bob", [seat(inv, 0, "2", "1"), seat(inv, 0, "2", "2"), ga(inv, 1, 2)]),
      "SEATS_UNAVAILABLE",
      {
        section_id: inv.sections[0]!.sectionId,
        available: "17",
      },
    );
    assert.deepEqual(
      await counts(inv),
      [
        [17, 1, 0],
        [20, 0, 0],
      ],
      "bob's free seat and GA places were not kept",
    );
    await refused(hold(inv, "bob", [ga(inv, 1, 8), ga(inv, 1, 1)]), "INVALID_ARGUMENT");
    await assert.rejects(
      hold(inv, "bob", [seat(inv, 0, "9", "1")]),
      (e: unknown) =>
        e instanceof DomainError && e.code === Code.InvalidArgument && e.violations[0]?.field === "items[0].seat",
    );
    await assert.rejects(
      hold(inv, "bob", [ga(inv, 0, 2)]),
      (e: unknown) => e instanceof DomainError && e.violations[0]?.reason === "WRONG_SECTION_KIND",
    );
    await refused(hold(inv, "bob", [ga(inv, 1, 9)]), "INVALID_ARGUMENT");
  });

  it("a refusal counts what is left from the free seats alone: expired ones count, held and sold ones do not, up to 250", async () => {
    // claim_seats counts through the index of free seats (migration 0009), whatever is taken
    const inv = await openSales(
      db,
      layoutOf(
        [
          { kind: "reserved", rows: 3, seats: 6 },
          { kind: "reserved", rows: 30, seats: 10 },
        ],
        { now: t0, maxPerOrder: 8 },
      ),
      { now: at() },
    );
    const gone = (await hold(inv, "carol", [seat(inv, 0, "1", "1"), seat(inv, 0, "1", "2")], at(), 1_000)).hold; // 1 s
    const sold = (await hold(inv, "dave", [seat(inv, 0, "1", "3")])).hold;
    await withTransaction(db, async (tx) => {
      await convertHold(tx, sold.id, id(), at());
      await markHoldSold(tx, sold.id);
    });
    await hold(inv, "erin", [seat(inv, 0, "2", "1")]);
    const later = at(2_000);
    // 18 seats − dave's sold one − erin's held one; frank's own free seat (2-2) counts
    await refused(hold(inv, "frank", [seat(inv, 0, "2", "1"), seat(inv, 0, "2", "2")], later), "SEATS_UNAVAILABLE", {
      section_id: inv.sections[0]!.sectionId,
      available: "16",
    });
    assert.deepEqual((await counts(inv, later))[0], [16, 1, 1], "the same as the section's counts");
    await hold(inv, "gina", [seat(inv, 1, "30", "10")]);
    await refused(hold(inv, "hal", [seat(inv, 1, "30", "10")]), "SEATS_UNAVAILABLE", { available: "250" });
    await assertInvariants(db, inv.invId, later);
    await withTransaction(db, (tx) => transitionHold(tx, gone.id, "expire", later)); // swept: not due for the tests after
  });

  it("best available: front row, together, no orphan when avoidable; a gap is respected", async () => {
    const inv = await openSales(db, layoutOf([{ kind: "reserved", rows: 3, seats: 8, gapsAfter: [4] }], { now: t0 }), {
      now: at(),
    });
    // row 1: 1 2 3 4 _ 6 7 8 9 — runs of 4 and 4
    const a = await hold(inv, "a", [best(inv, 0, 4)]);
    assert.deepEqual(
      a.hold.seats.map((s) => `${s.rowLabel}-${s.seatLabel}`),
      ["1-1", "1-2", "1-3", "1-4"],
      "an exact run, not across the gap",
    );
    const labels = (x: typeof a) => x.hold.seats.map((s) => `${s.rowLabel}-${s.seatLabel}`);
    // 3 fit together only in runs of 4 (each orphans a seat): the group stays together, front row
    const b = await hold(inv, "b", [best(inv, 0, 3)]);
    assert.deepEqual(labels(b), ["1-6", "1-7", "1-8"]);
    const c = await hold(inv, "c", [best(inv, 0, 4)]);
    assert.deepEqual(labels(c), ["2-1", "2-2", "2-3", "2-4"]);
    const d = await hold(inv, "d", [best(inv, 0, 1)]);
    assert.deepEqual(labels(d), ["1-9"], "the lone seat is the exact fit for one");
    await refused(hold(inv, "e", [best(inv, 0, 20)]), "INVALID_ARGUMENT");
    await assertInvariants(db, inv.invId, at());
  });

  it("GA: stripes run down to sold out; a refusal says how many are left", async () => {
    const inv = await smallEvent();
    for (let i = 0; i < 6; i++) await hold(inv, `g${i}`, [ga(inv, 1, 3)]);
    await refused(hold(inv, "late", [ga(inv, 1, 3)]), "SEATS_UNAVAILABLE", { available: "2" });
    await hold(inv, "late", [ga(inv, 1, 2)]);
    await refused(hold(inv, "later", [ga(inv, 1, 1)]), "SEATS_UNAVAILABLE", { available: "0" });
    const [stripes] = await db.pool.query("SELECT SUM(available) AS a FROM ga_stripes WHERE inv_id = ?", [inv.invId]);
    assert.equal(Number((stripes as Array<{ a: number }>)[0]?.a), 0);
    await assertInvariants(db, inv.invId, at());
  });

  it("a GA hold that waits its bound for stripes other buyers keep locked is shed (RESOURCE_EXHAUSTED), holding nothing", async () => {
    // without the bound the server waited 50 s while the client gave up at 10 s and dropped the
    // connection (UNAVAILABLE); see STRIPE_WAIT_SECONDS
    const inv = await smallEvent();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const allLocked = new Promise<void>((r) => {
      locked = r;
    });
    const blocker = withTransaction(db, async (tx) => {
      await tx.execute(sql`SELECT stripe FROM ga_stripes WHERE inv_id = ${inv.invId} FOR UPDATE`);
      locked();
      await gate;
    });
    await allLocked;
    const started = Date.now();
    await assert.rejects(hold(inv, "ivan", [ga(inv, 1, 2)]), (e: unknown) => {
      assert.ok(e instanceof SectionBusyError, String(e));
      assert.equal(e.code, Code.ResourceExhausted);
      assert.equal(e.reason, "SECTION_BUSY");
      assert.equal(e.metadata.section_id, inv.sections[1]!.sectionId);
      assert.equal(e.retryAfterMs, 500);
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited >= STRIPE_WAIT_SECONDS * 1000 - 50 && waited < 8_000, `waited ${waited} ms`);
    release();
    await blocker;
    assert.deepEqual(await counts(inv), [
      [18, 0, 0],
      [20, 0, 0],
    ]);
    // the pool's connections are healthy: the same hold is granted now
    assert.equal((await hold(inv, "ivan", [ga(inv, 1, 2)])).hold.state, "ACTIVE");
    await assertInvariants(db, inv.invId, at());
  });

  it("a new hold releases the buyer's previous one; a refused new hold keeps it", async () => {
    const inv = await smallEvent();
    const first = await hold(inv, "carol", [seat(inv, 0, "1", "1"), ga(inv, 1, 4)]);
    await hold(inv, "dave", [seat(inv, 0, "3", "3")]);
    await refused(hold(inv, "carol", [seat(inv, 0, "3", "3")]), "SEATS_UNAVAILABLE");
    assert.equal((await loadHold(db.orm, first.hold.id, at()))?.state, "ACTIVE", "still held after the refusal");
    const second = await hold(inv, "carol", [seat(inv, 0, "1", "2"), ga(inv, 1, 2)]);
    assert.deepEqual(second.replaced, { holdId: first.hold.id, state: "RELEASED" });
    assert.equal((await loadHold(db.orm, first.hold.id, at()))?.state, "RELEASED");
    assert.deepEqual(await counts(inv), [
      [16, 2, 0],
      [18, 2, 0],
    ]);
    await assertInvariants(db, inv.invId, at());
  });

  it("release, expiry and convert are compare-and-set transitions: idempotent, refused as named errors", async () => {
    const inv = await smallEvent();
    const release = (holdId: string, now = at()) =>
      withTransaction(db, (tx) => transitionHold(tx, holdId, "release", now));
    const h = (await hold(inv, "erin", [seat(inv, 0, "1", "5"), ga(inv, 1, 2)])).hold;
    const r1 = await release(h.id);
    assert.deepEqual([r1?.state, r1?.changed], ["RELEASED", true]);
    const r2 = await release(h.id);
    assert.deepEqual([r2?.state, r2?.changed], ["RELEASED", false], "a repeat changes nothing");
    assert.deepEqual(await counts(inv), [
      [18, 0, 0],
      [20, 0, 0],
    ]);
    assert.equal(await release(id()), undefined, "an unknown hold");

    // releasing after expire_time records the expiry instead
    const e = (await hold(inv, "erin", [ga(inv, 1, 5)], at(), 1_000)).hold;
    const r3 = await release(e.id, at(5_000));
    assert.deepEqual([r3?.state, r3?.changed], ["EXPIRED", true]);
    assert.deepEqual((await release(e.id, at(6_000)))?.state, "EXPIRED");
    assert.deepEqual(await counts(inv, at(6_000)), [
      [18, 0, 0],
      [20, 0, 0],
    ]);

    // convert: places stay taken for the order, a release is refused
    const c = (await hold(inv, "erin", [seat(inv, 0, "2", "5"), ga(inv, 1, 1)])).hold;
    const conv = await withTransaction(db, (tx) => convertHold(tx, c.id, "order-1", at(10)));
    assert.deepEqual([conv?.state, conv?.changed], ["CONVERTED", true]);
    await refused(release(c.id, at(20)), "HOLD_NOT_ACTIVE", { state: "CONVERTED" });
    await refused(
      withTransaction(db, (tx) => convertHold(tx, c.id, "order-2", at(20))),
      "HOLD_NOT_ACTIVE",
    );
    assert.deepEqual(
      await counts(inv, at(TTL * 10)),
      [
        [17, 1, 0],
        [19, 1, 0],
      ],
      "an order's places never expire",
    );
    await withTransaction(db, (tx) => markHoldSold(tx, c.id));
    assert.deepEqual(await counts(inv, at(TTL * 10)), [
      [17, 0, 1],
      [19, 0, 1],
    ]);
    await assertInvariants(db, inv.invId, at(6_000)); // after every step above
  });

  it("lazy expiry: an expired hold's places are free to the next claim before any sweeper runs", async () => {
    const inv = await smallEvent();
    const old = (await hold(inv, "frank", [seat(inv, 0, "1", "1"), seat(inv, 0, "1", "2"), ga(inv, 1, 6)], at(), 1_000))
      .hold;
    await hold(inv, "hal", [ga(inv, 1, 7)]);
    await hold(inv, "ida", [ga(inv, 1, 7)]);
    await refused(hold(inv, "gina", [ga(inv, 1, 1)], at(500)), "SEATS_UNAVAILABLE", { available: "0" });
    const later = at(2_000);
    assert.deepEqual(
      await counts(inv, later),
      [
        [18, 0, 0],
        [6, 14, 0],
      ],
      "counts apply lazy expiry too",
    );
    const g = await hold(inv, "gina", [seat(inv, 0, "1", "1"), ga(inv, 1, 6)], later);
    assert.equal(g.hold.state, "ACTIVE", "the expired hold's seat and GA places were claimed");
    assert.equal((await loadHold(db.orm, old.id, later))?.state, "EXPIRED", "reads as EXPIRED before the sweeper");
    assert.deepEqual(await dueHolds(db.orm, later, 10), [old.id]);
    const swept = await withTransaction(db, (tx) => transitionHold(tx, old.id, "expire", later));
    assert.deepEqual([swept?.state, swept?.changed], ["EXPIRED", true]);
    assert.deepEqual(await dueHolds(db.orm, later, 10), []);
    // the sweeper returned nothing twice: GA items were already reclaimed by gina's claim
    assert.deepEqual(await counts(inv, later), [
      [17, 1, 0],
      [0, 20, 0],
    ]);
    // the expired owner cannot release gina's seat
    assert.equal((await withTransaction(db, (tx) => transitionHold(tx, old.id, "release", later)))?.state, "EXPIRED");
    assert.deepEqual((await seatStates(db.orm, inv.invId, 0, 1, later)).seats[0]?.state, "HELD");
    await assertInvariants(db, inv.invId, later);
  });

  it("sales window and cancellation: SALES_CLOSED before, after, and once cancelled", async () => {
    const inv = await smallEvent();
    await refused(hold(inv, "h", [ga(inv, 1, 1)], at(-2 * 3600_000)), "SALES_CLOSED", { why: "NOT_OPEN_YET" });
    await refused(hold(inv, "h", [ga(inv, 1, 1)], at(31 * 24 * 3600_000)), "SALES_CLOSED", { why: "CLOSED" });
    await withTransaction(db, (tx) => cancelSales(tx, inv.sales.eventId, at()));
    // the caller's cached inventory still says ON_SALE: the status is read inside the hold's transaction
    await refused(hold(inv, "h", [ga(inv, 1, 1)]), "SALES_CLOSED", { why: "CANCELLED" });
  });

  it("per-buyer cap across the active hold and orders; returned orders free the cap", async () => {
    const inv = await openSales(db, layoutOf([{ kind: "ga", capacity: 100 }], { now: t0, maxPerOrder: 4 }), {
      now: at(),
      maxPerBuyer: 6,
    });
    const first = (await hold(inv, "ivan", [ga(inv, 0, 4)])).hold;
    await withTransaction(db, (tx) => convertHold(tx, first.id, "o1", at(1)));
    await hold(inv, "ivan", [ga(inv, 0, 2)], at(2));
    await refused(hold(inv, "ivan", [ga(inv, 0, 3)], at(3)), "BUYER_LIMIT_REACHED", { limit: "6", remaining: "2" });
    assert.equal(await withTransaction(db, (tx) => returnOrderPlaces(tx, first.id)), true);
    assert.equal(await withTransaction(db, (tx) => returnOrderPlaces(tx, first.id)), false, "once");
    await hold(inv, "ivan", [ga(inv, 0, 4)], at(4));
    assert.deepEqual(await counts(inv, at(5)), [[96, 4, 0]]);
    await assertInvariants(db, inv.invId, at(5));
  });
});
