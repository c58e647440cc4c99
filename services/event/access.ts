import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { access, sheddable } from "../../platform/rpc/access.js";
import { contract } from "../../platform/rpc/service.js";

const organizer = access.roles("ORGANIZER", "ADMIN");

/** Who may call each RPC of the event service (the mesh policies are rendered from this). */
export const eventAccess = contract(EventService, {
  createVenue: organizer,
  getVenue: sheddable(access.public()),
  listVenues: sheddable(access.public()),
  createEvent: organizer,
  updateEvent: organizer,
  publishEvent: organizer,
  cancelEvent: organizer,
  getEvent: sheddable(access.public()),
  listEvents: sheddable(access.public()),
});

export const eventInternalAccess = contract(EventInternalService, { getEventLayout: access.internal("ticket") });

export const eventContracts = [eventAccess, eventInternalAccess];
