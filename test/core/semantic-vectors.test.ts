// The semantic rules of proto/SEMANTICS.md in TypeScript (core/manifest/semantic.ts) against the
// signed golden vectors of test/vectors/semantic/, which the C rules (kernel/manifest/semantic.c,
// test/kernel/semantic.test.ts) read too; the epoch ceiling with and without a known floor; and
// validateManifest refusing what D0 would refuse.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEMANTIC_DIR, semanticVectorFiles } from '../../scripts/gen-semantic-vectors';
import { KEY_DIR, MINIMAL, VECTOR_DIR } from '../../scripts/gen-vectors';
import { semanticProblems, type SemanticCode } from '../../core/manifest/semantic';
import { validateManifest } from '../../core/manifest/validate';
import { decodeManifest } from '../../core/tlv/decode';
import { verifyManifest } from '../../core/sign';
import type { Manifest } from '../../core/schema';

const pub = new Uint8Array(fs.readFileSync(path.join(KEY_DIR, 'rfc8032-test1.pub')));
const names = fs
  .readdirSync(SEMANTIC_DIR)
  .filter((f) => f.endsWith('.tlv'))
  .map((f) => f.slice(0, -4))
  .sort();
const read = (f: string) => new Uint8Array(fs.readFileSync(path.join(SEMANTIC_DIR, f)));
const first = (m: Manifest, epochFloor?: bigint) => semanticProblems(m, { epochFloor })[0];

