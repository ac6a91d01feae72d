// `d0 run` sizes the emulated host from the builds on the disk (core/host-memory.ts) and ends when
// D0 gives up: a build that needs more memory than --mem gives is refused by D0 before anything is
// launched (ev=boot_failed reason=out_of_memory, then ev=exit), and d0 run stops right there with
// D0's reason and exit code 1 instead of waiting for an event that cannot come.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { diskHostMemoryMiB } from '../../builder/disk/host-memory';
import { formatPublicKeyFile } from '../../core/sign';
import { d0 } from '../support/d0-pipeline';
import { eventsOf } from '../support/events';
import { makeBuild, sharedFixture, type AbFixture } from './support';


describe('ab: d0 run and host memory', function () {
  this.timeout(600_000);
  let fx: AbFixture;
  let disk: string;
  let pub: string;

  before(async () => {
    fx = await sharedFixture();
    const dir = fs.mkdtempSync(path.join(fx.dir, 'run-mem-'));
    pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
    // One VM with 400 MiB of RAM: more than the 256 MiB host d0 run used to give every build.
    const big = makeBuild(fx, 'run-mem', { vms: { memMb: 400 } });
    disk = path.join(dir, 'disk.img');
    const r = await d0(['disk', 'build', '--slot-a', big.dir, '--out', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
  });

  it('--mem below the need: D0 refuses before launching and d0 run stops with its reason, exit 1', async () => {
    const r = await d0(['run', disk, '--mem', '256', '--until', 'vm_exit', '--timeout', '240']);
    assert.equal(r.code, 1, r.err + r.out);
    assert.match(r.err, /host memory 256 MiB \(--mem\), the builds on the disk need \d+ MiB/);
    // D0 compares what the build needs with what the firmware has free before loading anything.
    const plan = /ev=memory_plan needed_mib=(\d+) available_mib=(\d+)/.exec(r.out);
    assert.ok(plan && Number(plan[1]) > Number(plan[2]) && Number(plan[1]) > 400, r.out);
    assert.match(r.out, /ev=boot_failed reason=out_of_memory detail=memory_plan/);
    assert.match(r.err, /D0 launched nothing and returned to the firmware/);
    assert.match(r.err, /reason: ev=boot_failed reason=out_of_memory/);
    assert.doesNotMatch(r.out, /ev=vm_start/);
  });

  it('a disk larger than the free memory: stage 1 still verifies it (streamed), the memory plan refuses', async () => {
    // Stage 1 reads each file into pages the launch then uses; with no pages for a file it
    // streams the file through the hash instead, so the refusal still comes from the memory plan
    // with both numbers, not from a failed allocation in stage 1.
    const dir = fs.mkdtempSync(path.join(fx.dir, 'run-bigdisk-'));
    const webDisk = Buffer.alloc(320 * 2 ** 20, 0x5a);
    const build = makeBuild(fx, 'run-bigdisk', { vms: { webOnly: true, memMb: 16, webDisk } });
    const bigDisk = path.join(dir, 'disk.img');
    const b = await d0(['disk', 'build', '--slot-a', build.dir, '--out', bigDisk, '--pub', pub]);
    assert.equal(b.code, 0, b.err);
    fs.rmSync(build.dir, { recursive: true, force: true });
    const r = await d0(['run', bigDisk, '--mem', '256', '--until', 'vm_exit', '--timeout', '400']);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1, r.err + r.out);
    const ok = /ev=file_ok path=(VM\/web-\S+) size=(\d+)/.exec(r.out);
    assert.ok(ok && Number(ok[2]) === webDisk.length, r.out);
    assert.match(r.out, /ev=manifest_verified /);
    const plan = /ev=memory_plan needed_mib=(\d+) available_mib=(\d+)/.exec(r.out);
    assert.ok(plan && Number(plan[1]) > Number(plan[2]) && Number(plan[1]) > 320, r.out);
    assert.match(r.out, /ev=boot_failed reason=out_of_memory detail=memory_plan/);
    assert.doesNotMatch(r.out, /ev=images_loaded/);
  });

  it('without --mem the emulated host gets what the build needs, and it runs and commits', async () => {
    const r = await d0(['run', disk, '--until', 'halt', '--timeout', '240']);
    assert.equal(r.code, 0, r.err + r.out);
    const m = /host memory (\d+) MiB, the builds on the disk need (\d+) MiB/.exec(r.err);
    assert.ok(m, r.err);
    assert.ok(Number(m[1]) >= Number(m[2]) && Number(m[1]) % 64 === 0, r.err);
    assert.ok(Number(m[2]) > 400, `need ${m[2]} MiB for a 400 MiB VM`);
    assert.match(r.out, /ev=commit boot=\S+ slot=A previous=none fallback=none role=first/);
    const plan = /ev=memory_plan needed_mib=(\d+) available_mib=(\d+)/.exec(r.out);
    assert.ok(plan && Number(plan[1]) <= Number(plan[2]), r.out);
    console.error(`      memory_plan: needed ${plan[1]} MiB, available ${plan[2]} MiB of a ${m[1]} MiB host`);
    // Every event carries ms= since D0 started, and d0 run sums the boot up from them.
    const events = eventsOf(r.out);
    assert.ok(events.length > 10 && events.every((e) => /^\d+$/.test(e.fields.ms ?? '')), r.out);
    const ms = events.map((e) => Number(e.fields.ms));
    assert.ok(ms.every((v, i) => i === 0 || v >= ms[i - 1] || events[i].ev === 'boot_start'), 'ms never goes back within a boot');
    assert.match(
      r.err,
      /boot timeline \(since D0 started\): verified at \d+ ms, images loaded and hashed \(\d+\.\d MiB\) at \d+ ms, VMs prepared at \d+ ms, first VM started at \d+ ms, .*build healthy at \d+ ms, committed at \d+ ms/,
    );
  });

  it('d0 disk status and --json say what each slot\'s build needs, as d0 run sized it', async () => {
    const need = await diskHostMemoryMiB(disk); // what d0 run printed above
    assert.ok(need !== undefined && need > 400);
    const r = await d0(['disk', 'status', disk, '--pub', pub]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`^host memory needed: slot A ${need} MiB$`, 'm'));
    const j = JSON.parse((await d0(['disk', 'status', disk, '--pub', pub, '--json'])).out);
    assert.equal(j.slots[0].hostMemoryMiB, Number(need));
    assert.equal(j.slots[1].hostMemoryMiB, null);
  });
});
