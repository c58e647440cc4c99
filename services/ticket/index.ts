import { fileURLToPath } from "node:url";
import type { ServiceModule } from "../../platform/app/index.js";
import { unimplementedService } from "../../platform/rpc/service.js";
import { ticketAccess, ticketContracts, ticketInternalAccess } from "./access.js";

const pending = "the ticket service (inventory, holds, checkout) is not built yet";

/** ticket: inventory per event, holds, orders, issued tickets. */
export const ticketModule: ServiceModule = {
  name: "ticket",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  contracts: ticketContracts,
  create: () => ({
    services: [
      unimplementedService(ticketAccess.desc, ticketAccess.access, pending),
      unimplementedService(ticketInternalAccess.desc, ticketInternalAccess.access, pending),
    ],
  }),
};