describe('semantic rules (proto/SEMANTICS.md)', () => {
  it('vectors are exactly what scripts/gen-semantic-vectors.ts renders', () => {
    const want = semanticVectorFiles();
    assert.deepEqual(fs.readdirSync(SEMANTIC_DIR).sort(), [...want.keys()].sort());
    for (const [f, bytes] of want)
      assert.ok(
        Buffer.from(read(f)).equals(Buffer.from(bytes)),
        `${f} differs: run npx tsx scripts/gen-semantic-vectors.ts`,
      );
  });

  it('every vector is signed, decodes, and gives its .expect at floor 0', () => {
    assert.ok(names.length >= 40);
    for (const n of names) {
      const tlv = read(`${n}.tlv`);
      assert.ok(verifyManifest(read(`${n}.sig`), tlv, pub), `${n}: signature`);
      const p = first(decodeManifest(tlv), 0n);
      const got = p ? `error=${p.code} at=${p.at}\n` : 'ok\n';
      assert.equal(got, fs.readFileSync(path.join(SEMANTIC_DIR, `${n}.expect`), 'utf8'), n);
      assert.equal(n.startsWith('valid-'), got === 'ok\n', `${n}: name matches outcome`);
    }
  });

  it('the vectors cover every rule name', () => {
    const codes = new Set(
      names
        .map((n) => fs.readFileSync(path.join(SEMANTIC_DIR, `${n}.expect`), 'utf8'))
        .filter((e) => e.startsWith('error='))
        .map((e) => /^error=(\S+)/.exec(e)![1]),
    );
    const all: SemanticCode[] = [
      'SEMANTIC_EPOCH_CEILING',
      'SEMANTIC_BRIDGE_PREFIX',
      'SEMANTIC_RESERVED_ADDRESS',
      'SEMANTIC_UPLINK_INCOMPLETE',
      'SEMANTIC_UPLINK_PREFIX',
      'SEMANTIC_UPLINK_OVERLAP',
      'SEMANTIC_OUTSIDE_SUBNET',
      'SEMANTIC_OWN_ADDRESS',
      'SEMANTIC_RESERVED_PATH',
      'SEMANTIC_RESERVED_MAC',
      'SEMANTIC_HOST_BITS',
      'SEMANTIC_PUBLISH_NO_UPLINK',
      'SEMANTIC_DUPLICATE_PORT',
      'SEMANTIC_EGRESS_UNRESTRICTED',
      'SEMANTIC_EGRESS_PORTS',
      'SEMANTIC_RATE_LIMIT',
      'SEMANTIC_DUPLICATE_MAC',
      'SEMANTIC_DUPLICATE_IP4',
      'SEMANTIC_DUPLICATE_BOOT_ORDER',
      'SEMANTIC_DUPLICATE_DISK_PATH',
      'SEMANTIC_REPORT_NO_UPLINK',
    ];
    assert.deepEqual([...codes].sort(), [...all].sort());
  });

  it('every valid decoder vector passes the semantic rules', () => {
    const valid = fs.readdirSync(VECTOR_DIR).filter((f) => /^valid-.*\.tlv$/.test(f));
    assert.ok(valid.length >= 5);
    for (const f of valid) {
      const m = decodeManifest(new Uint8Array(fs.readFileSync(path.join(VECTOR_DIR, f))));
      assert.deepEqual(semanticProblems(m, { epochFloor: 0n }), [], f);
    }
  });

  it('lists every broken rule in D0 order, the first being D0 refusal', () => {
    const m = decodeManifest(read('invalid-issue-example.tlv'));
    const codes = semanticProblems(m, { epochFloor: 0n }).map((p) => `${p.code} ${p.path}`);
    assert.deepEqual(codes, [
      'SEMANTIC_EPOCH_CEILING header.security_epoch',
      'SEMANTIC_RESERVED_PATH containers[web].disk_path',
      'SEMANTIC_OUTSIDE_SUBNET containers[web].gw4',
      'SEMANTIC_DUPLICATE_IP4 containers[zz].ip4',
    ]);
    // The report's rule comes after every container's.
    const r = decodeManifest(read('invalid-order-duplicate-before-report.tlv'));
    assert.deepEqual(
      semanticProblems(r, { epochFloor: 0n }).map((p) => `${p.code} ${p.path}`),
      ['SEMANTIC_DUPLICATE_MAC containers[zz].mac', 'SEMANTIC_REPORT_NO_UPLINK report'],
    );
  });

  it('epoch ceiling: floor + 2^16 when the floor is known, 2^48 when it is not', () => {
    const at = (epoch: string, floor?: bigint) =>
      first({ ...MINIMAL, header: { ...MINIMAL.header, security_epoch: epoch } }, floor)?.code;
    assert.equal(at('65536', 0n), undefined);
    assert.equal(at('65537', 0n), 'SEMANTIC_EPOCH_CEILING');
    assert.equal(at('1065536', 1000000n), undefined);
    assert.equal(at('1065537', 1000000n), 'SEMANTIC_EPOCH_CEILING');
    assert.equal(at('18446744073709551615', 18446744073709551615n - 65536n), undefined);
    assert.equal(at(String(2n ** 48n)), undefined);
    assert.equal(at(String(2n ** 48n + 1n)), 'SEMANTIC_EPOCH_CEILING');
    assert.equal(at('18446744073709551615'), 'SEMANTIC_EPOCH_CEILING');
  });

  it('validateManifest refuses what D0 would: a disk path naming D0 itself, a pinning epoch', () => {
    const input = JSON.parse(JSON.stringify(MINIMAL)) as Manifest;
    input.containers[0].disk_path = 'EFI/BOOT/BOOTX64.EFI';
    const r = validateManifest(input);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.path]),
      [['SEMANTIC_RESERVED_PATH', 'containers[web].disk_path']],
    );
    const e = validateManifest({ ...MINIMAL }, { security_epoch: '18446744073709551615' });
    assert.deepEqual(
      e.problems.map((p) => [p.code, p.path]),
      [['SEMANTIC_EPOCH_CEILING', 'header.security_epoch']],
    );
    assert.deepEqual(validateManifest(JSON.parse(JSON.stringify(MINIMAL))).problems, []);
    // Reported with the input's other problems (not only once everything else is right).
    const both = JSON.parse(JSON.stringify(MINIMAL)) as Manifest;
    both.containers[0].disk_path = 'efi/boot/bootx64.efi';
    both.guest_kernel.path = `manifest-${MINIMAL.header.build_uuid}.sig`;
    both.containers[0].mem_mb = 8;
    assert.deepEqual(
      validateManifest(both)
        .problems.map((p) => `${p.code} ${p.path}`)
        .sort(),
      [
        'INVALID containers[web].mem_mb',
        'SEMANTIC_RESERVED_PATH containers[web].disk_path',
        'SEMANTIC_RESERVED_PATH guest_kernel.path',
      ],
    );
  });
});
