import type { Clock } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import type { PageTokens } from "../../platform/paging/index.js";
import type { TicketDirectory } from "./clients/tickets.js";
import type { NotificationQueue } from "./delivery/index.js";
import type { QueueMetrics } from "./delivery/metrics.js";

/** What notification's use-cases get, built once in index.ts from the process context. */
export interface NotificationDeps {
  /** For reads; the consumers write in their inbox transaction (the pipeline's scope). */
  db: Db;
  clock: Clock;
  pageTokens: PageTokens;
  queue: NotificationQueue;
  tickets: TicketDirectory;
  metrics: QueueMetrics;
  settings: {
    /** base of account links (BOXOFFICE_NOTIFICATION_LINK_BASE_URL) */
    linkBaseUrl: string;
    /** how long a refund waits to hear about its order (BOXOFFICE_NOTIFICATION_REFUND_WAIT_MS) */
    refundWaitMs: number;
    /** right-hand side of every Message-ID (the From address's domain) */
    messageIdDomain: string;
    /** the consumers' ack wait (BOXOFFICE_NOTIFICATION_ACK_WAIT_MS) */
    consumerAckWaitMs: number;
  };
  /** Tells this process's sender to look for due notifications now (after a commit that queued some). */
  wakeSender(): void;
}
