// A container asking for more vCPUs than D0 gives a VM (one, today: core/manifest/vcpu.ts and
// PLAN_VCPUS_PER_VM_MAX in kernel/boot/efi/plan.h) is refused by D0 before anything is allocated,
// with its name and both numbers, and never launched on fewer CPUs than it asked for. The build is
// signed here directly (the TLV allows 1..16; the pipeline would have refused it at pack time), as
// a signer other than `d0` could make it. One QEMU boot, hard timeout, QEMU always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { formatPublicKeyFile } from '../../core/sign';
import { d0 } from '../support/d0-pipeline';
import { makeBuild, sharedFixture, type AbFixture } from './support';

describe('ab: a container asking for more vCPUs than D0 gives a VM', function () {
  this.timeout(600_000);
  let fx: AbFixture;

  before(async () => {
    fx = await sharedFixture();
  });

  it('is refused at launch (ev=vcpu_plan, boot_failed reason=vcpu_unsupported): nothing runs, nothing commits', async () => {
    const dir = fs.mkdtempSync(path.join(fx.dir, 'vcpu-'));
    const pub = path.join(dir, 'd0.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(fx.pub));
    let wide = '';
    const build = makeBuild(fx, 'vcpu-wide', {
      edit: (m) => {
        const last = m.containers.length - 1;
        wide = m.containers[last].name;
        return {
          ...m,
          containers: m.containers.map((c, i) => (i === last ? { ...c, vcpu: 2 } : c)),
        };
      },
    });
    const disk = path.join(dir, 'disk.img');
    const b = await d0(['disk', 'build', '--slot-a', build.dir, '--out', disk, '--pub', pub]);
    assert.equal(b.code, 0, b.err);
    const r = await d0(['run', disk, '--until', 'vm_exit', '--timeout', '240']);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1, r.err + r.out);
    // The plan shows what the manifest asked for; the check names the container and both numbers.
    assert.match(r.out, new RegExp(`ev=launch_plan name=${wide} vcpu=2 `));
    assert.match(r.out, new RegExp(`ev=vcpu_plan container=${wide} vcpu=2 max=1\\b`));
    assert.match(r.out, new RegExp(`ev=boot_failed reason=vcpu_unsupported detail=${wide}\\b`));
    // Refused before the memory plan and any allocation: no VM prepared, started or committed.
    assert.doesNotMatch(r.out, /ev=memory_plan|ev=vms_prepared|ev=vm_start|ev=commit/);
    assert.match(r.err, /reason: ev=boot_failed reason=vcpu_unsupported/);
  });
});
