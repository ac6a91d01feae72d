// The golden manifest vectors (test/vectors/manifest/) are what scripts/gen-vectors.ts renders, and
// the TypeScript decoder gives exactly each vector's .expect. The C decoder runs the same files.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VECTOR_DIR, KEY_DIR, vectorFiles } from '../../scripts/gen-vectors';
import { decodeManifest, decodeManifestDetailed } from '../../core/tlv/decode';
import { dumpManifest } from '../../core/tlv/dump';
import { encodeManifest } from '../../core/tlv/encode';
import { TlvError, TLV_ERROR_NAMES } from '../../core/tlv/errors';
import { verifyManifest } from '../../core/sign';

const names = fs
  .readdirSync(VECTOR_DIR)
  .filter((f) => f.endsWith('.tlv'))
  .map((f) => f.slice(0, -4))
  .sort();
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(VECTOR_DIR, f)));
const pub = new Uint8Array(fs.readFileSync(path.join(KEY_DIR, 'rfc8032-test1.pub')));

describe('golden manifest vectors', () => {
  it('are exactly what scripts/gen-vectors.ts renders (no stale, missing or extra file)', () => {
    const want = vectorFiles();
    const have = new Set([
      ...fs.readdirSync(VECTOR_DIR).map((f) => `manifest/${f}`),
      ...fs.readdirSync(KEY_DIR).map((f) => `keys/${f}`),
    ]);
    assert.deepEqual([...have].sort(), [...want.keys()].sort());
    for (const [rel, bytes] of want) {
      const onDisk = new Uint8Array(fs.readFileSync(path.join(path.dirname(VECTOR_DIR), rel)));
      assert.ok(
        Buffer.from(onDisk).equals(Buffer.from(bytes)),
        `${rel} differs: run npx tsx scripts/gen-vectors.ts`,
      );
    }
  });

  it('cover every error class of proto/TLV.md and at least 3 valid manifests', () => {
    const codes = new Set(
      names
        .map((n) => fs.readFileSync(path.join(VECTOR_DIR, `${n}.expect`), 'utf8'))
        .filter((e) => e.startsWith('error='))
        .map((e) => e.trim().slice(6)),
    );
    assert.deepEqual([...codes].sort(), [...TLV_ERROR_NAMES].sort());
    assert.ok(names.filter((n) => n.startsWith('valid-')).length >= 3);
  });

  it('decoder errors name the field path, the tag and the byte offset', () => {
    const cases: [string, RegExp][] = [
      [
        'invalid-value-range-mem',
        /^VALUE at byte \d+: containers\[web\]\.mem_mb \(0x8503\): 8 is outside 16\.\.65536$/,
      ],
      [
        'invalid-unknown-critical',
        /^UNKNOWN_CRITICAL at byte \d+: unknown critical tag 0x857f in containers\[web\]$/,
      ],
      [
        'invalid-missing-field',
        /^MISSING at byte 6: header\.security_epoch \(0x8204\) is required/,
      ],
      [
        'invalid-value-url-https',
        /^VALUE at byte \d+: update\.url \(0x8a01\): "https:\/\/[^"]+" must start with http:\/\//,
      ],
      [
        'invalid-bad-length-url-201',
        /^BAD_LENGTH at byte \d+: update\.url \(0x8a01\): url string is 1\.\.200 bytes, got 201$/,
      ],
      [
        'invalid-missing-update-timeout',
        /^MISSING at byte \d+: update\.timeout_s \(0x8a02\) is required in update$/,
      ],
      [
        'invalid-value-loader-size-over',
        /^VALUE at byte \d+: loader\.size \(0x8b02\): 67108865 is outside 1\.\.67108864$/,
      ],
      [
        'invalid-value-report-collector-loopback',
        /^VALUE at byte \d+: report\.collector_ip4 \(0x8c01\): 127\.0\.0\.1 is a loopback address \(127\/8\), not a unicast one$/,
      ],
      [
        'invalid-value-report-port-0',
        /^VALUE at byte \d+: report\.collector_port \(0x8c02\): 0 is outside 1\.\.65535$/,
      ],
      [
        'invalid-missing-report-port',
        /^MISSING at byte \d+: report\.collector_port \(0x8c02\) is required in report$/,
      ],
    ];
    for (const [name, re] of cases) {
      assert.throws(
        () => decodeManifest(read(`${name}.tlv`)),
        (e: unknown) => e instanceof TlvError && re.test(e.message) && e.offset >= 0,
        name,
      );
    }
  });

  for (const name of names) {
    const expect = () => fs.readFileSync(path.join(VECTOR_DIR, `${name}.expect`), 'utf8');
    if (name.startsWith('invalid-')) {
      it(`${name} is refused with its error class`, () => {
        const code = /^error=([A-Z_]+)\n$/.exec(expect())?.[1];
        assert.ok(code, `${name}.expect is not error=NAME`);
        assert.throws(
          () => decodeManifest(read(`${name}.tlv`)),
          (e: unknown) => e instanceof TlvError && e.code === code && e.message.length > 0,
        );
      });
    } else {
      it(`${name} decodes to its dump, re-encodes canonically and its signature verifies`, () => {
        const tlv = read(`${name}.tlv`);
        const { manifest, skipped } = decodeManifestDetailed(tlv);
        assert.equal(dumpManifest(manifest), expect());
        const again = encodeManifest(manifest);
        if (skipped === 0)
          assert.ok(Buffer.from(again).equals(Buffer.from(tlv)), 'encode(decode(b)) != b');
        else assert.ok(again.length < tlv.length, 'skipped records are not re-emitted');
        assert.equal(verifyManifest(read(`${name}.sig`), tlv, pub), true);
      });
    }
  }
});
