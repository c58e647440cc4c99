/**
 * Payment test kit: a migrated payment database; a "process" of the payment service on it — the
 * sandbox provider under its resilience policy with a call counter in between, and the use-cases'
 * deps with a real command pipeline (events land in the database's outbox, as in production, and
 * are read back from it); and shorthand calls of the use-cases as the ticket service makes them.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { create, createRegistry, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "../../gen/boxoffice/payment/v1/events_pb.js";
import {
  ChargeRequestSchema,
  RefundRequestSchema,
} from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { type Payment, PaymentState } from "../../gen/boxoffice/payment/v1/payment_pb.js";
import { decodeEnvelope } from "../../platform/bus/events.js";
import { Outbox } from "../../platform/bus/outbox.js";
import { type Clock, systemClock } from "../../platform/clock/index.js";
import { IdempotencyStore } from "../../platform/commands/idempotency.js";
import { CommandPipeline } from "../../platform/commands/index.js";
import { infraNames } from "../../platform/config/names.js";
import { createDb, type Db } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { createIdGenerator } from "../../platform/ids/index.js";
import { PageTokens } from "../../platform/paging/index.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import { type PaymentDeps, type PaymentTiming, paymentTiming } from "../../services/payment/deps.js";
import { paymentPublishes } from "../../services/payment/events/published.js";
import type {
  PaymentProvider,
  ProviderCallOptions,
  ProviderChargeRequest,
  ProviderRefundRequest,
} from "../../services/payment/provider/provider.js";
import { type ProviderPolicyOptions, ResilientProvider } from "../../services/payment/provider/resilient.js";
import { SandboxProvider } from "../../services/payment/provider/sandbox.js";
import { charge } from "../../services/payment/use-cases/charge.js";
import { refund } from "../../services/payment/use-cases/refund.js";
import { infraUrls } from "./infra.js";

const migrations = fileURLToPath(new URL("../../services/payment/db/migrations", import.meta.url));

/** Creates and migrates `<prefix>_payment` and opens a pool on it. */
export async function paymentDatabase(prefix: string, poolSize = 12): Promise<Db> {
  const database = `${prefix}_payment`;
  await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: migrations });
  return createDb({ url: infraUrls().mariadbUrl, database, poolSize });
}

/** Counts what reaches the provider (each attempt, after the policy's retries). */
export class CountingProvider implements PaymentProvider {
  readonly name: string;
  readonly calls = { charge: 0, refund: 0, lookup: 0 };
  constructor(readonly inner: PaymentProvider) {
    this.name = inner.name;
  }
  charge(req: ProviderChargeRequest, opts?: ProviderCallOptions) {
    this.calls.charge++;
    return this.inner.charge(req, opts);
  }
  refund(req: ProviderRefundRequest, opts?: ProviderCallOptions) {
    this.calls.refund++;
    return this.inner.refund(req, opts);
  }
  lookupCharge(key: string, opts?: ProviderCallOptions) {
    this.calls.lookup++;
    return this.inner.lookupCharge(key, opts);
  }
}

/** The ticket service, the one caller of Charge, Refund and GetChargeOutcome. */
export const ticketCaller = servicePrincipal("ticket");

/** A charge as a test writes it (amounts as numbers); becomes a ChargeRequest. */
export interface ChargeSpec {
  idempotencyKey: string;
  orderId: string;
  userId: string;
  amount: { currencyCode: string; amountMinor: number };
  paymentToken: string;
}

/** A Payment message in the terms tests compare: state names, plain numbers. */
export interface PaymentView {
  id: string;
  orderId: string;
  userId: string;
  state: string;
  failureCode: string;
  failureMessage: string;
  providerReference: string;
  amountMinor: number;
  refundedMinor: number;
  refunds: number;
}

export function view(p: Payment | undefined): PaymentView {
  if (p === undefined) throw new Error("no payment in the answer");
  return {
    id: p.id,
    orderId: p.orderId,
    userId: p.userId,
    state: PaymentState[p.state],
    failureCode: p.failureCode,
    failureMessage: p.failureMessage,
    providerReference: p.providerReference,
    amountMinor: Number(p.amount?.amountMinor ?? 0),
    refundedMinor: Number(p.refundedAmount?.amountMinor ?? 0),
    refunds: p.refunds.length,
  };
}

/** One event in a payment database's outbox. */
export interface OutboxRow {
  type: "PaymentSucceeded" | "PaymentFailed" | "PaymentRefunded";
  aggregateId: string;
  version: number;
  payload: MessageShape<DescMessage>;
}

