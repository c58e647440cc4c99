import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  BadRequest_FieldViolationSchema,
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "../../gen/google/rpc/error_details_pb.js";
import { isDatabaseBusy, isDatabaseUnavailable } from "../db/errors.js";
import { DomainError, ResourceExhaustedError } from "../errors/index.js";

export {
  AbortedError,
  AlreadyExistsError,
  DomainError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from "../errors/index.js";

/** The ErrorInfo domain of a service: `boxoffice.ticket.v1.TicketService` → `ticket.boxoffice`. */
export function errorDomain(serviceTypeName: string): string {
  const parts = serviceTypeName.split(".");
  if (parts[0] === "boxoffice" && parts.length >= 3) return `${parts[1]}.boxoffice`;
  return "boxoffice";
}

type OutgoingDetail = NonNullable<ConstructorParameters<typeof ConnectError>[3]>[number];

function detail<D extends DescMessage>(desc: D, value: MessageShape<D>): OutgoingDetail {
  return { desc, value } as OutgoingDetail;
}

/**
 * The one place where errors become wire errors. A {@link DomainError} keeps its code and gains its
 * details; a ConnectError passes through; anything else is a bug and becomes INTERNAL with a
 * generic message (the cause is logged by the caller, never sent).
 */
export function toConnectError(err: unknown, domain: string): ConnectError {
  if (err instanceof DomainError) {
    const details: OutgoingDetail[] = [
      detail(ErrorInfoSchema, create(ErrorInfoSchema, { reason: err.reason, domain, metadata: err.metadata })),
    ];
    if (err.violations.length > 0) {
      details.push(
        detail(
          BadRequestSchema,
          create(BadRequestSchema, {
            fieldViolations: err.violations.map((v) =>
              create(BadRequest_FieldViolationSchema, {
                field: v.field,
                description: v.description,
                reason: v.reason ?? "",
              }),
            ),
          }),
        ),
      );
    }
    if (err.retryAfterMs !== undefined) {
      details.push(detail(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: durationFromMs(err.retryAfterMs) })));
    }
    return new ConnectError(err.message, err.code, undefined, details, err);
  }
  if (err instanceof ConnectError) return err;
  if (isClientGone(err)) {
    // the caller hung up while we were still writing to it (a watcher closed its tab): no bug, and
    // nobody is left to read the answer
    return new ConnectError("the client closed the call", Code.Canceled, undefined, undefined, err);
  }
  if (isDatabaseBusy(err)) {
    // every connection busy with this process's own work: overload, shed like the admission bound
    const shed = new ResourceExhaustedError("OVERLOADED", "the server is busy; try again shortly", 500);
    return toConnectError(Object.assign(shed, { cause: err }), domain);
  }
  if (isDatabaseUnavailable(err)) {
    // the database is down, unreachable or saturated: the client may try again shortly
    const retry = detail(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: durationFromMs(1000) }));
    const info = detail(
      ErrorInfoSchema,
      create(ErrorInfoSchema, { reason: "DATABASE_UNAVAILABLE", domain, metadata: {} }),
    );
    return new ConnectError(
      "the database is unavailable; try again shortly",
      Code.Unavailable,
      undefined,
      [info, retry],
      err,
    );
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
}

/** Node's errors for a write to a stream or socket the peer has already closed or reset. */
const clientGoneCodes = new Set([
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ECONNRESET",
  "EPIPE",
]);

/** True for a failed write to a caller that has gone away (see {@link toConnectError}). */
export function isClientGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && clientGoneCodes.has(code);
}
