// PID1's parsers built for the host with ASan/UBSan and run here; specs written by the TypeScript
// encoder parsed back by the C parser; and the static init build with its cache.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { encodeExecSpec, ExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit, INIT_SOURCE_DIR } from '../../builder/guest/init';
import { Runner } from '../../builder/guest/run';

const refuseToRun: Runner = async (cmd) => {
  throw new Error(`a cache hit must not run anything, but ran ${cmd}`);
};

describe('guest PID1 on the host', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-init-host-'));
    execFileSync('make', ['-s', '-C', INIT_SOURCE_DIR, `BUILD=${dir}`, 'host-tests'], { stdio: ['ignore', 'ignore', 'pipe'] });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const t of ['test_spec', 'test_cmdline', 'test_resolve', 'test_log']) {
    it(`${t} passes under ASan/UBSan`, () => {
      const r = spawnSync(path.join(dir, t), { encoding: 'utf8' });
      assert.equal(r.status, 0, `${t} failed:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^${t}: [1-9][0-9]* checks, 0 failed$`, 'm'));
    });
  }

  function dump(spec: Buffer): { status: number | null; out: string } {
    const r = spawnSync(path.join(dir, 'spec_dump'), { input: spec, encoding: 'utf8' });
    assert.equal(r.stderr, '', 'sanitizer output');
    return { status: r.status, out: r.stdout };
  }
  const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

  it('specs written by the TypeScript encoder parse back to the same values in C', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'));
    const id = fc.integer({ min: 0, max: 0xfffffffe });
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 5 }).filter((a) => a[0] !== ''),
        fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), text), { maxLength: 4 }),
        fc.option(text.map((s) => '/' + s), { nil: undefined }),
        id,
        id,
        fc.array(id, { maxLength: 4 }),
        (args, env, cwd, uid, gid, groups) => {
          const spec: ExecSpec = { args, env: env.map(([k, v]) => `${k}=${v}`), cwd, uid, gid, groups };
          const r = dump(encodeExecSpec(spec));
          const want = [
            ...args.map((a) => `arg ${hex(a)}`),
            ...spec.env!.map((e) => `env ${hex(e)}`),
            `cwd ${hex(cwd ?? '/')}`,
            `uid ${uid}`,
            `gid ${gid}`,
            `groups${groups.map((g) => ` ${g}`).join('')}`,
          ];
          assert.equal(r.status, 0, r.out);
          assert.deepEqual(r.out.trimEnd().split('\n'), want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the C parser names the line of a malformed spec', () => {
    const r = dump(Buffer.from('d0-exec 1\narg /bin/sh\nentrypoint x\n'));
    assert.equal(r.status, 1);
    assert.equal(r.out, "error line 3: unknown key 'entrypoint'\n");
  });

  it('builds a small static init with musl, then serves it from the cache', async () => {
    const cacheRoot = path.join(dir, 'cache');
    const first = await buildGuestInit({ cacheRoot });
    assert.equal(first.cached, false);
    const size = fs.statSync(first.init).size;
    assert.ok(size > 10_000 && size < 100_000, `init is ${size} bytes`);
    const headers = execFileSync('readelf', ['-lh', first.init], { encoding: 'utf8' });
    assert.match(headers, /Type:\s+EXEC|Type:\s+DYN/);
    assert.doesNotMatch(headers, /INTERP/, 'a static binary has no program interpreter');
    assert.doesNotMatch(headers, /DYNAMIC/, 'a static binary has no dynamic section');
    const again = await buildGuestInit({ cacheRoot, runner: refuseToRun });
    assert.deepEqual(again, { ...first, cached: true });
  });

  it('a source change gives a new cache key', async () => {
    const src = path.join(dir, 'src');
    fs.cpSync(INIT_SOURCE_DIR, src, { recursive: true });
    const cacheRoot = path.join(dir, 'cache');
    const a = await buildGuestInit({ cacheRoot, sourceDir: src, runner: refuseToRun }).catch((e: Error) => e);
    // The copy has the same bytes, so it is the same key and already cached.
    assert.ok(!(a instanceof Error) && a.cached, String(a));
    fs.appendFileSync(path.join(src, 'log.c'), '\n/* changed */\n');
    await assert.rejects(buildGuestInit({ cacheRoot, sourceDir: src, runner: refuseToRun }), /must not run anything, but ran make/);
  });

  it('the libFuzzer target survives 200k inputs on both parsers (ASan/UBSan, invariants asserted)', () => {
    execFileSync('make', ['-s', '-C', INIT_SOURCE_DIR, `BUILD=${dir}`, 'fuzz'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const corpus = path.join(dir, 'corpus'); // a copy: new inputs never land in the repository
    fs.cpSync(path.join(INIT_SOURCE_DIR, 'tests/corpus'), corpus, { recursive: true });
    const r = spawnSync(path.join(dir, 'fuzz_parsers'), ['-runs=200000', '-max_len=4096', '-seed=1', corpus], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    assert.match(r.stderr, /Done 200000 runs/);
  });

  it('refuses to run outside PID 1 instead of touching the host', async () => {
    const { init } = await buildGuestInit({ cacheRoot: path.join(dir, 'cache') });
    const r = spawnSync(init, { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /must run as PID 1/);
  });
});