const registry = createRegistry(PaymentSucceededSchema, PaymentFailedSchema, PaymentRefundedSchema);

/** Every event written to `db`'s outbox (by any kit on it), in commit order; optionally one payment's. */
export async function outboxEvents(db: Db, paymentId?: string): Promise<OutboxRow[]> {
  const [rows] = await db.pool.query(
    `SELECT event_type, aggregate_id, aggregate_version, envelope FROM outbox_events${paymentId ? " WHERE aggregate_id = ?" : ""} ORDER BY seq`,
    paymentId ? [paymentId] : [],
  );
  return (rows as Array<{ event_type: string; aggregate_id: string; aggregate_version: number; envelope: Buffer }>).map(
    (r) => ({
      type: r.event_type.split(".").at(-1) as OutboxRow["type"],
      aggregateId: r.aggregate_id,
      version: Number(r.aggregate_version),
      payload: decodeEnvelope(r.envelope, registry).payload,
    }),
  );
}

export interface PaymentKit {
  sandbox: SandboxProvider;
  counting: CountingProvider;
  provider: ResilientProvider;
  deps: PaymentDeps;
  /** Charge as the ticket service calls it; the answer as a {@link PaymentView}. */
  charge(c: ChargeSpec, signal?: AbortSignal): Promise<PaymentView>;
  /** Refund as the ticket service calls it. */
  refund(r: {
    idempotencyKey: string;
    paymentId: string;
    amount?: { currencyCode: string; amountMinor: number };
    reason: string;
  }): Promise<{ payment: PaymentView; refund: { id: string; amountMinor: number } }>;
}

/** Fast policy defaults for tests: short attempts, quick backoff. */
export const testPolicy: ProviderPolicyOptions = { timeoutMs: 500, retries: 2, backoffMs: 5, breakAfter: 5 };

const money = (m: { currencyCode: string; amountMinor: number }) => ({
  currencyCode: m.currencyCode,
  amountMinor: BigInt(m.amountMinor),
});

/** A sandbox (a "process" of the payment service) on `db`; call again for a restarted one. */
export function paymentKit(
  db: Db,
  o: {
    clock?: Clock;
    slowMs?: number;
    policy?: ProviderPolicyOptions;
    timing?: Partial<PaymentTiming>;
    random?: () => number;
  } = {},
): PaymentKit {
  const clock = o.clock ?? systemClock;
  const newId = createIdGenerator();
  const sandbox = new SandboxProvider({ db, clock, newId, slowMs: o.slowMs ?? 300, random: o.random });
  const counting = new CountingProvider(sandbox);
  const policy = { ...testPolicy, ...o.policy };
  const provider = new ResilientProvider(counting, policy);
  const outbox = new Outbox({ service: "payment", db, names: infraNames("kit"), clock, newId });
  const commands = new CommandPipeline({
    service: "payment",
    db,
    clock,
    idempotency: new IdempotencyStore(db, clock, 24 * 3600_000),
    requestHashKey: randomBytes(32),
    outbox,
    publishes: paymentPublishes,
  });
  const deps: PaymentDeps = {
    db,
    clock,
    newId,
    commands,
    provider,
    sandbox,
    timing: paymentTiming(policy, { pollMs: 10, ...o.timing }),
    pageTokens: new PageTokens("payment-kit"),
  };
  return {
    sandbox,
    counting,
    provider,
    deps,
    charge: async (c, signal) =>
      view(
        await charge(
          deps,
          ticketCaller,
          create(ChargeRequestSchema, {
            requestId: c.idempotencyKey,
            orderId: c.orderId,
            userId: c.userId,
            amount: money(c.amount),
            paymentToken: c.paymentToken,
          }),
          { signal },
        ),
      ),
    refund: async (r) => {
      const out = await refund(
        deps,
        ticketCaller,
        create(RefundRequestSchema, {
          requestId: r.idempotencyKey,
          paymentId: r.paymentId,
          amount: r.amount === undefined ? undefined : money(r.amount),
          reason: r.reason,
        }),
      );
      return {
        payment: view(out.payment),
        refund: { id: out.refund?.id ?? "", amountMinor: Number(out.refund?.amount?.amountMinor ?? 0) },
      };
    },
  };
}

/** Row counts of a table, optionally filtered by one column. */
export async function countRows(db: Db, table: string, where?: [string, string]): Promise<number> {
  const [rows] = await db.pool.query(
    `SELECT COUNT(*) AS n FROM \`${table}\`${where ? ` WHERE \`${where[0]}\` = ?` : ""}`,
    where ? [where[1]] : [],
  );
  return Number((rows as Array<{ n: number }>)[0]?.n);
}
