import { cors } from "@connectrpc/connect";
import { type Req, type Res, respond } from "./http.js";

const allowMethods = cors.allowedMethods.join(", ");
const allowHeaders = [...cors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
const exposeHeaders = [...cors.exposedHeaders, "X-Request-Id"].join(", ");

/**
 * CORS for browsers calling the process directly (local use; in the cluster the ingress answers
 * CORS). `origins` is a list of allowed origins or `*`. Returns true when the request was a
 * preflight and has been answered.
 */
export function handleCors(req: Req, res: Res, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== "string") return false;
  const allowed = origins.includes("*") || origins.includes(origin);
  if (!allowed) return false;
  res.setHeader("Access-Control-Allow-Origin", origins.includes("*") ? "*" : origin);
  res.setHeader("Vary", "Origin");
  if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
    res.setHeader("Access-Control-Allow-Methods", allowMethods);
    res.setHeader("Access-Control-Allow-Headers", allowHeaders);
    res.setHeader("Access-Control-Max-Age", "7200");
    respond(res, 204, {});
    return true;
  }
  res.setHeader("Access-Control-Expose-Headers", exposeHeaders);
  return false;
}
