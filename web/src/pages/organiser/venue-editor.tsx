/**
 * A new venue: address, time zone and sections — reserved seating described as row labels ("A-J")
 * and seats per row, or general admission with a capacity. Violations from the server (paths like
 * `venue.sections[1].general_admission.capacity`) appear beside the matching inputs.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { useState } from "preact/hooks";
import { eventClient } from "../../api/clients.js";
import { localProblem, type Problem, problemOf } from "../../api/errors.js";
import { newRequestId } from "../../api/ids.js";
import { ErrorSummary, Field, Select } from "../../components/form.js";
import { PageHeading } from "../../components/page.js";
import type { SectionSchema } from "../../gen/boxoffice/event/v1/venue_pb.js";
import { navigate } from "../../router.js";

interface SectionDraft {
  key: number;
  name: string;
  kind: "reserved" | "ga";
  rows: string;
  seatsPerRow: string;
  capacity: string;
}

/** "A-J" → A…J, "1-12" → 1…12, "AA, BB" → AA, BB. */
export function parseRows(spec: string): string[] | undefined {
  const out: string[] = [];
  for (const part of spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const range = /^([A-Z]|\d+)\s*[-–]\s*([A-Z]|\d+)$/i.exec(part);
    if (!range) {
      out.push(part);
      continue;
    }
    const [, a = "", b = ""] = range;
    if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
      for (let n = Number(a); n <= Number(b); n++) out.push(String(n));
    } else if (/^[A-Z]$/i.test(a) && /^[A-Z]$/i.test(b)) {
      for (let c = a.toUpperCase().charCodeAt(0); c <= b.toUpperCase().charCodeAt(0); c++)
        out.push(String.fromCharCode(c));
    } else return undefined;
  }
  return out.length > 0 && out.length <= 1000 ? out : undefined;
}

const zones = (() => {
  const intl = Intl as typeof Intl & { supportedValuesOf?(key: string): string[] };
  return intl.supportedValuesOf?.("timeZone") ?? ["UTC", "Europe/Lisbon", "Europe/Berlin", "America/New_York"];
})();

let nextKey = 1;
const newSection = (kind: "reserved" | "ga"): SectionDraft => ({
  key: nextKey++,
  name: "",
  kind,
  rows: "A-J",
  seatsPerRow: "20",
  capacity: "500",
});

