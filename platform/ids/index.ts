import { randomBytes } from "node:crypto";
import { v7 } from "uuid";
import { type Clock, systemClock } from "../clock/index.js";

/** Makes ids: UUIDv7 strings, sortable by creation time. */
export type IdGenerator = () => string;

/**
 * The one id generator of the platform: UUIDv7 (RFC 9562) whose timestamp comes from `clock`, so ids
 * made under a test clock sort with that clock's time.
 */
export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  // With no options uuid keeps its own state and ids are strictly increasing within a millisecond;
  // with an injected clock they sort by that clock's time (random order within one millisecond).
  if (clock === systemClock) return () => v7();
  return () => v7({ msecs: clock.now() });
}

/**
 * Request ids for calls that arrive without one: UUIDv7-shaped (RFC 9562), time-ordered, but with
 * the random bits drawn once per process and a counter in the last 48 bits, so minting one costs a
 * few string operations instead of random bytes per call (a visible share of an empty RPC's CPU).
 * Unique within a process by the counter, across processes by the 28 random bits and the time.
 */
export function createRequestIdGenerator(clock: Clock = systemClock): IdGenerator {
  const r = randomBytes(4);
  const randA = ((r[0]! << 4) | (r[1]! >> 4)).toString(16).padStart(3, "0");
  const randB = (0x8000 | (((r[2]! << 8) | r[3]!) & 0x3fff)).toString(16);
  const middle = `-7${randA}-${randB}-`;
  let lastMs = -1;
  let head = "";
  let n = 0;
  return () => {
    const ms = clock.now();
    if (ms !== lastMs) {
      lastMs = ms;
      const t = ms.toString(16).padStart(12, "0");
      head = `${t.slice(0, 8)}-${t.slice(8)}${middle}`;
    }
    n = (n + 1) % 0x1000000000000;
    return head + n.toString(16).padStart(12, "0");
  };
}
