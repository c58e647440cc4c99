/**
 * Form pieces with the accessibility wiring done once: every input has a <label>, hints and errors
 * are tied to it with aria-describedby, an invalid input says so (aria-invalid), and a failed
 * submit shows an error summary that takes focus and links to each field.
 */
import type { ComponentChildren, InputHTMLAttributes, PartialInputHTMLAttributes } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Problem } from "../api/errors.js";

type InputProps = Omit<PartialInputHTMLAttributes<HTMLInputElement>, "id" | "value" | "onInput" | "role">;

/** A labelled input with an optional hint and the error the server sent for its field. */
export function Field(
  props: InputProps & {
    id: string;
    label: string;
    value: string;
    onValue(value: string): void;
    hint?: string;
    error?: string | undefined;
  },
) {
  const { id, label, value, onValue, hint, error, ...rest } = props;
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class={error ? "field field--error" : "field"}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          <span class="visually-hidden">Error: </span>
          {error}
        </p>
      )}
      <input
        {...inputAttrs(rest)}
        id={id}
        name={id}
        value={value}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </div>
  );
}

// Preact 11 types <input> as a union keyed by `type`; a generic field passes `type` through untyped.
const inputAttrs = (rest: InputProps) => rest as unknown as InputHTMLAttributes<HTMLInputElement>;

/** A labelled <select>. */
export function Select(props: {
  id: string;
  label: string;
  value: string;
  onValue(value: string): void;
  children: ComponentChildren;
  error?: string | undefined;
}) {
  return (
    <div class={props.error ? "field field--error" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
      <select
        id={props.id}
        name={props.id}
        value={props.value}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
        onChange={(e) => props.onValue(e.currentTarget.value)}
      >
        {props.children}
      </select>
    </div>
  );
}

/**
 * What went wrong with a submit: the plain message, then each field violation as a link to its
 * field (`fieldIds` maps a violation's field path to the input's id). Takes focus when it appears.
 */
export function ErrorSummary(props: {
  problem: Problem | undefined;
  fieldIds?: Record<string, string>;
  title?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.problem) ref.current?.focus();
  }, [props.problem]);
  if (!props.problem) return null;
  const entries = Object.entries(props.problem.fields);
  return (
    <div class="notice notice--error" role="alert" tabIndex={-1} ref={ref} data-testid="error-summary">
      <h2 class="notice-title">{props.title ?? "There is a problem"}</h2>
      <p>{props.problem.message}</p>
      {entries.length > 0 && (
        <ul>
          {entries.map(([field, text]) => {
            const id = props.fieldIds?.[field];
            return (
              <li key={field}>
                {id ? <a href={`#${id}`}>{`${labelOf(field)}: ${text}`}</a> : `${labelOf(field)}: ${text}`}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** `venue.sections[0].name` → "sections 1 name" for people. */
function labelOf(path: string): string {
  return path
    .replace(/\[(\d+)\]/g, (_, n: string) => ` ${Number(n) + 1}`)
    .split(".")
    .slice(-2)
    .join(" ")
    .replace(/_/g, " ");
}

/** A status message: info and success are polite live regions; errors are alerts. */
export function Notice(props: {
  kind?: "info" | "success" | "warning" | "error";
  children: ComponentChildren;
  testId?: string;
}) {
  const kind = props.kind ?? "info";
  return (
    <div class={`notice notice--${kind}`} role={kind === "error" ? "alert" : "status"} data-testid={props.testId}>
      {props.children}
    </div>
  );
}
