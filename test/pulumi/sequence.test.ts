// The real Pulumi engine driving D0's providers through a site's life: preview -> up -> change
// one container's memMb -> preview names it -> up makes a new build (new UUIDv7) -> up with no
// change keeps the build -> the A/B disk the writer made (first build in slot A, the second in
// slot B) boots under QEMU+OVMF with a blank NVRAM: written twice before its first boot, it runs
// the newer build first (slot A's D0 starts its trial; slot B's D0 verifies and launches it) ->
// destroy removes what was written. The signing key is a stack secret and must appear nowhere in
// the state, not even with --show-secrets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { slotFiles } from '../../builder/site';
import { isUuidV7, uuidv7Time } from '../../core/uuid';
import { verifyManifest } from '../../core/sign';
import { writeBusyboxArchive } from '../provider/fixture-image';
import {
  ENGINE_BUILD_TIMEOUT_MS,
  PulumiWorkspace,
  parsePreviewJson,
  parseStackExport,
  parseStackOutputs,
  type PreviewJson,
} from '../support/pulumi';
import { withQemu } from '../support/qemu';
import { engineEnv, projectFiles, PUBLIC, SECRET, writeSite, type SiteFile } from './site-program';

/** The preview step of the d0 resource of this type (and name), or undefined (= no change). */
export function stepFor(p: PreviewJson, type: string, name = '[^:]+') {
  const re = new RegExp(`dynamic/d0:${type}::${name}$`);
  return p.steps.find((x) => re.test(x.urn)) as
    (PreviewJson['steps'][number] & { replaceReasons?: string[] }) | undefined;
}

