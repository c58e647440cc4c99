/** The shell: skip link, header with navigation, connection banner, the routed page. */
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentUser, hasRole, sessionReady, signOut } from "./api/session.js";
import { connectionTrouble } from "./api/transport.js";
import { Loading } from "./components/page.js";
import { Role } from "./gen/boxoffice/auth/v1/auth_pb.js";
import { CheckoutPage } from "./pages/checkout.js";
import { DoorPage } from "./pages/door.js";
import { EventPage } from "./pages/event-page.js";
import { EventsPage } from "./pages/events.js";
import { NotFoundPage } from "./pages/not-found.js";
import { OrderPage } from "./pages/order.js";
import { OrdersPage } from "./pages/orders.js";
import { OrganiserPage } from "./pages/organiser/dashboard.js";
import { EventEditorPage } from "./pages/organiser/event-editor.js";
import { VenueEditorPage } from "./pages/organiser/venue-editor.js";
import { RegisterPage, SignInPage } from "./pages/sign-in.js";
import { TicketsPage } from "./pages/tickets.js";
import { Link, location, match, navigate } from "./router.js";
import { ROUTES } from "./routes.js";

type Route = [pattern: string, page: (p: Record<string, string>) => JSX.Element, need?: "user" | "organiser"];

const routes: Route[] = [
  [ROUTES.events, () => <EventsPage />],
  [ROUTES.event, (p) => <EventPage eventId={p.id ?? ""} />],
  [ROUTES.checkout, (p) => <CheckoutPage holdId={p.holdId ?? ""} />, "user"],
  [ROUTES.orders, () => <OrdersPage />, "user"],
  [ROUTES.order, (p) => <OrderPage orderId={p.id ?? ""} />, "user"],
  [ROUTES.tickets, () => <TicketsPage />, "user"],
  [ROUTES.signIn, () => <SignInPage />],
  [ROUTES.register, () => <RegisterPage />],
  [ROUTES.organiser, () => <OrganiserPage />, "organiser"],
  [ROUTES.newVenue, () => <VenueEditorPage />, "organiser"],
  [ROUTES.newEvent, () => <EventEditorPage />, "organiser"],
  [ROUTES.editEvent, (p) => <EventEditorPage eventId={p.id ?? ""} />, "organiser"],
  [ROUTES.door, (p) => <DoorPage eventId={p.eventId ?? ""} />, "organiser"],
];

function Routed() {
  const { path, query } = location.value;
  for (const [pattern, page, need] of routes) {
    const params = match(pattern, path);
    if (params === undefined) continue;
    if (need !== undefined && currentUser.value === undefined) {
      return <Redirect to={`/sign-in?next=${encodeURIComponent(path + (query.size ? `?${query}` : ""))}`} />;
    }
    if (need === "organiser" && !hasRole(Role.ORGANIZER)) {
      return (
        <section>
          <h1>Organisers only</h1>
          <p>
            This page is for event organisers. Ask an administrator to give your account the organiser role, then sign
            in again.
          </p>
        </section>
      );
    }
    return page(params);
  }
  return <NotFoundPage />;
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);
  return null;
}

function ConnectionBanner() {
  const trouble = connectionTrouble.value;
  const [, tick] = useState(0);
  useEffect(() => {
    if (!trouble) return;
    const t = setInterval(() => tick((n) => n + 1), 500);
    return () => clearInterval(t);
  }, [trouble]);
  if (!trouble) return null;
  const s = Math.max(0, Math.ceil((trouble.retryAtMs - Date.now()) / 1000));
  return (
    <div class="banner" role="status">
      Connection lost. Trying again {s > 0 ? `in ${s} s` : "now"}…
    </div>
  );
}

function NavLink(props: { href: string; children: ComponentChildren }) {
  return (
    <li>
      <Link href={props.href}>{props.children}</Link>
    </li>
  );
}

export function App() {
  const user = currentUser.value;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <Link href="/" class="brand">
          Boxoffice
        </Link>
        <nav aria-label="Main">
          <ul>
            <NavLink href="/">Events</NavLink>
            {user && <NavLink href="/orders">My orders</NavLink>}
            {user && <NavLink href="/tickets">My tickets</NavLink>}
            {user && hasRole(Role.ORGANIZER) && <NavLink href="/organiser">Organiser</NavLink>}
            {!user && <NavLink href="/sign-in">Sign in</NavLink>}
            {!user && <NavLink href="/register">Register</NavLink>}
          </ul>
        </nav>
        {user && (
          <div class="account">
            <span data-testid="signed-in-as">{user.displayName || user.email}</span>
            <button
              type="button"
              class="link-button"
              onClick={async () => {
                await signOut();
                navigate("/");
              }}
            >
              Sign out
            </button>
          </div>
        )}
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        {sessionReady.value ? <Routed /> : <Loading what="your session" />}
      </main>
      <footer class="site-footer">
        <p>Boxoffice storefront · payments in this build use the sandbox: no real money moves.</p>
      </footer>
    </>
  );
}
