// The partition of scripts/test-parts.ts: every test file runs in exactly one process, and every
// file that starts, uses or stops a Docker engine runs in the one process without the
// D0_KERNEL_MODE pin (docs/ci.md, "Two test processes").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assignParts, runPhases, testFiles } from '../../scripts/test-assign';
import { TEST_PARTS, type TestPart } from '../../scripts/test-parts';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * What marks a file that needs a Docker engine it may start or stop: the test engine
 * (test/support/dockerd.ts), `d0 engine start`, the docker CLI, and scripts/main (which starts
 * and stops one).
 */
const ENGINE_USE =
  /\bensureDockerd\(|\bstartEngine\(|\/usr\/bin\/docker\b|'engine', 'start'|'scripts', 'main'/;

/** The file and every test/ or bench/ file it reaches: relative imports, and the benches a test runs by path. */
function reached(file: string): string[] {
  const seen = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const src = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    const targets: string[] = [];
    for (const m of src.matchAll(/from '(\.{1,2}\/[^']+)'|require\('(\.{1,2}\/[^']+)'\)/g))
      targets.push(path.join(path.dirname(rel), m[1] ?? m[2]));
    for (const m of src.matchAll(/'(bench\/[\w./-]+\.ts)'/g)) targets.push(m[1]);
    for (const t of targets) {
      const hit = [t, `${t}.ts`, `${t}/index.ts`].find(
        (c) => fs.existsSync(path.join(ROOT, c)) && fs.statSync(path.join(ROOT, c)).isFile(),
      );
      if (hit && /^(test|bench)\//.test(hit)) visit(hit);
    }
  };
  visit(file);
  return [...seen];
}

const usesEngine = (file: string) =>
  reached(file).some((f) => ENGINE_USE.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));

const part = (name: string, paths: string[], env: Record<string, string> = {}): TestPart => ({
  name,
  env,
  paths: Object.fromEntries(paths.map((p) => [p, 'why'])),
});

describe('scripts/test-parts.ts: the test processes', () => {
  const files = testFiles(ROOT);
  const assigned = assignParts(files, TEST_PARTS);

  it('places every test file in exactly one process', () => {
    assert.ok(files.length > 100, `only ${files.length} test files found`);
    const placed = [...assigned.values()].flat();
    assert.deepEqual([...placed].sort(), files);
    assert.equal(new Set(placed).size, placed.length);
  });

  it('pins every process but one to the host toolchain, so only one may use a Docker engine', () => {
    const unpinned = TEST_PARTS.filter((p) => p.env.D0_KERNEL_MODE !== 'host');
    assert.equal(unpinned.length, 1, unpinned.map((p) => p.name).join(', '));
  });

  it('runs every file that starts, uses or stops a Docker engine in the unpinned process', () => {
    const self = path.relative(ROOT, __filename); // its markers are in its source
    const engineFiles = files.filter((f) => f !== self && usesEngine(f));
    // The scan must find the known ones, or it proves nothing.
    for (const known of [
      'test/oci/fidelity.test.ts',
      'test/bench/quick.test.ts',
      'test/e2e/main-job.test.ts',
      'test/cli/engine.test.ts',
      'test/kernel-build/reproducible.test.ts',
    ])
      assert.ok(engineFiles.includes(known), `${known} not found by the scan`);
    const unpinned = TEST_PARTS.find((p) => p.env.D0_KERNEL_MODE !== 'host')!.name;
    const misplaced = engineFiles.filter((f) => !assigned.get(unpinned)!.includes(f));
    assert.deepEqual(misplaced, [], `these use a Docker engine but run in a pinned process`);
  });

  it('runs the side-by-side parts together first, then each alone part by itself', () => {
    const alone = (name: string): TestPart => ({ ...part(name, []), alone: true });
    const phases = runPhases([alone('x'), part('one', []), part('two', []), alone('y')]);
    assert.deepEqual(
      phases.map((ph) => ph.map((p) => p.name)),
      [['one', 'two'], ['x'], ['y']],
    );
    assert.deepEqual(
      runPhases([alone('x')]).map((ph) => ph.map((p) => p.name)),
      [['x']],
    );
    // The real partition: the SMP guest test runs alone.
    const aloneParts = TEST_PARTS.filter((p) => p.alone).map((p) => p.name);
    assert.ok(
      aloneParts.some((n) => assigned.get(n)!.includes('test/hv-svm/smp-guest.test.ts')),
      'smp-guest is not in an alone part',
    );
  });

  it('gives a file to the part listing the longest path containing it', () => {
    const got = assignParts(
      ['test/a/x.test.ts', 'test/a/y.test.ts', 'test/ab/z.test.ts'],
      [part('one', ['test/a']), part('two', ['test/a/y.test.ts', 'test/ab'])],
    );
    assert.deepEqual(Object.fromEntries(got), {
      one: ['test/a/x.test.ts'],
      two: ['test/a/y.test.ts', 'test/ab/z.test.ts'],
    });
  });

  it('refuses a file in no part, a path naming no file and a path in two parts, naming each', () => {
    assert.throws(
      () =>
        assignParts(
          ['test/a/x.test.ts', 'test/new/n.test.ts'],
          [part('one', ['test/a', 'test/gone']), part('two', ['test/a'])],
        ),
      (e: Error) => {
        assert.match(e.message, /^scripts\/test-parts\.ts: /);
        assert.match(e.message, /test\/a is listed by both one and two/);
        assert.match(e.message, /test\/gone \(part one\) names no test file/);
        assert.match(e.message, /test\/new\/n\.test\.ts is in no part/);
        return true;
      },
    );
  });
});
