import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type * as http from "node:http";
import { extname, resolve, sep } from "node:path";
import type { HttpRoute, Req, Res } from "./http.js";
import { respond } from "./http.js";

/** Content types of what a Vite build writes (anything else is served as bytes). */
const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/** `/boxoffice.event.v1.EventService/GetEvent`: a package-qualified service, then a method. */
const rpcPath = /^\/[^/]*\.[^/]*\/[^/]*$/;

/**
 * Development only (`make dev` and the browser tests): serves a built single-page app — the
 * storefront's `web/dist` — on the RPC port, as the handler for paths that match no RPC. In the
 * cluster a static file server behind the ingress does this instead.
 *
 * Only GET and HEAD of paths that cannot be RPC paths are answered; everything else goes to `next`
 * (which answers unknown RPCs with UNIMPLEMENTED or 404, as before). Files resolve strictly inside
 * `root` (no `..`, no encoded separators, no dotfiles); a path without an extension that names no
 * file gets `index.html`, so the app's own routes survive a reload; a missing asset is a plain 404.
 * Hashed assets under `/assets/` are cached for a year, everything else revalidates (ETag).
 */
export function staticSite(root: string, next: HttpRoute): HttpRoute {
  const base = resolve(root);
  return (req, res) => {
    const method = req.method ?? "GET";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const grpc = String(req.headers["content-type"] ?? "").startsWith("application/grpc");
    if ((method !== "GET" && method !== "HEAD") || grpc || rpcPath.test(path)) return next(req, res);
    serve(base, path, req, res).catch(() => {
      if (!res.headersSent) respond(res, 500, { "content-type": "text/plain; charset=utf-8" }, "static file error\n");
      else res.destroy();
    });
  };
}

async function serve(base: string, rawPath: string, req: Req, res: Res): Promise<void> {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return notFound(res);
  }
  const segments = path.split("/").filter((s) => s !== "");
  // separators or NULs smuggled in by encoding, parent references, and dotfiles never resolve
  if (segments.some((s) => s.startsWith(".") || s.includes("\\") || s.includes("\0")) || /%2f|%5c/i.test(rawPath)) {
    return notFound(res);
  }
  const file = resolve(base, ...segments);
  if (file !== base && !file.startsWith(base + sep)) return notFound(res);
  const found = await fileAt(file);
  if (found) return send(req, res, file, found, segments[0] === "assets");
  if (extname(path) === "") {
    const index = resolve(base, "index.html");
    const page = await fileAt(index);
    if (page) return send(req, res, index, page, false);
  }
  return notFound(res);
}

/** A regular file's size and mtime; undefined for anything else (missing, a directory). */
async function fileAt(file: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

function send(req: Req, res: Res, file: string, s: { size: number; mtimeMs: number }, immutable: boolean): void {
  const etag = `W/"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;
  const headers: http.OutgoingHttpHeaders = {
    "content-type": TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    etag,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
  };
  const r = res as unknown as http.ServerResponse;
  if (req.headers["if-none-match"] === etag) {
    r.writeHead(304, headers);
    r.end();
    return;
  }
  headers["content-length"] = s.size;
  r.writeHead(200, headers);
  if (req.method === "HEAD") {
    r.end();
    return;
  }
  const stream = createReadStream(file);
  stream.once("error", () => r.destroy());
  stream.pipe(r);
}

function notFound(res: Res): void {
  respond(
    res,
    404,
    { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
    "not found\n",
  );
}
