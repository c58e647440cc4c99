/**
 * Failure codes of a FAILED payment and the payer-safe messages shown with them. Providers' own
 * messages are never passed on (they can name internals or fraud rules); their codes are, once they
 * look like a code.
 */

/** Our conclusion, not a provider's: the charge never reached the provider, nothing was taken. */
export const notCompletedCode = "CHARGE_NOT_COMPLETED";

const messages: Record<string, string> = {
  CARD_DECLINED: "The card was declined. Please use another card or contact your bank.",
  INSUFFICIENT_FUNDS: "The card has insufficient funds.",
  EXPIRED_CARD: "The card has expired.",
  INVALID_TOKEN: "The payment details were not accepted. Please enter them again.",
  [notCompletedCode]: "The payment could not be completed and nothing was charged. Please try again.",
};

const generic = "The payment was declined.";

/** The stored failure of a decline with the provider's `code`. */
export function failureFor(code: string): { failureCode: string; failureMessage: string } {
  const failureCode = /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : "CARD_DECLINED";
  return { failureCode, failureMessage: messages[failureCode] ?? generic };
}
