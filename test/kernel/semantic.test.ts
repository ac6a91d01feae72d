// kernel/manifest/semantic.c on the host: D0's semantic rules against the signed golden vectors of
// test/vectors/semantic/ (the same files core/manifest/semantic.ts is tested with), and a wrong
// .expect is reported by name instead of passing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, TEST_PUB, bin, build, run, summary } from './host-build';

const DIR = path.join(REPO, 'test/vectors/semantic');

describe('kernel semantic rules (host build)', function () {
  this.timeout(10 * 60_000);
  before(() => build('all'));

  it('gives every vector its .expect: the same first error and place as the TypeScript rules', async () => {
    const r = await run(bin('test_semantic'), [DIR, TEST_PUB], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(summary(r.stdout, 'semantic').failed, 0);
    const n = fs.readdirSync(DIR).filter((f) => f.endsWith('.tlv')).length;
    const refused = fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.expect') && fs.readFileSync(path.join(DIR, f), 'utf8').startsWith('error='))
      .length;
    assert.ok(refused >= 40, `${refused} refusing vectors`);
    assert.match(r.stdout, new RegExp(`^semantic vectors: ${n} \\(${refused} refused\\)$`, 'm'));
  });

  it('fails, naming the vector, when an .expect disagrees', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-semantic-'));
    try {
      for (const f of fs.readdirSync(DIR)) fs.copyFileSync(path.join(DIR, f), path.join(dir, f));
      fs.writeFileSync(path.join(dir, 'invalid-duplicate-ip4.expect'), 'ok\n');
      fs.writeFileSync(
        path.join(dir, 'valid-minimal.expect'),
        'error=SEMANTIC_DUPLICATE_MAC at=containers[web].mac\n',
      );
      const r = await run(bin('test_semantic'), [dir, TEST_PUB], 120_000);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /invalid-duplicate-ip4: semantic check differs/);
      assert.match(r.stderr, /valid-minimal: semantic check differs/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
