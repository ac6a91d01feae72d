// `d0 manifest pcr BUILD_DIR|FILE.tlv`: the event lines and the predicted SHA-256 PCR 12 value
// (known answer: test/core/measure.test.ts), exactly the golden files of test/vectors/measure that
// D0's C side is checked against (test/kernel/measure.test.ts), and clear errors for a directory without exactly one
// manifest or a file that is not one.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'cli', 'd0.js');
const VECTOR = path.join(ROOT, 'test', 'vectors', 'manifest', 'valid-minimal.tlv');
const UUID = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
const VALUE = '219146a5abb58ead6a27c4a8989192f9e519896eb3ab6a6055c78eecaaa7aa44';

const d0 = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'manifest', 'pcr', ...args], { encoding: 'utf8' });

describe('d0 manifest pcr', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-pcr-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prints each event and the value for a build directory and for the file itself', () => {
    const dir = path.join(tmp, 'build');
    fs.mkdirSync(dir);
    fs.copyFileSync(VECTOR, path.join(dir, `manifest-${UUID}.tlv`));
    fs.writeFileSync(path.join(dir, 'other.tlv'), 'not a manifest name');
    for (const arg of [dir, VECTOR]) {
      const r = d0(arg);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 4, r.stdout);
      assert.match(lines[0], new RegExp(`^# event 1: d0 manifest ${UUID}  measured [0-9a-f]{64}$`));
      assert.match(lines[2], /^# event 3: d0 disk web /);
      assert.equal(lines[3], `sha256:12 ${VALUE}`);
    }
  });

  for (const name of ['valid-minimal', 'valid-64-containers'])
    it(`prints test/vectors/measure/${name}.expect for ${name}.tlv`, () => {
      const r = d0(path.join(ROOT, 'test', 'vectors', 'manifest', `${name}.tlv`));
      assert.equal(r.status, 0, r.stderr);
      const expect = fs.readFileSync(
        path.join(ROOT, 'test', 'vectors', 'measure', `${name}.expect`),
        'utf8',
      );
      assert.equal(r.stdout, expect);
    });

  it('refuses a directory without exactly one manifest, naming it', () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const r = d0(empty);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${empty}: no manifest-<uuid>\\.tlv files`));
    const two = path.join(tmp, 'two');
    fs.mkdirSync(two);
    fs.copyFileSync(VECTOR, path.join(two, `manifest-${UUID}.tlv`));
    fs.copyFileSync(VECTOR, path.join(two, 'manifest-017f22e2-79b0-7cc3-98c4-dc0c0c073990.tlv'));
    const r2 = d0(two);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /2 manifest-<uuid>\.tlv files; a build directory holds exactly one/);
  });

  it('refuses a file that is not a manifest, and a missing path, naming them', () => {
    const junk = path.join(tmp, 'junk.tlv');
    fs.writeFileSync(junk, Buffer.from([1, 2, 3]));
    const r = d0(junk);
    assert.equal(r.status, 2);
    assert.ok(r.stderr.includes(junk), r.stderr);
    const r2 = d0(path.join(tmp, 'nope'));
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /nope: no such build directory or manifest file/);
  });
});
