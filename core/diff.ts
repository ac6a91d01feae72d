// Field-level differences between two manifests: what `pulumi preview` and `d0 manifest diff` show.
// Containers are matched by name; an added or removed container is one change. The build identity
// (header.build_uuid, header.timestamp_ms) differs between any two builds, so it is ignored unless
// asked for, and so is the build UUID inside artifact paths (`VM/web-<uuid>.img`): two builds of
// the same site differ only where the site differs.
import type { Manifest, Route } from './schema';
import { tlvScope } from './tlv/tags';

export interface Change {
  /** `changed` for a field; `added` / `removed` for a whole container. */
  readonly kind: 'changed' | 'added' | 'removed';
  /** e.g. `containers[web].mem_mb`, or `containers[api]` for an added/removed container. */
  readonly path: string;
  /** Rendered value; undefined when the field (or container) is absent on that side. */
  readonly before?: string;
  readonly after?: string;
}

export interface DiffOptions {
  /** Also report header.build_uuid and header.timestamp_ms. Default false. */
  readonly includeBuildIdentity?: boolean;
}

const BUILD_IDENTITY = new Set(['header.build_uuid', 'header.timestamp_ms']);

type Obj = Record<string, unknown>;

function render(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v))
    return v.length === 0
      ? undefined
      : (v as Route[]).map((r) => `${r.dest} via ${r.via}`).join(', ');
  return String(v);
}

interface Side {
  readonly uuid?: string;
}

/** A value as compared: the side's own build UUID inside a path is not a difference. */
function comparable(v: unknown, side: Side, opts: DiffOptions): string | undefined {
  const r = render(v);
  return r !== undefined && side.uuid && !opts.includeBuildIdentity
    ? r.split(side.uuid).join('<build>')
    : r;
}

function diffScope(
  message: string,
  a: Obj,
  b: Obj,
  path: string,
  out: Change[],
  opts: DiffOptions,
  sides: [Side, Side],
): void {
  for (const f of tlvScope(message).fields) {
    const p = path ? `${path}.${f.name}` : f.name;
    if (!opts.includeBuildIdentity && BUILD_IDENTITY.has(p)) continue;
    const kind = f.spec.value;
    if (kind.kind === 'nested' && f.name === 'containers') {
      diffContainers((a[f.name] ?? []) as Obj[], (b[f.name] ?? []) as Obj[], p, out, opts, sides);
    } else if (kind.kind === 'nested' && !f.repeated) {
      diffScope(
        kind.message,
        (a[f.name] ?? {}) as Obj,
        (b[f.name] ?? {}) as Obj,
        p,
        out,
        opts,
        sides,
      );
    } else if (comparable(a[f.name], sides[0], opts) !== comparable(b[f.name], sides[1], opts)) {
      out.push({ kind: 'changed', path: p, before: render(a[f.name]), after: render(b[f.name]) });
    }
  }
}

function diffContainers(
  a: Obj[],
  b: Obj[],
  path: string,
  out: Change[],
  opts: DiffOptions,
  sides: [Side, Side],
): void {
  const byName = (l: Obj[]) => new Map(l.map((c) => [String(c.name), c]));
  const [ma, mb] = [byName(a), byName(b)];
  const names = [...new Set([...ma.keys(), ...mb.keys()])].sort();
  for (const n of names) {
    const p = `${path}[${n}]`;
    const [x, y] = [ma.get(n), mb.get(n)];
    if (!x) out.push({ kind: 'added', path: p });
    else if (!y) out.push({ kind: 'removed', path: p });
    else diffScope('Container', x, y, p, out, opts, sides);
  }
}

export function diffManifests(a: Manifest, b: Manifest, opts: DiffOptions = {}): Change[] {
  const out: Change[] = [];
  const sides: [Side, Side] = [{ uuid: a.header?.build_uuid }, { uuid: b.header?.build_uuid }];
  diffScope('Manifest', a as unknown as Obj, b as unknown as Obj, '', out, opts, sides);
  return out;
}

/** `containers[web].mem_mb: 256 -> 512`, `containers[api]: added`, `containers[old]: removed`. */
export function renderChange(c: Change): string {
  if (c.kind !== 'changed') return `${c.path}: ${c.kind}`;
  return `${c.path}: ${c.before ?? '(unset)'} -> ${c.after ?? '(unset)'}`;
}
