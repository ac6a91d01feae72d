// `d0 publish` and `d0 publish status`: what they print, their exit codes (0 done, 1 a refused
// build or a pointer a host would not follow, 2 bad input) and nothing written when refused.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../cli/main';
import type { Io } from '../../cli/io';
import { formatPublicKeyFile } from '../../core/sign';
import { makeTestBuild, OTHER_KEY, SITE_KEY, snapshot } from './support';

async function d0(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: {} };
  return { code: await main(argv, io), out, err };
}

const H1 = '52-54-00-12-34-56';
const H2 = '52-54-00-12-34-57';

describe('d0 publish', () => {
  let tmp: string;
  let pub: string;
  let otherPub: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-publish-cli-'));
    pub = path.join(tmp, 'site.pub');
    otherPub = path.join(tmp, 'other.pub');
    fs.writeFileSync(pub, formatPublicKeyFile(SITE_KEY.publicKey));
    fs.writeFileSync(otherPub, formatPublicKeyFile(OTHER_KEY.publicKey));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('publishes a build for hosts, then moves one; status shows hosts and builds', async () => {
    const site = path.join(tmp, 'site');
    const a = makeTestBuild(tmp);
    const b = makeTestBuild(tmp);
    let r = await d0(['publish', site, a.dir, '--pub', pub, '--host', H1, '--host', H2]);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(
      r.out[0],
      new RegExp(`^published build ${a.uuid} at .*builds/${a.uuid} \\(\\d+ files, \\d+ bytes\\)$`),
    );
    assert.deepEqual(r.out.slice(1), [
      `host ${H1} -> ${a.uuid} (new pointer)`,
      `host ${H2} -> ${a.uuid} (new pointer)`,
    ]);

    r = await d0(['publish', site, b.slotDir, '--pub', pub, '--host', H2]);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(r.out.slice(1), [`host ${H2} -> ${b.uuid} (was ${a.uuid})`]);

    r = await d0(['publish', site, b.dir, '--pub', pub, '--host', H1]);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0], /already published .* with the same \d+ files \(left as it was\)/);

    r = await d0(['publish', 'status', site, '--pub', pub]);
    assert.equal(r.code, 0, r.err.join('\n'));
    const builds = [a.uuid, b.uuid].sort();
    assert.deepEqual(r.out, [
      `host ${H1} -> ${b.uuid} verified`,
      `host ${H2} -> ${b.uuid} verified`,
      ...builds.map((u) => `build ${u}: ${u === b.uuid ? `hosts ${H1}, ${H2}` : 'no host'}`),
    ]);

    // With another key the pointers do not verify: exit 1.
    r = await d0(['publish', 'status', site, '--pub', otherPub]);
    assert.equal(r.code, 1);
    assert.equal(r.out[0], `host ${H1} -> ${b.uuid} NOT VERIFIED (bad_signature)`);
    // Without a key: targets only.
    r = await d0(['publish', 'status', site]);
    assert.equal(r.code, 0);
    assert.equal(r.out[0], `host ${H1} -> ${b.uuid}`);
  });

  it('refuses a bad build (exit 1) and a bad host or key (exit 2), writing nothing', async () => {
    const site = path.join(tmp, 'site-refusals');
    const good = makeTestBuild(tmp);
    assert.equal((await d0(['publish', site, good.dir, '--pub', pub, '--host', H1])).code, 0);
    const before = snapshot(site);

    const cases: [string[], number, RegExp][] = [
      [
        ['publish', site, makeTestBuild(tmp, { key: OTHER_KEY }).dir, '--pub', pub, '--host', H2],
        1,
        /^d0 publish: .*refused: bad_signature/,
      ],
      [
        ['publish', site, makeTestBuild(tmp, { loader: 'none' }).dir, '--pub', pub, '--host', H2],
        1,
        /refused: loader_unsigned/,
      ],
      [
        ['publish', site, makeTestBuild(tmp).dir, '--pub', pub, '--host', '52:54:00:12:34:57'],
        2,
        /host "52:54:00:12:34:57": .*write it 52-54-00-12-34-57/,
      ],
      [
        [
          'publish',
          site,
          makeTestBuild(tmp).dir,
          '--pub',
          path.join(tmp, 'none.pub'),
          '--host',
          H2,
        ],
        2,
        /cannot read the public key/,
      ],
      [
        ['publish', site, makeTestBuild(tmp).dir, '--pub', path.join(tmp, 'site'), '--host', H2],
        2,
        /cannot read the public key/,
      ],
      [['publish', site, makeTestBuild(tmp).dir, '--host', H2], 2, /--pub KEY\.pub is required/],
      [['publish', site, makeTestBuild(tmp).dir, '--pub', pub], 2, /--host MAC is required/],
      [
        ['publish', site, path.join(tmp, 'no-build'), '--pub', pub, '--host', H2],
        2,
        /no such build directory/,
      ],
      [['publish', site, '--pub', pub, '--host', H2], 2, /^usage: d0 publish SITE_DIR BUILD_DIR/],
      [['publish', 'status'], 2, /^usage: d0 publish status SITE_DIR/],
      [['publish', 'status', path.join(tmp, 'no-site')], 2, /no such site directory/],
      [['publish', 'status', path.join(good.dir, 'slot', 'VM')], 2, /not a publication directory/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await d0(argv);
      assert.equal(r.code, code, `d0 ${argv.join(' ')}: ${r.err.join('\n')}`);
      assert.match(r.err[0], message, `d0 ${argv.join(' ')}`);
      assert.deepEqual(snapshot(site), before, `d0 ${argv.join(' ')} changed the site`);
    }
  });

  it('status exits 1 for a pointer a host would not follow, and names leftovers', async () => {
    const site = path.join(tmp, 'site-status');
    const a = makeTestBuild(tmp);
    assert.equal((await d0(['publish', site, a.dir, '--pub', pub, '--host', H1])).code, 0);
    fs.writeFileSync(path.join(site, 'hosts', `${H2}.d0ptr`), 'short');
    fs.mkdirSync(path.join(site, 'builds', `.staging-${a.uuid}-000000000000`));
    const r = await d0(['publish', 'status', site]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.out, [
      `host ${H1} -> ${a.uuid}`,
      `host ${H2} -> unreadable (pointer_short bytes=5)`,
      `build ${a.uuid}: hosts ${H1}`,
      `leftover of an interrupted publish: ${path.join(site, 'builds', `.staging-${a.uuid}-000000000000`)}`,
    ]);
  });
});
