/**
 * The app's paths. The cluster's ingress sends exactly these to the storefront (cmd/manifests/
 * storefront.ts); web/test/unit/routes.test.ts keeps the two in step. No RPC path can match one.
 */
export const ROUTES = {
  events: "/",
  event: "/events/:id",
  checkout: "/checkout/:holdId",
  orders: "/orders",
  order: "/orders/:id",
  tickets: "/tickets",
  signIn: "/sign-in",
  register: "/register",
  organiser: "/organiser",
  newVenue: "/organiser/venues/new",
  newEvent: "/organiser/events/new",
  editEvent: "/organiser/events/:id",
  door: "/door/:eventId",
} as const;
