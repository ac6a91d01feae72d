// The guest end to end under plain QEMU `-M microvm`: our kernel, our PID1, a busybox rootfs, and
// isa-debug-exit at 0x501 carrying PID1's status out as QEMU's exit code ((status << 1 | 1) & 0xff:
// a process exit code has 8 bits, so plain QEMU loses the status's top bit; the console line
// carries the full value). Every boot has a hard timeout and QEMU's process group is always killed.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeExecSpec, ExecSpec } from '../../core/image/exec-spec';
import { parseLogfmt } from '../../core/logfmt';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel, KernelBuildResult } from '../../builder/guest/kernel';
import { GuestNetwork, MicroVmResult, runMicroVm } from '../support/microvm';
import { Runner } from '../../builder/guest/run';
import { ImageOptions, makeBusyboxImage } from './support/busybox-image';

const BOOT_TIMEOUT_MS = 60_000;
const qemuExit = (status: number) => ((status << 1) | 1) & 0xff;

describe('guest under QEMU microvm', function () {
  // The first run on a machine builds the kernel (10-13 min on 2 cores); later runs hit the cache.
  this.timeout(BOOT_TIMEOUT_MS + 10_000);
  let kernel: KernelBuildResult;
  let init: string;
  const images: string[] = [];

  before(async function () {
    this.timeout(45 * 60_000);
    kernel = await buildGuestKernel({ log: (l) => console.error(`      ${l}`) });
    init = (await buildGuestInit()).init;
  });
  after(() => {
    for (const img of images) fs.rmSync(path.dirname(img), { recursive: true, force: true });
  });

  async function boot(
    spec: ExecSpec | Buffer | undefined,
    o: { net?: GuestNetwork; name?: string; extraCmdline?: string[]; image?: Partial<ImageOptions> } = {},
  ): Promise<MicroVmResult> {
    const execSpec = spec === undefined || Buffer.isBuffer(spec) ? spec : encodeExecSpec(spec);
    const img = makeBusyboxImage({ init, execSpec, ...o.image });
    images.push(img);
    const r = await runMicroVm({ kernel: kernel.bzImage, disk: img, timeoutMs: BOOT_TIMEOUT_MS, ...o });
    assert.equal(r.timedOut, false, `QEMU did not end within ${BOOT_TIMEOUT_MS} ms:\n${r.console}`);
    return r;
  }

  const events = (r: MicroVmResult) => r.console.split('\n').filter((l) => l.startsWith('d0-init '));

  it('a second build call is a cache hit that runs nothing', async () => {
    const refuse: Runner = async (cmd) => {
      throw new Error(`cache hit expected, but ran ${cmd}`);
    };
    const again = await buildGuestKernel({ runner: refuse });
    assert.equal(again.cached, true);
    assert.equal(again.key, kernel.key);
    assert.equal(again.bzImage, kernel.bzImage);
    assert.ok(fs.statSync(again.bzImage).size > 500_000);
  });

  it('runs the configured argv, env, cwd and non-root user, with hostname and static network', async () => {
    const script = [
      'echo "ARGC=$# ARG1=$1 ARG2=$2"',
      'echo "GREETING=$GREETING PATH=$PATH"',
      'echo "CWD=$(pwd)"',
      'echo "IDS=$(id -u):$(id -g) GROUPS=$(id -G)"',
      'echo "HOST=$(hostname)"',
      'echo "MOUNTS:"; cat /proc/mounts',
      'ip addr show dev eth0',
      'ip route',
      'exit 0',
    ].join('\n');
    const r = await boot(
      {
        args: ['/bin/sh', '/app/show.sh', 'first', 'two words'],
        env: ['GREETING=hello world', 'PATH=/bin'],
        cwd: '/srv/work',
        uid: 1000,
        gid: 1001,
        groups: [2000, 2001],
      },
      {
        name: 'web-1',
        net: { ip: '10.0.2.15/24', gw: '10.0.2.2', routes: ['10.99.0.0/16,10.0.2.3'] },
        image: {
          files: { 'app/show.sh': { content: script, mode: 0o755 } },
          dirs: { 'srv/work': { mode: 0o700, uid: 1000, gid: 1001 } },
        },
      },
    );
    const c = r.console;
    assert.equal(r.exitCode, qemuExit(0), c);
    assert.match(c, /^ARGC=2 ARG1=first ARG2=two words$/m);
    assert.match(c, /^GREETING=hello world PATH=\/bin$/m);
    assert.match(c, /^CWD=\/srv\/work$/m);
    assert.match(c, /^IDS=1000:1001 GROUPS=1001 2000 2001$/m);
    assert.match(c, /^HOST=web-1$/m);
    for (const m of ['proc /proc proc', 'sysfs /sys sysfs', 'devtmpfs /dev devtmpfs', 'devpts /dev/pts devpts', 'shm /dev/shm tmpfs', 'tmpfs /tmp tmpfs']) {
      assert.ok(c.includes(m), `missing mount "${m}"`);
    }
    assert.match(c, /inet 10\.0\.2\.15\/24 .*eth0/);
    assert.match(c, /^default via 10\.0\.2\.2 dev eth0/m);
    assert.match(c, /^10\.99\.0\.0\/16 via 10\.0\.2\.3 dev eth0/m);
    const ev = events(r);
    assert.equal(ev.length, 2, ev.join('\n'));
    assert.match(ev[0], /^d0-init ev=ready pid=\d+$/);
    assert.equal(ev[1], 'd0-init ev=exit status=0');
  });

  it('resolves argv[0] through the default PATH when the env has none, and through its PATH otherwise', async () => {
    const tool = (text: string) => ({ content: `#!/bin/sh\necho ${text}\n`, mode: 0o755 });
    const files = {
      'usr/local/sbin/which-one': tool('FROM-USR-LOCAL-SBIN'),
      'bin/which-one': tool('FROM-BIN'),
      'opt/tools/which-one': tool('FROM-OPT-TOOLS'),
    };
    const byDefault = await boot({ args: ['which-one'] }, { image: { files } });
    assert.equal(byDefault.exitCode, qemuExit(0), byDefault.console);
    assert.match(byDefault.console, /^FROM-USR-LOCAL-SBIN$/m);
    const byEnv = await boot({ args: ['which-one'], env: ['PATH=/nowhere:/opt/tools:/bin'] }, { image: { files } });
    assert.equal(byEnv.exitCode, qemuExit(0), byEnv.console);
    assert.match(byEnv.console, /^FROM-OPT-TOOLS$/m);
  });

  it("the workload's exit status 3 becomes QEMU exit (3 << 1) | 1", async () => {
    const r = await boot({ args: ['/bin/sh', '-c', 'echo bye; exit 3'] });
    assert.equal(r.exitCode, 7, r.console);
    assert.deepEqual(events(r).slice(1), ['d0-init ev=exit status=3']);
  });

  it('a workload killed by a signal reports 128+N and names the signal', async () => {
    const r = await boot({ args: ['/bin/sh', '-c', 'kill -KILL $$'] });
    assert.deepEqual(events(r).slice(1), ['d0-init ev=exit status=137 signal=9']);
    assert.equal(r.exitCode, qemuExit(137), r.console);
  });

  it('a missing executable gives status 0xE1 and no ready event', async () => {
    const r = await boot({ args: ['/bin/no-such-program'] });
    const ev = events(r);
    assert.equal(ev.length, 1, ev.join('\n'));
    assert.match(ev[0], /^d0-init ev=error reason=exec-not-found status=225 detail="\/bin\/no-such-program: No such file or directory"$/);
    assert.equal(r.exitCode, qemuExit(0xe1));
  });

  it('a file without execute permission gives status 0xE2', async () => {
    const r = await boot({ args: ['/app/data.txt'] }, { image: { files: { 'app/data.txt': { content: 'x', mode: 0o644 } } } });
    assert.match(events(r)[0], /^d0-init ev=error reason=exec-failed status=226 detail="\/app\/data\.txt: Permission denied"$/);
    assert.equal(r.exitCode, qemuExit(0xe2));
  });

  it('a cwd the user cannot enter gives status 0xE5', async () => {
    const r = await boot({ args: ['/bin/true'], cwd: '/secret', uid: 1000, gid: 1000 }, { image: { dirs: { secret: { mode: 0o700 } } } });
    assert.match(events(r)[0], /^d0-init ev=error reason=identity status=229 detail="\/secret: Permission denied"$/);
    assert.equal(r.exitCode, qemuExit(0xe5));
  });

  it('a malformed exec spec gives status 0xE0 naming the line', async () => {
    const r = await boot(Buffer.from('d0-exec 1\narg /bin/true\nentrypoint /bin/sh\n'));
    assert.deepEqual(events(r), ['d0-init ev=error reason=exec-spec status=224 detail="/.d0/exec: line 3: unknown key \'entrypoint\'"']);
    // The same logfmt as D0's own log: the detail reads back exactly.
    assert.deepEqual(parseLogfmt(events(r)[0].slice('d0-init '.length)).at(-1), ['detail', "/.d0/exec: line 3: unknown key 'entrypoint'"]);
    assert.equal(r.exitCode, qemuExit(0xe0));
  });

  it('a missing exec spec gives status 0xE0', async () => {
    const r = await boot(undefined);
    assert.deepEqual(events(r), ['d0-init ev=error reason=exec-spec status=224 detail="/.d0/exec: No such file or directory"']);
    assert.equal(r.exitCode, qemuExit(0xe0));
  });

  it('a malformed d0.* kernel command-line key gives status 0xE4', async () => {
    const r = await boot({ args: ['/bin/true'] }, { extraCmdline: ['d0.ip=10.0.2.300/24'] });
    assert.deepEqual(events(r), ['d0-init ev=error reason=cmdline status=228 detail="d0.ip=10.0.2.300/24: expected A.B.C.D/N with N in 1..32"']);
    assert.equal(r.exitCode, qemuExit(0xe4));
  });

  it('a route the kernel refuses gives status 0xE3 (network)', async () => {
    // The gateway is outside eth0's subnet, so SIOCADDRT fails with ENETUNREACH.
    const r = await boot({ args: ['/bin/true'] }, { net: { ip: '10.0.2.15/24', gw: '192.168.9.1' } });
    assert.deepEqual(events(r), ['d0-init ev=error reason=network status=227 detail="route 0.0.0.0/0 via 192.168.9.1: Network unreachable"']);
    assert.equal(r.exitCode, qemuExit(0xe3));
  });

  it('reaps orphaned children while the workload runs, and ends leftovers after it exits', async () => {
    // Each `( sleep & )` leaves an orphan that the kernel re-parents to PID1; when they exit only
    // PID1 can reap them. Then a TERM-ignoring process outlives the workload: PID1 must SIGKILL it.
    const script = [
      'for i in 1 2 3 4 5; do (sleep 0.1 &); done',
      'sleep 1',
      'z=0; for f in /proc/[0-9]*/stat; do read -r l < "$f" 2>/dev/null || continue; case "$l" in *") Z "*) z=$((z+1));; esac; done',
      'echo "ZOMBIES=$z"',
      "(trap '' TERM; while true; do sleep 1; done) &",
      'exit 4',
    ].join('\n');
    const r = await boot({ args: ['/bin/sh', '/app/orphans.sh'] }, { image: { files: { 'app/orphans.sh': { content: script, mode: 0o755 } } } });
    assert.match(r.console, /^ZOMBIES=0$/m);
    assert.deepEqual(events(r).slice(1), ['d0-init ev=exit status=4']);
    assert.equal(r.exitCode, qemuExit(4));
  });

  it('forwards SIGTERM sent to PID1 to the workload', async () => {
    const script = [
      "trap 'echo GOT-TERM; exit 42' TERM",
      '(sleep 0.3; kill -TERM 1) &',
      'i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done',
      'exit 1',
    ].join('\n');
    const r = await boot({ args: ['/bin/sh', '/app/term.sh'] }, { image: { files: { 'app/term.sh': { content: script, mode: 0o755 } } } });
    assert.match(r.console, /^GOT-TERM$/m);
    assert.deepEqual(events(r).slice(1), ['d0-init ev=exit status=42']);
    assert.equal(r.exitCode, qemuExit(42));
  });

  it('remounts / read-only before reporting, so the next boot finds a clean file system', async () => {
    const r = await boot({ args: ['/bin/sh', '-c', 'echo data > /written; exit 0'] });
    assert.equal(r.exitCode, qemuExit(0), r.console);
    const img = images[images.length - 1];
    const { execFileSync } = await import('node:child_process');
    const state = execFileSync('dumpe2fs', ['-h', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.match(state, /^Filesystem state:\s+clean$/m);
    assert.doesNotMatch(state, /needs_recovery/);
    assert.equal(execFileSync('debugfs', ['-R', 'cat /written', img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 'data\n');
  });
});
