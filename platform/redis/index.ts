import { Redis } from "ioredis";
import type { InfraNames } from "../config/names.js";

export type { Redis } from "ioredis";

/**
 * A Redis client for a cache that must degrade, never block: no offline queue (with Redis down a
 * command fails at once instead of waiting for a reconnect), short command timeouts, one attempt
 * per command, reconnects in the background. Keys carry the process prefix (`<prefix>:`); pub/sub
 * channels do not get ioredis' keyPrefix, so name them with `names.channel()`.
 */
export function createRedis(url: string, names: InfraNames, opts: { commandTimeoutMs?: number } = {}): Redis {
  return new Redis(url, {
    keyPrefix: `${names.prefix}:`,
    enableOfflineQueue: false,
    commandTimeout: opts.commandTimeoutMs ?? 250,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
    lazyConnect: false,
  });
}

/**
 * A process's Redis connections (`ctx.redis()`): one for commands, one for pub/sub (a connection
 * in subscriber mode cannot run other commands under RESP2). Shared by every service of the
 * process, like its NATS connection; closed when the process stops.
 */
export interface RedisConnections {
  readonly commands: Redis;
  readonly subscriber: Redis;
}
