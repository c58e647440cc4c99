import {
  AckPolicy,
  type ConsumerInfo,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { describeSafely } from "../log/safe-error.js";

function isConsumerNotFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound;
}

/**
 * Creates or updates a durable pull consumer: explicit ack, deliver all, one filter subject
 * (nats-server 2.9 has no `filter_subjects`), max_deliver -1 (the caller enforces its own limit, so
 * a crash during the last attempt cannot strand a message). Info first, then add or update: the v3
 * client sends `action: "create"` on add, which newer servers refuse for an existing durable.
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  want: { filterSubject: string; maxAckPending: number; ackWaitMs: number },
): Promise<ConsumerInfo> {
  const ackWait = nanos(want.ackWaitMs);
  let info: ConsumerInfo | undefined;
  try {
    info = await jsm.consumers.info(stream, durable);
  } catch (e) {
    if (!isConsumerNotFound(e)) throw e;
  }
  if (info === undefined) {
    try {
      return await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: want.filterSubject,
        max_ack_pending: want.maxAckPending,
        ack_wait: ackWait,
        max_deliver: -1,
      });
    } catch (e) {
      // another instance created it at the same moment
      info = await jsm.consumers.info(stream, durable).catch(() => undefined);
      if (info === undefined) throw e;
    }
  }
  const c = info.config;
  if (c.ack_policy !== AckPolicy.Explicit || c.deliver_policy !== DeliverPolicy.All || c.deliver_subject) {
    throw new Error(
      `durable ${durable} on ${stream} exists with another ack/deliver policy or as a push consumer; delete it to reset`,
    );
  }
  if (
    c.filter_subject !== want.filterSubject ||
    c.max_ack_pending !== want.maxAckPending ||
    c.ack_wait !== ackWait ||
    c.max_deliver !== -1
  ) {
    info = await jsm.consumers.update(stream, durable, {
      filter_subject: want.filterSubject,
      max_ack_pending: want.maxAckPending,
      ack_wait: ackWait,
      max_deliver: -1,
    });
  }
  return info;
}

/** A timer that can be cancelled (its promise then resolves at once), so stop() leaves none behind. */
export function cancellableDelay(ms: number): { promise: Promise<void>; cancel(): void } {
  let cancel = () => {};
  const promise = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    cancel = () => {
      clearTimeout(t);
      resolve();
    };
  });
  return { promise, cancel };
}

/** One line for a dead-letter reason: the error's name and message, with values redacted. */
export function describeError(e: unknown): string {
  return describeSafely(e);
}
