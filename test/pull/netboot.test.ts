// First install over the network (kernel/boot/efi/install/netboot.h) under QEMU + OVMF: a host
// with a blank disk and nothing in its NVRAM netboots D0 from the site's TFTP server (QEMU's own,
// serving the publication directory; DHCP names netboot/BOOTX64.EFI), reads its pointer by TFTP,
// lays the A/B disk out, fetches its target build over HTTP into slot A, makes slot A its first
// boot entry and resets; slot A's D0 then boots the build as a first boot and commits it. A disk
// that is not blank is never written, and a host with nothing published installs nothing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { slotPartitions } from '../../builder/disk/slots';
import { listFat } from '../../builder/disk/fat';
import { freshVars, bootUntilExit, sharedFixture, type AbFixture } from '../ab/support';
import { withQemu } from '../support/qemu';
import { UpdateServer } from '../support/update-server';
import { AB_CPU } from '../ab/support';
import { HOST_ID, publish, pullBuild, pullNetArgs } from './support';

const DISK_MIB = 200;
const NETBOOT_D0 = 'netboot/BOOTX64.EFI';

interface BlankHost {
  disk: string;
  vars: string;
  www: string;
  site: string;
  server: UpdateServer;
  fx: AbFixture;
}

async function blankHost(name: string): Promise<BlankHost> {
  const fx = await sharedFixture();
  const www = path.join(fx.dir, `${name}-www`);
  const site = path.join(www, 'site');
  fs.rmSync(www, { recursive: true, force: true });
  fs.mkdirSync(path.join(site, 'netboot'), { recursive: true });
  fs.writeFileSync(path.join(site, NETBOOT_D0), fx.efi);
  const disk = path.join(fx.dir, `${name}.img`);
  fs.rmSync(disk, { force: true });
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, DISK_MIB * 1024 * 1024); // sparse: all zeros, a blank disk
  const vars = freshVars(path.join(fx.dir, `${name}.vars.fd`));
  const server = await UpdateServer.start(www);
  return { disk, vars, www, site, server, fx };
}

const netArgs = (h: BlankHost) =>
  pullNetArgs(h.server.port, { tftp: { root: h.site, bootfile: NETBOOT_D0 } });

function digest(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** One netboot up to D0's install verdict, then QEMU is killed. */
async function netbootOnce(h: BlankHost) {
  return withQemu(
    { disk: h.disk, vars: h.vars, cpu: AB_CPU, timeoutMs: 240_000, extraArgs: netArgs(h) },
    async (vm) => {
      const done = await vm.waitFor((e) => e.ev === 'install_done');
      return { done, text: vm.events.map((e) => e.raw).join('\n') };
    },
  );
}

describe('first install over the network: a blank host netboots, installs and commits', function () {
  this.timeout(20 * 60_000);
  let h: BlankHost | undefined;
  afterEach(async () => {
    await h?.server.close();
  });

  it('lays the disk out, installs the published build into slot A and commits it', async () => {
    h = await blankHost('netboot-ok');
    const u1 = pullBuild(h.fx, 'netboot-u1');
    await publish(h, u1);
    const b = await bootUntilExit(h.disk, h.vars, { extraArgs: netArgs(h), timeoutMs: 480_000 });
    const [install, first] = b.boots;
    const done = install.find((e) => e.ev === 'install_done');
    assert.equal(done?.fields.result, 'installed', b.text);
    assert.equal(done?.fields.host, HOST_ID);
    assert.equal(done?.fields.target, u1.uuid);
    assert.ok(install.some((e) => e.ev === 'install_disk'));
    assert.ok(
      install.filter((e) => e.ev === 'pull_file').every((e) => e.fields.source === 'net'),
      'a first install has no running build to copy from',
    );
    const choice = first.find((e) => e.ev === 'slot_choice');
    assert.equal(choice?.fields.role, 'first', b.text);
    assert.equal(choice?.fields.boot, u1.uuid);
    assert.equal(b.all('commit')[0]?.fields.boot, u1.uuid, b.text);
    assert.equal(readAbState(h.vars)?.lastGood, u1.uuid);
    // The disk is the A/B layout `d0 disk build` makes, with the build in slot A.
    const [a, bSlot] = slotPartitions(h.disk);
    assert.equal(a.part.name, 'ESP_A');
    assert.equal(bSlot.part.name, 'ESP_B');
    const files = await listFat(h.disk, a.part.offset);
    for (const f of [`manifest-${u1.uuid}.tlv`, `EFI/BOOT/BOOTX64-${u1.uuid}.EFI`, 'EFI/BOOT/BOOTX64.EFI'])
      assert.ok(files.includes(f), `${f} on slot A: ${files.join(' ')}`);
  });

  it('never writes a disk that is not blank', async () => {
    h = await blankHost('netboot-not-blank');
    const u1 = pullBuild(h.fx, 'netboot-nb-u1');
    await publish(h, u1);
    const fd = fs.openSync(h.disk, 'r+');
    fs.writeSync(fd, Buffer.from('somebody else\'s data'), 0, undefined, 4096 * 100);
    fs.closeSync(fd);
    const before = digest(h.disk);
    const r = await netbootOnce(h);
    assert.equal(r.done.fields.result, 'failed', r.text);
    assert.equal(r.done.fields.reason, 'no_blank_disk', r.text);
    assert.equal(digest(h.disk), before);
  });

  it('installs nothing for a host with nothing published', async () => {
    h = await blankHost('netboot-unpublished');
    const r = await netbootOnce(h);
    assert.equal(r.done.fields.result, 'failed', r.text);
    assert.equal(r.done.fields.reason, 'no_pointer', r.text);
    assert.equal(r.done.fields.host, HOST_ID);
  });
});
