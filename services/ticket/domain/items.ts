/**
 * A hold request's items checked against the event's sections, before anything is claimed: every
 * section known and of the right kind, no seat or section twice, quantities ≥ 1, and the whole
 * hold within the per-order limit. Pure; field paths follow the proto (`items[2].seat.row_label`).
 */
import { type FieldViolation, InvalidArgumentError } from "../../../platform/errors/index.js";
import { OrderLimitError } from "./errors.js";

export type HoldItemInput =
  | { readonly kind: "seat"; readonly sectionId: string; readonly rowLabel: string; readonly seatLabel: string }
  | { readonly kind: "generalAdmission"; readonly sectionId: string; readonly quantity: number }
  | { readonly kind: "bestAvailable"; readonly sectionId: string; readonly quantity: number };

export interface SectionKind {
  readonly sectionNo: number;
  readonly sectionId: string;
  readonly kind: "RESERVED" | "GA";
}

/** The items grouped for claiming, sections in ascending number (the lock order). */
export interface NormalisedItems {
  readonly quantity: number;
  readonly seats: Array<{ sectionNo: number; rowLabel: string; seatLabel: string; index: number }>;
  readonly generalAdmission: Array<{ sectionNo: number; quantity: number }>;
  readonly bestAvailable: Array<{ sectionNo: number; quantity: number }>;
}

const field = { seat: "seat", generalAdmission: "general_admission", bestAvailable: "best_available" } as const;

export function normaliseItems(
  items: readonly HoldItemInput[],
  sections: readonly SectionKind[],
  maxPerOrder: number,
): NormalisedItems {
  const bad: FieldViolation[] = [];
  if (items.length === 0) bad.push({ field: "items", description: "at least one item", reason: "REQUIRED" });
  const byId = new Map(sections.map((s) => [s.sectionId, s]));
  const seen = new Set<string>();
  const out: NormalisedItems = { quantity: 0, seats: [], generalAdmission: [], bestAvailable: [] };
  let quantity = 0;
  items.forEach((item, i) => {
    const at = `items[${i}].${field[item.kind]}`;
    const section = byId.get(item.sectionId);
    if (section === undefined) {
      bad.push({ field: `${at}.section_id`, description: "not a section of this event", reason: "UNKNOWN_SECTION" });
      return;
    }
    const wanted = item.kind === "generalAdmission" ? "GA" : "RESERVED";
    if (section.kind !== wanted) {
      const what = wanted === "GA" ? "a general-admission" : "a reserved";
      bad.push({ field: `${at}.section_id`, description: `not ${what} section`, reason: "WRONG_SECTION_KIND" });
      return;
    }
    if (item.kind === "seat") {
      if (item.rowLabel === "") bad.push({ field: `${at}.row_label`, description: "required", reason: "REQUIRED" });
      if (item.seatLabel === "") bad.push({ field: `${at}.seat_label`, description: "required", reason: "REQUIRED" });
      const key = `seat\u0000${section.sectionNo}\u0000${item.rowLabel}\u0000${item.seatLabel}`;
      if (seen.has(key)) bad.push({ field: at, description: "the same seat twice", reason: "DUPLICATE" });
      seen.add(key);
      out.seats.push({ sectionNo: section.sectionNo, rowLabel: item.rowLabel, seatLabel: item.seatLabel, index: i });
      quantity += 1;
      return;
    }
    if (!Number.isInteger(item.quantity) || item.quantity < 1) {
      bad.push({ field: `${at}.quantity`, description: "at least 1", reason: "MUST_BE_POSITIVE" });
      return;
    }
    const key = `${item.kind}\u0000${section.sectionNo}`;
    if (seen.has(key)) bad.push({ field: at, description: "the same section twice", reason: "DUPLICATE" });
    seen.add(key);
    (item.kind === "generalAdmission" ? out.generalAdmission : out.bestAvailable).push({
      sectionNo: section.sectionNo,
      quantity: item.quantity,
    });
    quantity += item.quantity;
  });
  if (bad.length > 0) throw new InvalidArgumentError(bad);
  if (quantity > maxPerOrder) throw new OrderLimitError(maxPerOrder, quantity);
  const bySection = (a: { sectionNo: number }, b: { sectionNo: number }) => a.sectionNo - b.sectionNo;
  out.seats.sort(bySection);
  out.generalAdmission.sort(bySection);
  out.bestAvailable.sort(bySection);
  return { ...out, quantity };
}
