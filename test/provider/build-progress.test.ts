// makeBuild reports an image's conversion through onImageProgress (by container name), as the
// Deployment's progress lines show it: stored layer bytes never go back and the last layers event
// is at the archive's layer size, then the steps; its log names the steps, never the signing key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProgressEvent } from '../../builder/image/build';
import { makeBuild } from '../../builder/site';
import { writeBusyboxArchive, webSiteSpec } from './fixture-image';
import { SECRET } from '../pulumi/site-program';

describe('makeBuild progress', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-build-progress-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports the conversion of a new image up to its layers size, then its steps', async () => {
    const file = path.join(dir, 'img.tar');
    const image = await writeBusyboxArchive(file, `progress-${process.pid}-${Date.now()}`);
    const events: Array<[string, ProgressEvent]> = [];
    const log: string[] = [];
    const r = await makeBuild({
      spec: webSiteSpec(image),
      secretKey: Buffer.from(SECRET, 'hex'),
      outDir: path.join(dir, 'builds'),
      kernelMode: 'host',
      log: (l) => log.push(l),
      onImageProgress: (c, e) => events.push([c, e]),
    });
    assert.equal(r.conversions, 1);
    assert.ok(events.every(([c]) => c === 'web'));
    const layers = events.flatMap(([, e]) => (e.phase === 'layers' ? [e] : []));
    assert.ok(layers.length >= 2, `${layers.length} layers events`);
    for (let i = 1; i < layers.length; i++) {
      assert.ok(layers[i].stored >= layers[i - 1].stored);
      assert.ok(layers[i].bytes >= layers[i - 1].bytes);
    }
    const last = layers[layers.length - 1];
    // The archive's one layer is an uncompressed tar: read whole, stored and plain sizes agree.
    assert.ok(last.storedTotal! > 1 << 20 && last.storedTotal! < fs.statSync(file).size);
    assert.equal(last.stored, last.storedTotal);
    assert.equal(last.bytes, last.storedTotal);
    const steps = events.flatMap(([, e]) => (e.phase === 'image' ? [e.step] : []));
    assert.deepEqual(steps, ['metadata', 'digest']);
    assert.ok(
      log.some((l) => l.startsWith('image web: ')),
      log.join('\n'),
    );
    assert.ok(!log.join('\n').includes(SECRET));
  });
});
