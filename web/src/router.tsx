/**
 * A small history router: the current location is a signal, links are ordinary <a href> elements
 * (so they work with the keyboard, middle-click and "open in new tab"), and after every navigation
 * focus moves to the new page's heading so screen-reader and keyboard users know the page changed.
 */
import { signal } from "@preact/signals";
import type { AnchorHTMLAttributes, ComponentChildren } from "preact";

export interface Location {
  readonly path: string;
  readonly query: URLSearchParams;
}

const read = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) });

/** The current location; components that read `location.value` re-render when it changes. */
export const location = signal<Location>(read());

/** Set after a navigation; the next page's heading takes focus (see `PageHeading`). */
export const focusPending = signal(false);

/** Goes to `to` (a path with optional query), adding a history entry unless `replace`. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  location.value = read();
  focusPending.value = true;
  window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => {
  location.value = read();
  focusPending.value = true;
});

/** An in-app link: a plain anchor whose plain left clicks navigate without a page load. */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren }) {
  const { href, onClick, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      aria-current={location.value.path === href ? "page" : undefined}
      onClick={(e) => {
        if (typeof onClick === "function") onClick(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    />
  );
}

/** Matches `path` against a pattern like `/events/:id`; returns the parameters or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? "";
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(value);
    else if (part !== value) return undefined;
  }
  return params;
}
