import type { Clock } from "../../../platform/clock/index.js";
import type { CommandDeps } from "../../../platform/commands/index.js";
import type { Db } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import type { Logger } from "../../../platform/log/index.js";
import type { PageTokens } from "../../../platform/paging/index.js";
import type { Payments } from "./clients/payments.js";
import type { OrdersSettings } from "./config.js";
import type { InventoryPort } from "./ports.js";
import type { TicketKeyRing } from "./ticket-keys.js";
import type { OrderWatch } from "./watch.js";

/** Work the use-cases start after a commit (runs the job now instead of at its next round). */
export interface Kicks {
  refunds(): void;
  eventJobs(): void;
}

/** What the order half's use-cases get, built once by createOrders from the process context. */
export interface OrdersDeps extends CommandDeps {
  /** For reads; writes go through `commands`. */
  readonly db: Db;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly logger: Logger;
  readonly pageTokens: PageTokens;
  readonly settings: OrdersSettings;
  readonly inventory: InventoryPort;
  readonly payments: Payments;
  readonly keys: TicketKeyRing;
  readonly watch: OrderWatch;
  readonly kick: Kicks;
}
