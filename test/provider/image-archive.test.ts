// A corrupt image archive or layout is a check() problem of the Deployment at the container's
// `image` path, found without converting: a cut tar, JSON that does not parse, a layer blob that
// is missing, of the wrong size or with the wrong bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as impl from '../../provider/impl/deployment';
import { failurePath } from '../../provider/impl/problems';
import { indexTar, member } from '../../builder/oci/tar-index';
import { craftLayer, imageConfig, writeOciLayout } from '../support/oci-pack';
import { writeBusyboxArchive } from './fixture-image';

const SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

describe('provider: Deployment.check reads image archives without converting them', function () {
  this.timeout(60_000);
  let dir: string;
  let good: string; // a docker-archive file
  let layer: Buffer;

  const checkImage = async (image: string) => {
    const r = await impl.check(
      {} as impl.DeploymentInputs,
      {
        network: { bridge: '10.20.0.1/24' },
        containers: {
          web: {
            name: 'web',
            image,
            vcpu: 1,
            memMb: 64,
            ip: '10.20.0.10/24',
            bootOrder: 0,
            healthTimeoutS: 30,
          },
        },
        securityEpoch: 1,
        signingKey: SECRET,
        outDir: path.join(dir, 'builds'),
      } as impl.DeploymentInputs,
    );
    return r.failures ?? [];
  };
  /** The one failure, which must be at containers.web.image; its reason. */
  const imageProblem = async (image: string) => {
    const f = await checkImage(image);
    assert.deepEqual(f.map(failurePath), ['containers.web.image'], JSON.stringify(f));
    return f[0].reason;
  };
  const copy = (name: string) => {
    const f = path.join(dir, name);
    fs.copyFileSync(good, f);
    return f;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-image-archive-'));
    good = (await writeBusyboxArchive(path.join(dir, 'good.tar'))).slice('docker-archive:'.length);
    layer = await craftLayer([{ name: 'hello.txt', content: 'hello\n' }]);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a well-formed archive and layout pass', async () => {
    assert.deepEqual(await checkImage(`docker-archive:${good}`), []);
    const oci = path.join(dir, 'oci-good');
    writeOciLayout(oci, [layer], imageConfig([layer]), { gzip: true });
    assert.deepEqual(await checkImage(`oci:${oci}`), []);
  });

  it('a cut docker-archive tar', async () => {
    const f = copy('cut.tar');
    fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
    assert.match(
      await imageProblem(`docker-archive:${f}`),
      /^containers\.web\.image: docker-archive:.*cut\.tar: not a readable tar: member .* runs past the end of the file$/,
    );
  });

  it('a file too short for a tar, a tar cut inside a header, and a directory', async () => {
    const short = path.join(dir, 'short.tar');
    fs.writeFileSync(short, 'not a tar\n');
    assert.match(
      await imageProblem(`docker-archive:${short}`),
      /short\.tar: not a readable tar: 10 bytes, shorter than one tar header$/,
    );
    const f = copy('header-cut.tar');
    const m = member(indexTar(f), 'layer0/layer.tar')!;
    fs.truncateSync(f, m.offset + Math.ceil(m.size / 512) * 512 + 100); // into the next header
    assert.match(
      await imageProblem(`docker-archive:${f}`),
      /header-cut\.tar: not a readable tar: ends inside a header at byte \d+$/,
    );
    assert.match(
      await imageProblem(`docker-archive:${dir}`),
      /^containers\.web\.image: docker-archive:\S+: cannot be read: EISDIR/,
    );
  });

  it('a manifest.json that does not parse', async () => {
    const f = path.join(dir, 'badjson.tar');
    fs.writeFileSync(f, await craftLayer([{ name: 'manifest.json', content: '[{"Config": ' }]));
    assert.match(
      await imageProblem(`docker-archive:${f}`),
      /badjson\.tar: manifest\.json is not valid JSON/,
    );
  });

  it('a docker-archive layer whose bytes changed (same size) fails its diff_id', async () => {
    const f = copy('flipped.tar');
    const m = member(indexTar(f), 'layer0/layer.tar')!;
    const fd = fs.openSync(f, 'r+');
    const pos = m.offset + Math.floor(m.size / 2);
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, pos);
    fs.writeSync(fd, Buffer.from([b[0] ^ 0xff]), 0, 1, pos);
    fs.closeSync(fd);
    assert.match(
      await imageProblem(`docker-archive:${f}`),
      /flipped\.tar: layer 0 \(layer0\/layer\.tar\): sha256 is sha256:[0-9a-f]{64}, config rootfs\.diff_ids says/,
    );
  });

  it('a docker-archive layer that is listed but absent', async () => {
    const f = path.join(dir, 'nolayer.tar');
    const manifestOnly = await craftLayer([
      {
        name: 'manifest.json',
        content: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]),
      },
      { name: 'c.json', content: imageConfig([layer]) },
    ]);
    fs.writeFileSync(f, manifestOnly);
    assert.match(
      await imageProblem(`docker-archive:${f}`),
      /layer l\/layer\.tar is listed but not in the archive/,
    );
  });

  it('an OCI layout whose layer blob is cut, missing, or altered, or whose config does not parse', async () => {
    const blobOf = (oci: string) => {
      const index = JSON.parse(fs.readFileSync(path.join(oci, 'index.json'), 'utf8'));
      const m = JSON.parse(
        fs.readFileSync(path.join(oci, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'),
      );
      return path.join(oci, 'blobs/sha256', m.layers[0].digest.slice(7));
    };
    const layout = (name: string, config = imageConfig([layer])) => {
      const oci = path.join(dir, name);
      writeOciLayout(oci, [layer], config, { gzip: true });
      return oci;
    };

    const cut = layout('oci-cut');
    const size = fs.statSync(blobOf(cut)).size;
    fs.truncateSync(blobOf(cut), size - 3);
    assert.match(
      await imageProblem(`oci:${cut}`),
      new RegExp(
        `oci-cut: layer 0 \\(sha256:[0-9a-f]{64}\\): the blob has ${size - 3} bytes, its descriptor says ${size}$`,
      ),
    );

    const missing = layout('oci-missing');
    fs.rmSync(blobOf(missing));
    assert.match(
      await imageProblem(`oci:${missing}`),
      /oci-missing: layer 0 .*: blob sha256:[0-9a-f]{64} is missing/,
    );

    const altered = layout('oci-altered');
    const bytes = fs.readFileSync(blobOf(altered));
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(blobOf(altered), bytes);
    assert.match(
      await imageProblem(`oci:${altered}`),
      /oci-altered: layer 0 .*: blob sha256:\S+ has sha256 sha256:/,
    );

    const badConfig = layout('oci-config', Buffer.from('{"architecture": "amd64",'));
    assert.match(
      await imageProblem(`oci:${badConfig}`),
      /oci-config: blobs\/sha256\/[0-9a-f]{64} is not valid JSON/,
    );
  });
});
