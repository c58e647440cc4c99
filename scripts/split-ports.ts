/**
 * Split mode's addressing, shared by `make dev-split` (scripts/dev-split.ts) and the programmatic
 * launchers (the on-sale bench, the fault suite): which port each service's process listens on and
 * the BOXOFFICE_<SVC>_URL variables that let every process reach the others as in the cluster.
 * No side effects on import.
 */
import { type ServiceName, serviceNames } from "../platform/config/runtime.js";

/** Ports of one service's process: the one port and the admin port. */
export interface SplitPorts {
  port: number;
  adminPort: number;
}

/** Ports per service: the one port and the admin port, in start order from basePort. */
export function splitPorts(base: number): Record<ServiceName, SplitPorts> {
  return Object.fromEntries(
    serviceNames.map((name, i) => [name, { port: base + i, adminPort: base + 1000 + i }]),
  ) as Record<ServiceName, SplitPorts>;
}

/** BOXOFFICE_<SVC>_URL for every service, so each process reaches the others as in the cluster. */
export function splitUrls(ports: Record<ServiceName, { port: number }>): Record<string, string> {
  return Object.fromEntries(
    serviceNames.map((name) => [`BOXOFFICE_${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name].port}`]),
  );
}
