// The canonical text dump (proto/TLV.md, "Canonical text dump"): one `path=value` line per field in
// encoding order. The golden vectors' .expect files hold it; the C decoder prints the same bytes.
import type { Manifest } from '../schema';
import { tlvScope } from './tags';
import { sortByKey } from './values';

type Obj = Record<string, unknown>;

function dumpScope(message: string, obj: Obj, path: string, out: string[]): void {
  for (const f of tlvScope(message).fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    const p = path ? `${path}.${f.name}` : f.name;
    const kind = f.spec.value;
    if (kind.kind === 'nested') {
      if (f.repeated) {
        sortByKey(f, v as Obj[]).forEach((e, i) =>
          dumpScope(
            kind.message,
            e,
            f.name === 'containers' ? `${p}[${String(e.name)}]` : `${p}[${i}]`,
            out,
          ),
        );
      } else dumpScope(kind.message, v as Obj, p, out);
    } else out.push(`${p}=${String(v)}`);
  }
}

/** The dump of a (decoded or valid) manifest; ends with a newline. */
export function dumpManifest(m: Manifest): string {
  const out: string[] = [];
  dumpScope('Manifest', m as unknown as Obj, '', out);
  return out.join('\n') + '\n';
}
