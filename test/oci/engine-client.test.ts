// The plain HTTP engine client (builder/oci/engine-client.ts) the CLI uses instead of dockerode,
// against a real dockerd: inspect, a 404, a pull that cannot reach a registry, a save, and a
// build through it giving the same bytes as a build through dockerode.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { buildImage } from '../../builder/image/build';
import { engineClient, pullQuery } from '../../builder/oci/engine-client';
import type { ImageError } from '../../core/image/errors';
import { ensureDockerd, type DockerHandle } from '../support/dockerd';

const TAG = 'd0-test/multilayer:1';

describe('oci: engine client without dockerode', function () {
  this.timeout(300_000);
  let dockerd: DockerHandle;
  let tmp: string;
  before(async () => {
    dockerd = await ensureDockerd();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-oci-client-'));
    const ctx = path.join(tmp, 'ctx');
    fs.cpSync(path.join(__dirname, '../support/images/multilayer'), ctx, { recursive: true });
    fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
    execFileSync('/usr/bin/docker', ['build', '-q', '-t', TAG, ctx], { stdio: ['ignore', 'ignore', 'inherit'] });
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await dockerd?.stop();
  });

  it('splits repository, tag and digest for a pull like the docker CLI', () => {
    assert.equal(pullQuery('alpine'), 'fromImage=alpine&tag=latest');
    assert.equal(pullQuery('d0-test/x:1'), 'fromImage=d0-test%2Fx&tag=1');
    assert.equal(pullQuery('reg:5000/x'), 'fromImage=reg%3A5000%2Fx&tag=latest');
    assert.equal(pullQuery('reg:5000/x:2'), 'fromImage=reg%3A5000%2Fx&tag=2');
    assert.equal(pullQuery('x@sha256:ab'), 'fromImage=x&tag=sha256%3Aab');
  });

  it('inspects an image, answers undefined for a missing one and streams docker save', async () => {
    const client = engineClient();
    const info = await client.inspectImage(TAG);
    const viaDockerode = await dockerd.docker.getImage(TAG).inspect();
    assert.deepEqual(info, { Id: viaDockerode.Id, Size: viaDockerode.Size });
    assert.equal(await client.inspectImage('d0-test/absent:none'), undefined);
    const names: string[] = [];
    const extract = tar.extract();
    (await client.saveImage(info!.Id)).pipe(extract);
    for await (const e of extract) {
      names.push((e as unknown as { header: tar.Header }).header.name);
      (e as unknown as { resume(): void }).resume();
    }
    assert.ok(names.includes('manifest.json'), names.join(', '));
    assert.ok(names.includes(`${info!.Id.slice(7)}.json`), 'config named by its digest');
  });

  it("names the engine's data root and storage driver as docker info does", async () => {
    const info = (await dockerd.docker.info()) as { DockerRootDir: string; Driver: string };
    assert.deepEqual(await engineClient().storage(), {
      DockerRootDir: info.DockerRootDir,
      Driver: info.Driver,
    });
    assert.ok(fs.statSync(info.DockerRootDir).isDirectory());
  });

  it('reports a failed pull with the engine\'s message', async () => {
    await assert.rejects(engineClient().pullImage('d0-test/absent:none'), (e: Error) => e.message.length > 0 && !/HTTP 2\d\d/.test(e.message));
    await assert.rejects(
      buildImage({ source: 'docker:d0-test/absent:none', out: path.join(tmp, 'absent.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache-absent') }),
      (e: ImageError) => e.code === 'IMAGE_NOT_FOUND' && e.message.includes('d0-test/absent:none') && e.message.includes('pulling it failed:'),
    );
    assert.equal(fs.existsSync(path.join(tmp, 'absent.img')), false);
  });

  it('builds the same image bytes as through dockerode', async () => {
    const plain = await buildImage({ source: `docker:${TAG}`, out: path.join(tmp, 'plain.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache-plain') });
    const viaDockerode = await buildImage({
      source: `docker:${TAG}`, out: path.join(tmp, 'dockerode.img'), init: '/bin/busybox', cacheDir: path.join(tmp, 'cache-dockerode'), docker: dockerd.docker,
    });
    assert.equal(plain.cached, false);
    assert.equal(plain.meta.sha256, viaDockerode.meta.sha256);
  });
});
