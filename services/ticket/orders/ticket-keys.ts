/**
 * Ticket codes are Ed25519-signed (domain/ticket-code.ts lays them out), so a door scanner verifies
 * them offline with the published public keys: `/.well-known/boxoffice-ticket-keys.json` on the
 * port (a JWKS document, the same shape as auth's) and `boxoffice ticket verify CODE`.
 *
 * Keys come from BOXOFFICE_TICKET_SIGNING_KEYS, a JSON array of private Ed25519 JWKs with kid, as
 * BOXOFFICE_AUTH_SIGNING_KEYS: all are published, the last one signs. Rotation: add the new key
 * at the front (published, not signing) and wait until scanners have fetched the document; move it
 * to the end (it signs new tickets); keep the old one published as long as tickets it signed can
 * still be scanned (codes are stored with their tickets and never re-signed). Without the variable
 * a key is generated for this process only — development and tests; production refuses to start.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { JSONWebKeySet, JWK } from "jose";
import type { Logger } from "pino";
import { generateSigningKey, publicJwks } from "../../../platform/auth/index.js";
import { encodeCode, parseCode, signedBytes, type TicketClaims } from "./domain/ticket-code.js";

/** Where the public keys are published on the service port. */
export const ticketKeysPath = "/.well-known/boxoffice-ticket-keys.json";

export interface TicketKeyRing {
  /** The key that signs new codes (the last one configured). */
  readonly kid: string;
  /** The published document: `{ keys: [public JWKs] }`. */
  readonly jwks: JSONWebKeySet;
  /** Signs a ticket's claims with the current key and lays out its code. */
  sign(claims: Omit<TicketClaims, "kid">): string;
  /** The public keys by kid, for verifying codes. */
  readonly keys: ReadonlyMap<string, KeyObject>;
}

/** Builds the ring from BOXOFFICE_TICKET_SIGNING_KEYS; see the file comment. */
export async function loadTicketKeys(
  json: string | undefined,
  o: { production: boolean; logger: Logger },
): Promise<TicketKeyRing> {
  let keys: JWK[];
  if (json === undefined) {
    if (o.production)
      throw new Error(
        "BOXOFFICE_TICKET_SIGNING_KEYS is required in production: with an ephemeral key every ticket code stops verifying at the next restart",
      );
    o.logger.warn(
      "BOXOFFICE_TICKET_SIGNING_KEYS is not set: signing ticket codes with an ephemeral key (dev/test only)",
    );
    keys = [(await generateSigningKey(`ticket-ephemeral-${Date.now()}`)).privateJwk];
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error("BOXOFFICE_TICKET_SIGNING_KEYS: not JSON (expected an array of private Ed25519 JWKs)");
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length === 0 ||
      parsed.some((k) => typeof k !== "object" || k === null || typeof (k as JWK).d !== "string")
    )
      throw new Error("BOXOFFICE_TICKET_SIGNING_KEYS: expected a non-empty array of private JWKs (with d and kid)");
    keys = parsed as JWK[];
  }
  const jwks = publicJwks(keys); // also checks every key is Ed25519 with a kid
  const signer = keys[keys.length - 1]!;
  const kid = signer.kid!;
  const privateKey = createPrivateKey({ key: signer as never, format: "jwk" });
  return {
    kid,
    jwks,
    keys: publicKeysOf(jwks),
    sign: (claims) => {
      const bytes = signedBytes({ ...claims, kid });
      return encodeCode(bytes, sign(null, bytes, privateKey));
    },
  };
}

/** The public keys of a published document, by kid (keys that are not Ed25519 are left out). */
export function publicKeysOf(doc: unknown): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  const list = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error("not a key document: expected { keys: [...] }");
  for (const k of list as JWK[]) {
    if (k?.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string" || typeof k.kid !== "string") continue;
    out.set(k.kid, createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: k.x }, format: "jwk" }));
  }
  return out;
}

export type Verdict =
  | { readonly valid: true; readonly claims: TicketClaims }
  | { readonly valid: false; readonly claims: TicketClaims; readonly why: "UNKNOWN_KEY" | "BAD_SIGNATURE" };

/**
 * Checks a code's signature against the published keys. MalformedCodeError (INVALID_ARGUMENT)
 * when it is not laid out as a code at all; otherwise a verdict (the claims of an invalid code are
 * the forger's, not ours).
 */
export function verifyCode(keys: ReadonlyMap<string, KeyObject>, code: string): Verdict {
  const parsed = parseCode(code);
  const key = keys.get(parsed.claims.kid);
  if (key === undefined) return { valid: false, claims: parsed.claims, why: "UNKNOWN_KEY" };
  return verify(null, parsed.signed, key, parsed.signature)
    ? { valid: true, claims: parsed.claims }
    : { valid: false, claims: parsed.claims, why: "BAD_SIGNATURE" };
}

/** The published keys from a URL (http/https) or a file: what a scanner keeps for offline use. */
export async function fetchPublishedKeys(source: string): Promise<Map<string, KeyObject>> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${source}: HTTP ${res.status}`);
    return publicKeysOf(await res.json());
  }
  return publicKeysOf(JSON.parse(await readFile(source, "utf8")));
}
