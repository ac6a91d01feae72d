// DOCKER_HOST has one home (builder/oci/engine-client.ts, dockerSocketPath): the image builder's
// HTTP client and the dockerode users (kernel build, provider: builder/docker/engine.ts) both ask
// it. unix:///path and a plain /path name the socket; anything else is refused, never ignored.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDocker } from '../../builder/docker/engine';
import { buildImage } from '../../builder/image/build';
import { DOCKER_SOCKET, dockerSocketPath } from '../../builder/oci/engine-client';
import type { ImageError } from '../../core/image/errors';

describe('oci: DOCKER_HOST', () => {
  it('unix:// and absolute paths name the socket; unset is the default; tcp:// is refused', () => {
    assert.equal(dockerSocketPath({}), DOCKER_SOCKET);
    assert.equal(dockerSocketPath({ DOCKER_HOST: '' }), DOCKER_SOCKET);
    assert.equal(dockerSocketPath({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), '/run/user/1000/docker.sock');
    assert.equal(dockerSocketPath({ DOCKER_HOST: '/srv/docker.sock' }), '/srv/docker.sock');
    assert.throws(() => dockerSocketPath({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), /only a local engine on a unix socket/);
  });

  describe('with DOCKER_HOST naming a socket nobody serves', () => {
    let dir: string;
    let saved: string | undefined;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-docker-host-'));
      saved = process.env.DOCKER_HOST;
      process.env.DOCKER_HOST = `unix://${path.join(dir, 'nobody.sock')}`;
    });
    after(() => {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('d0 image build asks that socket (not /var/run/docker.sock) and says it does not answer', async () => {
      await assert.rejects(
        buildImage({ source: 'docker:anything:1', out: path.join(dir, 'x.img'), init: '/bin/busybox', cacheDir: path.join(dir, 'cache') }),
        (e: ImageError) => {
          assert.equal(e.code, 'IMAGE_NOT_FOUND', e.message);
          assert.match(e.message, /docker:anything:1: the Docker engine does not answer: .*nobody\.sock/);
          return true;
        },
      );
      assert.equal(fs.existsSync(path.join(dir, 'x.img')), false);
    });

    it('the kernel build and the provider (dockerode) find no engine there either', async () => {
      assert.equal(await connectDocker(500), undefined);
    });
  });
});
