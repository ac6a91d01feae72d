// The manifest's update and loader (optional messages): accepted, normalized, encoded and decoded
// back unchanged; absent, nothing is encoded for them; every broken field reported at its path.
import { strict as assert } from 'node:assert';
import { validateManifest } from '../../core/manifest/validate';
import { decodeManifest } from '../../core/tlv/decode';
import { dumpManifest } from '../../core/tlv/dump';
import { encodeManifest } from '../../core/tlv/encode';
import { uuidv7 } from '../../core/uuid';

const BUILD = {
  build: { build_uuid: uuidv7(1700000000000, new Uint8Array(16).fill(1)), timestamp_ms: 1 },
};
const SHA = 'ab'.repeat(32);
const URL = 'http://updates.example.net:8080/d0/site-a/';

function site(extra: Record<string, unknown>) {
  return {
    header: { security_epoch: 1 },
    network: { bridge_ip4: '10.20.0.1/24', egress_nat: false },
    guest_kernel: { sha256: SHA, size: 1000 },
    containers: [
      {
        name: 'web',
        vcpu: 1,
        mem_mb: 64,
        disk_sha256: SHA,
        disk_size: 4096,
        ip4: '10.20.0.10/24',
        boot_order: 1,
        health_timeout_s: 30,
      },
    ],
    ...extra,
  };
}

function problems(extra: Record<string, unknown>): string[] {
  const r = validateManifest(site(extra), BUILD);
  assert.equal(r.manifest, undefined, 'a manifest despite problems');
  return r.problems.map((p) => `${p.code} ${p.path}: ${p.message}`);
}

describe('core/manifest/validate: update and loader', () => {
  it('accepts both, normalizes the digest and the size, and round-trips them after the containers', () => {
    const r = validateManifest(
      site({
        update: { url: URL, timeout_s: 600 },
        loader: { sha256: SHA.toUpperCase(), size: 67108864 },
      }),
      BUILD,
    );
    assert.deepEqual(r.problems, []);
    const m = r.manifest!;
    assert.deepEqual(m.update, { url: URL, timeout_s: 600 });
    assert.deepEqual(m.loader, { sha256: SHA, size: '67108864' });
    const back = decodeManifest(encodeManifest(m));
    assert.deepEqual(back.update, m.update);
    assert.deepEqual(back.loader, m.loader);
    assert.match(
      dumpManifest(back),
      new RegExp(
        `containers\\[web\\]\\.health=HEALTH_READY\\nupdate\\.url=${URL}\\nupdate\\.timeout_s=600\\n` +
          `loader\\.sha256=${SHA}\\nloader\\.size=67108864\\n$`,
      ),
    );
  });

  it('each alone; absent, nothing is encoded for them', () => {
    for (const extra of [
      { update: { url: 'http://10.0.2.2/', timeout_s: 1 } },
      { loader: { sha256: SHA, size: '1' } },
    ]) {
      const r = validateManifest(site(extra), BUILD);
      assert.deepEqual(r.problems, []);
      const back = decodeManifest(encodeManifest(r.manifest!));
      assert.deepEqual(Object.keys(back).sort(), Object.keys(r.manifest!).sort());
    }
    const r = validateManifest(site({}), BUILD);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(Object.keys(r.manifest!).sort(), [
      'containers',
      'guest_kernel',
      'header',
      'network',
    ]);
  });

  it('reports a bad url at update.url, naming what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['https://updates.example.net/d0/', /must start with http:\/\//],
      ['http://Updates.example.net/d0/', /host label "Updates"/],
      ['http://updates.example.net/d0', /path must end with \//],
      ['http://updates.example.net/d0/../x/', /path has an empty, "\." or "\.\." component/],
      ['http://updates.example.net:0/', /port "0"/],
      ['http://updates.example.net:65536/', /port "65536"/],
      ['http://10.0.2.02/', /not a dotted quad/],
      ['http://updates..example.net/', /empty label/],
      [`http://example.net/${'p'.repeat(182)}/`, /must be 1\.\.200 characters/],
    ];
    for (const [url, why] of cases) {
      const ps = problems({ update: { url, timeout_s: 60 } });
      assert.equal(ps.length, 1, ps.join('\n'));
      assert.ok(ps[0].startsWith('INVALID update.url: '), ps[0]);
      assert.match(ps[0], why);
    }
  });

  it('reports each field of update and loader at its path', () => {
    const ps = problems({
      update: { timeout_s: 601, retries: 3 },
      loader: { sha256: 'abc', size: 67108865 },
    });
    assert.deepEqual(ps.sort(), [
      'INVALID loader.sha256: abc is not a SHA-256 digest (64 hex digits)',
      'INVALID loader.size: 67108865 is outside 1..67108864',
      'INVALID update.timeout_s: 601 is outside 1..600',
      'REQUIRED update.url: is required',
      'UNKNOWN_FIELD update.retries: unknown field (the Update fields are url, timeout_s)',
    ]);
    assert.deepEqual(
      problems({ update: { url: URL, timeout_s: 0 }, loader: { sha256: SHA, size: 0 } }).sort(),
      [
        'INVALID loader.size: 0 is outside 1..67108864',
        'INVALID update.timeout_s: 0 is outside 1..600',
      ],
    );
    assert.deepEqual(problems({ update: { url: URL }, loader: { size: 1 } }).sort(), [
      'REQUIRED loader.sha256: is required',
      'REQUIRED update.timeout_s: is required',
    ]);
    assert.deepEqual(problems({ update: 'http://x/', loader: [] }).sort(), [
      'INVALID loader: is not an object',
      'INVALID update: is not an object',
    ]);
  });

  it('names update and loader among the manifest fields', () => {
    assert.deepEqual(problems({ updates: {} }), [
      'UNKNOWN_FIELD updates: unknown field (expected header, network, guest_kernel, containers, update, loader, report)',
    ]);
  });
});
