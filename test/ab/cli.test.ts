// `d0 disk` and `d0 run` end to end, through cli/main.ts in this process: build a disk with U1,
// boot it with `d0 run --cpu EPYC --until halt` (D0 launches the build's VMs and commits on their
// health; its VARS file appears next to the disk), write U2 with `d0 disk write` (which
// reads D0's state from that VARS file), boot again, and `d0 disk status` shows slot B active.
// Plus each class of bad input: exit 2 with the problem named, nothing written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { formatPublicKeyFile } from '../../core/sign';
import { d0 } from '../support/d0-pipeline';
import { AB_CPU, makeBuild, sharedFixture, type AbFixture } from './support';


describe('ab: d0 disk and d0 run', function () {
  this.timeout(600_000);
  let fx: AbFixture;
  let pub: string;
  let dir: string;

  before(async () => {
    fx = await sharedFixture();
    dir = fs.mkdtempSync(path.join(fx.dir, 'cli-'));
    pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
  });

  it('build, run, write, run, status: slot B ends up active', async () => {
    const u1 = makeBuild(fx, 'cli-u1');
    const disk = path.join(dir, 'disk.img');
    let r = await d0([
      'disk',
      'build',
      '--slot-a',
      u1.dir,
      '--out',
      disk,
      '--size-mib',
      '40',
      '--pub',
      pub,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`slot A=${u1.uuid} slot B=empty`));

    r = await d0(['run', disk, '--cpu', AB_CPU, '--until', 'halt', '--timeout', '240']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, new RegExp(`ev=commit boot=${u1.uuid} slot=A previous=none fallback=none role=first`));
    assert.ok(fs.existsSync(`${disk}.vars.fd`));

    const u2 = makeBuild(fx, 'cli-u2');
    r = await d0(['disk', 'write', '--slot', 'auto', disk, u2.dir, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      new RegExp(`wrote build ${u2.uuid} to slot B .*active slot A \\(${u1.uuid}\\) untouched`),
    );

    // The defaults: -cpu EPYC, and stop at the end of the boot that did not reset (ev=halt here).
    r = await d0(['run', disk, '--timeout', '240']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out.trim().split('\n').at(-1)!, /ev=halt vms=\d+ /);
    assert.match(
      r.out,
      new RegExp(`ev=slot_choice role=trial_start boot=${u2.uuid} slot=B last_good=${u1.uuid}`),
    );
    assert.match(
      r.out,
      new RegExp(`ev=commit boot=${u2.uuid} slot=B previous=${u1.uuid} fallback=A role=trial`),
    );

    r = await d0(['disk', 'status', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`last_good=${u2.uuid} trial=none`));
    // The last decision, read back from the VARS file (D0LastBoot): U2's commit.
    assert.match(r.out, new RegExp(`^last decision: commit of ${u2.uuid} \\(slot B, role trial\\)$`, 'm'));
    assert.match(r.out, /^ {2}vm web: healthy/m);
    assert.match(r.out, /^gpt: primary copy read$/m);
    assert.match(r.out, new RegExp(`slot A: ${u1.uuid} label=D0_A verified epoch=3\\n`));
    assert.match(r.out, new RegExp(`slot B: ${u2.uuid} label=D0_B verified epoch=3 active`));

    // Both slots verify now: without D0's state the writer refuses to guess which is active.
    const u3 = makeBuild(fx, 'cli-u3');
    fs.renameSync(`${disk}.vars.fd`, `${disk}.vars.keep`);
    r = await d0(['disk', 'write', disk, u3.dir, '--pub', pub]);
    assert.equal(r.code, 1);
    assert.match(r.err, /both slots hold a verified build .*give --active UUID or --vars FILE/);
    r = await d0(['disk', 'write', disk, u3.dir, '--pub', pub, '--active', u2.uuid]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`to slot A .*active slot B \\(${u2.uuid}\\) untouched`));
  });

  it('disk build sizes the slots from the builds unless --size-mib is given', async () => {
    const u1 = makeBuild(fx, 'cli-size-u1');
    const big = makeBuild(fx, 'cli-size-big', { vms: { webDisk: Buffer.alloc(48 << 20) } });
    const derived = path.join(dir, 'derived.img');
    let r = await d0(['disk', 'build', '--slot-a', u1.dir, '--slot-b', big.dir, '--out', derived]);
    assert.equal(r.code, 0, r.err);
    // Over 48 MiB of files: 2 x 48 x 1.25 + 8 > 128, so 192 MiB (the next multiple of 64).
    assert.match(r.out, new RegExp(`, 192 MiB per slot\\): slot A=${u1.uuid} slot B=${big.uuid}$`));
    const given = path.join(dir, 'given.img');
    r = await d0(['disk', 'build', '--slot-a', u1.dir, '--out', given, '--size-mib', '100']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /, 100 MiB per slot\): slot A=/);
  });

  it('refuses bad input with exit 2 and writes nothing', async () => {
    const u1 = makeBuild(fx, 'cli-bad-u1');
    const big = makeBuild(fx, 'cli-bad-big', { vms: { webDisk: Buffer.alloc(48 << 20) } });
    const disk = path.join(dir, 'bad.img');
    const cases: Array<[string[], RegExp]> = [
      [['disk', 'build', '--out', disk], /usage: d0 disk build/],
      [
        ['disk', 'build', '--slot-a', path.join(dir, 'nope'), '--out', disk],
        /nope: not a directory/,
      ],
      [
        ['disk', 'build', '--slot-a', u1.dir, '--out', disk, '--size-mib', '10'],
        /--size-mib: 10 is not/,
      ],
      [['disk', 'build', '--slot-a', dir, '--out', disk], /needs exactly one manifest-<uuid>.tlv/],
      [
        [
          'disk',
          'build',
          '--slot-a',
          u1.dir,
          '--slot-b',
          big.dir,
          '--out',
          disk,
          '--size-mib',
          '40',
        ],
        new RegExp(
          `^d0 disk build: slot size: 40 MiB cannot hold build ${big.uuid} .*needs at least \\d+ MiB; leave the size out to derive it from the build \\(192 MiB\\)$`,
        ),
      ],
      [['disk', 'write', disk, u1.dir], /usage|no such disk/],
      [
        ['disk', 'write', '--slot', 'C', pub, u1.dir, '--pub', pub],
        /--slot: "C" is not auto, A or B/,
      ],
      [
        ['disk', 'write', pub, u1.dir, '--pub', pub, '--vars', pub, '--active', u1.uuid],
        /give one, not both/,
      ],
      [['disk', 'status', disk, '--pub', pub], /no such disk image/],
      [['disk', 'frobnicate'], /usage: d0 disk tree .*\n.*d0 disk build/],
      [['disk', 'tree', '--out', disk], /usage: d0 disk tree/],
      [
        [
          'disk',
          'tree',
          path.join(dir, 'nope.tlv'),
          '--artifacts',
          dir,
          '--out',
          disk,
          '--pub',
          pub,
        ],
        /nope.tlv: no such manifest/,
      ],
      [
        ['disk', 'tree', pub, '--artifacts', dir, '--out', disk, '--pub', pub],
        /not a manifest-<uuid>.tlv file/,
      ],
      [['run'], /usage: d0 run DISK/],
      [['run', disk], /no such disk image/],
      [['run', pub, '--timeout', '0'], /--timeout: 0 is not/],
    ];
    for (const [args, re] of cases) {
      const r = await d0(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, re, args.join(' '));
    }
    assert.ok(!fs.existsSync(disk));
    // A build that does not verify is a failed check (exit 1), also before anything is laid out.
    const bad = makeBuild(fx, 'cli-bad-sig', { badSignature: true });
    const r = await d0(['disk', 'build', '--slot-a', bad.dir, '--out', disk, '--pub', pub]);
    assert.equal(r.code, 1);
    assert.match(r.err, /build refused: bad_signature/);
    assert.ok(!fs.existsSync(disk));
  });
});
