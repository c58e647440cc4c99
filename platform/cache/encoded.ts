import { create, type DescMessage, type MessageShape, toBinary, toJsonString } from "@bufbuild/protobuf";
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";
import type { PreparedAnswer } from "../rpc/prepared.js";

const utf8 = new TextEncoder();

/** One version of an answer; each encoding is made on first use and kept with it. */
class Prepared<D extends DescMessage> implements PreparedAnswer<D> {
  #json: Uint8Array | undefined;
  #carrier: MessageShape<D> | undefined;
  constructor(
    readonly schema: D,
    readonly message: MessageShape<D>,
    readonly version: string,
    readonly etag: string,
  ) {}

  json(): Uint8Array {
    // the same call Connect makes (its default JSON options), so the bytes are what it would send
    return (this.#json ??= utf8.encode(toJsonString(this.schema, this.message)));
  }

  carrier(): MessageShape<D> {
    if (this.#carrier === undefined) {
      const bytes = toBinary(this.schema, this.message);
      const reader = new BinaryReader(bytes);
      const unknown: { no: number; wireType: WireType; data: Uint8Array }[] = [];
      while (reader.pos < reader.len) {
        const [no, wireType] = reader.tag();
        unknown.push({ no, wireType, data: reader.skip(wireType, no) });
      }
      const carrier = create(this.schema);
      carrier.$unknown = unknown;
      this.#carrier = carrier;
    }
    return this.#carrier;
  }
}

/** Options of {@link EncodedAnswers}. */
export interface EncodedAnswersOptions {
  /** Most keys kept (oldest dropped first); default 10,000. */
  maxEntries?: number;
}

/**
 * The encoded answers of a hot cached read, kept per cache version, so that serving a hit costs no
 * protobuf encoding: the JSON body and a binary carrier are made once per version and reused by
 * every call that gets that version (see `answerPrepared` in platform/rpc/prepared.ts, which also
 * turns the version into an ETag for Connect GET).
 *
 * The version must change whenever the answer's content does (a revision that every write bumps,
 * plus anything derived at read time, e.g. a state that follows from the clock): an answer is
 * rebuilt only when the version of its key differs from the one kept.
 *
 * Only answers that are the same for every caller allowed to see them may be {@link shared};
 * an answer shaped for one caller uses {@link single} and is never kept, so no caller is ever
 * served from another caller's bytes.
 */
export class EncodedAnswers<D extends DescMessage> {
  readonly #entries = new Map<string, Prepared<D>>();
  readonly #max: number;

  constructor(
    readonly schema: D,
    opts: EncodedAnswersOptions = {},
  ) {
    this.#max = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(this.#max) || this.#max <= 0) throw new TypeError("maxEntries must be a positive integer");
  }

  /** The kept answer of `key` at `version`; `build` makes the response only when that version is new here. */
  shared(key: string, version: string, build: () => MessageShape<D>): PreparedAnswer<D> {
    const kept = this.#entries.get(key);
    if (kept !== undefined && kept.version === version) return kept;
    const fresh = new Prepared(this.schema, build(), version, etagOf(version));
    if (kept !== undefined) this.#entries.delete(key);
    else if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, fresh);
    return fresh;
  }

  /** An answer for one caller: it gets an ETag and lazy encodings like any other, but is never kept. */
  single(version: string, message: MessageShape<D>): PreparedAnswer<D> {
    return new Prepared(this.schema, message, version, etagOf(version));
  }

  /** Keys kept now. */
  get size(): number {
    return this.#entries.size;
  }
}

/** A strong entity tag for `version` (quotes and backslashes removed: they cannot appear inside one). */
function etagOf(version: string): string {
  return `"${version.replace(/["\\\s]/g, "")}"`;
}
