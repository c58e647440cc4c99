/** Client-chosen request ids (AIP-155): a repeat with the same id gets the first answer back. */
export function newRequestId(): string {
  return crypto.randomUUID();
}
