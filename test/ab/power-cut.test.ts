// Power cuts during a slot write: the writer (a child process) is SIGKILLed at >= 20 points
// chosen with a fixed seed among its steps (every 1 MiB chunk of the slot copy, the fsync, the
// read-back, the commit rename, the file check). After each cut: the active slot's
// bytes are unchanged, the GPT reads, and the model of D0's choice (builder/disk/status.ts
// predictBoot) boots a verified build: U1 before the commit point, U2 from it on. A sample of the
// points is booted under QEMU + OVMF to check the real D0 agrees; one is then rewritten to
// show a cut write can simply be run again.
//
// What a SIGKILL does not model: data still in the page cache when the power goes. The writer
// fsyncs before its commit point and reads everything back, which is what makes that case safe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { slotPartitions } from '../../builder/disk/slots';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { diskStatus, predictBoot } from '../../builder/disk/status';
import { bootUntilExit, committedBase, makeBuild, sharedFixture, type AbFixture } from './support';

const CHILD = path.join(__dirname, 'writer-child.ts');
const CUTS = 22;
const QEMU_SAMPLE = 2;

/** mulberry32: a small seeded PRNG, so the cut points are the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The killed writers' TMPDIR: inside the fixture's dir, which goes at exit, so the scratch a
 * cut writer leaves (its staged slot image) does not pile up in the machine's /tmp. */
let childTmp = '';

function runWriter(args: object, crashAt: number) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], {
    env: { ...process.env, CRASH_AT: String(crashAt), TMPDIR: childTmp },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const steps = [...r.stderr.matchAll(/^step (\d+) (\S+)$/gm)].map((m) => ({
    n: Number(m[1]),
    what: m[2],
  }));
  return { status: r.status, signal: r.signal, steps, stderr: r.stderr };
}

function sha256Range(file: string, offset: number, size: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const h = crypto.createHash('sha256');
    const buf = Buffer.alloc(1 << 20);
    for (let done = 0; done < size; done += buf.length) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - done), offset + done);
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

describe('ab: power cuts during a slot write', function () {
  this.timeout(1_200_000);
  let fx: AbFixture;

  before(async () => {
    fx = await sharedFixture();
    childTmp = fs.mkdtempSync(path.join(fx.dir, 'writer-tmp-'));
  });

  it(`boots a verified build after a cut at each of ${CUTS} points`, async () => {
    const { u1, disk: baseDisk, vars: baseVars } = await committedBase();
    const state = readAbState(baseVars)!;
    const u2 = makeBuild(fx, 'u2');
    const slotA = slotPartitions(baseDisk)[0].part;
    const aBefore = sha256Range(baseDisk, slotA.offset, slotA.size);

    const disk = path.join(fx.dir, 'cut.img');
    const args = {
      target: disk,
      buildDir: u2.dir,
      publicKeyHex: Buffer.from(fx.pub).toString('hex'),
      vars: baseVars,
    };
    // A full run: the list of steps (and the proof that the writer succeeds without a cut).
    fs.copyFileSync(baseDisk, disk);
    const full = runWriter(args, 0);
    assert.equal(full.status, 0, full.stderr);
    const total = full.steps.length;
    const commitStep = full.steps.find((s) => s.what === 'committed')!.n;
    assert.ok(total >= 40, `only ${total} steps`);

    const rand = prng(0xd0ab);
    const points = new Set<number>([1, commitStep - 1, commitStep, total]);
    while (points.size < CUTS) points.add(1 + Math.floor(rand() * total));
    const sorted = [...points].sort((x, y) => x - y);
    const outcomes: string[] = [];
    // A cut in the middle of the slot copy, and one right at the commit point.
    const qemuPoints = new Set(
      [sorted[Math.floor(sorted.length / 2)], commitStep].slice(0, QEMU_SAMPLE),
    );

    for (const at of sorted) {
      fs.copyFileSync(baseDisk, disk);
      const r = runWriter(args, at);
      assert.equal(r.signal, 'SIGKILL', `cut at ${at}: ${r.stderr}`);
      assert.equal(r.steps.at(-1)?.n, at);
      assert.equal(
        sha256Range(disk, slotA.offset, slotA.size),
        aBefore,
        `cut at ${at}: slot A changed`,
      );
      const slots = await diskStatus(disk, fx.pub, state); // reads the GPT: throws if it is broken
      const p = predictBoot(slots, state);
      assert.ok(p.verified, `cut at ${at} (${r.steps.at(-1)?.what}): ${p.path}`);
      assert.equal(p.uuid, at >= commitStep ? u2.uuid : u1.uuid, `cut at ${at}: ${p.path}`);
      outcomes.push(`${at}:${r.steps.at(-1)?.what}->${p.uuid === u2.uuid ? 'U2' : 'U1'}`);

      if (qemuPoints.has(at)) {
        const vars = path.join(fx.dir, 'cut.vars.fd');
        fs.copyFileSync(baseVars, vars);
        const boot = await bootUntilExit(disk, vars);
        const ready = boot.last.find((e) => e.ev === 'ready_to_launch');
        assert.equal(ready?.fields.uuid, p.uuid, `QEMU after a cut at ${at}:\n${boot.text}`);
      }
    }
    // A cut write is simply run again.
    fs.copyFileSync(baseDisk, disk);
    assert.equal(runWriter(args, Math.floor(commitStep / 2)).signal, 'SIGKILL');
    const again = runWriter(args, 0);
    assert.equal(again.status, 0, again.stderr);
    const p = predictBoot(await diskStatus(disk, fx.pub, state), state);
    assert.equal(p.uuid, u2.uuid, p.path);
    console.log(`      cut points (${sorted.length} of ${total} steps): ${outcomes.join(' ')}`);
  });
});
