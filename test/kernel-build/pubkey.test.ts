// The public key is compiled in from a key file; a malformed file is refused with the reason,
// before anything is compiled, and no image is produced.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKernel, KernelKeyError } from '../../builder/d0-efi';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';

const GOOD = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

function make(dir: string, pubkey: string | undefined) {
  const build = path.join(dir, 'build');
  const args = ['-C', KERNEL_DIR, '--no-print-directory', `BUILD=${build}`];
  if (pubkey !== undefined) args.push(`PUBKEY=${pubkey}`);
  const r = spawnSync('make', args, { encoding: 'utf8' });
  return {
    status: r.status,
    stderr: r.stderr,
    efi: fs.existsSync(path.join(build, 'efi', 'BOOTX64.EFI')),
    objs: fs.existsSync(path.join(build, 'obj')),
  };
}

describe('kernel build: the compiled-in public key', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-pubkey-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const refused: Array<[string, string, RegExp]> = [
    ['too short', 'abcd\n', /expected 64 hex digits and a newline \(65 bytes\), found 5 bytes/],
    ['no trailing newline', GOOD, /found 64 bytes/],
    ['a non-hex digit', GOOD.slice(0, 63) + 'g\n', /expected 64 hex digits/],
    [
      'two lines',
      GOOD.slice(0, 31) + '\n' + GOOD.slice(0, 32) + '\n',
      /expected 64 hex digits|one line/,
    ],
    ['CRLF line ending', GOOD + '\r\n', /found 66 bytes/],
  ];
  for (const [what, content, message] of refused) {
    it(`refuses a key file with ${what}, names the file, and compiles nothing`, () => {
      const key = path.join(dir, 'signing.pub');
      fs.writeFileSync(key, content);
      const r = make(dir, key);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, message);
      assert.ok(r.stderr.includes(`PUBKEY=${key}`), r.stderr);
      assert.equal(r.efi, false);
      assert.equal(r.objs, false, 'objects were compiled despite the bad key');
    });
  }

  it('refuses a missing key file', () => {
    const r = make(dir, path.join(dir, 'nope.pub'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /nope\.pub: no such file/);
    assert.equal(r.efi, false);
  });

  it('refuses to build without PUBKEY (there is no default key)', () => {
    const r = make(dir, undefined);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /PUBKEY is required/);
    assert.equal(r.efi, false);
  });

  it('buildKernel() refuses a malformed publicKeyHex before building', async () => {
    const outFile = path.join(dir, 'BOOTX64.EFI');
    for (const bad of ['', GOOD.slice(1), GOOD + '00', 'z'.repeat(64)]) {
      await assert.rejects(
        buildKernel({ publicKeyHex: bad, outFile, mode: 'host' }),
        (e: unknown) => {
          assert.ok(e instanceof KernelKeyError);
          assert.equal(e.code, 'KERNEL_BAD_PUBLIC_KEY');
          assert.match(e.message, /^publicKeyHex: expected 64 hex digits/);
          return true;
        },
      );
      assert.equal(fs.existsSync(outFile), false);
    }
  });
});
