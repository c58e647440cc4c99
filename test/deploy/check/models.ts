/**
 * Typed validation of every rendered object: kubernetes-models / @kubernetes-models/istio check
 * types, enums and required fields, but accept unknown keys (a misspelled `perodSeconds` passes).
 * So a second pass walks each object against the models' own type declarations (their .d.ts,
 * read with the TypeScript compiler API) and reports every key the type does not declare.
 */
import { fileURLToPath } from "node:url";
import ts from "typescript";
import type { K8sObject } from "./kustomize.js";
import type { Problem } from "./problems.js";
import { problem } from "./problems.js";

/** The module that declares a kind's model, e.g. `kubernetes-models/apps/v1/Deployment`. */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group?.endsWith(".istio.io")) return `@kubernetes-models/istio/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** Runs each object through its model's validator. */
export async function validateModels(objects: readonly K8sObject[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const o of objects) {
    let Model: ModelClass | undefined;
    try {
      Model = (await import(modelModule(o.apiVersion, o.kind)))[o.kind] as ModelClass | undefined;
    } catch {
      Model = undefined;
    }
    if (Model === undefined) {
      problems.push(problem("model", o, `no model for ${o.apiVersion} ${o.kind}: unknown kind or API version`));
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push(problem("model", o, `invalid: ${(e as Error).message}`));
    }
  }
  return problems;
}

const root = fileURLToPath(new URL("../../../", import.meta.url));
const programs = new Map<string, { checker: ts.TypeChecker; types: Map<string, ts.Type[]> }>();

/** A TypeScript program that imports the interface of every kind in `keys` (`apiVersion|kind`). */
function modelTypes(keys: readonly string[]) {
  const id = [...keys].sort().join(",");
  const cached = programs.get(id);
  if (cached !== undefined) return cached;
  const fileName = `${root}__manifest_models__.ts`;
  const lines = keys.map((k, i) => {
    const [apiVersion, kind] = k.split("|") as [string, string];
    return `import type { I${kind} as T${i} } from "${modelModule(apiVersion, kind)}";`;
  });
  lines.push(`export interface Models { ${keys.map((k, i) => `"${k}": T${i};`).join(" ")} }`);
  const source = lines.join("\n");
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (f, lang, ...rest) =>
    f === fileName ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest);
  host.fileExists = (f) => f === fileName || fileExists(f);
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(fileName);
  const moduleSymbol = sf === undefined ? undefined : checker.getSymbolAtLocation(sf);
  const models =
    moduleSymbol === undefined ? undefined : checker.getExportsOfModule(moduleSymbol).find((s) => s.name === "Models");
  if (models === undefined) throw new Error("could not load the models' type declarations");
  const types = properties(checker, [checker.getDeclaredTypeOfSymbol(models)]);
  const entry = { checker, types };
  programs.set(id, entry);
  return entry;
}

/** A type's members: unions and intersections flattened (a key is known if any member declares it). */
function members(type: ts.Type): ts.Type[] {
  if (type.isUnion() || type.isIntersection()) return type.types.flatMap(members);
  return [type];
}

/** Properties of a set of types: every key any member declares, with every member's type for it. */
function properties(checker: ts.TypeChecker, types: readonly ts.Type[]): Map<string, ts.Type[]> {
  const out = new Map<string, ts.Type[]>();
  for (const p of types) {
    for (const s of checker.getPropertiesOfType(p)) {
      const t = members(checker.getNonNullableType(checker.getTypeOfSymbol(s)));
      out.set(s.name, [...(out.get(s.name) ?? []), ...t]);
    }
  }
  return out;
}

function elementTypes(checker: ts.TypeChecker, types: readonly ts.Type[]): ts.Type[] {
  return types
    .filter((p) => checker.isArrayType(p))
    .flatMap((p) => checker.getTypeArguments(p as ts.TypeReference).flatMap((t) => members(t)));
}

function indexTypes(checker: ts.TypeChecker, types: readonly ts.Type[]): ts.Type[] {
  return types.flatMap((p) =>
    checker
      .getIndexInfosOfType(p)
      .filter((i) => i.keyType.flags & ts.TypeFlags.String)
      .flatMap((i) => members(i.type)),
  );
}

/** Levenshtein distance, for "did you mean" hints. */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

const open = ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive;

function walk(checker: ts.TypeChecker, value: unknown, types: readonly ts.Type[], path: string, out: string[]): void {
  if (value === null || typeof value !== "object" || types.length === 0) return;
  if (types.some((t) => t.flags & open)) return; // free-form (`any`, `object`): nothing to check
  if (Array.isArray(value)) {
    const el = elementTypes(checker, types);
    for (const [i, v] of value.entries()) walk(checker, v, el, `${path}[${i}]`, out);
    return;
  }
  const props = properties(checker, types);
  const index = indexTypes(checker, types);
  if (props.size === 0 && index.length === 0) return; // an open object (`{}`)
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const next = props.get(key) ?? (index.length > 0 ? index : undefined);
    const at = path === "" ? key : `${path}.${key}`;
    if (next === undefined) {
      const near = [...props.keys()].map((k) => [k, distance(key, k)] as const).sort((a, b) => a[1] - b[1])[0];
      out.push(near !== undefined && near[1] <= 3 ? `${at} (did you mean ${near[0]}?)` : at);
      continue;
    }
    walk(checker, v, next, at, out);
  }
}

/** Keys that no model declares: misspellings and fields in the wrong place. */
export function unknownFields(objects: readonly K8sObject[]): Problem[] {
  const keys = [...new Set(objects.map((o) => `${o.apiVersion}|${o.kind}`))];
  const { checker, types } = modelTypes(keys);
  const problems: Problem[] = [];
  for (const o of objects) {
    const type = types.get(`${o.apiVersion}|${o.kind}`);
    if (type === undefined) continue; // validateModels reports unknown kinds
    const found: string[] = [];
    walk(checker, o, type, "", found);
    for (const f of found)
      problems.push(problem("unknown-field", o, `unknown field ${f}: no such key in ${o.apiVersion} ${o.kind}`));
  }
  return problems;
}
