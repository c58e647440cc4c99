import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { applyMask, bumpsLayout, changedFields, maskViolations } from "./event-update.js";
import { defaultMaxTickets } from "./validation.js";

/** UpdateEvent's rules with no I/O: masks, what really changed, when the layout version moves. */
describe("event updates (domain, no I/O)", () => {
  const tier = (sectionId: string, amount: bigint) => ({
    sectionId,
    price: { currencyCode: "EUR", amountMinor: amount },
  });
  const before = create(EventSchema, {
    id: "e1",
    name: "Fado night",
    description: "old",
    venueId: "v1",
    startTime: timestampFromMs(1000),
    endTime: timestampFromMs(2000),
    maxTicketsPerOrder: 4,
    priceTiers: [tier("a", 100n), tier("b", 200n)],
    state: EventState.DRAFT,
  });

  it("a mask names at least one field, and only updatable ones", () => {
    assert.deepEqual(
      maskViolations([]).map((v) => v.reason),
      ["REQUIRED"],
    );
    const unknown = maskViolations(["name", "state", "organizer_id"]);
    assert.deepEqual(
      unknown.map((v) => [v.field, v.reason]),
      [["update_mask", "UNKNOWN_FIELD"]],
    );
    assert.match(unknown[0]!.description, /not updatable: state, organizer_id/);
    assert.deepEqual(maskViolations(["name", "price_tiers", "venue_id", "max_tickets_per_buyer"]), []);
  });

  it("takes only the masked fields; a zero ticket limit is the default", () => {
    const src = create(EventSchema, { name: "New", description: "new", maxTicketsPerOrder: 0 });
    const next = applyMask(before, src, ["name", "max_tickets_per_order"]);
    assert.deepEqual([next.name, next.description, next.maxTicketsPerOrder], ["New", "old", defaultMaxTickets]);
    assert.equal(before.name, "Fado night", "the original is not touched");
  });

  it("reports only real changes: trimmed names, reordered tiers and equal times are no change", () => {
    const src = create(EventSchema, {
      name: "  Fado night ",
      startTime: timestampFromMs(1000),
      priceTiers: [tier("b", 200n), tier("a", 100n)],
      description: "new",
    });
    const paths = ["name", "start_time", "price_tiers", "description"];
    assert.deepEqual(changedFields(paths, before, applyMask(before, src, paths)), ["description"]);
    const repriced = applyMask(before, create(EventSchema, { priceTiers: [tier("a", 150n), tier("b", 200n)] }), [
      "price_tiers",
    ]);
    assert.deepEqual(changedFields(["price_tiers"], before, repriced), ["price_tiers"]);
  });

  it("the layout version moves with layout fields, and with prices only while DRAFT", () => {
    assert.equal(bumpsLayout(EventState.DRAFT, ["venue_id"]), true);
    assert.equal(bumpsLayout(EventState.DRAFT, ["sales_end_time"]), true);
    assert.equal(bumpsLayout(EventState.DRAFT, ["max_tickets_per_buyer"]), true);
    assert.equal(bumpsLayout(EventState.DRAFT, ["price_tiers"]), true);
    assert.equal(bumpsLayout(EventState.PUBLISHED, ["price_tiers"]), false);
    assert.equal(bumpsLayout(EventState.DRAFT, ["name", "description"]), false);
  });
});
