/**
 * The layout of a ticket's check-in code (pure; signing and verifying are in ../ticket-keys.ts):
 *
 * ```
 * base64url( version=1 | kid length | kid | ticket id (16) | event id (16) | section id (16)
 *            | row length | row label | seat length | seat label | Ed25519 signature (64) )
 * ```
 *
 * The signature covers every byte before it, so nothing in the code can be changed, and a door
 * scanner with only the published keys can tell a real code (and its place) from a forged one.
 * About 170 characters for a seat: small enough for a QR code a phone shows at the door.
 */
import { MalformedCodeError } from "./errors.js";

export const CODE_VERSION = 1;
export const SIGNATURE_BYTES = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Longest code accepted (CheckInRequest.code allows 1,024 characters; ours are far shorter). */
const MAX_CODE_CHARS = 600;

/** What a code says: which ticket, for which event and place, signed with which key. */
export interface TicketClaims {
  readonly kid: string;
  readonly ticketId: string;
  readonly eventId: string;
  readonly sectionId: string;
  /** Empty for general admission. */
  readonly rowLabel: string;
  readonly seatLabel: string;
}

/** A parsed code: the claims, the bytes the signature covers, and the signature. */
export interface ParsedCode {
  readonly claims: TicketClaims;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

function uuidBytes(id: string, what: string): Uint8Array {
  if (!UUID.test(id)) throw new TypeError(`${what} must be a lower-case UUID, got ${JSON.stringify(id)}`);
  return Uint8Array.from(Buffer.from(id.replace(/-/g, ""), "hex"));
}

function uuidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function text(s: string, max: number, what: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  if (b.length > max) throw new TypeError(`${what} is longer than ${max} bytes`);
  return b;
}

/** The bytes a code's signature covers. */
export function signedBytes(c: TicketClaims): Uint8Array {
  const kid = text(c.kid, 64, "kid");
  if (kid.length === 0) throw new TypeError("kid must not be empty");
  const row = text(c.rowLabel, 32, "row label");
  const seat = text(c.seatLabel, 32, "seat label");
  return Uint8Array.from([
    CODE_VERSION,
    kid.length,
    ...kid,
    ...uuidBytes(c.ticketId, "ticket id"),
    ...uuidBytes(c.eventId, "event id"),
    ...uuidBytes(c.sectionId, "section id"),
    row.length,
    ...row,
    seat.length,
    ...seat,
  ]);
}

/** The code: the signed bytes and their signature, base64url. */
export function encodeCode(signed: Uint8Array, signature: Uint8Array): string {
  if (signature.length !== SIGNATURE_BYTES) throw new TypeError(`an Ed25519 signature has ${SIGNATURE_BYTES} bytes`);
  return Buffer.concat([signed, signature]).toString("base64url");
}

/** Parses a scanned code; MalformedCodeError (INVALID_ARGUMENT) for anything that is not laid out as ours. */
export function parseCode(code: string): ParsedCode {
  const trimmed = code.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_CODE_CHARS) throw new MalformedCodeError("wrong length");
  if (!BASE64URL.test(trimmed)) throw new MalformedCodeError("unexpected characters");
  const b = Uint8Array.from(Buffer.from(trimmed, "base64url"));
  // base64url that does not round-trip (stray bits in the last character) is not ours either
  if (Buffer.from(b).toString("base64url") !== trimmed) throw new MalformedCodeError("not canonical base64url");
  let at = 0;
  const need = (n: number) => {
    if (at + n > b.length - SIGNATURE_BYTES) throw new MalformedCodeError("truncated");
    const part = b.subarray(at, at + n);
    at += n;
    return part;
  };
  if (b.length < 2 + 48 + 2 + SIGNATURE_BYTES) throw new MalformedCodeError("truncated");
  const version = need(1)[0];
  if (version !== CODE_VERSION) throw new MalformedCodeError(`unknown version ${version}`);
  const kidLength = need(1)[0]!;
  if (kidLength === 0) throw new MalformedCodeError("no key id");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const str = (bytes: Uint8Array) => {
    try {
      return decoder.decode(bytes);
    } catch {
      throw new MalformedCodeError("labels are not UTF-8");
    }
  };
  const kid = str(need(kidLength));
  const ticketId = uuidText(need(16));
  const eventId = uuidText(need(16));
  const sectionId = uuidText(need(16));
  const rowLabel = str(need(need(1)[0]!));
  const seatLabel = str(need(need(1)[0]!));
  if (at !== b.length - SIGNATURE_BYTES) throw new MalformedCodeError("trailing bytes");
  return {
    claims: { kid, ticketId, eventId, sectionId, rowLabel, seatLabel },
    signed: b.subarray(0, at),
    signature: b.subarray(at),
  };
}
