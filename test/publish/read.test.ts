// readPublication: the builds of a site with the hosts pointing at each, every pointer's target,
// its signature checked with a key, and what is wrong with a pointer a host would not follow.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode } from '../../core/errors';
import { manifestName } from '../../core/naming';
import { publishBuild, readPublication } from '../../builder/publish';
import { makeTestBuild, OTHER_KEY, SITE_KEY } from './support';

const H1 = '52-54-00-00-00-01';
const H2 = '52-54-00-00-00-02';
const H3 = '52-54-00-00-00-03';

describe('publish: readPublication', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-publish-read-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('lists each build with its hosts and each host with its build, verified with the key', async () => {
    const site = path.join(tmp, 'site');
    const a = makeTestBuild(tmp);
    const b = makeTestBuild(tmp);
    const c = makeTestBuild(tmp);
    await publishBuild({
      site,
      buildDir: a.dir,
      publicKey: SITE_KEY.publicKey,
      hosts: [H1, H2, H3],
    });
    await publishBuild({ site, buildDir: b.dir, publicKey: SITE_KEY.publicKey, hosts: [H3, H1] });
    await publishBuild({ site, buildDir: c.dir, publicKey: SITE_KEY.publicKey, hosts: [] });
    const pub = readPublication(site, SITE_KEY.publicKey);
    assert.deepEqual(
      pub.builds.map((x) => [x.uuid, x.hosts]),
      [
        [a.uuid, [H2]],
        [b.uuid, [H1, H3]],
        [c.uuid, []],
      ].sort((x, y) => (x[0] < y[0] ? -1 : 1)),
    );
    assert.deepEqual(
      pub.hosts.map((h) => [h.host, h.uuid, h.verified, h.published, h.problem]),
      [
        [H1, b.uuid, true, true, undefined],
        [H2, a.uuid, true, true, undefined],
        [H3, b.uuid, true, true, undefined],
      ],
    );
    assert.deepEqual(pub.leftovers, []);
    // Without a key nothing is verified, and nothing is wrong either.
    assert.deepEqual(
      readPublication(site).hosts.map((h) => [h.verified, h.problem]),
      [
        [undefined, undefined],
        [undefined, undefined],
        [undefined, undefined],
      ],
    );
    // With another key no pointer verifies.
    assert.deepEqual(
      readPublication(site, OTHER_KEY.publicKey).hosts.map((h) => [h.verified, h.problem]),
      [
        [false, 'bad_signature'],
        [false, 'bad_signature'],
        [false, 'bad_signature'],
      ],
    );
  });

  it('names what is wrong with a pointer, lists leftovers, ignores strays', async () => {
    const site = path.join(tmp, 'bad-site');
    const a = makeTestBuild(tmp);
    const gone = makeTestBuild(tmp);
    await publishBuild({ site, buildDir: a.dir, publicKey: SITE_KEY.publicKey, hosts: [H1] });
    const hosts = path.join(site, 'hosts');
    const at = (name: string) => path.join(hosts, name);
    fs.writeFileSync(at(`${H2}.d0ptr`), Buffer.alloc(64));
    fs.writeFileSync(at(`${H3}.d0ptr`), Buffer.concat([a.sig, Buffer.from('garbage TLV')]));
    fs.writeFileSync(at('52-54-00-00-00-04.d0ptr'), Buffer.concat([gone.sig, gone.tlv]));
    fs.writeFileSync(
      at('52-54-00-00-00-05.d0ptr'),
      Buffer.concat([OTHER_KEY.secretKey, OTHER_KEY.secretKey, a.tlv]),
    );
    fs.writeFileSync(at('52:54:00:00:00:06.d0ptr'), Buffer.concat([a.sig, a.tlv]));
    fs.writeFileSync(at(`.${H1}.d0ptr.0123456789ab.tmp`), 'half');
    fs.writeFileSync(at('README'), 'not a pointer');
    fs.mkdirSync(path.join(site, 'builds', `.staging-${gone.uuid}-0123456789ab`));
    fs.mkdirSync(path.join(site, 'builds', 'not-a-uuid'));
    const pub = readPublication(site, SITE_KEY.publicKey);
    assert.deepEqual(
      pub.hosts.map((h) => [h.host, h.uuid, h.verified, h.problem]),
      [
        [H1, a.uuid, true, undefined],
        [H2, undefined, undefined, 'pointer_short bytes=64'],
        [H3, undefined, false, 'bad_signature'],
        ['52-54-00-00-00-04', gone.uuid, true, 'build_not_published'],
        ['52-54-00-00-00-05', a.uuid, false, 'bad_signature'],
        ['52:54:00:00:00:06', a.uuid, true, 'bad_host_id'],
      ],
    );
    assert.deepEqual(pub.leftovers, [
      path.join(site, 'builds', `.staging-${gone.uuid}-0123456789ab`),
      at(`.${H1}.d0ptr.0123456789ab.tmp`),
    ]);
    assert.deepEqual(
      pub.builds.map((b) => b.uuid),
      [a.uuid],
    );
    assert.deepEqual(pub.builds[0].hosts, [H1, '52-54-00-00-00-05', '52:54:00:00:00:06']);

    // Without a key D0's next check names it: the TLV does not decode.
    assert.equal(readPublication(site).hosts[2].problem, 'tlv:TRUNCATED');

    // The build's manifest replaced under the pointer: build_manifest_differs.
    fs.writeFileSync(path.join(site, 'builds', a.uuid, manifestName(a.uuid)), gone.tlv);
    assert.equal(readPublication(site).hosts[0].problem, 'build_manifest_differs');
  });

  it('refuses a site that is no directory, or a directory with neither builds/ nor hosts/', () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    for (const [site, why] of [
      [path.join(tmp, 'nothing'), /no such directory/],
      [empty, /not a publication directory \(neither builds\/ nor hosts\/ in it\)/],
    ] as const)
      assert.throws(
        () => readPublication(site),
        (e: unknown) => errorCode(e) === 'PUBLISH_SITE' && why.test((e as Error).message),
      );
    fs.mkdirSync(path.join(empty, 'hosts'));
    assert.deepEqual(readPublication(empty), { site: empty, builds: [], hosts: [], leftovers: [] });
  });
});
