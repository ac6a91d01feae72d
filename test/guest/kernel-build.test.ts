// The kernel build's orchestration with a scripted runner standing in for tar/make (the real build
// takes 10-30 minutes and is exercised once, through the cache, by microvm.test.ts): a dropped
// fragment option fails the build naming it and publishes nothing; a finished build is published
// atomically and then served from the cache without running anything.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { Runner } from '../../builder/guest/run';

describe('guest kernel build orchestration (scripted make)', () => {
  let dir: string;
  let fragment: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-kbuild-'));
    fragment = path.join(dir, 'frag.config');
    fs.writeFileSync(fragment, 'CONFIG_64BIT=y\nCONFIG_VIRTIO_NET=y\n# CONFIG_PCI is not set\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A runner that records commands and, at olddefconfig, writes `resolved` as the .config. */
  function scripted(resolved: string, calls: string[]): Runner {
    return async (cmd, args, o) => {
      calls.push([cmd, ...args].join(' '));
      if (cmd === 'make' && args[0] === 'olddefconfig') fs.writeFileSync(path.join(o.cwd, '.config'), resolved);
      if (cmd === 'make' && args[1] === 'bzImage') {
        fs.mkdirSync(path.join(o.cwd, 'arch/x86/boot'), { recursive: true });
        fs.writeFileSync(path.join(o.cwd, 'arch/x86/boot/bzImage'), 'not really a kernel');
      }
    };
  }
  const entries = () => fs.readdirSync(path.join(dir, 'cache', 'guest-kernel'));

  it('fails naming every fragment option that did not survive, and publishes nothing', async () => {
    const calls: string[] = [];
    const runner = scripted('CONFIG_64BIT=y\n# CONFIG_VIRTIO_NET is not set\nCONFIG_PCI=y\n', calls);
    await assert.rejects(
      buildGuestKernel({ cacheRoot: path.join(dir, 'cache'), fragment, runner }),
      (e: Error) =>
        /options did not survive olddefconfig/.test(e.message) &&
        e.message.includes('CONFIG_VIRTIO_NET: wanted y, got not set (fragment line 2)') &&
        e.message.includes('CONFIG_PCI: wanted not set, got y (fragment line 3)'),
    );
    assert.ok(!calls.some((c) => c.includes('bzImage')), 'make bzImage must not run after a failed check');
    assert.deepEqual(entries().filter((e) => !e.endsWith('.build.log')), [], 'no entry, no staging dir, no lock left');
  });

  it('publishes bzImage, config and build.json, then answers from the cache', async () => {
    const calls: string[] = [];
    const cacheRoot = path.join(dir, 'cache');
    const resolved = 'CONFIG_64BIT=y\nCONFIG_VIRTIO_NET=y\n';
    const first = await buildGuestKernel({ cacheRoot, fragment, runner: scripted(resolved, calls), jobs: 3 });
    assert.equal(first.cached, false);
    assert.deepEqual(calls.slice(1), ['make tinyconfig', `scripts/kconfig/merge_config.sh -m .config ${fragment}`, 'make olddefconfig', 'make -j3 bzImage']);
    assert.match(calls[0], /^tar -xf \/usr\/src\/linux-source-6\.1\.tar\.xz -C .*\.tmp-.*\/src --strip-components=1$/);
    assert.equal(fs.readFileSync(first.bzImage, 'utf8'), 'not really a kernel');
    assert.equal(fs.readFileSync(first.config, 'utf8'), resolved);
    assert.deepEqual(entries(), [first.key], "only the entry: no staging dir, no lock");
    const second = await buildGuestKernel({ cacheRoot, fragment, runner: async (c) => assert.fail(`ran ${c}`) });
    assert.deepEqual(second, { ...first, cached: true });
  });

  it('a second caller waits for the build in progress instead of building again', async () => {
    const cacheRoot = path.join(dir, 'cache');
    const calls: string[] = [];
    const slow: Runner = async (cmd, args, o) => {
      await new Promise((r) => setTimeout(r, 50));
      return scripted('CONFIG_64BIT=y\nCONFIG_VIRTIO_NET=y\n', calls)(cmd, args, o);
    };
    const [a, b] = await Promise.all([
      buildGuestKernel({ cacheRoot, fragment, runner: slow }),
      buildGuestKernel({ cacheRoot, fragment, runner: slow }),
    ]);
    assert.equal(calls.filter((c) => c.endsWith('bzImage')).length, 1);
    assert.deepEqual([a.cached, b.cached].sort(), [false, true]);
  });

  it('logs the count of compiled objects while make bzImage runs, and records it in build.json', async () => {
    const cacheRoot = path.join(dir, 'cache');
    const lines: string[] = [];
    const compiling: Runner = async (cmd, args, o) => {
      if (cmd === 'make' && args[1] === 'bzImage') {
        // kbuild's quiet lines, in two bursts with a pause longer than the progress period
        fs.appendFileSync(o.logFile, '  CC      init/main.o\n  AS      arch/x86/entry/entry_64.o\n  AR      init/built-in.a\n');
        await new Promise((r) => setTimeout(r, 150));
        fs.appendFileSync(o.logFile, '  CC      kernel/fork.o\n  HOSTCC  scripts/kallsyms\n  CC      mm/slab.o\n');
        await new Promise((r) => setTimeout(r, 150));
      }
      return scripted('CONFIG_64BIT=y\nCONFIG_VIRTIO_NET=y\n', [])(cmd, args, o);
    };
    const r = await buildGuestKernel({ cacheRoot, fragment, runner: compiling, log: (l) => lines.push(l), progressEveryMs: 50 });
    const counts = lines
      .map((l) => /^guest kernel: (\d+) of ~1005 objects compiled \((\d+) %\), \d+:\d\d$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]));
    assert.ok(counts.includes(2) && counts.includes(4), `progress lines: ${JSON.stringify(lines)}`);
    assert.deepEqual([...counts].sort((a, b) => a - b), counts, 'the count never goes down');
    assert.ok(lines.some((l) => /^guest kernel: built in \d+ s, 4 objects, bzImage \d+ bytes$/.test(l)), lines.join('\n'));
    const info = JSON.parse(fs.readFileSync(path.join(path.dirname(r.bzImage), 'build.json'), 'utf8'));
    assert.equal(info.objects, 4);
  });
});
