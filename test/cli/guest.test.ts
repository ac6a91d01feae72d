// `d0 guest build --out DIR`: the guest kernel and PID1 from builder/guest's cache (built there when
// missing: 10-20 minutes on a fresh machine) copied into DIR; bad flags are exit 2 with one line.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { d0 } from '../support/d0-pipeline';

/** True when an ELF64 file has no PT_INTERP program header, i.e. it is statically linked. */
function isStaticElf(file: string): boolean {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(0, 4).toString('latin1'), '\x7fELF', `${file} is not ELF`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

describe('d0 guest build', function () {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-guest-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('bad flags: exit 2 with one line naming the flag, nothing written', async () => {
    fs.writeFileSync(path.join(dir, 'a-file'), 'x');
    const cases: [string[], RegExp][] = [
      [['guest', 'build'], /^usage: d0 guest build --out DIR/],
      [['guest', 'build', '--out', path.join(dir, 'o1'), '--jobs', '0'], /^--jobs: 0 is not 1\.\.256$/],
      [['guest', 'build', '--out', path.join(dir, 'o2'), '--jobs', 'many'], /^--jobs: many is not 1\.\.256$/],
      [['guest', 'build', '--out', path.join(dir, 'a-file')], /a-file: not a directory$/],
      [['guest', 'build', '--out', path.join(dir, 'o3'), 'extra'], /^usage: d0 guest build/],
      [['guest', 'build', '--bogus'], /Unknown option '--bogus'/],
      [['guest', 'kernel'], /^usage: d0 guest build/],
    ];
    for (const [argv, re] of cases) {
      const r = await d0(argv);
      assert.equal(r.code, 2, `d0 ${argv.join(' ')}: exit ${r.code}\n${r.err}`);
      assert.match(r.err.split('\n')[0], re, `d0 ${argv.join(' ')}`);
    }
    assert.deepEqual(fs.readdirSync(dir), ['a-file']);
  });

  it('puts the cached guest kernel and a static PID1 in DIR and prints their paths', async function () {
    this.timeout(45 * 60_000); // a fresh cache builds the kernel
    const out = path.join(dir, 'guest', 'nested');
    const r = await d0(['guest', 'build', '--out', out]);
    assert.equal(r.code, 0, r.err);
    const vmlinuz = path.join(out, 'vmlinuz');
    const init = path.join(out, 'init');
    assert.deepEqual(r.out.split('\n'), [vmlinuz, init]);
    assert.match(r.err, /guest kernel: (cached \([0-9a-f]{12}, built in \d+ s\)|built in \d+ s, \d+ objects)/);
    // The cache entry's bytes, and a bzImage: the setup header's "HdrS" magic at 0x202.
    const cached = await buildGuestKernel();
    assert.ok(fs.readFileSync(vmlinuz).equals(fs.readFileSync(cached.bzImage)));
    assert.equal(fs.readFileSync(vmlinuz).subarray(0x202, 0x206).toString('latin1'), 'HdrS');
    assert.equal(fs.statSync(init).mode & 0o777, 0o755);
    assert.ok(isStaticElf(init), 'PID1 must be static: the image it goes into may have no libc');
    // Again: same files, nothing left behind in DIR.
    const again = await d0(['guest', 'build', '--out', out]);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(fs.readdirSync(out).sort(), ['init', 'vmlinuz']);
  });
});
