// The kernel built in the pinned Docker toolchain and the kernel built with the host toolchain
// are the same bytes, and a rebuild gives the same bytes again. The first run builds the builder
// base image (debootstrap, cached in $D0_CACHE/builder-base) and the toolchain image: minutes;
// later runs reuse them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKernel } from '../../builder/d0-efi';
import { KERNEL_DIR, kernelSourceFiles } from '../../builder/d0-efi/sources';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';

const TEST1_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const OTHER_PUBLIC = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'; // RFC 8032 TEST 2

describe('kernel build: Docker and host toolchains give the same bytes', function () {
  this.timeout(30 * 60_000);
  let engine: DockerHandle;
  let dir: string;
  let kernelDir: string;

  before(async () => {
    engine = await ensureDockerd();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-repro-'));
    // One snapshot of the sources for every build here, so an edit to kernel/ while the suite
    // runs cannot make two builds see different inputs.
    kernelDir = path.join(dir, 'kernel');
    for (const rel of [...kernelSourceFiles(), 'Dockerfile']) {
      const to = path.join(kernelDir, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(KERNEL_DIR, rel), to);
      fs.chmodSync(to, fs.statSync(path.join(KERNEL_DIR, rel)).mode);
    }
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await engine?.stop();
  });

  it('builds BOOTX64.EFI byte-identical in Docker (auto mode, an engine answers) and on the host', async () => {
    const docker = await buildKernel({
      kernelDir,
      publicKeyHex: TEST1_PUBLIC,
      outFile: path.join(dir, 'docker.efi'),
    });
    const host = await buildKernel({
      kernelDir,
      publicKeyHex: TEST1_PUBLIC,
      outFile: path.join(dir, 'host.efi'),
      mode: 'host',
    });
    assert.equal(docker.mode, 'docker');
    assert.equal(host.mode, 'host');
    assert.ok(host.size > 4096);
    assert.equal(docker.sha256, host.sha256);
    assert.ok(fs.readFileSync(docker.path).equals(fs.readFileSync(host.path)));
  });

  it('rebuilds to the same bytes, and a different key gives different bytes', async () => {
    const again = await buildKernel({
      kernelDir,
      publicKeyHex: TEST1_PUBLIC,
      outFile: path.join(dir, 'again.efi'),
      mode: 'host',
    });
    const first = fs.readFileSync(path.join(dir, 'host.efi'));
    assert.ok(fs.readFileSync(again.path).equals(first));
    const other = await buildKernel({
      kernelDir,
      publicKeyHex: OTHER_PUBLIC,
      outFile: path.join(dir, 'other.efi'),
      mode: 'host',
    });
    assert.notEqual(other.sha256, again.sha256);
  });
});
