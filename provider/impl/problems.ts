// Problems (core/ and builder/site, with spec paths) -> Pulumi CheckFailures.
import type * as pulumi from '@pulumi/pulumi';
import type { Problem } from '../../core/errors';

/** The marker the Pulumi engine sends for a value not known during preview. */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function hasUnknown(v: unknown): boolean {
  return JSON.stringify(v ?? null).includes(UNKNOWN);
}

export function failures(problems: readonly Problem[]): pulumi.dynamic.CheckFailure[] {
  return problems.map((p) => ({
    property: p.path,
    reason: `${p.path.replace(/\.format$/, '')}: ${p.message}`,
  }));
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
