/**
 * Generated Connect clients for the public services. Every call goes through one transport
 * (transport.ts): same origin by default, Connect/JSON, bearer token, retries with backoff.
 */
import { createClient } from "@connectrpc/connect";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { TicketService } from "../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { anonymousTransport, transport } from "./transport.js";

export const authClient = createClient(AuthService, transport);
export const eventClient = createClient(EventService, transport);
export const ticketClient = createClient(TicketService, transport);

/** Login, Register, Refresh and Logout: no bearer token (and no refresh loop through the session). */
export const authAnonymous = createClient(AuthService, anonymousTransport);
