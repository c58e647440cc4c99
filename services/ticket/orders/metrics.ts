import { Gauge, type Registry } from "prom-client";
import type { Clock } from "../../../platform/clock/index.js";
import type { Db } from "../../../platform/db/index.js";
import { pendingPayment } from "./db/orders.js";

/**
 * `ticket_pending_orders` and `ticket_pending_order_oldest_seconds`: orders still waiting for their
 * payment's outcome, read from the database when /metrics is scraped (one indexed query per scrape,
 * nothing on the request path). Every replica reports the same figures; alerts take the max. When
 * the database does not answer the gauges keep their last values and the query's failure is
 * visible elsewhere (readiness, the RPC error ratio).
 */
export function pendingOrderGauges(registry: Registry, db: Db, clock: Clock): void {
  let last: Promise<{ count: number; oldestSeconds: number }> | undefined;
  // both gauges are collected by one scrape: one query serves them
  const read = () => {
    last ??= pendingPayment(db.orm)
      .then((p) => ({
        count: p.count,
        oldestSeconds: p.oldest === undefined ? 0 : Math.max(0, (clock.now() - p.oldest.getTime()) / 1000),
      }))
      .finally(() => setTimeout(() => (last = undefined), 1000).unref());
    return last;
  };
  new Gauge({
    name: "ticket_pending_orders",
    help: "Orders in PENDING_PAYMENT (their charge's outcome not yet known).",
    registers: [registry],
    async collect() {
      const p = await read().catch(() => undefined);
      if (p !== undefined) this.set(p.count);
    },
  });
  new Gauge({
    name: "ticket_pending_order_oldest_seconds",
    help: "Age of the oldest PENDING_PAYMENT order (0 when none); reconciliation settles every order within BOXOFFICE_TICKET_PAYMENT_TIMEOUT_SECONDS.",
    registers: [registry],
    async collect() {
      const p = await read().catch(() => undefined);
      if (p !== undefined) this.set(p.oldestSeconds);
    },
  });
}
