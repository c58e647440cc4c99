/** What the notify use-cases share: a notification queued in the consumer's transaction. */
import type { DescMessage } from "@bufbuild/protobuf";
import type { ConsumedEvent } from "../../../platform/bus/consumer-options.js";
import type { WriteScope } from "../../../platform/commands/index.js";
import { type Principal, requireService } from "../../../platform/principal/index.js";
import type { NewNotification } from "../delivery/index.js";
import type { NotificationDeps } from "../deps.js";
import type { NotificationKind } from "../domain/kinds.js";

/** An integration event as the use-cases take it: its envelope and payload. */
export type Fact<D extends DescMessage> = ConsumedEvent<D>;

/** The notify use-cases run inside a consumer's inbox transaction, as the notification service. */
export interface Within {
  within: WriteScope;
}

/** Only Boxoffice services act on integration events; in practice the notification service's consumers. */
export function asService(principal: Principal | undefined): void {
  requireService(principal);
}

/**
 * Queues `n` with the inbox record (both commit or neither); after the commit the local sender is
 * woken and the creation counted. A cause already queued (same dedupe key) creates nothing.
 */
export async function queue(
  d: NotificationDeps,
  scope: WriteScope,
  n: NewNotification,
): Promise<{ id: string; created: boolean }> {
  const r = await d.queue.enqueue(scope.tx, n);
  if (r.created)
    scope.afterCommit(() => {
      d.metrics.queued.inc({ kind: n.content.kind });
      d.wakeSender();
    });
  return r;
}

/** Counts a fact that deserved no email (after the commit, so a rolled-back attempt counts nothing). */
export function suppress(d: NotificationDeps, scope: WriteScope, kind: NotificationKind, reason: string): void {
  scope.afterCommit(() => void d.metrics.suppressed.inc({ kind, reason }));
}
