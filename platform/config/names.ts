/**
 * Every name the platform creates in shared infrastructure, derived from one prefix
 * (`BOXOFFICE_PREFIX`), so test suites and several local stacks share servers without colliding.
 * Nothing else may invent such a name.
 */
export interface InfraNames {
  readonly prefix: string;
  /** MariaDB database of a service: `<prefix>_<service>`. */
  database(service: string): string;
  /** JetStream stream of a producing service: `<PREFIX>_<SERVICE>`. */
  stream(service: string): string;
  /** Subject of one event type: `<prefix>.<service>.<event>`; `<prefix>.<service>.>` for all of a service's. */
  subject(service: string, event: string): string;
  /** Durable consumer name: `<prefix>_<consumer>`. */
  durable(consumer: string): string;
  /** A Redis key: `<prefix>:<key>`. */
  redisKey(key: string): string;
  /** A Redis pub/sub channel: `<prefix>:<channel>` (ioredis' keyPrefix does not apply to channels). */
  channel(channel: string): string;
}

export function infraNames(prefix: string): InfraNames {
  return {
    prefix,
    database: (service) => `${prefix}_${service}`,
    stream: (service) => `${prefix}_${service}`.toUpperCase(),
    subject: (service, event) => `${prefix}.${service}.${event}`,
    durable: (consumer) => `${prefix}_${consumer}`,
    redisKey: (key) => `${prefix}:${key}`,
    channel: (channel) => `${prefix}:${channel}`,
  };
}
