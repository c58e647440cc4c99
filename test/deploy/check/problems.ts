import type { K8sObject } from "./kustomize.js";
import { ref } from "./kustomize.js";

/** One finding: which check, which object, what is wrong and why it matters. */
export interface Problem {
  readonly check: string;
  readonly object: string;
  readonly message: string;
}

export function problem(check: string, o: K8sObject | string, message: string): Problem {
  return { check, object: typeof o === "string" ? o : ref(o), message };
}

/** One line per problem, for assertion messages. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `[${p.check}] ${p.object}: ${p.message}`).join("\n");
}
