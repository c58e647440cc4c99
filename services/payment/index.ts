import { fileURLToPath } from "node:url";
import { serviceModule } from "../../platform/app/index.js";
import { ConfigError } from "../../platform/config/index.js";
import { PageTokens } from "../../platform/paging/index.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import { paymentContracts } from "./access.js";
import { paymentSpec, providerProblems } from "./config.js";
import { type PaymentDeps, paymentTiming } from "./deps.js";
import { paymentPublishes } from "./events/published.js";
import { chargeOutcomes } from "./metrics.js";
import { ResilientProvider } from "./provider/resilient.js";
import { SandboxProvider } from "./provider/sandbox.js";
import { paymentServices } from "./rpc.js";
import { settleUnsettled } from "./use-cases/settle-unsettled.js";

/** payment: payments and refunds, charged at most once per order, with a ledger that reconciles. */
export const paymentModule = serviceModule({
  name: "payment",
  contracts: paymentContracts,
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  config: paymentSpec,
  publishes: paymentPublishes,
  async create(ctx) {
    const s = ctx.settings;
    // Refused before anything starts: production takes no test money.
    const problems = providerProblems(s);
    if (problems.length > 0) throw new ConfigError(problems);
    const db = ctx.database();
    const sandbox = new SandboxProvider({ db, clock: ctx.clock, newId: ctx.newId, slowMs: s.sandboxSlowMs });
    const policy = { timeoutMs: s.providerTimeoutMs };
    const provider = new ResilientProvider(sandbox, policy);
    ctx.metrics.breakers.track({ caller: "payment", target: `provider:${provider.name}` }, () => provider.circuitState);
    const deps: PaymentDeps = {
      db,
      clock: ctx.clock,
      newId: ctx.newId,
      commands: ctx.commands(),
      provider,
      sandbox,
      timing: paymentTiming(policy, { inFlightMs: s.inFlightMs, retryGraceMs: s.retryGraceMs }),
      pageTokens: new PageTokens(ctx.config.pageTokenSecret),
    };
    // The service acting on its own: the sweep settles what nobody is waiting for, and announces it.
    const self = servicePrincipal("payment");
    const sweeper = ctx.every({
      name: "payment-settle",
      everyMs: s.settleEveryMs,
      exclusive: true,
      run: async (signal) => {
        const r = await settleUnsettled(deps, self, { signal });
        if (r.settled + r.abandoned + r.refunds + r.errors > 0) ctx.logger.info(r, "unsettled payments swept");
      },
    });
    return {
      services: paymentServices(deps, chargeOutcomes(ctx.metrics.registry)),
      /** For tests: the use-cases' deps (the sandbox's fault knobs among them) and the sweep. */
      internals: { deps, sweeper },
    };
  },
});
