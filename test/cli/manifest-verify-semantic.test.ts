// `d0 manifest verify` applies D0's semantic rules (proto/SEMANTICS.md) to a signed manifest: a
// vector of test/vectors/semantic/ that D0 refuses is "not verified" with the rule's name and
// place, the epoch ceiling counts from --floor when given (2^48 absolute otherwise), and a bad
// --floor is a usage error.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'cli', 'd0.js');
const DIR = path.join(ROOT, 'test', 'vectors', 'semantic');

describe('d0 manifest verify: semantic rules', function () {
  this.timeout(120_000);
  let pub: string;
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-verify-sem-'));
    pub = path.join(tmp, 'test1.pub');
    const raw = fs.readFileSync(path.join(ROOT, 'test/vectors/keys/rfc8032-test1.pub'));
    fs.writeFileSync(pub, `${raw.toString('hex')}\n`);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const verify = (name: string, ...extra: string[]) => {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'manifest',
        'verify',
        path.join(DIR, `${name}.tlv`),
        '--sig',
        path.join(DIR, `${name}.sig`),
        '--pub',
        pub,
        ...extra,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('verifies a semantically sound manifest', () => {
    const r = verify('valid-two-containers-uplink');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'verified\n');
  });

  it('refuses a signed manifest D0 would refuse, naming the rule and the place', () => {
    const r = verify('invalid-duplicate-ip4');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /not verified: signed, but D0 would refuse it: SEMANTIC_DUPLICATE_IP4 at containers\[zz\]\.ip4: /,
    );
    const many = verify('invalid-issue-example');
    assert.equal(many.code, 1);
    assert.match(many.stderr, /refuse it: SEMANTIC_EPOCH_CEILING at header\.security_epoch/);
    assert.match(many.stderr, /also SEMANTIC_RESERVED_PATH at containers\[web\]\.disk_path/);
    assert.match(many.stderr, /also SEMANTIC_DUPLICATE_IP4 at containers\[zz\]\.ip4/);
  });

  it('counts the epoch ceiling from --floor', () => {
    // security_epoch 65537: past floor 0 + 2^16, within floor 1 + 2^16 and the absolute 2^48.
    assert.equal(verify('invalid-epoch-ceiling-plus-one').code, 0);
    assert.equal(verify('invalid-epoch-ceiling-plus-one', '--floor', '1').code, 0);
    const r = verify('invalid-epoch-ceiling-plus-one', '--floor', '0');
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /SEMANTIC_EPOCH_CEILING at header\.security_epoch: 65537 is over the floor 0 \+ 65536/,
    );
    assert.equal(verify('invalid-epoch-max').code, 1, 'the absolute ceiling without --floor');
  });

  it('a bad --floor is a usage error naming the flag', () => {
    for (const bad of ['-1', 'ten', '18446744073709551616']) {
      const r = verify('valid-minimal', '--floor', bad);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--floor/);
    }
  });
});
