// D0_KERNEL_MODE pins buildKernel's 'auto' to one toolchain (builder/d0-efi/mode.ts): with it set
// to host, a build never contacts the Docker engine that answers (scripts/test's emulator process
// relies on it, docs/ci.md); set to docker, it refuses like mode 'docker' when none answers; an
// explicit mode from the caller wins over it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildKernel, KERNEL_MODE_ENV, resolveKernelMode } from '../../builder/d0-efi';
import { connectDocker } from '../../builder/docker/engine';

const TEST1_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

describe('kernel build: D0_KERNEL_MODE pins the toolchain of auto', function () {
  this.timeout(300_000);
  let dir: string;
  const saved = { host: process.env.DOCKER_HOST, mode: process.env[KERNEL_MODE_ENV] };
  const restore = (name: string, v: string | undefined) =>
    v === undefined ? delete process.env[name] : (process.env[name] = v);
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-mode-env-'))));
  afterEach(() => {
    restore('DOCKER_HOST', saved.host);
    restore(KERNEL_MODE_ENV, saved.mode);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('resolves auto from the variable; an explicit mode wins; a bad value is refused by name', () => {
    const env = (v?: string): NodeJS.ProcessEnv =>
      v === undefined ? {} : { [KERNEL_MODE_ENV]: v };
    assert.deepEqual(resolveKernelMode(undefined, env()), { mode: 'auto', fromEnv: false });
    assert.deepEqual(resolveKernelMode('auto', env('')), { mode: 'auto', fromEnv: false });
    assert.deepEqual(resolveKernelMode('auto', env('auto')), { mode: 'auto', fromEnv: false });
    assert.deepEqual(resolveKernelMode('auto', env('host')), { mode: 'host', fromEnv: true });
    assert.deepEqual(resolveKernelMode(undefined, env('docker')), {
      mode: 'docker',
      fromEnv: true,
    });
    assert.deepEqual(resolveKernelMode('docker', env('host')), { mode: 'docker', fromEnv: false });
    assert.deepEqual(resolveKernelMode('host', env('docker')), { mode: 'host', fromEnv: false });
    assert.throws(
      () => resolveKernelMode('auto', env('Host')),
      /^Error: D0_KERNEL_MODE="Host" is not auto, docker or host$/,
    );
  });

  it('docker: auto refuses when no engine answers, naming the variable, and writes nothing', async () => {
    process.env.DOCKER_HOST = `unix://${path.join(dir, 'no-engine.sock')}`;
    process.env[KERNEL_MODE_ENV] = 'docker';
    const outFile = path.join(dir, 'docker.efi');
    await assert.rejects(
      buildKernel({ publicKeyHex: TEST1_PUBLIC, outFile }),
      /mode "docker" \(from D0_KERNEL_MODE\) but no Docker engine answers/,
    );
    assert.equal(fs.existsSync(outFile), false);
  });

  it('host: auto builds with the host toolchain and never contacts the engine that answers', async () => {
    // A stand-in engine on DOCKER_HOST: answers the ping, counts every request.
    const requests: string[] = [];
    const socket = path.join(dir, 'engine.sock');
    const engine = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
    });
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
    try {
      process.env.DOCKER_HOST = `unix://${socket}`;
      assert.ok(await connectDocker(), 'the stand-in engine does not answer a ping');
      assert.ok(requests.length > 0, 'the stand-in engine saw no request');
      requests.length = 0;
      process.env[KERNEL_MODE_ENV] = 'host';
      const built = await buildKernel({
        publicKeyHex: TEST1_PUBLIC,
        outFile: path.join(dir, 'host.efi'),
      });
      assert.equal(built.mode, 'host');
      assert.equal(fs.readFileSync(built.path).toString('latin1', 0, 2), 'MZ');
      assert.deepEqual(requests, []);
    } finally {
      await new Promise((resolve) => engine.close(resolve));
    }
  });
});
