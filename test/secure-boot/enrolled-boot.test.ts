// A site's own Secure Boot keys under the real Secure Boot firmware, no setup screen: keys from
// `d0 secure-boot keys`, enrolled offline into a copy of OVMF's empty 4 MiB VARS by
// `d0 secure-boot vars`. A D0 signed with that db key boots; one signed with Debian's snakeoil db
// key (which the snakeoil VARS would accept) is refused: the firmware enforces the written db.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readOvmfVars } from '../../builder/disk/ovmf-vars';
import { buildSlotDisk } from '../../builder/disk/slots';
import { FALLBACK_BOOTLOADER } from '../../core/naming';
import { d0 } from '../support/d0-pipeline';
import { withQemu } from '../support/qemu';
import { AB_CPU, makeBuild, sharedFixture } from '../ab/support';
import { plainSerial, REFUSED_HARDDISK, signers, verifies } from './support';

describe("secure boot: a site's own keys enrolled offline in OVMF VARS", function () {
  this.timeout(900_000);

  it('boots a D0 signed with the site db key and refuses one signed with the snakeoil key', async () => {
    const fx = await sharedFixture();
    const keys = path.join(fx.dir, 'site-sb-keys');
    const vars = path.join(fx.dir, 'site-sb.vars.fd');
    fs.rmSync(keys, { recursive: true, force: true });
    const k = await d0(['secure-boot', 'keys', '--out', keys, '--name', 'enrolled test']);
    assert.equal(k.code, 0, k.err);
    const v = await d0(['secure-boot', 'vars', '--keys', keys, '--out', vars, '--force']);
    assert.equal(v.code, 0, v.err);
    const site = { key: path.join(keys, 'db.key'), cert: path.join(keys, 'db.crt') };

    const u = makeBuild(fx, 'sb-site');
    const ok = path.join(fx.dir, 'sb-site-ok.img');
    const snake = path.join(fx.dir, 'sb-site-snakeoil.img');
    await buildSlotDisk(ok, { a: u.dir, sizeMiB: 40, secureBoot: site });
    await buildSlotDisk(snake, { a: u.dir, sizeMiB: 40, secureBoot: signers().snakeoil });

    // As an operator runs it: `d0 run --secure-boot --vars` with the enrolled file.
    const okVars = `${ok}.vars.fd`;
    fs.copyFileSync(vars, okVars);
    const run = await d0(
      ['run', ok, '--secure-boot', '--vars', okVars, '--raw', '--cpu', AB_CPU].concat([
        '--until',
        'manifest_verified',
        '--timeout',
        '300',
      ]),
    );
    // D0 ran and verified its manifest: only the firmware's image check stood before it.
    assert.equal(run.code, 0, run.err + run.out);
    assert.match(run.out, /ev=manifest_verified/);
    assert.doesNotMatch(plainSerial(run.out), REFUSED_HARDDISK);
    // The firmware kept the written keys (and added what it manages itself).
    const nv = readOvmfVars(okVars);
    const dbEsl = fs.readFileSync(path.join(keys, 'db.esl'));
    assert.deepEqual(nv.find((x) => x.name === 'db')?.data, dbEsl);
    assert.ok(
      nv.some((x) => x.name === 'certdb'),
      'the firmware initialised its auth store',
    );

    const snakeVars = `${snake}.vars.fd`;
    fs.copyFileSync(vars, snakeVars);
    await withQemu(
      { disk: snake, vars: snakeVars, cpu: AB_CPU, secureBoot: true, timeoutMs: 300_000 },
      async (vm) => {
        await vm.waitForText(REFUSED_HARDDISK);
        assert.equal(vm.events.length, 0, `D0 never ran\n${vm.describe()}`);
      },
    );
    // The refused image is well signed, by a key the written db does not hold.
    const efi = path.join(fx.dir, 'sb-site-snakeoil.efi');
    fs.rmSync(efi, { force: true });
    execFileSync('mcopy', ['-n', '-i', `${snake}@@1M`, `::${FALLBACK_BOOTLOADER}`, efi]);
    assert.ok(verifies(efi, signers().snakeoil.cert) && !verifies(efi, site.cert));
  });
});
