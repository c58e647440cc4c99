/**
 * Ceilings measured in the same run, on the same processes, right after the on-sale: what an empty
 * RPC costs (grpc.health.v1 Check on the ticket process) and how many holds per second the hold
 * path takes when nothing else runs (closed loop of buyers re-holding one standing place each on an
 * event of its own: each new hold releases the buyer's previous one, the on-sale's common write).
 */
import { randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { SeededUser } from "../../cmd/seed-users.js";
import { sleep } from "../../platform/clock/index.js";
import { Health } from "../../platform/health/index.js";
import { as, type OnsaleClients } from "./clients.js";
import { setUpOnsale } from "./event-setup.js";
import { percentile } from "./stats.js";

export interface Ceiling {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  errors: number;
}

/** `workers` loops calling `fn` for `durationMs`. */
export async function closedLoop(
  workers: number,
  durationMs: number,
  fn: (w: number) => Promise<unknown>,
): Promise<Ceiling> {
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await fn(w);
          lat.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return {
    perSec: lat.length / secs,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    ok: lat.length,
    errors,
  };
}

export async function measureCeilings(o: {
  ticketUrl: string;
  clients: OnsaleClients;
  users: readonly SeededUser[];
  adminEmail: string;
  adminPassword: string;
  workers: number;
  durationMs: number;
  log: (l: string) => void;
}): Promise<{ emptyRpc: Ceiling; holds: Ceiling }> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: o.ticketUrl }));
  await closedLoop(o.workers, 300, () => health.check({}));
  const emptyRpc = await closedLoop(o.workers, o.durationMs, () => health.check({}));
  const event = await setUpOnsale(o.clients, {
    adminEmail: o.adminEmail,
    adminPassword: o.adminPassword,
    plan: {
      reserved: [{ name: "Ceiling Seats", rows: 2, seatsPerRow: 10, priceMinor: 1_000 }],
      ga: { name: "Ceiling Floor", capacity: 100_000, priceMinor: 1_000 },
    },
    salesOpenInMs: 0,
    log: o.log,
  });
  const ga = event.sections.find((s) => s.kind === "ga")!;
  await sleep(Math.max(0, event.salesStartMs - Date.now() + 50));
  const users = o.users.slice(0, o.workers);
  const hold = (w: number) =>
    o.clients.tickets.holdSeats(
      {
        requestId: randomUUID(),
        eventId: event.eventId,
        items: [{ kind: { case: "generalAdmission", value: { sectionId: ga.id, quantity: 1 } } }],
      },
      as(users[w % users.length]!.accessToken),
    );
  await closedLoop(users.length, 500, hold);
  const holds = await closedLoop(users.length, o.durationMs, hold);
  return { emptyRpc, holds };
}
