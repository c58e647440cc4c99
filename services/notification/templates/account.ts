/** Account emails: welcome (with the verification link), email verification, password reset. */
import type { PayloadOf } from "../domain/kinds.js";
import { greeting, type RenderContext } from "./common.js";
import { formatDateTime } from "./format.js";
import type { Draft } from "./layout.js";

// account links are not tied to an event: their expiry is shown in UTC, labelled as such
const expiry = (at: string, ctx: RenderContext) => formatDateTime(at, "UTC", ctx.locale);

export function welcome(p: PayloadOf<"WELCOME">, ctx: RenderContext): Draft {
  return {
    subject:
      p.verification === null
        ? `Welcome to ${ctx.brand}`
        : `Welcome to ${ctx.brand} – please confirm your email address`,
    preheader:
      p.verification === null ? `Your ${ctx.brand} account is ready.` : "One click to confirm your email address.",
    greeting: greeting(ctx),
    blocks: [
      { type: "p", text: `Thanks for creating your ${ctx.brand} account.` },
      ...(p.verification === null
        ? []
        : [
            { type: "p" as const, text: "Please confirm that this email address is yours:" },
            { type: "button" as const, label: "Confirm my email address", url: p.verification.url },
            {
              type: "small" as const,
              text: `The link works once and until ${expiry(p.verification.expireTime, ctx)}.`,
            },
          ]),
    ],
  };
}

export function emailVerification(p: PayloadOf<"EMAIL_VERIFICATION">, ctx: RenderContext): Draft {
  return {
    subject: `Confirm your email address for ${ctx.brand}`,
    preheader: "One click to confirm your email address.",
    greeting: greeting(ctx),
    blocks: [
      { type: "p", text: `Please confirm that this email address belongs to your ${ctx.brand} account:` },
      { type: "button", label: "Confirm my email address", url: p.verification.url },
      {
        type: "small",
        text: `The link works once and until ${expiry(p.verification.expireTime, ctx)}. If you did not ask for it, you can ignore this email.`,
      },
    ],
  };
}

export function passwordReset(p: PayloadOf<"PASSWORD_RESET">, ctx: RenderContext): Draft {
  return {
    subject: `Reset your ${ctx.brand} password`,
    preheader: "A link to choose a new password.",
    greeting: greeting(ctx),
    blocks: [
      { type: "p", text: `Someone asked to reset the password of your ${ctx.brand} account. If it was you:` },
      { type: "button", label: "Choose a new password", url: p.reset.url },
      {
        type: "small",
        text: `The link works once and until ${expiry(p.reset.expireTime, ctx)}. If you did not ask for it, ignore this email: your password stays as it is.`,
      },
    ],
  };
}
