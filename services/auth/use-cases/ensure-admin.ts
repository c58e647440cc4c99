import { isDuplicateKey } from "../../../platform/db/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findUserByEmail, insertUser } from "../db/repository.js";
import type { AuthDeps } from "../deps.js";
import { emailViolations, passwordViolations } from "../domain/credentials.js";
import { checkedEmail } from "../domain/email.js";
import { userRegistered } from "../events/published.js";
import { issueAccountToken } from "./account-token.js";

/**
 * Creates the configured admin when no account has its email (at start-up, called by the service
 * itself with its service principal). Idempotent by the email's uniqueness, so no request id.
 */
export async function ensureAdmin(
  d: AuthDeps,
  principal: Principal | undefined,
  input: { email: string; password: string },
): Promise<"created" | "exists"> {
  const email = checkedEmail(input.email);
  if ((await findUserByEmail(d.db.orm, email)) !== undefined) return "exists";
  const violations = [...emailViolations(email), ...passwordViolations(input.password, email)];
  if (violations.length > 0)
    throw new Error(`bootstrap admin: ${violations.map((v) => `${v.field} ${v.description}`).join("; ")}`);
  const passwordHash = await d.hasher.hash(input.password);
  try {
    await d.commands.transaction(principal, async (w) => {
      const account = { id: d.newId(), email, displayName: "Administrator", revision: 1 };
      const at = new Date(w.now);
      await insertUser(w.tx, { ...account, passwordHash, at, roles: ["CUSTOMER", "ADMIN"] });
      await w.emit(userRegistered(account, await issueAccountToken(w, account.id, "email_verification"), at));
    });
  } catch (e) {
    if (isDuplicateKey(e)) return "exists"; // another instance created it at the same moment
    throw e;
  }
  return "created";
}
