/**
 * A page's <h1>: sets the document title and, after an in-app navigation, takes focus so screen
 * readers announce the new page and the next Tab starts from its top.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { focusPending } from "../router.js";

export function PageHeading(props: { title: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Boxoffice`;
  }, [props.title]);
  useEffect(() => {
    if (focusPending.value) {
      focusPending.value = false;
      ref.current?.focus();
    }
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref}>
      {props.children ?? props.title}
    </h1>
  );
}

/** Shown while a page's first answer is on its way. */
export function Loading(props: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {props.what}…
    </p>
  );
}
