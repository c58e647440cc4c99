import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import { canonicalEmail, checkedEmail, invisibleViolations } from "./email.js";

const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));

/** The canonical email (NFKC + full case fold) and the invisible-character rule, with no I/O. */
describe("canonical email (domain, no I/O)", () => {
  it("spellings a reader takes for one address give one form", () => {
    const canonical = "bob@example.com";
    for (const spelling of [
      "bob@example.com",
      "  BOB@EXAMPLE.COM ",
      "Bob@Example.Com",
      fullWidth("BOB@example.com"),
      fullWidth("bob@example.com"),
    ])
      assert.equal(canonicalEmail(spelling), canonical, JSON.stringify(spelling));
    assert.equal(canonicalEmail("\u212Aate@example.com"), "kate@example.com", "Kelvin sign K → k (NFKC)");
  });

  it("full case folding, not lower-casing: ß, ẞ, ﬁ, ſ and final sigma", () => {
    assert.equal(canonicalEmail("strasse@example.de"), canonicalEmail("straße@example.de"));
    assert.equal(canonicalEmail("STRAẞE@example.de"), "strasse@example.de");
    assert.equal(canonicalEmail("ﬁnn@example.com"), "finn@example.com");
    assert.equal(canonicalEmail("ſam@example.com"), "sam@example.com");
    assert.equal(canonicalEmail("ΟΔΟΣ@example.gr"), canonicalEmail("οδος@example.gr"));
    assert.notEqual("ß".toLowerCase(), "ss", "what plain lower-casing would miss");
  });

  it("accents stay: bób is not bob", () => {
    assert.equal(canonicalEmail("bób@example.com"), "bób@example.com");
    assert.equal(canonicalEmail("bo\u0301b@example.com"), "bób@example.com", "decomposed → composed (NFKC)");
    assert.notEqual(canonicalEmail("bób@example.com"), canonicalEmail("bob@example.com"));
  });

  it("is idempotent over every code point of the first planes, as any canonical form must be", () => {
    for (let cp = 0x20; cp < 0x30000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `a${String.fromCodePoint(cp)}b@x.io`;
      const once = canonicalEmail(s);
      if (canonicalEmail(once) !== once) assert.fail(`U+${cp.toString(16)}: ${once} → ${canonicalEmail(once)}`);
    }
  });

  it("invisible (default-ignorable) characters are INVALID_ARGUMENT", () => {
    for (const ch of ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u202E", "\uFE0F", "\u180E"]) {
      const raw = `b${ch}ob@example.com`;
      assert.deepEqual(
        invisibleViolations(raw).map((v) => [v.field, v.reason]),
        [["email", "INVISIBLE_CHARACTERS"]],
        `U+${ch.codePointAt(0)!.toString(16)}`,
      );
      assert.throws(() => checkedEmail(raw), InvalidArgumentError);
    }
    assert.equal(checkedEmail(" Bob@Example.com"), "bob@example.com");
    assert.deepEqual(invisibleViolations("bób@example.com"), []);
  });
});
