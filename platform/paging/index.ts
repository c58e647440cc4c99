import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidArgumentError } from "../errors/index.js";

/** AIP-158 page sizes: default 50, at most 200; negative is the caller's error. */
export function pageSize(requested: number, field = "page_size"): number {
  if (requested < 0)
    throw new InvalidArgumentError([{ field, description: "must not be negative", reason: "NEGATIVE" }]);
  return requested === 0 ? 50 : Math.min(requested, 200);
}

/**
 * Opaque page tokens (AIP-158): the cursor of the last item, bound to the query's filters and
 * signed with HMAC, so a client can neither forge a cursor nor reuse a token with other filters.
 * The key comes from BOXOFFICE_PAGE_TOKEN_SECRET (shared by replicas); without it each process
 * makes its own, and tokens only work against the process that issued them.
 */
export class PageTokens {
  readonly #key: Buffer;
  constructor(secret: string | undefined) {
    this.#key = secret === undefined ? randomBytes(32) : createHash("sha256").update(secret).digest();
  }

  encode(cursor: unknown, filters: unknown): string {
    const body = Buffer.from(JSON.stringify({ c: cursor, f: this.#digest(filters) }));
    return `${body.toString("base64url")}.${this.#sign(body).toString("base64url")}`;
  }

  /** The cursor of `token` (undefined for an empty token); INVALID_ARGUMENT when forged or reused with other filters. */
  decode<C>(token: string, filters: unknown): C | undefined {
    if (token === "") return undefined;
    const bad = (why: string) =>
      new InvalidArgumentError([{ field: "page_token", description: why, reason: "INVALID_PAGE_TOKEN" }]);
    const [b, s] = token.split(".");
    if (b === undefined || s === undefined) throw bad("not a page token from this API");
    const body = Buffer.from(b, "base64url");
    const sig = Buffer.from(s, "base64url");
    const expected = this.#sign(body);
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) throw bad("not a page token from this API");
    const parsed = JSON.parse(body.toString()) as { c: C; f: string };
    if (parsed.f !== this.#digest(filters)) throw bad("the page token belongs to a query with other filters");
    return parsed.c;
  }

  #sign(body: Buffer): Buffer {
    return createHmac("sha256", this.#key).update(body).digest().subarray(0, 16);
  }

  #digest(filters: unknown): string {
    return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
  }
}
