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