describe('Pulumi engine: a D0 site from preview to destroy', function () {
  this.timeout(240_000);
  let ws: PulumiWorkspace;
  let site: SiteFile;
  let firstUuid = '';
  let secondUuid = '';
  const ok = (args: string[]) => ws.pulumiOk(args, engineEnv);
  const outputs = async () =>
    parseStackOutputs((await ok(['stack', 'output', '--json'])).stdout) as Record<string, string>;

  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await PulumiWorkspace.create({ files: projectFiles('d0-sequence') });
    const image = await writeBusyboxArchive(path.join(ws.root, 'images', 'busybox.tar'));
    site = {
      network: { bridge: '10.20.0.1/24' },
      containers: [
        { name: 'web', image, memMb: 64, ip: '10.20.0.10/24', bootOrder: 1 },
        { name: 'api', image, memMb: 96, ip: '10.20.0.11/24', bootOrder: 2 },
      ],
      epoch: 1,
      outDir: path.join(ws.root, 'builds'),
      disk: path.join(ws.root, 'host-01.img'),
    };
    writeSite(ws.projectDir, site);
    await ok(['stack', 'init', 'site-a']);
    const keyFile = path.join(ws.root, 'signing.key');
    fs.writeFileSync(keyFile, SECRET + '\n', { mode: 0o600 });
    await ok(['config', 'set', 'signingKeyFile', keyFile]);
  });
  after(() => ws?.dispose());

  it('preview plans the stack and five resources and writes nothing', async () => {
    const p = parsePreviewJson((await ok(['preview', '--json'])).stdout);
    assert.equal(p.changeSummary.create, 6); // the stack, the network, two containers, the deployment, the writer
    assert.equal(fs.existsSync(site.outDir), false);
    assert.equal(fs.existsSync(site.disk), false);
  });

  it('up makes a signed build, named by a UUIDv7, and writes it to the host disk', async () => {
    await ok(['up', '--yes', '--skip-preview']);
    const o = await outputs();
    firstUuid = o.buildUuid;
    assert.ok(isUuidV7(firstUuid), firstUuid);
    assert.equal(o.publicKey, PUBLIC);
    assert.equal(o.writtenUuid, firstUuid);
    assert.deepEqual(slotFiles(o.slotDir), [
      `EFI/BOOT/BOOTX64-${firstUuid}.EFI`,
      'EFI/BOOT/BOOTX64.EFI',
      `VM/api-${firstUuid}.img`,
      `VM/vmlinuz-${firstUuid}`,
      `VM/web-${firstUuid}.img`,
      `manifest-${firstUuid}.sig`,
      `manifest-${firstUuid}.tlv`,
    ]);
    const tlv = fs.readFileSync(path.join(o.slotDir, `manifest-${firstUuid}.tlv`));
    const sig = fs.readFileSync(path.join(o.slotDir, `manifest-${firstUuid}.sig`));
    assert.ok(verifyManifest(sig, tlv, Buffer.from(PUBLIC, 'hex')));
    assert.ok(fs.statSync(site.disk).size > 40 * 1024 * 1024);
  });

  it('preview after a memMb change names the container and field, and plans a new build', async () => {
    site.containers[0].memMb = 128;
    writeSite(ws.projectDir, site);
    const p = parsePreviewJson((await ok(['preview', '--json'])).stdout);
    const dep = stepFor(p, 'Deployment');
    assert.equal(dep?.op, 'replace');
    assert.deepEqual(dep?.replaceReasons, ['containers.web.memMb']);
    assert.equal(stepFor(p, 'Container', 'web')?.op, 'update');
    assert.equal(stepFor(p, 'Container', 'api')?.op ?? 'same', 'same');
    assert.equal(stepFor(p, 'EspSlotWriter')?.op, 'update');
    const text = (await ok(['preview', '--diff'])).stdout;
    assert.match(text, /web[\s\S]*memMb\s*:\s*64 => 128/);
    assert.match(text, /replace/);
  });

  it('up makes a new build with a newer UUIDv7 and writes it to the other slot of the host disk', async () => {
    await ok(['up', '--yes', '--skip-preview']);
    const o = await outputs();
    secondUuid = o.buildUuid;
    assert.ok(isUuidV7(secondUuid));
    assert.notEqual(secondUuid, firstUuid);
    assert.ok(uuidv7Time(secondUuid) >= uuidv7Time(firstUuid));
    assert.equal(o.writtenUuid, secondUuid);
    // Nothing has booted the disk yet: its first boot will try the newer build first.
    assert.deepEqual(o.nextBoot, { slot: 'B', uuid: secondUuid, path: 'first boot: trial, commit' });
    // The replaced build's directory stays: slot A still holds that build (the host's fallback).
    // The next replacement collects it (test/provider/retention.test.ts); destroy does below.
    assert.ok(fs.existsSync(path.join(site.outDir, firstUuid, 'retained')), 'the build slot A holds was removed');
  });

  it('up with no change keeps the build (same UUID, nothing rebuilt)', async () => {
    const p = parsePreviewJson((await ok(['preview', '--json'])).stdout);
    assert.deepEqual(Object.keys(p.changeSummary), ['same']);
    await ok(['up', '--yes', '--skip-preview']);
    assert.equal((await outputs()).buildUuid, secondUuid);
    assert.deepEqual(fs.readdirSync(site.outDir).sort(), [firstUuid, secondUuid].sort());
  });

  it('the state holds the public key only, never the secret (also with --show-secrets)', async () => {
    const plain = (await ok(['stack', 'export'])).stdout;
    const shown = (await ok(['stack', 'export', '--show-secrets'])).stdout;
    const dep = parseStackExport(shown).deployment.resources.find((r) =>
      r.type.endsWith(':Deployment'),
    )!;
    assert.equal(dep.inputs?.publicKey, PUBLIC);
    assert.equal(dep.inputs?.signingKey, undefined);
    const files: string[] = [];
    const walk = (d: string) =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .forEach((e) =>
          e.isDirectory() ? walk(path.join(d, e.name)) : files.push(path.join(d, e.name)),
        );
    walk(ws.backendDir);
    const texts = [plain, shown, ...files.map((f) => fs.readFileSync(f, 'latin1'))];
    for (const t of texts) {
      assert.equal(t.toLowerCase().includes(SECRET), false, 'the signing key is in the state');
      assert.equal(t.includes(Buffer.from(SECRET, 'hex').toString('base64')), false);
    }
  });

  it("the written disk boots under QEMU+OVMF (SVM), blank NVRAM: the newer build first (slot B's, on trial), web's container runs", async function () {
    this.timeout(300_000);
    const disk = { disk: site.disk, cpu: 'EPYC', memMb: 512, timeoutMs: 270_000 };
    await withQemu(disk, async (vm) => {
      // Slot A's D0 finds nothing committed and a newer build in slot B: a trial, A the fallback.
      const start = await vm.waitFor('slot_choice');
      assert.deepEqual(
        [start.fields.role, start.fields.boot, start.fields.slot, start.fields.fallback],
        ['trial_start', secondUuid, 'B', firstUuid],
      );
      const v = await vm.waitFor('manifest_verified');
      assert.equal(v.fields.uuid, secondUuid);
      assert.equal(v.fields.containers, '2');
      const web = await vm.waitFor((e) => e.ev === 'launch_plan' && e.fields.name === 'web');
      assert.equal(web.fields.mem_mb, '128');
      await vm.waitFor((e) => e.ev === 'launch_plan' && e.fields.name === 'api');
      // The first container in boot order runs; its workload's line reaches D0's log under its
      // name.
      const line = await vm.waitFor(
        (e) =>
          e.ev === 'console' &&
          e.fields.vm === 'web' &&
          (e.fields.line ?? '').includes('hello from'),
      );
      assert.match(line.fields.line ?? '', /hello from v1/);
    });
  });

  it('destroy removes the disk image, its NV state and every build directory, the retained one too', async () => {
    fs.copyFileSync('/usr/share/OVMF/OVMF_VARS.fd', `${site.disk}.vars.fd`); // as `d0 run` keeps it
    await ok(['destroy', '--yes', '--skip-preview']);
    assert.deepEqual(
      parseStackExport((await ok(['stack', 'export'])).stdout).deployment.resources,
      [],
    );
    assert.deepEqual(fs.readdirSync(site.outDir), []);
    assert.equal(fs.existsSync(site.disk), false);
    assert.equal(fs.existsSync(`${site.disk}.vars.fd`), false);
  });
});
