import { type FieldViolation, InvalidArgumentError } from "../../../platform/errors/index.js";

/**
 * The canonical form of an email address: what accounts are stored, looked up (binary collation,
 * so the database adds no equivalence of its own) and throttled by. Two spellings a person would
 * read as the same address must give one form, or each spelling is a fresh throttle bucket and a
 * fresh account.
 *
 * NFKC, then full case folding, then NFKC again (folding can un-normalise; the form is idempotent):
 * full-width `ＢＯＢ＠ｅｘａｍｐｌｅ．ｃｏｍ` and `Bob@Example.com` are one address. Full case folding is
 * Unicode's CaseFolding.txt C+F; JavaScript has only `toLowerCase`/`toUpperCase`, which differ from
 * it for a few characters (ß, ẞ and ﬁ fold to "ss" and "fi"; lower-casing keeps them). No kept npm
 * package does full folding, so it is `lower(upper(lower(s)))`: the round trip through upper case
 * applies the multi-character mappings (ß → SS → ss, ﬁ → FI → fi, ſ → S → s, ς → Σ → σ), the first
 * lower-casing makes ẞ reach them. Where it differs from C+F it merges more, never less: dotless ı
 * joins i (C+F keeps them apart), and Cherokee folds to lower case rather than upper (the same
 * classes). Merging more is the safe side for uniqueness and throttling; Register accepts only
 * ASCII addresses anyway (the contract's `email` rule), so stored addresses are plain lower case.
 *
 * Accents stay: `bób@example.com` is a different address from `bob@example.com` (mail servers
 * deliver them to different mailboxes) — the old accent-insensitive column collation is what let
 * it log in as bob. Invisible characters have no place in an address: any default-ignorable code
 * point (zero-width space and joiners, soft hyphen, bidi controls, variation selectors…) is
 * INVALID_ARGUMENT.
 */
export function canonicalEmail(raw: string): string {
  const nfkc = raw.trim().normalize("NFKC");
  return nfkc.toLowerCase().toUpperCase().toLowerCase().normalize("NFKC");
}

const invisible = /\p{Default_Ignorable_Code_Point}/u;

/** INVALID_ARGUMENT (on `field`) for an address with invisible characters; else its canonical form. */
export function checkedEmail(raw: string, field = "email"): string {
  const violations = invisibleViolations(raw, field);
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return canonicalEmail(raw);
}

/** The violation of an address carrying a default-ignorable (invisible) code point, if it does. */
export function invisibleViolations(raw: string, field = "email"): FieldViolation[] {
  return invisible.test(raw) || invisible.test(raw.normalize("NFKC"))
    ? [
        {
          field,
          description: "contains invisible characters (zero-width, bidi controls…)",
          reason: "INVISIBLE_CHARACTERS",
        },
      ]
    : [];
}
