import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { type Clock, systemClock } from "../clock/index.js";

export interface ServiceIdentityOptions {
  /** This service's name, as the auth service knows it (`ticket`). */
  service: string;
  /** Its secret from BOXOFFICE_SERVICE_SECRETS. */
  secret: string;
  /** Base URL of the auth service. */
  authUrl: string;
  clock?: Clock;
  /** Get a new token this long before the current one expires (default 60 s). */
  renewBeforeMs?: number;
  /** After a failed renewal, keep using the current token this long before asking again (default 1 s). */
  retryAfterMs?: number;
  /** How to reach auth (default: gRPC to `authUrl`); tests pass an in-memory transport. */
  transport?: Transport;
}

/** A token this close to its expiry is not handed out any more: the call would arrive with it expired. */
const expirySafetyMs = 2_000;

/**
 * Who this service is when it calls another service's internal RPCs: a short-lived service token
 * from AuthInternalService.IssueServiceToken, kept until shortly before it expires and renewed by
 * one request however many calls need it at that moment. A renewal that fails while the current
 * token is still valid is not the caller's problem: the current token is used (and renewal tried
 * again a little later), so a short auth outage never fails internal calls that need no new token.
 */
export class ServiceIdentity {
  readonly #o: Required<Omit<ServiceIdentityOptions, "clock" | "transport">> & { clock: Clock };
  readonly #auth;
  #current: { token: string; renewAt: number; expireAt: number } | undefined;
  #pending: Promise<string> | undefined;
  /** Tokens obtained so far. */
  issued = 0;
  /** Renewals that failed while the current token was still used. */
  failedRenewals = 0;

  constructor(opts: ServiceIdentityOptions) {
    this.#o = { renewBeforeMs: 60_000, retryAfterMs: 1_000, clock: systemClock, ...opts };
    this.#auth = createClient(
      AuthInternalService,
      opts.transport ?? createGrpcTransport({ baseUrl: opts.authUrl, defaultTimeoutMs: 5_000 }),
    );
  }

  /** A valid service token. */
  async token(): Promise<string> {
    const now = this.#o.clock.now();
    const current = this.#current;
    if (current !== undefined && now < current.renewAt) return current.token;
    this.#pending ??= this.#renew().finally(() => {
      this.#pending = undefined;
    });
    try {
      return await this.#pending;
    } catch (e) {
      // The renewal failed: the token we hold is still good until it expires.
      const held = this.#current;
      if (held !== undefined && this.#o.clock.now() < held.expireAt - expirySafetyMs) return held.token;
      throw e;
    }
  }

  async #renew(): Promise<string> {
    const now = this.#o.clock.now();
    try {
      const res = await this.#auth.issueServiceToken({ serviceName: this.#o.service, serviceSecret: this.#o.secret });
      const expireAt = res.expireTime === undefined ? now + 60_000 : timestampMs(res.expireTime);
      this.#current = { token: res.accessToken, renewAt: expireAt - this.#o.renewBeforeMs, expireAt };
      this.issued++;
      return res.accessToken;
    } catch (e) {
      if (this.#current !== undefined && now < this.#current.expireAt - expirySafetyMs) {
        this.failedRenewals++;
        // Callers in the next moment use the held token without asking auth again.
        this.#current = { ...this.#current, renewAt: now + this.#o.retryAfterMs };
      }
      throw e;
    }
  }

  /** Adds `authorization: Bearer <service token>` to every call of a client. */
  interceptor(): Interceptor {
    return (next) => async (req) => {
      req.header.set("authorization", `Bearer ${await this.token()}`);
      return next(req);
    };
  }
}
