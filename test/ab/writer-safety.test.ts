// The A/B writer's safety around the write itself: one writer at a time on a disk (a live holder
// makes a second `d0 disk write` or an EspSlotWriter fail at once, naming the holder, with the
// disk untouched; a holder that died mid-write leaves a stale lock the next writer takes over),
// and `d0 disk build` is atomic (killed at any of 12 points of its run, it leaves no file at
// --out, or the whole disk).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { lockPath } from '../../builder/disk/lock';
import { partitionFiles, slotPartitions } from '../../builder/disk/slots';
import { verifySlot } from '../../builder/disk/slot-verify';
import { formatPublicKeyFile } from '../../core/sign';
import * as writerImpl from '../../provider/impl/esp-slot-writer';
import { makeBuild, sharedFixture, type AbFixture } from './support';

const ROOT = path.join(__dirname, '..', '..');
const d0 = (args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'cli', 'd0.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

/** A process that takes the disk's lock like a writer in the middle of its write, and holds it. */
async function holder(disk: string): Promise<ChildProcess> {
  const code = `require('tsx/cjs'); require(${JSON.stringify(path.join(ROOT, 'builder/disk/lock.ts'))}).lockTarget(process.argv[1]); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code, disk], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => (b.toString().includes('locked') ? resolve() : undefined));
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return child;
}

describe('ab: one writer at a time, and an atomic disk build', function () {
  this.timeout(600_000);
  let fx: AbFixture;
  let dir: string;
  let pub: string;

  before(async () => {
    fx = await sharedFixture();
    dir = fs.mkdtempSync(path.join(fx.dir, 'safety-'));
    pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
  });

  it('a second writer fails at once naming the holder; the disk is untouched; a dead holder\'s lock is taken over', async () => {
    const u1 = makeBuild(fx, 'lock-u1');
    const u2 = makeBuild(fx, 'lock-u2');
    const disk = path.join(dir, 'locked.img');
    let r = d0(['disk', 'build', '--slot-a', u1.dir, '--out', disk, '--pub', pub]);
    assert.equal(r.status, 0, r.stderr);
    const before = sha(disk);

    const h = await holder(disk);
    try {
      const t0 = Date.now();
      r = d0(['disk', 'write', disk, u2.dir, '--pub', pub]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`another writer holds it \\(pid ${h.pid} since .*\\); wait for it to finish`));
      assert.doesNotMatch(r.stdout, /wrote build/);
      console.error(`      refused in ${Date.now() - t0} ms (process start included)`);
      // The provider's writer goes through the same lock.
      await assert.rejects(
        writerImpl.create({ buildUuid: u2.uuid, slotDir: u2.dir, publicKey: Buffer.from(fx.pub).toString('hex'), target: { diskImage: disk }, activeUuid: u1.uuid } as never),
        /another writer holds it/,
      );
      assert.equal(sha(disk), before, 'the refused writers wrote nothing');
    } finally {
      const gone = new Promise((resolve) => h.on('exit', resolve));
      h.kill('SIGKILL');
      await gone;
    }

    // Killed mid-write: its lock file stays, stale. The next writer takes it over and writes.
    assert.ok(fs.existsSync(lockPath(disk)));
    r = d0(['disk', 'write', disk, u2.dir, '--pub', pub]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`wrote build ${u2.uuid} to slot B`));
    assert.equal(fs.existsSync(lockPath(disk)), false, 'the lock is released');
  });

  it('d0 disk build killed at 12 points of its run leaves no file at --out, or the whole disk', async () => {
    const u = makeBuild(fx, 'atomic');
    const full = path.join(dir, 'full.img');
    const t0 = Date.now();
    const r = d0(['disk', 'build', '--slot-a', u.dir, '--out', full, '--pub', pub]);
    assert.equal(r.status, 0, r.stderr);
    const runMs = Date.now() - t0;
    const outcomes: string[] = [];
    const killedTmp = fs.mkdtempSync(path.join(dir, 'tmp-'));
    for (let i = 0; i < 12; i++) {
      const out = path.join(dir, `cut-${i}.img`);
      // TMPDIR inside the test's dir: a killed build's scratch goes with it, not into /tmp.
      const child = spawn(process.execPath, [path.join(ROOT, 'cli', 'd0.js'), 'disk', 'build', '--slot-a', u.dir, '--out', out, '--pub', pub], {
        cwd: ROOT,
        stdio: 'ignore',
        env: { ...process.env, TMPDIR: killedTmp },
      });
      const exited = new Promise((resolve) => child.on('exit', resolve)); // before the kill: it may end first
      const at = Math.round((runMs * (i + 0.5)) / 12);
      await new Promise((resolve) => setTimeout(resolve, at));
      child.kill('SIGKILL');
      await exited;
      if (!fs.existsSync(out)) {
        outcomes.push(`${at}ms:none`);
        continue;
      }
      // Whatever is at --out is the whole disk: its slot A holds the verified build.
      const slotA = slotPartitions(out)[0];
      const v = await verifySlot(partitionFiles(out, slotA.part), fx.pub);
      assert.ok(v.verified && v.uuid === u.uuid, `killed at ${at} ms: a partial disk at --out (${v.reason})`);
      outcomes.push(`${at}ms:whole`);
    }
    console.error(`      ${outcomes.join(' ')}`);
    // A later build of the same disk removes the temps the killed ones left.
    const again = d0(['disk', 'build', '--slot-a', u.dir, '--out', path.join(dir, 'cut-0.img.new'), '--pub', pub]);
    assert.equal(again.status, 0, again.stderr);
    for (let i = 0; i < 12; i++) {
      const out = path.join(dir, `cut-${i}.img`);
      if (!fs.existsSync(out)) assert.equal(d0(['disk', 'build', '--slot-a', u.dir, '--out', out, '--pub', pub]).status, 0);
    }
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('.d0-tmp-')), [], 'stale temps removed');
  });
});
