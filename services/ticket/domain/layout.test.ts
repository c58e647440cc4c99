import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { EventLayoutSchema } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { flattenLayout, inferGaps, LayoutError } from "./layout.js";

describe("layout → inventory rows (domain)", () => {
  it("infers gaps from absent seat numbers", () => {
    const gapsAt = (labels: string[]) =>
      inferGaps(labels)
        .map((g, i) => (g ? labels[i] : undefined))
        .filter((x) => x !== undefined);
    assert.deepEqual(gapsAt(["1", "2", "3", "5", "6"]), ["5"]);
    assert.deepEqual(gapsAt(["1", "3", "5", "9", "11"]), ["9"], "odd numbering: step 2");
    assert.deepEqual(gapsAt(["9", "7", "5", "3", "1", "2", "4", "6", "8"]), [], "odd left, even right: no gap");
    assert.deepEqual(gapsAt(["10", "9", "8", "6", "5"]), ["6"], "descending numbers");
    assert.deepEqual(gapsAt(["1", "2", "10", "11", "12", "20"]), ["10", "20"]);
    assert.deepEqual(gapsAt(["A", "B", "D"]), [], "letters: no numbering to read gaps from");
    assert.deepEqual(gapsAt(["1", "2", "4a"]), [], "a row with a non-numeric label has no gaps");
    assert.deepEqual(gapsAt(["1", "3"]), [], "two seats: their distance is the step");
    assert.deepEqual(gapsAt([]), []);
  });

  it("numbers seats densely in layout order with rows, positions and gaps", () => {
    const layout = create(EventLayoutSchema, {
      eventId: "e1",
      layoutVersion: 3n,
      sections: [
        {
          id: "s-res",
          name: "Block A",
          kind: {
            case: "reservedSeating",
            value: {
              rows: [
                { label: "A", seats: [{ label: "1" }, { label: "2" }, { label: "3", accessible: true }] },
                { label: "B", seats: [{ label: "1" }, { label: "2" }, { label: "4" }] },
              ],
            },
          },
        },
        { id: "s-ga", name: "Standing", kind: { case: "generalAdmission", value: { capacity: 250 } } },
        {
          id: "s-res2",
          name: "Block B",
          kind: { case: "reservedSeating", value: { rows: [{ label: "1", seats: [{ label: "7" }] }] } },
        },
      ],
      priceTiers: [
        { sectionId: "s-res", price: { currencyCode: "EUR", amountMinor: 5000n } },
        { sectionId: "s-ga", price: { currencyCode: "EUR", amountMinor: 2500n } },
        { sectionId: "s-res2", price: { currencyCode: "EUR", amountMinor: 9900n } },
      ],
    });
    const { sections, seats } = flattenLayout(layout);
    assert.deepEqual(
      sections.map((s) => [s.sectionNo, s.sectionId, s.kind, s.capacity, s.firstSeat, s.priceMinor]),
      [
        [0, "s-res", "RESERVED", 6, 0, 5000],
        [1, "s-ga", "GA", 250, 0, 2500],
        [2, "s-res2", "RESERVED", 1, 6, 9900],
      ],
    );
    assert.deepEqual(
      seats.map((s) => [s.seatNo, s.sectionNo, s.rowNo, s.pos, s.rowLabel, s.seatLabel, s.gapBefore, s.rowLength]),
      [
        [0, 0, 0, 0, "A", "1", false, 3],
        [1, 0, 0, 1, "A", "2", false, 3],
        [2, 0, 0, 2, "A", "3", false, 3],
        [3, 0, 1, 0, "B", "1", false, 3],
        [4, 0, 1, 1, "B", "2", false, 3],
        [5, 0, 1, 2, "B", "4", true, 3],
        [6, 2, 0, 0, "1", "7", false, 1],
      ],
    );
    assert.equal(seats[2]!.accessible, true);
  });

  it("refuses a section without a price", () => {
    const layout = create(EventLayoutSchema, {
      eventId: "e1",
      sections: [{ id: "s", name: "GA", kind: { case: "generalAdmission", value: { capacity: 5 } } }],
    });
    assert.throws(() => flattenLayout(layout), LayoutError);
  });
});
