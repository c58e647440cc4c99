import assert from "node:assert/strict";
import { linesOf, seatKey, ticketPlaces, totalOf } from "./places.js";

describe("order lines and ticket places (domain/places)", () => {
  const held = {
    seats: [
      { sectionId: "s1", rowLabel: "A", seatLabel: "1", priceMinor: 5000 },
      { sectionId: "s1", rowLabel: "A", seatLabel: "2", priceMinor: 5000 },
    ],
    generalAdmission: [
      { sectionId: "g1", quantity: 3, unitPriceMinor: 2000 },
      { sectionId: "g2", quantity: 0, unitPriceMinor: 1 },
    ],
  };

  it("one line per seat and per GA section, numbered from 1; the total is the hold's", () => {
    const lines = linesOf(held);
    assert.deepEqual(
      lines.map((l) => [l.lineNo, l.sectionId, l.rowLabel, l.seatLabel, l.quantity]),
      [
        [1, "s1", "A", "1", 1],
        [2, "s1", "A", "2", 1],
        [3, "g1", "", "", 3],
      ],
    );
    assert.equal(totalOf(lines), 16_000);
  });

  it("one ticket per seat and per admission; a seat's place is the seat, each admission its own", () => {
    const places = ticketPlaces("e", linesOf(held), (i) => `t${i}`);
    assert.equal(places.length, 5);
    assert.deepEqual(
      places.map((p) => p.id),
      ["t0", "t1", "t2", "t3", "t4"],
    );
    assert.equal(places[0]!.placeKey, seatKey("e", "s1", "A", "1"));
    assert.equal(new Set(places.map((p) => p.placeKey)).size, 5);
    assert.ok(places.slice(2).every((p) => p.rowLabel === "" && p.sectionId === "g1"));
    // the same seat bought again (after a cancellation) has the same place key
    assert.equal(ticketPlaces("e", linesOf(held), (i) => `u${i}`)[0]!.placeKey, places[0]!.placeKey);
    assert.ok(seatKey("0".repeat(36), "1".repeat(36), "12345678", "12345678").length <= 128);
  });
});
