// `d0 engine start|stop|build`: a Docker engine where none runs, a Dockerfile built through it from
// the busybox-static base d0 imports itself, and a stop that only ever ends what `start` started.
// The real build is examples/hello, converted by `d0 image build` as ./scripts/main does.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUSYBOX_IMAGE, busyboxTree } from '../../builder/docker/busybox-image';
import { fromImages } from '../../builder/docker/dockerfile-build';
import { connectDocker } from '../../builder/docker/engine';
import { storageDrivers } from '../../builder/docker/storage-driver';
import { processAlive as alive } from '../../builder/process-alive';
import { buildGuestInit } from '../../builder/guest/init';
import { d0 } from '../support/d0-pipeline';
import { readExt4Tree } from '../support/ext4-tree';

const ROOT = path.join(__dirname, '..', '..');
const HELLO_TAG = 'd0-test/engine-hello:1';

describe('d0 engine', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-engine-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('bad input: exit 2 with one line naming what and where', async () => {
    fs.mkdirSync(path.join(dir, 'no-dockerfile'));
    const cases: [string[], RegExp][] = [
      [['engine'], /^usage: d0 engine start/],
      [['engine', 'start', 'now'], /^usage: d0 engine start$/],
      [['engine', 'stop', '--force'], /Unknown option '--force'/],
      [['engine', 'build', ROOT + '/examples/hello'], /^usage: d0 engine build DIR --tag NAME:TAG$/],
      [['engine', 'build', path.join(dir, 'nowhere'), '--tag', 'a/b:1'], /nowhere: no such directory$/],
      [['engine', 'build', path.join(dir, 'no-dockerfile'), '--tag', 'a/b:1'], /no-dockerfile\/Dockerfile: no such file$/],
      [['engine', 'build', ROOT + '/examples/hello', '--tag', 'Hello:1'], /^--tag: "Hello:1" is not NAME:TAG/],
      [['engine', 'build', ROOT + '/examples/hello', '--tag', 'hello'], /^--tag: "hello" is not NAME:TAG/],
    ];
    for (const [argv, re] of cases) {
      const r = await d0(argv);
      assert.equal(r.code, 2, `d0 ${argv.join(' ')}: exit ${r.code}\n${r.err}`);
      assert.match(r.err.split('\n')[0], re, `d0 ${argv.join(' ')}`);
    }
  });

  it('the busybox base tree: the static binary, a link per applet, /tmp sticky, root-owned names', () => {
    const tree = busyboxTree();
    const byName = new Map(tree.map((e) => [e.name, e]));
    assert.equal(byName.size, tree.length, 'no name twice');
    assert.equal(byName.get('bin/busybox')?.type, 'file');
    assert.equal(byName.get('bin/busybox')?.mode, 0o755);
    assert.deepEqual(byName.get('bin/sh'), { name: 'bin/sh', type: 'symlink', mode: 0o777, linkname: '/bin/busybox' });
    assert.equal(byName.get('tmp/')?.mode, 0o1777);
    assert.match(byName.get('etc/passwd')?.data?.toString() ?? '', /^root:x:0:0:/);
    // Every parent directory comes before what it holds (docker import needs no order, a tar reader may).
    const index = new Map(tree.map((e, i) => [e.name, i]));
    for (const e of tree) {
      const parent = e.name.replace(/\/?[^/]+\/?$/, '');
      if (parent) assert.ok((index.get(`${parent}/`) ?? Infinity) < index.get(e.name)!, `${parent}/ after ${e.name}`);
    }
    assert.throws(() => busyboxTree(path.join(dir, 'no-busybox')), /no-busybox: cannot read or run it .*install the Debian package busybox-static/);
  });

  it('finds the base images a Dockerfile names', () => {
    assert.deepEqual(fromImages('# c\nFROM d0/busybox-static:1\nRUN x\n'), ['d0/busybox-static:1']);
    assert.deepEqual(fromImages('from --platform=linux/amd64 a:1 AS b\n  FROM b\n'), ['a:1', 'b']);
    assert.deepEqual(fromImages('RUN echo FROM x\n'), []);
  });

  it('stop never ends a process d0 did not start, even when its pid file names one', async () => {
    const saved = process.env.D0_CACHE;
    process.env.D0_CACHE = path.join(dir, 'cache');
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(path.join(dir, 'cache', 'docker-run'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'cache', 'docker-run', 'started-by-d0.pid'), `${other.pid}\n`);
      const r = await d0(['engine', 'stop']);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'engine: d0 started no engine that still runs; nothing stopped');
      assert.ok(alive(other.pid!), 'the unrelated process still runs');
      assert.ok(!fs.existsSync(path.join(dir, 'cache', 'docker-run', 'started-by-d0.pid')), 'the stale pid file is gone');
    } finally {
      other.kill('SIGKILL');
      if (saved === undefined) delete process.env.D0_CACHE;
      else process.env.D0_CACHE = saved;
    }
  });

  it('start, build examples/hello FROM the imported base, convert it with d0 image build, stop', async function () {
    this.timeout(15 * 60_000);
    const start = await d0(['engine', 'start']);
    assert.equal(start.code, 0, start.err);
    const started = /^engine: started dockerd \(pid (\d+)\) on (\S+); d0 engine stop stops it$/.exec(start.out);
    if (!started) assert.match(start.out, /^engine: using the engine answering on \S+$/);
    try {
      if (started) {
        // The first driver the kernel allows (overlay2 here): each build step a mount, not a copy.
        const info = (await (await connectDocker())!.info()) as { Driver?: string };
        assert.equal(info.Driver, storageDrivers()[0]);
      }
      const b = await d0(['engine', 'build', path.join(ROOT, 'examples', 'hello'), '--tag', HELLO_TAG]);
      assert.equal(b.code, 0, b.err);
      assert.equal(b.out, HELLO_TAG);
      assert.match(b.err, new RegExp(`^engine: Step 1/\\d+ : FROM ${BUSYBOX_IMAGE}$`, 'm'));
      const init = (await buildGuestInit()).init;
      const img = path.join(dir, 'hello.img');
      const c = await d0(['image', 'build', `docker:${HELLO_TAG}`, '--out', img, '--init', init]);
      assert.equal(c.code, 0, c.err);
      const i = await d0(['image', 'inspect', img]);
      assert.equal(i.code, 0, i.err);
      assert.match(i.out, /"cwd": "\/srv\/hello"/);
      assert.match(i.out, /"cat greeting; echo uid=\$\(id -u\) cwd=\$\(pwd\); exec httpd -f -p 80 -h \/srv\/hello\/www"/);
      const tree = readExt4Tree(img);
      assert.equal(tree.get('/bin/sh')?.link, '/bin/busybox');
      assert.equal(tree.get('/srv/hello/greeting')?.size, 'hello from the hello container\n'.length);
      assert.equal(tree.get('/.d0/init')?.size, fs.statSync(init).size);
    } finally {
      await (await connectDocker())?.getImage(HELLO_TAG).remove().catch(() => {});
      const s = await d0(['engine', 'stop']);
      assert.equal(s.code, 0, s.err);
      if (started) {
        assert.equal(s.out, `engine: stopped dockerd (pid ${started[1]})`);
        // stopped; this process (its parent here) reaps it on its next turn of the event loop
        for (let i = 0; i < 50 && alive(Number(started[1])); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(!alive(Number(started[1])), 'dockerd is gone');
        const after = await d0(['engine', 'build', path.join(ROOT, 'examples', 'hello'), '--tag', HELLO_TAG]);
        assert.equal(after.code, 1);
        assert.equal(after.err, 'd0 engine build: no Docker engine answers; start one with d0 engine start');
      } else {
        // An engine that was answering: not d0's (never stopped), or one d0 started for another
        // user, left to the last holder (test/cli/engine-holds.test.ts).
        assert.match(s.out, /^engine: (d0 started no engine that still runs; nothing stopped|stopped dockerd \(pid \d+\)|dockerd \(pid \d+\) left running: \d+ other d0 user\(s\) still hold it; the last one stops it)$/);
      }
    }
    const again = await d0(['engine', 'stop']);
    assert.doesNotMatch(again.out, /stopped dockerd/, 'a second stop has nothing of its own to let go');
  });
});
