/**
 * The Dockerfile, checked statically (no container engine here): stages, production dependencies
 * only, generated code built in, a non-root user, and an entrypoint that the build really produces.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "./check/index.js";

interface Stage {
  readonly name: string;
  readonly image: string;
  readonly lines: string[];
}

/** Instructions (continuations joined), split into stages, with ARG defaults substituted. */
function stages(text: string): Stage[] {
  const joined = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const line of joined) {
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg !== null && out.length === 0) args.set(arg[1] as string, arg[2] as string);
    const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(line);
    if (from !== null) {
      const image = (from[1] as string).replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? "");
      out.push({ name: from[2] ?? String(out.length), image, lines: [] });
    } else {
      out.at(-1)?.lines.push(line);
    }
  }
  return out;
}

/** Whether `.dockerignore` (allow-list style: `*`, then `!path`, then exclusions) sends `path`. */
function inContext(ignore: string[], path: string): boolean {
  let included = true;
  for (const raw of ignore) {
    const neg = raw.startsWith("!");
    const pattern = neg ? raw.slice(1) : raw;
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*\//g, "\0")
        .replace(/\*/g, "[^/]*")
        .replace(/\0/g, "(.*/)?")}(/.*)?$`,
    );
    if (re.test(path)) included = neg;
  }
  return included;
}

/** Module specifiers of a TypeScript file's import/export statements and dynamic imports. */
function specifiers(text: string): string[] {
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|(?:^|\n)\s*import\s+"([^"]+)"/g;
  return [...text.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

/** Relative imports reachable from `entry` (the files tsc compiles for `files: [entry]`). */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(join(repoRoot, file), "utf8");
    for (const spec of specifiers(text).filter((x) => x.startsWith(".") && x.endsWith(".js"))) {
      const target = relative(repoRoot, join(repoRoot, file, "..", spec.replace(/\.js$/, ".ts")));
      if (existsSync(join(repoRoot, target))) todo.push(target);
    }
  }
  return seen;
}

describe("deploy: Dockerfile (static)", () => {
  const text = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
  const all = stages(text);
  const runtime = all.at(-1) as Stage;
  const ignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("is multi-stage, every base image pinned to a version", () => {
    assert.ok(all.length >= 2, "a single-stage build would ship the compiler and dev dependencies");
    for (const s of all) assert.match(s.image, /:(?!latest$)[\w.-]+$|@sha256:/, `stage ${s.name} uses ${s.image}`);
  });

  it("the runtime has production dependencies only and no source or tooling", () => {
    const copies = runtime.lines.filter((l) => l.startsWith("COPY"));
    const modules = copies.find((l) => l.includes("node_modules"));
    assert.ok(modules, "the runtime copies no node_modules");
    const from = /--from=(\S+)/.exec(modules)?.[1];
    const depsStage = all.find((s) => s.name === from);
    assert.ok(depsStage, `node_modules come from ${from}, not a stage`);
    assert.ok(
      depsStage.lines.some((l) => /npm ci .*--omit=dev/.test(l)) &&
        !depsStage.lines.some((l) => /npm (ci|install)(?!.*--omit=dev)/.test(l)),
      `stage ${from} must install with --omit=dev only`,
    );
    assert.ok(!runtime.lines.some((l) => /npm (ci|install)|tsc|buf /.test(l)), "the runtime stage installs or builds");
    for (const src of ["cmd", "platform", "services", "proto"]) {
      assert.ok(
        !copies.some((l) => new RegExp(`^COPY (?!--from)\\S* ?${src}\\b`).test(l)),
        `the runtime copies ${src}/ sources`,
      );
    }
  });

  it("the build stage generates the code and compiles it with the build tsconfig", () => {
    const build = all.find((s) => runtime.lines.some((l) => l.includes(`--from=${s.name} /src/dist`)));
    assert.ok(build, "the runtime takes dist/ from no stage");
    const run = build.lines.filter((l) => l.startsWith("RUN")).join("\n");
    assert.match(run, /sync-third-party-protos\.sh && node_modules\/\.bin\/buf generate/);
    assert.match(run, /tsc -p tsconfig\.build\.json/);
    assert.match(run, /db\/migrations/, "the services' SQL migrations must sit beside their compiled modules");
  });

  it("runs as a non-root user through a `boxoffice` entrypoint that the build produces", () => {
    const user = runtime.lines.filter((l) => l.startsWith("USER")).at(-1);
    assert.match(user ?? "", /^USER (\d+)(:\d+)?$/, "a numeric USER lets Kubernetes verify runAsNonRoot");
    assert.notEqual(/^USER (\d+)/.exec(user ?? "")?.[1], "0");
    assert.ok(runtime.lines.includes('ENTRYPOINT ["boxoffice"]'));
    const script = runtime.lines.find((l) => l.includes("/usr/local/bin/boxoffice"));
    const target = /exec node \S* ?\/app\/(dist\/\S+\.js)/.exec(script ?? "")?.[1];
    assert.equal(target, "dist/cmd/boxoffice.js");
    const build = JSON.parse(readFileSync(join(repoRoot, "tsconfig.build.json"), "utf8")) as Record<string, Any>;
    assert.deepEqual(build.files, ["cmd/boxoffice.ts"]);
    assert.equal(`${build.compilerOptions.outDir}/cmd/boxoffice.js`, target);
    assert.ok(
      runtime.lines.includes("WORKDIR /app") && runtime.lines.some((l) => /^COPY --from=\S+ \/src\/dist dist$/.test(l)),
    );
  });

  it("everything the program imports is in the build context and compiled (no test code, no dev-only module)", () => {
    const files = [...closure("cmd/boxoffice.ts")];
    assert.ok(files.length > 50, `only ${files.length} files reachable`);
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const f of files) {
      // gen/ is not in the context: the build stage generates it from proto/ (asserted above).
      if (!f.startsWith("gen/"))
        assert.ok(inContext(ignore, f), `${f} is imported by the program but excluded from the build context`);
      assert.ok(!/\.test\.ts$|testkit|^test\/|^harness\/|^scripts\//.test(f), `the program imports ${f}`);
      for (const spec of specifiers(readFileSync(join(repoRoot, f), "utf8"))) {
        if (spec.startsWith("node:") || spec.startsWith(".")) continue;
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string);
        // `manifests write` loads yaml on demand and says so without it; nothing else may need a dev package.
        if (f === "cmd/manifests/render.ts" && name === "yaml") continue;
        assert.ok(
          name in pkg.dependencies,
          `${f} imports ${name}, which is not a production dependency (the image has none else)`,
        );
      }
    }
    for (const needed of ["proto", "test/proto", "buf.yaml", "buf.gen.yaml", "scripts/sync-third-party-protos.sh"]) {
      assert.ok(inContext(ignore, needed), `${needed} must be in the build context: the code is generated from it`);
    }
    for (const l of all.flatMap((s) => s.lines).filter((x) => /^COPY (?!--from)/.test(x))) {
      const [, ...args] = l.split(/\s+/);
      for (const src of args.filter((a) => !a.startsWith("--")).slice(0, -1)) {
        assert.ok(existsSync(join(repoRoot, src)), `COPY ${src}: no such file`);
        assert.ok(inContext(ignore, src), `COPY ${src}: excluded by .dockerignore`);
      }
    }
    for (const local of [
      "node_modules",
      ".git",
      ".data",
      ".tools",
      "gen",
      "dist",
      "third_party/proto",
      "platform/app/index.test.ts",
    ]) {
      assert.ok(!inContext(ignore, local), `.dockerignore sends ${local}`);
    }
  });
});

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON
type Any = any;
