import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * One version of a response, encoded at most once per format however often it is served: hot
 * cached reads answer from it without protobuf encoding (see `EncodedAnswers` in platform/cache).
 */
export interface PreparedAnswer<D extends DescMessage = DescMessage> {
  /** The response itself (for protocols and formats that encode it the usual way). */
  readonly message: MessageShape<D>;
  /** A strong validator of this version (`"…"`), for ETag / If-None-Match on Connect GET. */
  readonly etag: string;
  /** The Connect/JSON body, encoded on first use. */
  json(): Uint8Array;
  /**
   * A message of the response type that carries the encoded binary fields as unknown fields:
   * protobuf-es writes those as they are, so serialising it costs a copy, not an encoding.
   */
  carrier(): MessageShape<D>;
}

/**
 * Set for calls served through the platform's HTTP adapter (platform/server/adapter.ts), which
 * writes unary answers itself: it substitutes prepared JSON bodies and writes the `x-request-id`.
 */
export const platformAdapterKey = createContextKey<boolean>(false, { description: "served by the platform adapter" });

/** The prepared answer of a Connect call, for the HTTP adapter to write (and to answer 304 from). */
export const preparedKey = createContextKey<PreparedAnswer | undefined>(undefined, {
  description: "prepared answer",
});

const binaryTypes = new Set([
  "application/proto",
  "application/grpc",
  "application/grpc+proto",
  "application/grpc-web",
  "application/grpc-web+proto",
]);

/**
 * Answers a unary call from a prepared answer. Binary formats get the carrier (a copy of bytes);
 * Connect calls through our adapter get the carrier too and the adapter writes the prepared JSON
 * in place of the carrier's `{}`, and for Connect GET the ETag, `Cache-Control: private,
 * no-cache` and 304 on a matching If-None-Match. Anything else (JSON over gRPC or gRPC-Web, an
 * in-memory transport) gets the message, encoded as usual.
 */
export function answerPrepared<D extends DescMessage>(ctx: HandlerContext, answer: PreparedAnswer<D>): MessageShape<D> {
  if (ctx.protocolName === "connect" && ctx.values.get(platformAdapterKey)) {
    ctx.values.set(preparedKey, answer as PreparedAnswer);
    return answer.carrier();
  }
  const type = ctx.requestHeader.get("content-type");
  if (type !== null && binaryTypes.has(type.toLowerCase())) return answer.carrier();
  return answer.message;
}
