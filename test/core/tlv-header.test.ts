// The generated C header and proto/TLV.md's tag table must agree with proto/manifest.proto and the
// value kinds in core/tlv/tags.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HEADER_PATH, renderTlvHeader } from '../../scripts/gen-tlv-header';
import { ROOT_TAG, tlvScopes, type TlvField } from '../../core/tlv/tags';
import { TLV_ERROR_NAMES } from '../../core/tlv/errors';
import { schema } from '../../core/schema';

const TLV_MD = path.join(__dirname, '..', '..', 'proto', 'TLV.md');

/** Rows of the markdown table that follows `## heading`. */
function mdTable(md: string, heading: string): string[][] {
  const start = md.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `TLV.md has no "## ${heading}" section`);
  const rest = md.slice(start + heading.length + 5);
  const section = rest.slice(0, rest.search(/\n## /) >= 0 ? rest.search(/\n## /) : undefined);
  const rows = section.split('\n').filter((l) => l.startsWith('|'));
  return rows.slice(2).map((l) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim()),
  );
}

function checkValueColumn(f: TlvField, col: string, where: string): void {
  const v = f.spec.value;
  const words: Record<string, string> = {
    name: 'name string',
    path: 'path string',
    url: 'url string',
    sha256: '32 bytes',
    uuid7: '16 bytes, a UUID with version 7',
    mac: '6 bytes, unicast',
    ip4cidr: 'ip4cidr',
    bool: 'bool',
    flag: 'flag',
  };
  switch (v.kind) {
    case 'nested':
      assert.equal(col, `nested: ${v.message}`, where);
      return;
    case 'u16':
    case 'u32':
    case 'u64': {
      const full =
        v.kind === 'u16'
          ? [0n, 0xffffn]
          : v.kind === 'u32'
            ? [0n, 0xffffffffn]
            : [0n, (1n << 64n) - 1n];
      const [min, max] = [BigInt(v.min), BigInt(v.max)];
      if (min === max) assert.equal(col, `${v.kind}, must be ${min}`, where);
      else if (min === full[0] && max === full[1]) assert.equal(col, v.kind, where);
      else assert.equal(col, `${v.kind}, ${min}..${max}`, where);
      return;
    }
    case 'u8enum': {
      const m = /^enum u8: (.*)$/.exec(col);
      assert.ok(m, `${where}: "${col}" is not "enum u8: ..."`);
      const listed = m[1].split(', ').map((x) => x.split(' ') as [string, string]);
      const values = schema()
        .enums.get(v.enumName)!
        .values.filter(([name]) => !v.only || v.only.includes(name));
      assert.equal(listed.length, values.length, `${where}: enum value count`);
      listed.forEach(([num, name], i) => {
        assert.equal(Number(num), values[i][1], where);
        assert.ok(values[i][0].endsWith(name), `${where}: ${name} is not ${values[i][0]}`);
      });
      return;
    }
    case 'ip4':
      // A unicast-only ip4 says so in its own words (the row of "ip4 unicast").
      assert.equal(col.startsWith('ip4 unicast'), v.unicast === true, `${where}: "${col}"`);
      assert.ok(col.startsWith('ip4'), `${where}: "${col}" should start with "ip4"`);
      return;
    default:
      assert.ok(
        col.startsWith(words[v.kind]),
        `${where}: "${col}" should start with "${words[v.kind]}"`,
      );
  }
}

describe('generated kernel/include/d0/tlv_tags.h', () => {
  it('is identical to what scripts/gen-tlv-header.ts renders from proto/manifest.proto', () => {
    const committed = fs.readFileSync(HEADER_PATH, 'utf8');
    assert.equal(
      committed,
      renderTlvHeader(),
      'stale header: run npx tsx scripts/gen-tlv-header.ts',
    );
  });

  it('carries the documented anchor values', () => {
    const h = renderTlvHeader();
    for (const re of [
      /#define TLV_CONTAINER_MEM_MB\s+0x8503\b/,
      /#define TLV_MANIFEST_ROOT\s+0x8001\b/,
      /#define TLV_CRITICAL\s+0x8000\b/,
      /#define TLV_MAX_BYTES\s+65536\b/,
      /#define TLV_MAX_CONTAINERS\s+64\b/,
      /#define TLV_MAX_ROUTES\s+16\b/,
      /#define TLV_MAX_PUBLISH\s+16\b/,
      /#define TLV_MAX_EGRESS\s+16\b/,
      /#define TLV_IP_PROTO_UDP\s+17\b/,
      /#define TLV_CONTAINER_PUBLISH\s+0x850F\b/,
      /#define TLV_MANIFEST_UPDATE\s+0x8105\b/,
      /#define TLV_MANIFEST_LOADER\s+0x8106\b/,
      /#define TLV_UPDATE_URL\s+0x8A01\b/,
      /#define TLV_UPDATE_TIMEOUT_S_MAX\s+600U\b/,
      /#define TLV_LOADER_SIZE_MAX\s+67108864ULL\b/,
      /#define TLV_URL_MAX_LEN\s+200\b/,
      /#define TLV_MANIFEST_REPORT\s+0x8107\b/,
      /#define TLV_SCOPE_REPORT\s+0x000C\b/,
      /#define TLV_REPORT_COLLECTOR_IP4\s+0x8C01\s+\/\* ip4 unicast \*\//,
      /#define TLV_REPORT_COLLECTOR_PORT_MAX\s+65535U\b/,
      /TLV_E_OVERSIZE = 1,/,
      /TLV_E_COUNT = 12,/,
      /generated from proto\/manifest\.proto by scripts\/gen-tlv-header\.ts; do not edit/,
    ]) {
      assert.match(h, re);
    }
  });
});

describe('proto/TLV.md', () => {
  const md = fs.readFileSync(TLV_MD, 'utf8');

  it('tag table lists exactly the tags derived from the proto, with matching kinds', () => {
    const rows = mdTable(md, 'Tags');
    const derived = new Map<number, TlvField>();
    for (const s of tlvScopes().values()) for (const f of s.fields) derived.set(f.tag, f);
    const seen = new Set<number>();
    for (const [tagText, field, value] of rows) {
      const tag = parseInt(tagText, 16);
      if (tag === ROOT_TAG) {
        assert.match(field, /^MANIFEST \(root\)$/);
        assert.equal(value, 'nested: Manifest');
        continue;
      }
      const f = derived.get(tag);
      assert.ok(f, `TLV.md lists ${tagText} (${field}) but the proto derives no such tag`);
      const where = `TLV.md row ${tagText}`;
      assert.equal(field.split(' ')[0], `${f.message}.${f.name}`, where);
      if (!f.repeated)
        assert.equal(
          /\(optional\b/.test(field),
          f.spec.optional === true,
          `${where}: optional marker`,
        );
      if (f.spec.count)
        assert.ok(field.includes(`repeated, ${f.spec.count.min}..${f.spec.count.max}`), where);
      checkValueColumn(f, value, where);
      seen.add(tag);
    }
    for (const [tag, f] of derived) {
      assert.ok(
        seen.has(tag),
        `proto field ${f.message}.${f.name} (0x${tag.toString(16)}) missing from TLV.md`,
      );
    }
  });

  it('error table matches the stable error names and numbers', () => {
    const rows = mdTable(md, 'Errors');
    assert.deepEqual(
      rows.map((r) => [Number(r[0]), r[1]]),
      TLV_ERROR_NAMES.map((n, i) => [i + 1, n]),
    );
  });
});
