import { Code } from "@connectrpc/connect";

/**
 * The errors a use-case or a domain rule throws on purpose, transport-neutral: each names a
 * canonical code and a stable reason. The RPC layer turns them into wire errors in one place
 * (`platform/rpc/errors.ts#toConnectError`); a consumer or a CLI reads `code` and `reason`.
 */

/** One invalid field of a request, as in `google.rpc.BadRequest.FieldViolation`. */
export interface FieldViolation {
  /** Path to the field in the request, e.g. `event.price_tiers[0].price.amount_minor`. */
  field: string;
  /** What is wrong, for a person. */
  description: string;
  /** A stable UPPER_SNAKE reason for programs, e.g. `MUST_BE_POSITIVE`. */
  reason?: string;
}

interface DomainErrorInit {
  /** Key/value facts for the caller (ids, limits); never secrets. */
  metadata?: Record<string, string>;
  violations?: FieldViolation[];
  /** For RESOURCE_EXHAUSTED / UNAVAILABLE: when a retry may succeed. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Base of every error a use-case throws on purpose. It names the canonical code and a stable
 * reason from the service's catalogue; the RPC layer's `toConnectError` turns it into the wire error with
 * `google.rpc.ErrorInfo` (reason, domain `<service>.boxoffice`) and, when given, `BadRequest` and
 * `RetryInfo` details. Services throw these; they never build ConnectErrors themselves.
 */
export class DomainError extends Error {
  readonly metadata: Record<string, string>;
  readonly violations: FieldViolation[];
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly code: Code,
    readonly reason: string,
    message: string,
    init: DomainErrorInit = {},
  ) {
    super(message, { cause: init.cause });
    this.name = new.target.name;
    this.metadata = init.metadata ?? {};
    this.violations = init.violations ?? [];
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The request is malformed; `violations` says which fields and why. */
export class InvalidArgumentError extends DomainError {
  constructor(violations: FieldViolation[], message?: string) {
    const first = violations[0];
    const text = message ?? (first ? `invalid ${first.field}: ${first.description}` : "invalid request");
    super(Code.InvalidArgument, "INVALID_ARGUMENT", text, { violations });
  }
}

/** The addressed resource does not exist (or the caller may not know it exists). */
export class NotFoundError extends DomainError {
  constructor(resource: string, id: string, reason = `${resource.toUpperCase()}_NOT_FOUND`) {
    super(Code.NotFound, reason, `${resource} ${id} not found`, { metadata: { [`${resource}_id`]: id } });
  }
}

/** The resource the caller tries to create already exists. */
export class AlreadyExistsError extends DomainError {
  constructor(reason: string, message: string, metadata?: Record<string, string>) {
    super(Code.AlreadyExists, reason, message, { metadata });
  }
}

/** The system is not in a state the operation needs (sold out, hold expired, event not on sale…). */
export class FailedPreconditionError extends DomainError {
  constructor(reason: string, message: string, metadata?: Record<string, string>) {
    super(Code.FailedPrecondition, reason, message, { metadata });
  }
}

/** The operation was aborted by a concurrent change (stale etag/revision); the caller may retry. */
export class AbortedError extends DomainError {
  constructor(reason: string, message: string, metadata?: Record<string, string>) {
    super(Code.Aborted, reason, message, { metadata });
  }
}

/** No valid credentials. */
export class UnauthenticatedError extends DomainError {
  constructor(message = "a valid access token is required", reason = "UNAUTHENTICATED") {
    super(Code.Unauthenticated, reason, message);
  }
}

/** Valid credentials that may not do this. */
export class PermissionDeniedError extends DomainError {
  constructor(message = "permission denied", reason = "PERMISSION_DENIED") {
    super(Code.PermissionDenied, reason, message);
  }
}

/** A quota or throttle is exhausted; `retryAfterMs` becomes `google.rpc.RetryInfo`. */
export class ResourceExhaustedError extends DomainError {
  constructor(reason: string, message: string, retryAfterMs?: number) {
    super(Code.ResourceExhausted, reason, message, { retryAfterMs });
  }
}

/** A dependency is down or the server is draining; safe to retry elsewhere. */
export class UnavailableError extends DomainError {
  constructor(reason: string, message: string, retryAfterMs?: number) {
    super(Code.Unavailable, reason, message, { retryAfterMs });
  }
}
