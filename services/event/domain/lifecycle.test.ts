import assert from "node:assert/strict";
import { EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { DomainError } from "../../../platform/errors/index.js";
import { effectiveState, type LifecycleAction, nextState, publish, storedStateOf } from "./lifecycle.js";

/** The event lifecycle with no I/O: every transition allowed and refused, and the derived state. */

const { DRAFT, PUBLISHED, CANCELLED, ENDED, UNSPECIFIED } = EventState;
const HOUR = 3600_000;
const now = Date.UTC(2030, 5, 1, 12);

/** The reason a rule refuses with, or the state it allows. */
function outcome(f: () => EventState): EventState | string {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof DomainError, `a domain error, not ${String(e)}`);
    assert.equal(e.code, 9, "FAILED_PRECONDITION");
    return e.reason;
  }
}

describe("event lifecycle (domain, no I/O)", () => {
  describe("transitions: every state × every action", () => {
    const table: Array<[EventState, LifecycleAction, EventState | string]> = [
      [DRAFT, "publish", PUBLISHED],
      [DRAFT, "cancel", CANCELLED],
      [DRAFT, "edit", DRAFT],
      [DRAFT, "change-layout", DRAFT],
      [PUBLISHED, "publish", "EVENT_NOT_DRAFT"],
      [PUBLISHED, "cancel", CANCELLED],
      [PUBLISHED, "edit", PUBLISHED],
      [PUBLISHED, "change-layout", "LAYOUT_FROZEN"],
      [CANCELLED, "publish", "EVENT_NOT_DRAFT"],
      [CANCELLED, "cancel", "EVENT_NOT_CANCELLABLE"],
      [CANCELLED, "edit", "EVENT_NOT_EDITABLE"],
      [CANCELLED, "change-layout", "EVENT_NOT_EDITABLE"],
      [ENDED, "publish", "EVENT_NOT_DRAFT"],
      [ENDED, "cancel", "EVENT_NOT_CANCELLABLE"],
      [ENDED, "edit", "EVENT_NOT_EDITABLE"],
      [ENDED, "change-layout", "EVENT_NOT_EDITABLE"],
      [UNSPECIFIED, "publish", "EVENT_NOT_DRAFT"],
      [UNSPECIFIED, "cancel", "EVENT_NOT_CANCELLABLE"],
      [UNSPECIFIED, "edit", "EVENT_NOT_EDITABLE"],
      [UNSPECIFIED, "change-layout", "EVENT_NOT_EDITABLE"],
    ];
    for (const [from, action, expected] of table) {
      const shown = typeof expected === "string" ? `refused: ${expected}` : `→ ${EventState[expected]}`;
      it(`${EventState[from]} ${action} ${shown}`, () => {
        assert.equal(
          outcome(() => nextState(from, action, ["venue_id"])),
          expected,
        );
      });
    }

    it("names the state and the frozen fields in its messages", () => {
      assert.throws(() => nextState(ENDED, "cancel"), /a ENDED event cannot be cancelled/);
      assert.throws(
        () => nextState(PUBLISHED, "change-layout", ["venue_id", "sales_end_time"]),
        /layout cannot change \(venue_id, sales_end_time\)/,
      );
    });
  });

  describe("publishing needs a complete, future event", () => {
    const ready = {
      state: DRAFT,
      startMs: now + 24 * HOUR,
      salesStartMs: now,
      salesEndMs: now + 23 * HOUR,
      unpricedSectionIds: [] as string[],
    };
    it("a DRAFT that starts later, with a sales window and every section priced → PUBLISHED", () => {
      assert.equal(publish(ready, now), PUBLISHED);
    });
    it("refuses in order: not a DRAFT, started, no sales window, unpriced sections", () => {
      const cases: Array<[Partial<typeof ready>, string]> = [
        [{ state: PUBLISHED, startMs: now - HOUR }, "EVENT_NOT_DRAFT"],
        [{ startMs: now }, "EVENT_IN_PAST"],
        [{ startMs: now - 1, salesStartMs: undefined as never }, "EVENT_IN_PAST"],
        [{ salesStartMs: undefined as never }, "SALES_WINDOW_MISSING"],
        [{ salesEndMs: undefined as never }, "SALES_WINDOW_MISSING"],
        [{ salesEndMs: undefined as never, unpricedSectionIds: ["s1"] }, "SALES_WINDOW_MISSING"],
        [{ unpricedSectionIds: ["s1", "s2"] }, "MISSING_PRICES"],
      ];
      for (const [change, reason] of cases)
        assert.equal(
          outcome(() => publish({ ...ready, ...change }, now)),
          reason,
        );
    });
    it("lists the unpriced sections in the error's metadata", () => {
      assert.throws(
        () => publish({ ...ready, unpricedSectionIds: ["a", "b"] }, now),
        (e: unknown) => e instanceof DomainError && e.metadata.sections === "a,b" && /2 without/.test(e.message),
      );
    });
  });

  describe("derived state: ENDED in one place", () => {
    const end = now;
    const cases: Array<[string, number, EventState]> = [
      ["PUBLISHED", end - 1, PUBLISHED],
      ["PUBLISHED", end, ENDED],
      ["PUBLISHED", end + 1, ENDED],
      ["DRAFT", end + HOUR, DRAFT],
      ["CANCELLED", end + HOUR, CANCELLED],
      ["SOMETHING_ELSE", end + HOUR, UNSPECIFIED],
    ];
    for (const [stored, at, expected] of cases) {
      it(`stored ${stored} read ${at - end >= 0 ? "at/after" : "before"} its end (${at - end} ms) → ${EventState[expected]}`, () => {
        assert.equal(effectiveState(stored, end, at), expected);
      });
    }
    it("an event without an end time never ends by itself", () => {
      assert.equal(effectiveState("PUBLISHED", undefined, now), PUBLISHED);
    });
    it("filters read ENDED as stored PUBLISHED; UNSPECIFIED is no stored state", () => {
      assert.deepEqual([DRAFT, PUBLISHED, CANCELLED, ENDED, UNSPECIFIED].map(storedStateOf), [
        "DRAFT",
        "PUBLISHED",
        "CANCELLED",
        "PUBLISHED",
        undefined,
      ]);
    });
  });
});
