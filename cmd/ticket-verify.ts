/**
 * `boxoffice ticket verify CODE [--keys=URL|FILE]`: what a door scanner does offline. Checks the
 * code's Ed25519 signature against the published ticket keys (fetched from a URL, or a file saved
 * from it) and prints what the code says; no database, no service call besides fetching the keys.
 * Exit 0: valid; 1: forged, tampered or signed by a key not published; 2: not a ticket code.
 */
import { parseArgs } from "node:util";
import { DomainError } from "../platform/errors/index.js";
import { fetchPublishedKeys, ticketKeysPath, verifyCode } from "../services/ticket/orders/ticket-keys.js";

export async function ticketCommand(args: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { keys: { type: "string" } } });
  const [sub, code] = positionals;
  if (sub !== "verify" || code === undefined) {
    err.write("usage: boxoffice ticket verify CODE [--keys=URL|FILE]\n");
    return 2;
  }
  const source =
    values.keys ??
    process.env.BOXOFFICE_TICKET_KEYS_URL ??
    `${process.env.BOXOFFICE_TICKET_URL ?? "http://127.0.0.1:8080"}${ticketKeysPath}`;
  const keys = await fetchPublishedKeys(source);
  try {
    const v = verifyCode(keys, code);
    out.write(`${JSON.stringify({ valid: v.valid, ...(v.valid ? {} : { why: v.why }), ...v.claims })}\n`);
    return v.valid ? 0 : 1;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    out.write(`${JSON.stringify({ valid: false, why: "MALFORMED", detail: e.message })}\n`);
    return 2;
  }
}
