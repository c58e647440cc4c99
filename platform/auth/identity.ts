import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor } from "@connectrpc/connect";
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
}

/**
 * Who this service is when it calls another service's internal RPCs: a short-lived service token
 * from AuthInternalService.IssueServiceToken, kept until shortly before it expires and renewed by
 * one request however many calls need it at that moment.
 */
export class ServiceIdentity {
  readonly #o: Required<Omit<ServiceIdentityOptions, "clock">> & { clock: Clock };
  readonly #auth;
  #current: { token: string; renewAt: number } | undefined;
  #pending: Promise<string> | undefined;
  /** Tokens obtained so far. */
  issued = 0;

  constructor(opts: ServiceIdentityOptions) {
    this.#o = { renewBeforeMs: 60_000, clock: systemClock, ...opts };
    this.#auth = createClient(
      AuthInternalService,
      createGrpcTransport({ baseUrl: opts.authUrl, defaultTimeoutMs: 5_000 }),
    );
  }

  /** A valid service token. */
  async token(): Promise<string> {
    const now = this.#o.clock.now();
    if (this.#current !== undefined && now < this.#current.renewAt) return this.#current.token;
    this.#pending ??= (async () => {
      try {
        const res = await this.#auth.issueServiceToken({ serviceName: this.#o.service, serviceSecret: this.#o.secret });
        const expireMs = res.expireTime === undefined ? now + 60_000 : timestampMs(res.expireTime);
        this.#current = { token: res.accessToken, renewAt: expireMs - this.#o.renewBeforeMs };
        this.issued++;
        return res.accessToken;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  /** Adds `authorization: Bearer <service token>` to every call of a client. */
  interceptor(): Interceptor {
    return (next) => async (req) => {
      req.header.set("authorization", `Bearer ${await this.token()}`);
      return next(req);
    };
  }
}
