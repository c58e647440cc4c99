/**
 * The seam between the sender (claims, retries, records) and a way of reaching people. Email over
 * SMTP is the only channel now; SMS or push would be another implementation of the same interface,
 * chosen by the notification's `channel` column.
 */
import type { ParsedContent } from "../domain/kinds.js";

/** Channel names as stored (the proto's Channel without its prefix). */
export type ChannelName = "EMAIL";

/** What a channel gets to deliver: one notification, rendered by the channel itself. */
export interface OutgoingNotification {
  id: string;
  content: ParsedContent;
  recipient: { address: string; name: string };
  /** when the notification was created (the Date header: the same on every attempt) */
  createTime: Date;
  /** 1 for the first attempt */
  attempt: number;
}

/**
 * The outcome of one attempt. `connection` marks failures of the way to the server rather than of
 * this message (refused, timed out, 421): the sender then pauses the whole channel instead of
 * hammering a server that is down.
 */
export type DeliveryResult =
  | { ok: true; detail: string }
  | { ok: false; permanent: boolean; connection: boolean; detail: string };

export interface DeliveryChannel {
  readonly name: ChannelName;
  deliver(n: OutgoingNotification): Promise<DeliveryResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
