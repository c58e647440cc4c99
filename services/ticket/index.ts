import { fileURLToPath } from "node:url";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { access } from "../../platform/rpc/access.js";
import { unimplementedService } from "../../platform/rpc/service.js";

const pending = "the ticket service (inventory, holds, checkout) is not built yet";

/** ticket: inventory per event, holds, orders, issued tickets. */
export const ticketModule: ServiceModule = {
  name: "ticket",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  create: () => ({
    services: [
      unimplementedService(
        TicketService,
        {
          getAvailability: access.public(),
          watchAvailability: access.public(),
          holdSeats: access.user(),
          releaseHold: access.user(),
          checkout: access.user(),
          getOrder: access.user(),
          watchOrder: access.user(),
          listOrders: access.user(),
          cancelOrder: access.user(),
          getTicket: access.user(),
          checkIn: access.roles("ORGANIZER", "ADMIN"),
        },
        pending,
      ),
    ],
  }),
};
