import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import { type HoldItemInput, normaliseItems } from "./items.js";

describe("hold items (domain)", () => {
  const sections = [
    { sectionNo: 0, sectionId: "ga", kind: "GA" as const },
    { sectionNo: 1, sectionId: "block-b", kind: "RESERVED" as const },
    { sectionNo: 2, sectionId: "block-a", kind: "RESERVED" as const },
  ];
  const violations = (items: HoldItemInput[], max = 10) => {
    try {
      normaliseItems(items, sections, max);
    } catch (e) {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      return e.violations.map((v) => `${v.field} ${v.reason}`);
    }
    return [];
  };

  it("groups items by kind, sections in ascending number (the lock order), and adds up the places", () => {
    const n = normaliseItems(
      [
        { kind: "seat", sectionId: "block-a", rowLabel: "3", seatLabel: "7" },
        { kind: "generalAdmission", sectionId: "ga", quantity: 2 },
        { kind: "seat", sectionId: "block-b", rowLabel: "1", seatLabel: "1" },
        { kind: "bestAvailable", sectionId: "block-a", quantity: 3 },
      ],
      sections,
      10,
    );
    assert.equal(n.quantity, 7);
    assert.deepEqual(
      n.seats.map((s) => [s.sectionNo, s.index]),
      [
        [1, 2],
        [2, 0],
      ],
    );
    assert.deepEqual(n.generalAdmission, [{ sectionNo: 0, quantity: 2 }]);
    assert.deepEqual(n.bestAvailable, [{ sectionNo: 2, quantity: 3 }]);
  });

  it("every defect is a field violation with its proto path", () => {
    assert.deepEqual(violations([]), ["items REQUIRED"]);
    assert.deepEqual(violations([{ kind: "seat", sectionId: "nope", rowLabel: "1", seatLabel: "1" }]), [
      "items[0].seat.section_id UNKNOWN_SECTION",
    ]);
    assert.deepEqual(violations([{ kind: "generalAdmission", sectionId: "block-a", quantity: 1 }]), [
      "items[0].general_admission.section_id WRONG_SECTION_KIND",
    ]);
    assert.deepEqual(violations([{ kind: "bestAvailable", sectionId: "ga", quantity: 1 }]), [
      "items[0].best_available.section_id WRONG_SECTION_KIND",
    ]);
    assert.deepEqual(violations([{ kind: "bestAvailable", sectionId: "block-a", quantity: 0 }]), [
      "items[0].best_available.quantity MUST_BE_POSITIVE",
    ]);
    assert.deepEqual(
      violations([
        { kind: "seat", sectionId: "block-a", rowLabel: "1", seatLabel: "2" },
        { kind: "seat", sectionId: "block-a", rowLabel: "1", seatLabel: "2" },
        { kind: "generalAdmission", sectionId: "ga", quantity: 1 },
        { kind: "generalAdmission", sectionId: "ga", quantity: 1 },
        { kind: "seat", sectionId: "block-b", rowLabel: "", seatLabel: "" },
      ]),
      [
        "items[1].seat DUPLICATE",
        "items[3].general_admission DUPLICATE",
        "items[4].seat.row_label REQUIRED",
        "items[4].seat.seat_label REQUIRED",
      ],
    );
    // "a" and "A" are different seats, as the event service validates labels
    assert.deepEqual(
      violations([
        { kind: "seat", sectionId: "block-a", rowLabel: "1", seatLabel: "a" },
        { kind: "seat", sectionId: "block-a", rowLabel: "1", seatLabel: "A" },
      ]),
      [],
    );
  });

  it("more places than the per-order limit: INVALID_ARGUMENT on items", () => {
    assert.deepEqual(violations([{ kind: "generalAdmission", sectionId: "ga", quantity: 5 }], 5), []);
    assert.deepEqual(
      violations(
        [
          { kind: "generalAdmission", sectionId: "ga", quantity: 4 },
          { kind: "seat", sectionId: "block-a", rowLabel: "1", seatLabel: "1" },
          { kind: "bestAvailable", sectionId: "block-b", quantity: 1 },
        ],
        5,
      ),
      ["items TOO_MANY_PLACES"],
    );
  });
});
