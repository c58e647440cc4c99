// Import boundaries (make boundaries): the house rules that keep services independent.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "services-are-independent",
      comment:
        "A service never imports another service's code: contracts live in proto/ (gen/), calls go over the network.",
      severity: "error",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/", pathNot: "^services/$1/" },
    },
    {
      name: "platform-is-domain-free",
      comment: "The runtime never imports a service or the program that wires services together.",
      severity: "error",
      from: { path: "^platform/" },
      to: { path: "^(services|cmd)/" },
    },
    {
      name: "production-does-not-import-the-harness",
      comment: "harness/ starts local servers for make dev and tests; the program never depends on it.",
      severity: "error",
      from: { path: "^(platform|services|cmd)/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(harness|scripts)/" },
    },
    {
      name: "services-do-not-import-the-program",
      severity: "error",
      from: { path: "^services/" },
      to: { path: "^cmd/" },
    },
    {
      name: "production-does-not-import-tests",
      severity: "error",
      from: { path: "^(platform|services|cmd)/", pathNot: "\\.test\\.ts$" },
      to: { path: "^test/" },
    },
    {
      name: "services-write-through-the-pipeline",
      comment:
        "A service writes through the command pipeline (platform/commands, its index.ts): never the idempotency store, the outbox, the relay or the platform tables directly, so every write gets its transaction, record, events and hooks.",
      severity: "error",
      from: { path: "^services/" },
      to: {
        path: "^platform/(commands/|bus/(outbox|relay)\\.ts$|db/platform-schema\\.ts$)",
        pathNot: "^platform/commands/index\\.ts$",
      },
    },
    {
      name: "use-cases-are-transport-neutral",
      comment:
        "Use-cases and domain rules never see the transport: rpc.ts maps HandlerContext to a principal, requests to inputs, errors in the platform.",
      severity: "error",
      from: { path: "^services/[^/]+/(orders/)?(use-cases|domain)/" },
      to: { path: "^(platform/(rpc|server)/|node_modules/@connectrpc/)" },
    },
    {
      name: "domain-is-pure",
      comment: "domain/ holds rules with no I/O: no database, bus, cache, pipeline or process context.",
      severity: "error",
      from: { path: "^services/[^/]+/(orders/)?domain/", pathNot: "\\.test\\.ts$" },
      to: {
        path: "^(platform/(db|bus|cache|redis|commands|app|jobs|clients)/|services/[^/]+/(orders/)?(db|use-cases|events|clients)/|node_modules/(drizzle-orm|mysql2|ioredis|@nats-io)/)",
      },
    },
    {
      name: "platform-db-is-below-transport-and-bus",
      comment: "platform/db is storage only: it knows nothing of RPC, the bus, commands or the process.",
      severity: "error",
      from: { path: "^platform/db/" },
      to: { path: "^platform/(rpc|server|bus|commands|app|cache|jobs|auth|clients)/" },
    },
    {
      name: "platform-bus-is-below-commands",
      severity: "error",
      from: { path: "^platform/bus/" },
      to: { path: "^platform/(rpc|server|commands|app|cache|jobs)/" },
    },
    {
      name: "platform-commands-are-transport-neutral",
      comment: "The pipeline serves RPC handlers, consumers, sweepers and the CLI alike.",
      severity: "error",
      from: { path: "^platform/commands/" },
      to: { path: "^(platform/(rpc|server|app)/|node_modules/@connectrpc/connect-node/)" },
    },
    {
      name: "platform-leaves-stay-leaves",
      comment: "errors, principal, clock and ids are the vocabulary every part shares; they import no other part.",
      severity: "error",
      from: { path: "^platform/(errors|principal|clock|ids)/" },
      to: { path: "^platform/", pathNot: "^platform/(errors|principal|clock|ids)/" },
    },
    {
      name: "only-the-process-wires-parts",
      comment: "platform/app assembles the parts; no part depends on it (services and the program do).",
      severity: "error",
      from: { path: "^platform/", pathNot: "(^platform/app/|\\.test\\.ts$)" },
      to: { path: "^platform/app/" },
    },
    {
      name: "production-does-not-import-bench",
      severity: "error",
      from: { path: "^(platform|services|cmd)/", pathNot: "\\.test\\.ts$" },
      to: { path: "^bench/" },
    },
    {
      name: "no-unresolvable-imports",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^gen/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
