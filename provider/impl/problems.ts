// Problems (core/ and builder/site, with spec paths) -> Pulumi CheckFailures.
import type * as pulumi from '@pulumi/pulumi';
import type { Problem } from '../../core/errors';

/** The marker the Pulumi engine sends for a value not known during preview. */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function hasUnknown(v: unknown): boolean {
  return JSON.stringify(v ?? null).includes(UNKNOWN);
}

/**
 * Each problem as a CheckFailure with no `property` and a reason that starts with the path, once.
 * The engine (3.248, measured) prints a failure that names a property as
 *   `<type> resource 'site': property containers.web.ip value {<nil>} has a problem: <reason>`
 * (the value is the top-level input of that name: `{<nil>}` for a nested path, the raw text for
 * a top-level one, e.g. a malformed key), and one without as
 *   `<type> resource 'site' has a problem: <reason>`,
 * so the second form, with the path leading the reason, names the path once and echoes no value.
 * A problem found twice (same path and message) is listed once.
 */
export function failures(problems: readonly Problem[]): pulumi.dynamic.CheckFailure[] {
  const seen = new Set<string>();
  const out: pulumi.dynamic.CheckFailure[] = [];
  for (const p of problems) {
    const reason = `${p.path}: ${p.message}`;
    if (seen.has(reason)) continue;
    seen.add(reason);
    out.push({ property: '', reason });
  }
  return out;
}

/** The path a failure of `failures()` names (the reason's text before the first ": "). */
export function failurePath(f: pulumi.dynamic.CheckFailure): string {
  return f.reason.slice(0, Math.max(0, f.reason.indexOf(': ')));
}

/**
 * For create/update of a resource whose check() is lenient: throws one Error listing every
 * problem, `<what> has problems:` then one `  path: message` line each.
 */
export function refuseProblems(what: string, problems: readonly Problem[]): void {
  if (problems.length > 0)
    throw new Error(
      `${what} has problems:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
}

/** Keeps the problems under `prefix.` and strips that prefix (a whole-site path -> a resource's own). */
export function scoped(problems: readonly Problem[], prefix: string): Problem[] {
  return problems
    .filter((p) => p.path === prefix || p.path.startsWith(`${prefix}.`))
    .map((p) => ({
      ...p,
      path: p.path === prefix ? prefix.split('.').pop()! : p.path.slice(prefix.length + 1),
    }));
}

/** Inputs without the engine's `__provider` entry. */
export function withoutProvider<T extends Record<string, unknown>>(v: T): T {
  const rest: Record<string, unknown> = { ...v };
  delete rest.__provider;
  return rest as T;
}
