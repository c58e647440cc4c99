/**
 * Connect clients (gRPC over HTTP/2) for the on-sale's public services, addressed per service as
 * the stack says (one port in all-in-one, one per service in split mode). Buyers are spread over a
 * few connections per service, as many browsers would be over the ingress's connections: one
 * HTTP/2 session for thousands of streams would measure the session, not the platform.
 */
import type { CallOptions, Client } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import { PaymentService } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { ServiceName } from "../../platform/config/runtime.js";

export interface OnsaleClients {
  auth: Client<typeof AuthService>;
  events: Client<typeof EventService>;
  tickets: Client<typeof TicketService>;
  payments: Client<typeof PaymentService>;
}

/** `connections` client sets; `pick(i)` gives buyer i its set (round robin). */
export function onsaleClients(urlOf: (s: ServiceName) => string, connections = 4): { pick(i: number): OnsaleClients } {
  const sets = Array.from({ length: connections }, () => {
    const transports = new Map<string, ReturnType<typeof createGrpcTransport>>();
    const transport = (s: ServiceName) => {
      const url = urlOf(s);
      let t = transports.get(url);
      if (t === undefined) {
        // a killed server leaves a dead session: notice it within seconds, not at the OS's TCP timeout
        t = createGrpcTransport({
          baseUrl: url,
          pingIntervalMs: 5_000,
          pingTimeoutMs: 5_000,
          idleConnectionTimeoutMs: 30_000,
        });
        transports.set(url, t);
      }
      return t;
    };
    return {
      auth: createClient(AuthService, transport("auth")),
      events: createClient(EventService, transport("event")),
      tickets: createClient(TicketService, transport("ticket")),
      payments: createClient(PaymentService, transport("payment")),
    };
  });
  return { pick: (i) => sets[i % sets.length]! };
}

/** Call options carrying a bearer token and a deadline. */
export function as(token: string, timeoutMs = 10_000, signal?: AbortSignal): CallOptions {
  return { headers: { authorization: `Bearer ${token}` }, timeoutMs, signal };
}
