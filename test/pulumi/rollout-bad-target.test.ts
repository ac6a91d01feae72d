// Bad input through the real engine: `pulumi up` onto a disk image that exists but is not an A/B
// disk D0 made fails with an error naming the file, and the file keeps every byte.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ENGINE_BUILD_TIMEOUT_MS, type PulumiWorkspace } from '../support/pulumi';
import { writeBusyboxArchive } from '../provider/fixture-image';
import { rolloutWorkspace, writeRolloutSite } from './rollout-program';
import { engineEnv } from './site-program';

const sha256 = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe('Pulumi engine: the slot writer refuses a target that is not a D0 A/B disk', function () {
  this.timeout(600_000);
  let ws: PulumiWorkspace;
  before(async function () {
    this.timeout(ENGINE_BUILD_TIMEOUT_MS);
    ws = await rolloutWorkspace();
  });
  after(() => ws?.dispose());

  it('up fails naming the disk image, and the image is unchanged', async () => {
    // A plain GPT disk with one Linux partition: some other system's disk.
    const disk = path.join(ws.root, 'not-ab.img');
    fs.writeFileSync(disk, Buffer.alloc(64 * 1024 * 1024));
    execFileSync('sgdisk', ['-o', '-n', '1:2048:0', disk]);
    const before = sha256(disk);
    const image = await writeBusyboxArchive(path.join(ws.root, 'images', 'v1.tar'));
    writeRolloutSite(ws, image, disk);
    const r = await ws.pulumi(['up', '--yes', '--skip-preview'], {
      ...engineEnv,
      timeoutMs: 600_000,
    });
    assert.notEqual(r.code, 0, 'up succeeded onto a disk that is not an A/B disk');
    const text = r.stdout + r.stderr;
    assert.match(text, /DISK_NOT_AB/);
    assert.ok(text.includes(`${disk}: not an A/B disk made by D0`), text);
    assert.equal(sha256(disk), before, 'the disk image changed');
  });
});
