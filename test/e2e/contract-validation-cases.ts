import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { paymentAndNotificationRows, ticketRows } from "./contract-validation-cases-sales.js";
import { at, DAY, type Fixture, type Row, rid, uuid, v, x } from "./contract-validation-table.js";

export type { Caller, Fixture, Json, Row } from "./contract-validation-table.js";

function authRows(f: Fixture): Row[] {
  const register = {
    requestId: rid(),
    email: `valid-${uuid()}@example.com`,
    password: "a long passphrase",
    displayName: "V",
  };
  const login = { email: f.email, password: f.password };
  const logout = { requestId: rid(), refreshToken: "not-a-token-we-issued" };
  const grant = { requestId: rid(), userId: uuid(), role: "ROLE_ORGANIZER" };
  const m = AuthService.method;
  return [
    {
      method: m.register,
      as: "anonymous",
      valid: register,
      answers: "ok",
      violating: [
        v(register, "too long", "displayName", x(101), "display_name", "string.max_len"),
        v(register, "too long", "password", x(129), "password", "string.max_len"),
        v(register, "out of range", "password", "short", "password", "string.min_len"),
        v(register, "missing", "email", "", "email", "required"),
        v(register, "missing", "requestId", undefined, "request_id", "required"),
        v(register, "malformed", "email", "not-an-email", "email", "string.email"),
        v(register, "malformed", "requestId", "has spaces!", "request_id", "string.pattern"),
      ],
    },
    {
      method: m.login,
      as: "anonymous",
      valid: login,
      answers: "ok",
      violating: [
        v(login, "too long", "email", `${x(250)}@x.io`, "email", "string.max_len"),
        v(login, "too long", "password", x(129), "password", "string.max_len"),
        v(login, "missing", "password", "", "password", "required"),
      ],
    },
    {
      method: m.refresh,
      as: "anonymous",
      valid: { refreshToken: f.refreshToken },
      answers: "ok",
      violating: [
        v({}, "too long", "refreshToken", x(257), "refresh_token", "string.max_len"),
        v({}, "missing", "refreshToken", "", "refresh_token", "required"),
      ],
    },
    {
      method: m.logout,
      as: "anonymous",
      valid: logout,
      answers: "ok",
      violating: [
        v(logout, "too long", "refreshToken", x(257), "refresh_token", "string.max_len"),
        v(logout, "too long", "requestId", x(65), "request_id", "string.max_len"),
        v(logout, "missing", "requestId", "", "request_id", "required"),
      ],
    },
    // GetMeRequest has no fields: nothing to violate.
    { method: m.getMe, as: "customer", valid: {}, answers: "ok", violating: [] },
    {
      method: m.grantRole,
      as: "admin",
      valid: grant,
      answers: "not_found",
      violating: [
        v(grant, "not a UUID", "userId", "42", "user_id", "string.uuid"),
        v(grant, "missing", "role", "ROLE_UNSPECIFIED", "role", "required"),
        v(grant, "undefined enum", "role", 99, "role", "enum.defined_only"),
      ],
    },
    {
      method: m.requestPasswordReset,
      as: "anonymous",
      valid: { requestId: rid(), email: f.email },
      answers: "ok",
      violating: [
        v({ requestId: rid() }, "too long", "email", `${x(250)}@x.io`, "email", "string.max_len"),
        v({ requestId: rid() }, "missing", "email", "", "email", "required"),
        v({ email: f.email }, "missing", "requestId", "", "request_id", "required"),
      ],
    },
    {
      method: m.resetPassword,
      as: "anonymous",
      valid: { requestId: rid(), resetToken: "a-token", newPassword: "a long new passphrase" },
      answers: "failed_precondition",
      violating: [
        v(
          { requestId: rid(), newPassword: "a long new passphrase" },
          "too long",
          "resetToken",
          x(257),
          "reset_token",
          "string.max_len",
        ),
        v(
          { requestId: rid(), resetToken: "t" },
          "out of range",
          "newPassword",
          "short",
          "new_password",
          "string.min_len",
        ),
        v(
          { requestId: rid(), newPassword: "a long new passphrase" },
          "missing",
          "resetToken",
          "",
          "reset_token",
          "required",
        ),
      ],
    },
    {
      method: m.verifyEmail,
      as: "anonymous",
      valid: { requestId: rid(), verificationToken: "a-token" },
      answers: "failed_precondition",
      violating: [
        v({ requestId: rid() }, "too long", "verificationToken", x(257), "verification_token", "string.max_len"),
        v({ requestId: rid() }, "missing", "verificationToken", "", "verification_token", "required"),
      ],
    },
    {
      method: m.requestEmailVerification,
      as: "customer",
      valid: { requestId: rid() },
      answers: "ok",
      violating: [v({}, "missing", "requestId", "", "request_id", "required")],
    },
  ];
}

