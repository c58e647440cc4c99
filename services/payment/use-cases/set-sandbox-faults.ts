import type {
  SetSandboxFaultsRequest,
  SetSandboxFaultsResponse,
} from "../../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { PermissionDeniedError } from "../../../platform/errors/index.js";
import { hasRole, type Principal } from "../../../platform/principal/index.js";
import type { PaymentDeps } from "../deps.js";
import { SandboxNotInUseError } from "../domain/errors.js";

/**
 * SetSandboxFaults (ADMIN): the sandbox provider's fault injection in this process — added latency,
 * a rate of failures before charging, a rate of lost answers; all zero turns it off. In memory and
 * per process (each replica is set on its own; a restart clears it). FAILED_PRECONDITION
 * SANDBOX_NOT_IN_USE when a real processor is configured.
 */
export function setSandboxFaults(
  d: PaymentDeps,
  principal: Principal | undefined,
  req: SetSandboxFaultsRequest,
): Pick<SetSandboxFaultsResponse, "latencyMs" | "failureRate" | "lostAnswerRate"> {
  if (!hasRole(principal, "ADMIN")) throw new PermissionDeniedError("only an ADMIN may set sandbox faults");
  if (d.sandbox === undefined) throw new SandboxNotInUseError(d.provider.name);
  const now = d.sandbox.setFaults({
    latencyMs: req.latencyMs,
    failureRate: req.failureRate,
    lostAnswerRate: req.lostAnswerRate,
  });
  return { latencyMs: now.latencyMs, failureRate: now.failureRate, lostAnswerRate: now.lostAnswerRate };
}
