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
