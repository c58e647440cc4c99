import { type DescMessage, type MessageShape, toBinary, toJsonString } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * Server-stream messages that many streams send alike (a live feed's update), encoded and framed
 * once per format and written as the same bytes to every stream, instead of each stream passing
 * its copy through connect's per-message pipeline (interceptor wrappers, serialisation, envelope,
 * compression and join stages, one promise chain per stage): with thousands of watchers that
 * pipeline, not the socket write, was most of the cost (docs/ticket.md § "Watchers").
 *
 * Connect still writes the headers, the first message, anything this cannot send, and the end of
 * the stream (gRPC trailers, the Connect end-stream message, the gRPC-Web trailer frame): a
 * handler writes frames only between its first yield and its return, when connect is waiting on
 * it and has nothing of its own queued.
 */

/** The response of a server-streaming call, as the platform adapter hands it over (HTTP/1.1 or HTTP/2). */
export interface StreamResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  write(chunk: Uint8Array): boolean;
  once(event: "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
}

/** Set by the platform adapter (platform/server/adapter.ts) on server-streaming calls. */
export const streamResponseKey = createContextKey<StreamResponse | undefined>(undefined, {
  description: "the response of a server-streaming call",
});

/**
 * Messages at least this long are compressed by connect when the call negotiated compression
 * (its default `compressMinBytes`; the platform does not change it): those go through connect.
 */
const compressMinBytes = 1024;

const utf8 = new TextEncoder();

/** An enveloped message: flags 0 (not compressed, not the end), big-endian length, the bytes. */
function envelope(data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(data.byteLength + 5);
  frame[0] = 0;
  frame.writeUInt32BE(data.byteLength, 1);
  frame.set(data, 5);
  return frame;
}

/** Frames made so far, by format (tests check that a message shared by many streams was framed once). */
export const sharedFrameCounts = { binary: 0, json: 0 };

const frames = new WeakMap<object, { binary?: Buffer; json?: Buffer }>();

/**
 * The frame of a message, made at most once per format for the message object (kept as long as
 * the object lives): the binary frame is what connect writes for `application/grpc`, `grpc-web`
 * and `connect+proto` (serialisation with `toBinary`, the 5-byte envelope with flags 0), the JSON
 * frame what it writes for the `+json` content types (`toJsonString` with connect's default JSON
 * options, as the server uses them).
 */
function frameOf<D extends DescMessage>(schema: D, message: MessageShape<D>, format: "binary" | "json"): Buffer {
  let kept = frames.get(message);
  if (kept === undefined) {
    kept = {};
    frames.set(message, kept);
  }
  let frame = kept[format];
  if (frame === undefined) {
    frame = envelope(format === "binary" ? toBinary(schema, message) : utf8.encode(toJsonString(schema, message)));
    kept[format] = frame;
    sharedFrameCounts[format]++;
  }
  return frame;
}

const formats: Record<string, "binary" | "json"> = {
  "application/grpc": "binary",
  "application/grpc+proto": "binary",
  "application/grpc-web": "binary",
  "application/grpc-web+proto": "binary",
  "application/connect+proto": "binary",
  "application/grpc+json": "json",
  "application/grpc-web+json": "json",
  "application/connect+json": "json",
};

/** What {@link SharedStream.write} did with a message. */
export type WriteResult =
  /** written; more may follow */
  | "written"
  /** written, and the stream's buffer is full: write nothing more until `onDrain` calls back */
  | "full"
  /** not written (compressed on this call, the stream is gone, or headers not sent): yield it instead */
  | "yield";

/**
 * Writes shared frames to one server stream: the same message object given to many streams is
 * framed once (a use-case shares messages by handing each stream the same object).
 */
export interface SharedStream<M = unknown> {
  write(message: M): WriteResult;
  /** Calls `cb` once the stream's buffer has room again (after a `full`); the returned function cancels. */
  onDrain(cb: () => void): () => void;
}

/**
 * The frame writer of a server-streaming call served by the platform adapter, or undefined when
 * the call cannot take shared frames (another transport, e.g. in-memory; an unknown content type):
 * the handler then yields its messages as usual.
 */
export function sharedStream<D extends DescMessage>(
  ctx: HandlerContext,
  schema: D,
): SharedStream<MessageShape<D>> | undefined {
  const res = ctx.values.get(streamResponseKey);
  const format = formats[(ctx.requestHeader.get("content-type") ?? "").toLowerCase()];
  if (res === undefined || format === undefined) return undefined;
  // compression negotiated for the response: connect compresses messages from compressMinBytes on
  const compressed = ctx.responseHeader.has("grpc-encoding") || ctx.responseHeader.has("connect-content-encoding");
  return {
    write(message) {
      if (!res.headersSent || res.writableEnded || res.destroyed || ctx.signal.aborted) return "yield";
      const frame = frameOf(schema, message, format);
      if (compressed && frame.byteLength - 5 >= compressMinBytes) return "yield";
      return res.write(frame) ? "written" : "full";
    },
    onDrain(cb) {
      const once = () => cb();
      res.once("drain", once);
      return () => res.off("drain", once);
    },
  };
}