function eventRows(): Row[] {
  const m = EventService.method;
  const venue = {
    requestId: rid(),
    venue: {
      name: "Valid Hall",
      addressLine: "Rua 1",
      city: "Porto",
      countryCode: "PT",
      timeZone: "Europe/Lisbon",
      sections: [
        { name: "Floor", generalAdmission: { capacity: 100 } },
        { name: "Block", reservedSeating: { rows: [{ label: "A", seats: [{ label: "1" }] }] } },
      ],
    },
  };
  const now = Date.now();
  const event = {
    requestId: rid(),
    event: {
      venueId: uuid(),
      name: "Valid night",
      startTime: at(now + 10 * DAY),
      endTime: at(now + 10 * DAY + 3_600_000),
      priceTiers: [{ sectionId: uuid(), price: { currencyCode: "EUR", amountMinor: "9007199254740991" } }],
    },
  };
  const update = { requestId: rid(), event: { id: uuid(), name: "Renamed" }, updateMask: "name" };
  const publish = { requestId: rid(), eventId: uuid() };
  const cancel = { requestId: rid(), eventId: uuid(), reason: "weather" };
  const list = { startTimeAfter: "0001-01-01T00:00:00Z", city: "Porto", states: ["EVENT_STATE_PUBLISHED"] };
  return [
    {
      method: m.createVenue,
      as: "organizer",
      valid: venue,
      answers: "ok",
      violating: [
        v(venue, "too long", "venue.city", x(400), "venue.city", "string.max_len"),
        v(
          venue,
          "too long",
          "venue.sections[1].reservedSeating.rows[0].label",
          x(9),
          "venue.sections[1].reserved_seating.rows[0].label",
          "string.max_len",
        ),
        v(
          venue,
          "out of range",
          "venue.sections[0].generalAdmission.capacity",
          200_001,
          "venue.sections[0].general_admission.capacity",
          "int32.gt_lte",
        ),
        v(venue, "out of range", "venue.sections", [], "venue.sections", "repeated.min_items"),
        v(venue, "missing", "venue.name", undefined, "venue.name", "required"),
        v(venue, "missing", "venue.sections[0].generalAdmission", undefined, "venue.sections[0].kind", "required"),
        v(venue, "missing", "venue", undefined, "venue", "required"),
        v(venue, "malformed", "venue.countryCode", "PRT", "venue.country_code", "string.len"),
      ],
    },
    {
      method: m.getVenue,
      as: "anonymous",
      valid: { venueId: uuid(), view: "VENUE_VIEW_BASIC" },
      answers: "not_found",
      violating: [
        v({}, "not a UUID", "venueId", "v1", "venue_id", "string.uuid"),
        v({}, "missing", "venueId", "", "venue_id", "required"),
        v({ venueId: uuid() }, "undefined enum", "view", 7, "view", "enum.defined_only"),
      ],
    },
    {
      method: m.listVenues,
      as: "anonymous",
      valid: { pageSize: 1000 },
      answers: "ok",
      violating: [
        v({}, "out of range", "pageSize", -1, "page_size", "int32.gte"),
        v({}, "too long", "pageToken", x(513), "page_token", "string.max_len"),
        v({}, "not a UUID", "organizerId", "me", "organizer_id", "string.uuid"),
        v({}, "undefined enum", "view", 5, "view", "enum.defined_only"),
      ],
    },
    {
      method: m.createEvent,
      as: "organizer",
      valid: event,
      answers: "not_found",
      violating: [
        v(event, "too long", "event.name", x(201), "event.name", "string.max_len"),
        v(event, "too long", "event.description", x(10_001), "event.description", "string.max_len"),
        v(event, "not a UUID", "event.venueId", "venue-1", "event.venue_id", "string.uuid"),
        v(event, "not a UUID", "event.priceTiers[0].sectionId", "s", "event.price_tiers[0].section_id", "string.uuid"),
        v(event, "out of range", "event.startTime", "1999-12-31T23:59:59Z", "event.start_time", "timestamp.gte_lt"),
        v(event, "out of range", "event.maxTicketsPerOrder", 51, "event.max_tickets_per_order", "int32.gte_lte"),
        v(
          event,
          "out of range",
          "event.priceTiers[0].price.amountMinor",
          "9007199254740992",
          "event.price_tiers[0].price.amount_minor",
          "int64.gte_lte",
        ),
        v(
          event,
          "out of range",
          "event.priceTiers[0].price.amountMinor",
          "-1",
          "event.price_tiers[0].price.amount_minor",
          "int64.gte_lte",
        ),
        v(event, "missing", "event", undefined, "event", "required"),
        v(event, "missing", "event.priceTiers[0].price", undefined, "event.price_tiers[0].price", "required"),
        v(
          event,
          "malformed",
          "event.priceTiers[0].price.currencyCode",
          "eur",
          "event.price_tiers[0].price.currency_code",
          "string.pattern",
        ),
      ],
    },
    {
      method: m.updateEvent,
      as: "organizer",
      valid: update,
      answers: "not_found",
      violating: [
        v(update, "not a UUID", "event.id", "e1", "event.id", "string.uuid"),
        v(update, "out of range", "expectedRevision", "-1", "expected_revision", "int64.gte_lte"),
        v(update, "out of range", "updateMask", "", "update_mask", "field_mask.paths_size"),
        v(update, "missing", "updateMask", undefined, "update_mask", "required"),
        v(update, "malformed", "updateMask", "name,organizerId", "update_mask", "field_mask.in"),
      ],
    },
    {
      method: m.publishEvent,
      as: "organizer",
      valid: publish,
      answers: "not_found",
      violating: [
        v(publish, "not a UUID", "eventId", "1", "event_id", "string.uuid"),
        v(publish, "missing", "requestId", undefined, "request_id", "required"),
      ],
    },
    {
      method: m.cancelEvent,
      as: "organizer",
      valid: cancel,
      answers: "not_found",
      violating: [
        v(cancel, "too long", "reason", x(501), "reason", "string.max_len"),
        v(cancel, "not a UUID", "eventId", "1", "event_id", "string.uuid"),
        v(cancel, "missing", "reason", "", "reason", "required"),
      ],
    },
    {
      method: m.getEvent,
      as: "anonymous",
      valid: { eventId: uuid() },
      answers: "not_found",
      violating: [
        v({}, "not a UUID", "eventId", x(300 * 1024), "event_id", "string.uuid"),
        v({}, "missing", "eventId", "", "event_id", "required"),
      ],
    },
    {
      method: m.listEvents,
      as: "anonymous",
      valid: list,
      answers: "ok",
      violating: [
        v(list, "too long", "city", x(101), "city", "string.max_len"),
        v(list, "too long", "query", x(201), "query", "string.max_len"),
        v(list, "too long", "states", Array(9).fill("EVENT_STATE_PUBLISHED"), "states", "repeated.max_items"),
        v(list, "not a UUID", "organizerId", "o", "organizer_id", "string.uuid"),
        v(list, "out of range", "pageSize", -5, "page_size", "int32.gte"),
        v(list, "undefined enum", "states", [99], "states[0]", "enum.defined_only"),
        v(list, "undefined enum", "states", ["EVENT_STATE_UNSPECIFIED"], "states[0]", "enum.not_in"),
      ],
    },
  ];
}

/** Every row, for the requests of a running process. */
export function rows(f: Fixture): Row[] {
  return [...authRows(f), ...eventRows(), ...ticketRows(), ...paymentAndNotificationRows()];
}
