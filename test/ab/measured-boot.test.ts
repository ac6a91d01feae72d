// Measured boot under QEMU + OVMF + swtpm (-cpu EPYC): D0 extends PCR 12 through the firmware's
// TCG2 protocol with the manifest's digest and each image's digest (kernel/boot/efi/measure.h).
// After each boot QEMU is killed and the PCR is read from the same swtpm with tpm2-tools
// (test/support/tpm2-tools.ts); it must equal what `d0 manifest pcr BUILD_DIR` predicts. Two
// builds that differ only in one container disk image (and, necessarily, in their manifests)
// give two different values, both predicted and read. Two boots, one per build.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { buildSlotDisk } from '../../builder/disk/slots';
import { withSwtpm } from '../support/swtpm';
import { readPcrSha256 } from '../support/tpm2-tools';
import { bootUntilExit, freshVars, makeBuild, sharedFixture, type AbFixture } from './support';

const ROOT = path.join(__dirname, '..', '..');
const PCR = 12;

/** `d0 manifest pcr DIR`: the event lines and the predicted value. */
function predict(dir: string): { events: string[]; value: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'cli', 'd0.js'), 'manifest', 'pcr', dir], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const last = /^sha256:(\d+) ([0-9a-f]{64})$/.exec(lines[lines.length - 1]);
  assert.ok(last, r.stdout);
  assert.equal(Number(last[1]), PCR, r.stdout);
  return { events: lines.slice(0, -1), value: last[2] };
}

describe('ab: measured boot, PCR 12 read with tpm2-tools from swtpm', function () {
  this.timeout(900_000);
  let fx: AbFixture;

  before(async () => {
    fx = await sharedFixture();
  });

  it('equals what d0 predicts for the build; one changed disk image changes both', async () => {
    const disk = crypto.randomBytes(137 * 512);
    const altered = Buffer.from(disk);
    altered[1000] ^= 0x01;
    const results: { predicted: string; read: string; events: string[] }[] = [];
    for (const [name, webDisk] of [
      ['mb-1', disk],
      ['mb-2', altered],
    ] as const) {
      const build = makeBuild(fx, name, { vms: { webOnly: true, webDisk } });
      const img = path.join(fx.dir, `${name}.img`);
      await buildSlotDisk(img, { a: build.dir, sizeMiB: 40 });
      const vars = freshVars(path.join(fx.dir, `${name}.vars.fd`));
      // A fresh TPM per build: the PCR starts from zero at the platform reset either way.
      const { boots, read } = await withSwtpm(
        path.join(fx.dir, `${name}.swtpm`),
        async (args, ctrl) => {
          const b = await bootUntilExit(img, vars, { extraArgs: args }); // QEMU killed on return
          return { boots: b, read: await readPcrSha256(ctrl, PCR) };
        },
      );
      assert.equal(boots.boots.length, 1, boots.text);
      const measured = boots.all('measured');
      assert.deepEqual(
        measured.map((e) => [e.fields.pcr, e.fields.events, e.fields.state]),
        [[String(PCR), '3', undefined]], // manifest, guest kernel, web's disk
        boots.text,
      );
      // Measured after every file was verified and before anything launched.
      const order = boots.last.map((e) => e.ev);
      assert.ok(
        order.indexOf('manifest_verified') < order.indexOf('measured') &&
          order.indexOf('measured') < order.indexOf('firmware_exited'),
        boots.text,
      );
      const p = predict(build.dir);
      assert.equal(p.events.length, 3, p.events.join('\n'));
      assert.equal(read, p.value, `PCR ${PCR} read vs d0 manifest pcr\n${p.events.join('\n')}`);
      results.push({ predicted: p.value, read, events: p.events });
      console.log(`      ${name}: PCR ${PCR} = ${read} (predicted and read)`);
    }
    const [a, b] = results;
    assert.notEqual(a.read, b.read, 'one changed disk image changes the PCR read');
    assert.notEqual(a.predicted, b.predicted);
    // The guest kernel's event is the same in both; the disk's and the manifest's differ.
    const measuredOf = (l: string) => l.replace(/^.*measured /, '');
    assert.equal(measuredOf(a.events[1]), measuredOf(b.events[1]));
    assert.notEqual(measuredOf(a.events[2]), measuredOf(b.events[2]));
    assert.notEqual(measuredOf(a.events[0]), measuredOf(b.events[0]));
  });
});
