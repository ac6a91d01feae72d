// buildKernel's choice of toolchain when no Docker engine answers: 'auto' falls back to the host
// toolchain, 'docker' refuses with a clear error and writes nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildKernel } from '../../builder/d0-efi';

const TEST1_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('kernel build: toolchain choice without a Docker engine', function () {
  this.timeout(300_000);
  let dir: string;
  let saved: string | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-mode-'));
    saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `unix://${path.join(dir, 'no-engine.sock')}`;
  });
  after(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("'docker' refuses when no engine answers, and writes nothing", async () => {
    const outFile = path.join(dir, 'docker.efi');
    await assert.rejects(
      buildKernel({ publicKeyHex: TEST1_PUBLIC, outFile, mode: 'docker' }),
      /mode "docker" but no Docker engine answers/,
    );
    assert.equal(fs.existsSync(outFile), false);
  });

  it("'auto' falls back to the host toolchain and reports it", async () => {
    const built = await buildKernel({
      publicKeyHex: TEST1_PUBLIC,
      outFile: path.join(dir, 'auto.efi'),
    });
    assert.equal(built.mode, 'host');
    const bytes = fs.readFileSync(built.path);
    assert.equal(bytes.toString('latin1', 0, 2), 'MZ');
    assert.equal(built.size, bytes.length);
  });
});
