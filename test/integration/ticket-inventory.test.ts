import assert from "node:assert/strict";
import type { Db } from "../../platform/db/index.js";
import { withTransaction } from "../../platform/db/index.js";
import { seatStates, sectionCounts } from "../../services/ticket/db/availability.js";
import {
  cancelSales,
  loadInventory,
  materialiseInventory,
  resolveSeats,
  updatePrices,
} from "../../services/ticket/db/inventory.js";
import { layoutOf, ticketDb } from "./ticket-kit.js";

describe("ticket inventory on real MariaDB: materialise, replay, cancel, prices", () => {
  const now = new Date(Date.UTC(2030, 5, 1, 12));
  let db: Db;
  let close: () => Promise<void>;
  before(async () => {
    ({ db, close } = await ticketDb(4));
  });
  after(() => close());

  const materialise = (layout: ReturnType<typeof layoutOf>, revision = 1) =>
    withTransaction(db, (tx) => materialiseInventory(tx, layout, { now, revision, gaStripes: 4 }));

  it("materialises seats in layout order with gaps, GA stripes and prices", async () => {
    const layout = layoutOf(
      [
        { kind: "reserved", rows: 2, seats: 5, gapsAfter: [2] },
        { kind: "ga", capacity: 10 },
      ],
      { now: now.getTime() },
    );
    const r = await materialise(layout);
    assert.equal(r.outcome, "created");
    const inv = (await loadInventory(db.orm, layout.eventId))!;
    assert.deepEqual(
      inv.sections.map((s) => [s.kind, s.capacity, s.firstSeat, s.stripes, s.priceMinor]),
      [
        ["RESERVED", 10, 0, 0, 1000],
        ["GA", 10, 0, 4, 2000],
      ],
    );
    assert.equal(inv.sales.maxPerBuyer, 10, "the per-buyer cap defaults to the per-order limit");
    const [rows] = await db.pool.query(
      "SELECT seat_no, row_label, seat_label, pos, gap_before FROM seats WHERE inv_id = ? AND row_no = 0 ORDER BY seat_no",
      [inv.invId],
    );
    assert.deepEqual(
      (rows as Array<{ seat_label: string; gap_before: number }>).map(
        (x) => `${x.gap_before ? "_" : ""}${x.seat_label}`,
      ),
      ["1", "2", "_4", "5", "6"],
      "seat 3 is absent: a gap before 4",
    );
    const [stripes] = await db.pool.query(
      "SELECT stripe, capacity, available FROM ga_stripes WHERE inv_id = ? ORDER BY stripe",
      [inv.invId],
    );
    assert.deepEqual(
      (stripes as Array<{ capacity: number }>).map((s) => s.capacity),
      [3, 3, 2, 2],
    );
    assert.deepEqual(
      await resolveSeats(db.orm, inv.invId, [
        { sectionNo: 0, rowLabel: "2", seatLabel: "4" },
        { sectionNo: 0, rowLabel: "2", seatLabel: "3" },
      ]),
      [7, undefined],
    );
    assert.deepEqual(
      (await sectionCounts(db.orm, inv.invId, now)).map((c) => [c.sectionNo, c.total, c.available, c.held, c.sold]),
      [
        [0, 10, 10, 0, 0],
        [1, 10, 10, 0, 0],
      ],
    );
    const states = await seatStates(db.orm, inv.invId, 0, 10, now);
    assert.equal(states.seats.length, 10);
    assert.ok(states.seats.every((s) => s.state === "AVAILABLE"));
  });

  it("replaying the same event and layout version changes nothing (also concurrently)", async () => {
    const layout = layoutOf([{ kind: "reserved", rows: 3, seats: 4 }], { now: now.getTime() });
    const results = await Promise.all([materialise(layout), materialise(layout), materialise(layout)]);
    assert.deepEqual(results.map((r) => r.outcome).sort(), ["created", "unchanged", "unchanged"]);
    assert.equal((await materialise(layout)).outcome, "unchanged");
    const inv = (await loadInventory(db.orm, layout.eventId))!;
    const [n] = await db.pool.query("SELECT COUNT(*) AS n FROM seats WHERE inv_id = ?", [inv.invId]);
    assert.equal(Number((n as Array<{ n: number }>)[0]?.n), 12);
    const other = layoutOf([{ kind: "reserved", rows: 1, seats: 1 }], { now: now.getTime(), eventId: layout.eventId });
    other.layoutVersion = 2n;
    assert.deepEqual(await materialise(other), { outcome: "conflict", invId: inv.invId, layoutVersion: 1 });
  });

  it("a cancellation stops sales, and a replayed or late EventPublished does not resurrect them", async () => {
    const layout = layoutOf([{ kind: "ga", capacity: 5 }], { now: now.getTime() });
    await materialise(layout);
    assert.equal(await withTransaction(db, (tx) => cancelSales(tx, layout.eventId, now)), true);
    assert.equal(await withTransaction(db, (tx) => cancelSales(tx, layout.eventId, now)), false, "idempotent");
    assert.equal((await materialise(layout)).outcome, "cancelled");
    assert.equal((await loadInventory(db.orm, layout.eventId))?.sales.status, "CANCELLED");

    // out of order: the cancellation arrives before the publication
    const early = layoutOf([{ kind: "reserved", rows: 1, seats: 3 }], { now: now.getTime() });
    assert.equal(await withTransaction(db, (tx) => cancelSales(tx, early.eventId, now)), true);
    assert.equal((await materialise(early)).outcome, "cancelled");
    assert.equal((await materialise(early)).outcome, "cancelled");
    assert.equal(await loadInventory(db.orm, early.eventId), undefined, "no inventory was ever opened");
    const [n] = await db.pool.query(
      "SELECT COUNT(*) AS n FROM seats s JOIN inventories i ON i.inv_id = s.inv_id WHERE i.event_id = ?",
      [early.eventId],
    );
    assert.equal(Number((n as Array<{ n: number }>)[0]?.n), 0);
  });

  it("newer prices apply, older or repeated revisions do not", async () => {
    const layout = layoutOf([{ kind: "ga", capacity: 5, price: 100 }], { now: now.getTime() });
    await materialise(layout, 3);
    const sectionId = layout.sections[0]!.id;
    const set = (revision: number, amountMinor: number) =>
      withTransaction(db, (tx) =>
        updatePrices(tx, layout.eventId, revision, [{ sectionId, currencyCode: "EUR", amountMinor }]),
      );
    assert.equal(await set(3, 999), false, "the revision materialised already has its prices");
    assert.equal(await set(5, 250), true);
    assert.equal(await set(4, 111), false, "an older update arriving late");
    assert.equal((await loadInventory(db.orm, layout.eventId))?.sections[0]?.priceMinor, 250);
  });

  it("a 100,000-seat stadium materialises in ≤ 10 s, and its counts read in one statement", async function () {
    this.timeout(60_000);
    // 10 sections × 100 rows × 100 seats
    const layout = layoutOf(
      Array.from({ length: 10 }, () => ({ kind: "reserved" as const, rows: 100, seats: 100 })),
      { now: now.getTime() },
    );
    const t0 = performance.now();
    const r = await materialise(layout);
    const ms = performance.now() - t0;
    process.stdout.write(`      100,000 seats materialised in ${(ms / 1000).toFixed(2)} s\n`);
    assert.deepEqual(r.outcome, "created");
    assert.ok(ms <= 10_000, `materialised in ${ms.toFixed(0)} ms`);
    const inv = (await loadInventory(db.orm, layout.eventId))!;
    const t1 = performance.now();
    const counts = await sectionCounts(db.orm, inv.invId, now);
    process.stdout.write(`      availability of 100,000 seats counted in ${(performance.now() - t1).toFixed(0)} ms\n`);
    assert.equal(
      counts.reduce((n, c) => n + c.available, 0),
      100_000,
    );
    const t2 = performance.now();
    assert.equal((await materialise(layout)).outcome, "unchanged");
    assert.ok(performance.now() - t2 < 1_000, "a replay is cheap: it stops at the event's row");
  });
});
