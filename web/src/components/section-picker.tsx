/** The sections of an event as a radio group: name, price and what is left (live). */
import type { Money } from "../gen/boxoffice/common/v1/money_pb.js";
import type { Section } from "../gen/boxoffice/event/v1/venue_pb.js";
import type { SectionAvailability } from "../gen/boxoffice/ticket/v1/availability_pb.js";
import { formatMoney } from "../lib/format.js";

export function SectionPicker(props: {
  sections: readonly Section[];
  selected: string;
  onSelect(id: string): void;
  priceOf(id: string): Money | undefined;
  live: ReadonlyMap<string, SectionAvailability>;
}) {
  return (
    <fieldset class="sections">
      <legend>Section</legend>
      {props.sections.map((s) => {
        const a = props.live.get(s.id);
        const unit = s.kind.case === "generalAdmission" ? "places" : "seats";
        const left = a ? `${a.available} of ${a.total} ${unit} left` : `${s.capacity} ${unit}`;
        return (
          <label
            key={s.id}
            class={props.selected === s.id ? "section-option section-option--selected" : "section-option"}
          >
            <input
              type="radio"
              name="section"
              value={s.id}
              checked={props.selected === s.id}
              onChange={() => props.onSelect(s.id)}
            />
            <span class="section-name">{s.name}</span>
            <span class="section-price">{formatMoney(props.priceOf(s.id))}</span>
            <span class="section-left" data-testid={`left-${s.name}`}>
              {left}
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}