export function VenueEditorPage() {
  const [name, setName] = useState("");
  const [address, setAddress] = useState("");
  const [city, setCity] = useState("");
  const [country, setCountry] = useState("");
  const [zone, setZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [sections, setSections] = useState<SectionDraft[]>([newSection("reserved")]);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const update = (key: number, change: Partial<SectionDraft>) =>
    setSections((all) => all.map((s) => (s.key === key ? { ...s, ...change } : s)));
  const err = (path: string) => problem?.fields[path];

  const submit = async (e: Event) => {
    e.preventDefault();
    const built: MessageInitShape<typeof SectionSchema>[] = [];
    const local: Record<string, string> = {};
    sections.forEach((s, i) => {
      if (s.kind === "ga") {
        built.push({ name: s.name, kind: { case: "generalAdmission", value: { capacity: Number(s.capacity) || 0 } } });
        return;
      }
      const rows = parseRows(s.rows);
      const seats = Number(s.seatsPerRow);
      if (!rows)
        local[`venue.sections[${i}].reserved_seating.rows`] = "write row labels like A-J or 1-12, or a list: AA, BB";
      if (!Number.isInteger(seats) || seats < 1 || seats > 1000)
        local[`venue.sections[${i}].seats_per_row`] = "a whole number from 1 to 1,000";
      const seatList = Array.from({ length: Math.max(0, Math.min(1000, seats || 0)) }, (_, n) => ({
        label: String(n + 1),
      }));
      built.push({
        name: s.name,
        kind: { case: "reservedSeating", value: { rows: (rows ?? []).map((label) => ({ label, seats: seatList })) } },
      });
    });
    if (Object.keys(local).length > 0)
      return setProblem(localProblem("Some details need fixing; see the marked fields.", local));
    setBusy(true);
    try {
      await eventClient.createVenue({
        requestId: newRequestId(),
        venue: {
          name,
          addressLine: address,
          city,
          countryCode: country.toUpperCase(),
          timeZone: zone,
          sections: built,
        },
      });
      navigate("/organiser/events/new");
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  };

  const ids: Record<string, string> = {
    "venue.name": "venue-name",
    "venue.address_line": "venue-address",
    "venue.city": "venue-city",
    "venue.country_code": "venue-country",
    "venue.time_zone": "venue-zone",
  };
  sections.forEach((s, i) => {
    ids[`venue.sections[${i}].name`] = `section-${s.key}-name`;
    ids[`venue.sections[${i}].reserved_seating.rows`] = `section-${s.key}-rows`;
    ids[`venue.sections[${i}].seats_per_row`] = `section-${s.key}-seats`;
    ids[`venue.sections[${i}].general_admission.capacity`] = `section-${s.key}-capacity`;
  });
  return (
    <section class="narrow">
      <PageHeading title="New venue" />
      <ErrorSummary problem={problem} fieldIds={ids} title="The venue could not be created" />
      <form onSubmit={submit} noValidate>
        <Field id="venue-name" label="Venue name" value={name} onValue={setName} error={err("venue.name")} />
        <Field
          id="venue-address"
          label="Street address"
          autoComplete="street-address"
          value={address}
          onValue={setAddress}
          error={err("venue.address_line")}
        />
        <Field id="venue-city" label="City" value={city} onValue={setCity} error={err("venue.city")} />
        <Field
          id="venue-country"
          label="Country code"
          hint="Two letters, for example PT or DE."
          maxLength={2}
          value={country}
          onValue={setCountry}
          error={err("venue.country_code")}
        />
        <Select id="venue-zone" label="Time zone" value={zone} onValue={setZone} error={err("venue.time_zone")}>
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
            </option>
          ))}
        </Select>
        {sections.map((s, i) => (
          <fieldset key={s.key} class="section-editor">
            <legend>Section {i + 1}</legend>
            <Field
              id={`section-${s.key}-name`}
              label="Section name"
              value={s.name}
              onValue={(v) => update(s.key, { name: v })}
              error={err(`venue.sections[${i}].name`)}
            />
            <div class="radio-row" role="radiogroup" aria-label={`How section ${i + 1} is sold`}>
              <label class="radio">
                <input
                  type="radio"
                  name={`kind-${s.key}`}
                  checked={s.kind === "reserved"}
                  onChange={() => update(s.key, { kind: "reserved" })}
                />
                Reserved seats
              </label>
              <label class="radio">
                <input
                  type="radio"
                  name={`kind-${s.key}`}
                  checked={s.kind === "ga"}
                  onChange={() => update(s.key, { kind: "ga" })}
                />
                General admission (standing)
              </label>
            </div>
            {s.kind === "reserved" ? (
              <>
                <Field
                  id={`section-${s.key}-rows`}
                  label="Row labels"
                  hint="A range like A-J or 1-12, or a list: AA, BB, CC."
                  value={s.rows}
                  onValue={(v) => update(s.key, { rows: v })}
                  error={err(`venue.sections[${i}].reserved_seating.rows`)}
                />
                <Field
                  id={`section-${s.key}-seats`}
                  label="Seats per row"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={1000}
                  value={s.seatsPerRow}
                  onValue={(v) => update(s.key, { seatsPerRow: v })}
                  error={err(`venue.sections[${i}].seats_per_row`)}
                />
              </>
            ) : (
              <Field
                id={`section-${s.key}-capacity`}
                label="Capacity"
                type="number"
                inputMode="numeric"
                min={1}
                value={s.capacity}
                onValue={(v) => update(s.key, { capacity: v })}
                error={err(`venue.sections[${i}].general_admission.capacity`)}
              />
            )}
            {sections.length > 1 && (
              <button
                type="button"
                class="link-button"
                onClick={() => setSections((all) => all.filter((x) => x.key !== s.key))}
              >
                Remove section {i + 1}
              </button>
            )}
          </fieldset>
        ))}
        <p class="actions">
          <button type="button" onClick={() => setSections((all) => [...all, newSection("reserved")])}>
            Add a seated section
          </button>
          <button type="button" onClick={() => setSections((all) => [...all, newSection("ga")])}>
            Add a standing section
          </button>
        </p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create venue"}
        </button>
      </form>
    </section>
  );
}
