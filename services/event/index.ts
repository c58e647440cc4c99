import { fileURLToPath } from "node:url";
import { access } from "../../platform/rpc/access.js";
import { unimplementedService } from "../../platform/rpc/service.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";

const pending = "the event service lands with issue #6 (catalog, venues, cache)";
const organizer = access.roles("ORGANIZER", "ADMIN");

/** event: venues, events, seat maps, prices; the hot cached GetEvent. */
export const eventModule: ServiceModule = {
  name: "event",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  create: () => ({
    services: [
      unimplementedService(
        EventService,
        {
          createVenue: organizer,
          getVenue: access.public(),
          listVenues: access.public(),
          createEvent: organizer,
          updateEvent: organizer,
          publishEvent: organizer,
          cancelEvent: organizer,
          getEvent: access.public(),
          listEvents: access.public(),
        },
        pending,
      ),
      unimplementedService(EventInternalService, { getEventLayout: access.internal("ticket") }, pending),
    ],
  }),
};
