import type { Event } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { Clock } from "../../platform/clock/index.js";
import type { CommandDeps } from "../../platform/commands/index.js";
import type { Db } from "../../platform/db/index.js";
import type { IdGenerator } from "../../platform/ids/index.js";
import type { PageTokens } from "../../platform/paging/index.js";

/** Reads events through the cache (GetEvent's hot path) and drops entries after writes. */
export interface EventCache {
  get(id: string): Promise<Event | undefined>;
  invalidate(id: string): Promise<void>;
}

/** What the event service's use-cases get, built once in index.ts from the process context. */
export interface EventDeps extends CommandDeps {
  /** For reads; writes go through `commands`. */
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  pageTokens: PageTokens;
  cache: EventCache;
}
