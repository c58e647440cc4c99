import { randomBytes } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import {
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type PubAck,
  type StoredMsg,
} from "@nats-io/jetstream";
import { headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { InfraNames } from "../config/names.js";
import { EventEnvelopeSchema } from "./events.js";
import { isStreamNotFound } from "./nats.js";

/**
 * Headers a dead letter carries besides the original message's own. The original headers are kept
 * as they were except the `Nats-*` ones, which the server interprets on publish (`Nats-Msg-Id`,
 * `Nats-Expected-*`, …): the original message id is kept as `Boxoffice-Dlq-Original-Msg-Id`, the
 * publish preconditions are dropped (they held for the original publish, not for a copy).
 */
export const DlqHeader = {
  reason: "Boxoffice-Dlq-Reason",
  consumer: "Boxoffice-Dlq-Consumer",
  originalSubject: "Boxoffice-Dlq-Original-Subject",
  originalStream: "Boxoffice-Dlq-Original-Stream",
  originalSeq: "Boxoffice-Dlq-Original-Seq",
  deliveries: "Boxoffice-Dlq-Deliveries",
  time: "Boxoffice-Dlq-Time",
  originalMsgId: "Boxoffice-Dlq-Original-Msg-Id",
} as const;

/**
 * Set on a message republished from the dead-letter stream (its DLQ sequence): an every-fact
 * consumer applies it even though later events of its aggregate went ahead meanwhile.
 */
export const replayHeader = "Boxoffice-Replay-Of";

const dlqPrefix = "boxoffice-dlq-";
const natsPrefix = "nats-";

/** A consumer name as one subject token / durable name: dots and other separators become `_`. */
export function consumerToken(consumer: string): string {
  return consumer.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** `<prefix>.dlq.<consumer-token>`: where one consumer's dead letters go. */
export function deadLetterSubject(names: InfraNames, consumer: string): string {
  return names.subject("dlq", consumerToken(consumer));
}

/** The message being given up on: what a delivered JsMsg has. */
export type DeadMessage = Pick<JsMsg, "subject" | "data" | "headers" | "info">;

/**
 * Copies `msg` to the dead-letter stream and waits for the stream's ack (call `term()` after, never
 * before). Its `Nats-Msg-Id` is derived from the original stream sequence and the consumer, so
 * dead-lettering the same delivery again after a crash stays one entry (within the duplicate
 * window), while two consumers giving up on the same message get one entry each.
 */
export function publishDeadLetter(
  js: JetStreamClient,
  names: InfraNames,
  d: { consumer: string; msg: DeadMessage; reason: string; time: Date },
): Promise<PubAck> {
  const { msg } = d;
  const h = headers();
  const original = msg.headers;
  if (original !== undefined) {
    for (const [k, values] of original) {
      const lk = k.toLowerCase();
      if (lk.startsWith(dlqPrefix)) continue;
      if (lk === "nats-msg-id") {
        for (const v of values) h.append(DlqHeader.originalMsgId, v);
        continue;
      }
      if (lk.startsWith(natsPrefix)) continue;
      for (const v of values) h.append(k, v);
    }
  }
  h.set(DlqHeader.reason, headerValue(d.reason));
  h.set(DlqHeader.consumer, headerValue(d.consumer));
  h.set(DlqHeader.originalSubject, msg.subject);
  h.set(DlqHeader.originalStream, msg.info.stream);
  h.set(DlqHeader.originalSeq, String(msg.info.streamSequence));
  h.set(DlqHeader.deliveries, String(msg.info.deliveryCount));
  h.set(DlqHeader.time, d.time.toISOString());
  return js.publish(deadLetterSubject(names, d.consumer), msg.data, {
    headers: h,
    msgID: `dlq-${msg.info.stream}-${msg.info.streamSequence}-${consumerToken(d.consumer)}`,
  });
}

/** Header values are one line; reasons are bounded. */
function headerValue(s: string): string {
  const line = s.replace(/[\r\n]+/g, " ").trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line || "-";
}

/** One entry of the dead-letter stream. */
export interface DeadLetter {
  /** Sequence in the dead-letter stream: what `replayDeadLetters({ seq })` takes. */
  seq: number;
  consumer: string;
  reason: string;
  /** Where the event was published, and where a replay sends it again. */
  subject: string;
  stream: string;
  streamSeq: number;
  deliveries: number;
  time: Date;
  /** From the envelope, else the original Nats-Msg-Id; "" when neither is known (undecodable). */
  eventId: string;
  /** "" when the body is not an envelope. */
  eventType: string;
  data: Uint8Array;
}

function toDeadLetter(sm: StoredMsg): DeadLetter {
  const h = sm.header;
  let eventId = "";
  let eventType = "";
  try {
    const env = fromBinary(EventEnvelopeSchema, sm.data);
    eventId = env.eventId;
    eventType = env.eventType;
  } catch {
    // an undecodable body: keep what the headers say
  }
  const time = h.get(DlqHeader.time);
  return {
    seq: sm.seq,
    consumer: h.get(DlqHeader.consumer),
    reason: h.get(DlqHeader.reason),
    subject: h.get(DlqHeader.originalSubject),
    stream: h.get(DlqHeader.originalStream),
    streamSeq: Number(h.get(DlqHeader.originalSeq) || 0),
    deliveries: Number(h.get(DlqHeader.deliveries) || 0),
    time: time ? new Date(time) : sm.time,
    eventId: eventId || h.get(DlqHeader.originalMsgId),
    eventType,
    data: sm.data,
  };
}

/** Stored messages of the DLQ stream on `subject` (a consumer's, or all), oldest first. */
async function* storedDeadLetters(
  jsm: JetStreamManager,
  names: InfraNames,
  subject: string,
): AsyncGenerator<StoredMsg> {
  const stream = names.stream("dlq");
  for (let seq = 1; ; ) {
    let sm: StoredMsg | null;
    try {
      // STREAM.MSG.GET with next_by_subj (nats-server ≥ 2.9); the client's MsgRequest type lacks it.
      sm = await jsm.streams.getMessage(stream, { seq, next_by_subj: subject } as unknown as { seq: number });
    } catch (e) {
      if (isStreamNotFound(e)) return;
      throw e;
    }
    if (sm === null) return;
    yield sm;
    seq = sm.seq + 1;
  }
}

function filterSubject(names: InfraNames, consumer?: string): string {
  return consumer === undefined ? names.subject("dlq", ">") : deadLetterSubject(names, consumer);
}

/** The dead letters, oldest first; only `consumer`'s when given. An absent DLQ stream lists nothing. */
export async function listDeadLetters(
  nc: NatsConnection,
  names: InfraNames,
  filter: { consumer?: string } = {},
): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const out: DeadLetter[] = [];
  for await (const sm of storedDeadLetters(jsm, names, filterSubject(names, filter.consumer)))
    out.push(toDeadLetter(sm));
  return out;
}

/**
 * Republishes dead letters to their original subjects with their original headers and a NEW
 * Nats-Msg-Id (`replay-<dlqSeq>-<random>`: the original id would be dropped by the duplicate window),
 * waits for each ack, then deletes the entry from the DLQ. Every consumer of the subject gets the
 * event again; their inboxes make it a no-op where it was applied already. Returns how many were
 * replayed; an error stops the replay (entries replayed so far are gone from the DLQ).
 */
export async function replayDeadLetters(
  nc: NatsConnection,
  names: InfraNames,
  which: { seq: number } | { all: true } | { consumer: string },
): Promise<number> {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const js = jetstream(nc);
  const stream = names.stream("dlq");
  let selected: AsyncIterable<StoredMsg> | StoredMsg[];
  if ("seq" in which) {
    let sm: StoredMsg | null = null;
    try {
      sm = await jsm.streams.getMessage(stream, { seq: which.seq });
    } catch (e) {
      if (!isStreamNotFound(e)) throw e;
    }
    selected = sm === null ? [] : [sm];
  } else {
    selected = storedDeadLetters(jsm, names, filterSubject(names, "consumer" in which ? which.consumer : undefined));
  }
  let n = 0;
  for await (const sm of selected) {
    const subject = sm.header.get(DlqHeader.originalSubject);
    if (!subject)
      throw new Error(`message ${sm.seq} of ${stream} is not a dead letter (no ${DlqHeader.originalSubject})`);
    const h = originalHeaders(sm.header);
    h.set(replayHeader, String(sm.seq));
    await js.publish(subject, sm.data, {
      headers: h,
      msgID: `replay-${sm.seq}-${randomBytes(6).toString("hex")}`,
    });
    await jsm.streams.deleteMessage(stream, sm.seq, false);
    n++;
  }
  return n;
}

/** A dead letter's headers without ours and without the DLQ entry's own Nats-* headers. */
function originalHeaders(stored: MsgHdrs): MsgHdrs {
  const h = headers();
  for (const [k, values] of stored) {
    const lk = k.toLowerCase();
    if (lk.startsWith(dlqPrefix) || lk.startsWith(natsPrefix)) continue;
    for (const v of values) h.append(k, v);
  }
  return h;
}
