// Field-level differences between two manifests: what `pulumi preview` and `d0 manifest diff` show.
// Containers are matched by name; an added or removed container is one change. The build identity
// (header.build_uuid, header.timestamp_ms) differs between any two builds, so it is ignored unless
// asked for, and so is the build UUID inside artifact paths (`VM/web-<uuid>.img`): two builds of
// the same site differ only where the site differs.
import type { Manifest } from './schema';
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

const proto = (p: unknown) =>
  String(p)
    .replace(/^IP_PROTO_/, '')
    .toLowerCase();

/** One entry of a repeated field, by its message: `0.0.0.0/0 via 10.0.0.1`, `tcp 8080->80`. */
const ENTRY: Record<string, (e: Obj) => string> = {
  Route: (r) => `${String(r.dest)} via ${String(r.via)}`,
  Publish: (p) => `${proto(p.protocol)} ${String(p.uplink_port)}->${String(p.container_port)}`,
  EgressRule: (r) =>
    r.protocol === 'IP_PROTO_TCP' || r.protocol === 'IP_PROTO_UDP'
      ? `${String(r.dest)} ${proto(r.protocol)} ${String(r.port_lo)}-${String(r.port_hi)}`
      : `${String(r.dest)} ${proto(r.protocol)}`,
};

/** A field's value as shown; `message` names the entries' message of a repeated field. */
function render(v: unknown, message?: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const entry = ENTRY[message ?? ''] ?? ((e: Obj) => JSON.stringify(e));
    return v.length === 0 ? undefined : (v as Obj[]).map(entry).join(', ');
  }
  return String(v);
}

interface Side {
  readonly uuid?: string;
}

/** A value as compared: the side's own build UUID inside a path is not a difference. */
function comparable(
  v: unknown,
  message: string | undefined,
  side: Side,
  opts: DiffOptions,
): string | undefined {
  const r = render(v, message);
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
    } else {
      const m = kind.kind === 'nested' ? kind.message : undefined;
      const [x, y] = [a[f.name], b[f.name]];
      if (comparable(x, m, sides[0], opts) !== comparable(y, m, sides[1], opts))
        out.push({ kind: 'changed', path: p, before: render(x, m), after: render(y, m) });
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
