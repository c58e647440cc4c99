import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** A readiness check: resolves true when ready; a string says why not. */
export type ReadinessCheck = () => Promise<true | string>;

/**
 * The admin port (HTTP/1.1, never exposed through the ingress): `/metrics` for Prometheus,
 * `/healthz` (the process is alive: answers while draining too, so Kubernetes does not kill a
 * draining pod) and `/readyz` (503 while draining or while a check fails, with the reasons).
 */
export class AdminServer {
  readonly #server: http.Server;

  constructor(opts: { registry: Registry; isDraining: () => boolean; readiness: readonly ReadinessCheck[] }) {
    this.#server = http.createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
      if (path === "/metrics") {
        opts.registry.metrics().then(
          (text) => send(res, 200, opts.registry.contentType, text),
          (err: unknown) => send(res, 500, "text/plain", `metrics failed: ${String(err)}\n`),
        );
        return;
      }
      if (path === "/healthz") return send(res, 200, "text/plain", "ok\n");
      if (path === "/readyz") {
        if (opts.isDraining()) return send(res, 503, "text/plain", "draining\n");
        Promise.all(opts.readiness.map((check) => check().catch((e: unknown) => String(e)))).then((results) => {
          const problems = results.filter((r): r is string => r !== true);
          if (problems.length > 0) send(res, 503, "text/plain", `not ready:\n${problems.join("\n")}\n`);
          else send(res, 200, "text/plain", "ready\n");
        });
        return;
      }
      send(res, 404, "text/plain", "not found: try /metrics, /healthz or /readyz\n");
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
