/** MariaDB error numbers the platform reacts to. */
export const ER_DUP_ENTRY = 1062;
export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_LOCK_DEADLOCK = 1213;

/**
 * The MariaDB error number behind an error, looking through wrappers (drizzle wraps driver errors
 * in DrizzleQueryError with the mysql2 error as `cause`).
 */
export function mysqlErrno(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === "number") return errno;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for errors that a transaction retry can cure: deadlock and lock-wait timeout. */
export function isRetryableTxError(err: unknown): boolean {
  const errno = mysqlErrno(err);
  return errno === ER_LOCK_DEADLOCK || errno === ER_LOCK_WAIT_TIMEOUT;
}

/** True for a unique-key violation. */
export function isDuplicateKey(err: unknown): boolean {
  return mysqlErrno(err) === ER_DUP_ENTRY;
}

/** mysql2 / MariaDB client error numbers meaning "the server is not reachable right now". */
const unreachableErrnos = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1927, // ER_CONNECTION_KILLED
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
]);
const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "POOL_CLOSED",
  "POOL_ENQUEUE_LIMIT",
  "POOL_QUEUE_TIMEOUT",
  "POOL_BUSY", // overload rather than an outage (isDatabaseBusy), but just as retryable
]);

/**
 * True when a connection could not be had because this process's own work keeps every one busy
 * while the database answers (guard.ts's PoolBusyError): the RPC layer sheds it as
 * RESOURCE_EXHAUSTED, where an unreachable database is UNAVAILABLE.
 */
export function isDatabaseBusy(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === "POOL_BUSY") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * True when the database could not be reached or was too busy to answer (connection refused or
 * lost, a timed-out or full connection queue, a server shutting down), or a deadlock/lock wait
 * that outlived the transaction retries: trying again later can succeed, and the failure says
 * nothing about the work itself.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
    const { errno, code, message } = e as { errno?: unknown; code?: unknown; message?: unknown };
    if (typeof errno === "number" && (unreachableErrnos.has(errno) || errno === 1205 || errno === 1213)) return true;
    if (typeof code === "string" && unreachableCodes.has(code)) return true;
    if (
      typeof message === "string" &&
      /^(Pool is closed|Queue limit reached|Can't add new command when connection is in closed state)/.test(message)
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
