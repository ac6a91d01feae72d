// Writes kernel/include/d0/tlv_tags.h from proto/manifest.proto and the value kinds declared in
// core/tlv/tags.ts. Run: npx tsx scripts/gen-tlv-header.ts   (test/core/tlv-header.test.ts fails
// when the committed header differs from what this renders).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { schema } from '../core/schema';
import {
  FIXED_LEN,
  MANIFEST_VERSION,
  MAX_TLV_BYTES,
  NAME_MAX_LEN,
  PATH_MAX_LEN,
  RECORD_HEADER_LEN,
  URL_MAX_LEN,
  ROOT_TAG,
  tlvScopes,
} from '../core/tlv/tags';
import { TLV_ERROR_NAMES } from '../core/tlv/errors';

export const HEADER_PATH = path.join(__dirname, '..', 'kernel', 'include', 'd0', 'tlv_tags.h');

/** GuestKernel -> GUEST_KERNEL, mem_mb -> MEM_MB. */
export function cName(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

const hex4 = (n: number) => '0x' + n.toString(16).toUpperCase().padStart(4, '0');

function define(name: string, value: string | number, comment?: string): string {
  const v = typeof value === 'number' ? String(value) : value;
  const line = `#define ${name.padEnd(40)} ${v}`;
  return comment ? `${line.padEnd(64)} /* ${comment} */` : line;
}

export function renderTlvHeader(): string {
  const L: string[] = [];
  L.push('/* SPDX-License-Identifier: Apache-2.0 */');
  L.push('/*');
  L.push(' * D0 manifest TLV: tags, limits, value ranges, enum values and error codes.');
  L.push(' * generated from proto/manifest.proto by scripts/gen-tlv-header.ts; do not edit.');
  L.push(' * The format is specified in proto/TLV.md.');
  L.push(' */');
  L.push('#ifndef D0_TLV_TAGS_H');
  L.push('#define D0_TLV_TAGS_H');
  L.push('');
  L.push('/* Record framing: tag u16le | len u32le | value[len]. */');
  L.push(define('TLV_RECORD_HEADER_LEN', RECORD_HEADER_LEN));
  L.push(define('TLV_CRITICAL', hex4(0x8000), 'tag bit 15'));
  L.push(define('TLV_TAG_ID_MASK', hex4(0x7fff)));
  L.push(define('TLV_MANIFEST_ROOT', hex4(ROOT_TAG), 'the one root record'));
  L.push('');
  L.push('/* Limits. */');
  L.push(define('TLV_MAX_BYTES', MAX_TLV_BYTES, 'whole file'));
  L.push(define('TLV_NAME_MIN_LEN', 1));
  L.push(define('TLV_NAME_MAX_LEN', NAME_MAX_LEN, '[a-z0-9][a-z0-9-]*'));
  L.push(define('TLV_PATH_MIN_LEN', 1));
  L.push(
    define(
      'TLV_PATH_MAX_LEN',
      PATH_MAX_LEN,
      '[A-Za-z0-9._/-], no leading /, no "", ".", ".." part',
    ),
  );
  L.push(define('TLV_URL_MIN_LEN', 1));
  L.push(
    define('TLV_URL_MAX_LEN', URL_MAX_LEN, 'http://host[:port]/path/, proto/TLV.md "url string"'),
  );
  L.push(define('TLV_MANIFEST_VERSION', MANIFEST_VERSION));
  L.push('');
  L.push('/* Fixed value lengths by kind. */');
  for (const [kind, len] of Object.entries(FIXED_LEN)) {
    L.push(define(`TLV_LEN_${cName(kind)}`, len as number));
  }
  for (const s of tlvScopes().values()) {
    const m = cName(s.message);
    L.push('');
    L.push(`/* ${s.message} (scope ${hex4(s.scope)}). */`);
    L.push(define(`TLV_SCOPE_${m}`, hex4(s.scope)));
    for (const f of s.fields) {
      const fname = `TLV_${m}_${cName(f.name)}`;
      const v = f.spec.value;
      const what =
        v.kind === 'nested'
          ? `nested ${v.message}`
          : v.kind === 'u8enum'
            ? `enum ${v.enumName}${v.only ? ': ' + v.only.join(' | ') : ''}`
            : v.kind === 'ip4' && v.unicast
              ? 'ip4 unicast'
              : v.kind;
      const notes = [what];
      if (f.repeated) notes.push('repeated');
      if (f.spec.optional) notes.push('optional');
      L.push(define(fname, hex4(f.tag), notes.join(', ')));
      if (v.kind === 'u16' || v.kind === 'u32' || v.kind === 'u64') {
        const suffix = v.kind === 'u64' ? 'ULL' : 'U';
        L.push(define(`${fname}_MIN`, `${v.min}${suffix}`));
        L.push(define(`${fname}_MAX`, `${v.max}${suffix}`));
      }
      if (f.spec.count) {
        L.push(define(`${fname}_MIN_COUNT`, f.spec.count.min));
        L.push(define(`${fname}_MAX_COUNT`, f.spec.count.max));
      }
    }
  }
  L.push('');
  L.push(
    define('TLV_MAX_CONTAINERS', tlvScopes().get('Manifest')!.byTagId.get(0x0104)!.spec.count!.max),
  );
  const maxOf = (field: string) =>
    tlvScopes()
      .get('Container')!
      .fields.find((f) => f.name === field)!.spec.count!.max;
  L.push(define('TLV_MAX_ROUTES', maxOf('routes')));
  L.push(define('TLV_MAX_PUBLISH', maxOf('publish')));
  L.push(define('TLV_MAX_EGRESS', maxOf('egress_allow')));
  for (const e of schema().enums.values()) {
    L.push('');
    L.push(`/* enum ${e.name} (u8 in the TLV). */`);
    for (const [n, v] of e.values) L.push(define(`TLV_${n}`, v));
    L.push(define(`TLV_${cName(e.name)}_MAX`, Math.max(...e.values.map((x) => x[1]))));
  }
  L.push('');
  L.push(
    '/* Decoder errors (proto/TLV.md, "Errors"); the names are the golden vectors\' error=NAME. */',
  );
  L.push('enum tlv_error {');
  L.push('\tTLV_OK = 0,');
  TLV_ERROR_NAMES.forEach((n, i) => L.push(`\tTLV_E_${n} = ${i + 1},`));
  L.push('};');
  L.push(define('TLV_E_LAST', TLV_ERROR_NAMES.length));
  L.push('/* Initializer for a name table indexed by enum tlv_error. */');
  L.push(
    define(
      'TLV_ERROR_NAMES_INIT',
      '{ "OK", ' + TLV_ERROR_NAMES.map((n) => `"${n}"`).join(', ') + ' }',
    ),
  );
  L.push('');
  L.push('#endif /* D0_TLV_TAGS_H */');
  return L.join('\n') + '\n';
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(HEADER_PATH), { recursive: true });
  fs.writeFileSync(HEADER_PATH, renderTlvHeader());
  console.log(`wrote ${path.relative(process.cwd(), HEADER_PATH)}`);
}
