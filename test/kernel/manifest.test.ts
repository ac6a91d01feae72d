// kernel/manifest on the host: the C decoder against every golden vector shared with the
// TypeScript decoder (identical dump or error name, signature under the RFC 8032 TEST 1 key),
// every single-bit flip of a small valid vector, error offsets and the dump's buffer bound.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_PUB, VECTORS, bin, build, listVectors, run, summary } from './host-build';

describe('kernel manifest parser (host build)', function () {
  this.timeout(10 * 60_000);
  before(() => build('all'));

  it('agrees with every golden vector and rejects every bit flip of valid-minimal', async () => {
    const r = await run(bin('test_manifest'), [VECTORS, TEST_PUB], 300_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(summary(r.stdout, 'manifest').failed, 0);
    const tlvs = listVectors('.tlv').length;
    const sigs = listVectors('.sig').length;
    assert.ok(tlvs >= 12 + 3, 'one vector per error class and the valid ones');
    assert.match(r.stdout, new RegExp(`^golden vectors: ${tlvs} \\(${sigs} signed\\)$`, 'm'));
    const flips = /^bit flips: (\d+) of valid-minimal \((\d+) bytes\)$/m.exec(r.stdout);
    assert.ok(flips, r.stdout);
    assert.equal(Number(flips[1]), Number(flips[2]) * 8);
  });

  it('fails, naming the vector, when an .expect disagrees with the decoder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-vectors-'));
    try {
      for (const f of fs.readdirSync(VECTORS)) fs.copyFileSync(path.join(VECTORS, f), path.join(dir, f));
      const expect = path.join(dir, 'valid-several.expect');
      fs.writeFileSync(expect, fs.readFileSync(expect, 'utf8').replace('mem_mb=512', 'mem_mb=513'));
      fs.writeFileSync(path.join(dir, 'invalid-trailing.expect'), 'error=TRUNCATED\n');
      const r = await run(bin('test_manifest'), [dir, TEST_PUB], 300_000);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /valid-several: decoder output differs/);
      assert.match(r.stderr, /invalid-trailing: decoder output differs/);
      assert.equal(summary(r.stdout, 'manifest').failed, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad public key file instead of passing vacuously', async () => {
    const r = await run(bin('test_manifest'), [VECTORS, path.join(VECTORS, 'valid-minimal.expect')], 60_000);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a 32-byte public key/);
  });
});
