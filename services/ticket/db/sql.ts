/** Raw statements for the hot paths: drizzle's `sql` template (escaped parameters), no query builder. */
import type { SQL } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { ResultSetHeader } from "mysql2";
import { mysqlErrno, type Tx } from "../../../platform/db/index.js";

/** A transaction or the pool: reads take either, writes that must be atomic take a Tx. */
export type Q = Tx | MySql2Database;

/** taken_until of a place that belongs to an order: never free by time. */
export const FOREVER = new Date(Date.UTC(9999, 11, 31));

/**
 * A DATETIME as read through drizzle's `execute`, which hands DATETIMEs over as strings in the
 * session's time zone (UTC, see platform/db): back to a Date.
 */
export function utc(v: Date | string): Date {
  return v instanceof Date ? v : new Date(`${v.replace(" ", "T")}Z`);
}

/** Runs a write; `affectedRows` counts *matched* rows (mysql2 sets CLIENT_FOUND_ROWS). */
export async function run(q: Q, query: SQL): Promise<ResultSetHeader> {
  const [header] = (await q.execute(query)) as unknown as [ResultSetHeader];
  return header;
}

/** Runs a read (or a write with RETURNING) and gives its rows. */
export async function rows<T>(q: Q, query: SQL): Promise<T[]> {
  const [result] = (await q.execute(query)) as unknown as [T[]];
  return result;
}

/** Runs a `CALL` of a procedure that ends with one SELECT and gives that SELECT's rows. */
export async function called<T>(q: Q, query: SQL): Promise<T[]> {
  // mysql2 answers a CALL with the result sets of its SELECTs, then the call's own status
  const [sets] = (await q.execute(query)) as unknown as [[T[], ResultSetHeader]];
  return sets[0];
}

/**
 * True when a `SET STATEMENT innodb_lock_wait_timeout=0 FOR …` statement found a row locked by
 * another transaction (1205 at once, instead of waiting). Only that statement is rolled back
 * (innodb_rollback_on_timeout is off), so the transaction goes on.
 */
export function isBusy(err: unknown): boolean {
  return mysqlErrno(err) === 1205;
}
