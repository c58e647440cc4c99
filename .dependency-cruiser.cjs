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
