/**
 * The hold lifecycle: ACTIVE → RELEASED | EXPIRED | CONVERTED, all terminal. The repository applies
 * a transition as a compare-and-set on (state = ACTIVE, expire_time against now); these functions
 * say what a transition means in each state, so the CAS and the answer to a lost CAS agree.
 *
 * Lazy expiry: an ACTIVE hold whose expire_time has passed *is* expired, whether or not the sweeper
 * has written EXPIRED yet. Release and expiry are idempotent: a hold already RELEASED or EXPIRED
 * answers as it is. Converting needs a hold that is still ACTIVE now.
 */
import { HoldNotActiveError } from "./errors.js";

export type HoldState = "ACTIVE" | "RELEASED" | "EXPIRED" | "CONVERTED";
export type HoldAction = "release" | "expire" | "convert";

export interface HoldStatus {
  readonly id: string;
  readonly state: HoldState;
  readonly expireTime: Date;
}

/** The state a reader sees at `now`: an ACTIVE hold past expire_time reads as EXPIRED. */
export function effectiveState(h: HoldStatus, now: Date): HoldState {
  return h.state === "ACTIVE" && h.expireTime.getTime() <= now.getTime() ? "EXPIRED" : h.state;
}

/**
 * What `action` does to a hold as stored:
 * - `apply`: CAS the stored row from ACTIVE to `to`, requiring expire_time > now when `unexpired`
 *   and ≤ now otherwise; the winner returns the hold's places (or keeps them, for convert);
 * - `noop`: nothing to change; the answer is the hold in state `state`;
 * - throws HoldNotActiveError when the action is refused in this state.
 */
export type Decision =
  | { kind: "apply"; to: Exclude<HoldState, "ACTIVE">; unexpired: boolean }
  | { kind: "noop"; state: HoldState };

export function decide(h: HoldStatus, action: HoldAction, now: Date): Decision {
  const state = effectiveState(h, now);
  const expiredButActive = h.state === "ACTIVE" && state === "EXPIRED";
  switch (action) {
    case "release":
      if (state === "ACTIVE") return { kind: "apply", to: "RELEASED", unexpired: true };
      // a release that finds the hold expired records the expiry (returns GA places) and answers EXPIRED
      if (expiredButActive) return { kind: "apply", to: "EXPIRED", unexpired: false };
      if (state === "RELEASED" || state === "EXPIRED") return { kind: "noop", state };
      throw new HoldNotActiveError(h.id, state);
    case "expire":
      if (expiredButActive) return { kind: "apply", to: "EXPIRED", unexpired: false };
      // expiring a hold that is not due (clock skew between sweeper and writer) or already ended: nothing
      return { kind: "noop", state };
    case "convert":
      if (state === "ACTIVE") return { kind: "apply", to: "CONVERTED", unexpired: true };
      throw new HoldNotActiveError(h.id, state);
  }
}
