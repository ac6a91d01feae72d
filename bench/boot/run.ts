// Where a D0 boot's time goes, from the ms= every D0 event carries (ms since D0 started): the hello
// build (a busybox root disk) and the real image (Debian + nginx, test/support/real-image.ts), each
// taken through the user's path (keygen, pack, disk tree, disk build, `d0 run`, no size or memory
// flag) under QEMU TCG with AMD SVM. Reports, per build: verify, load + hash of the guest kernel
// and root disk, VM preparation, the guest Linux boot (vm_start -> vm_ready), health and commit;
// the share of the boot spent reading and hashing images against the Linux boot; and D0's
// read + hash rate against `sha256sum` of the same disk file in the same run (a ratio: D0 runs
// emulated here, sha256sum natively with SHA-NI).
// Run: npx tsx bench/boot/run.ts   (--quick: the hello build only, for CI)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseD0LogLine } from '../../core/d0-log';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { bootSite, d0 } from '../../test/support/d0-pipeline';
import { ensureDockerd } from '../../test/support/dockerd';
import { makeBusyboxImage } from '../../test/guest/support/busybox-image';
import { buildRealImage, removeRealImage } from '../../test/support/real-image';

const quick = process.argv.includes('--quick');

interface Timing {
  build: string;
  rootDiskMiB: number;
  kernelMiB: number;
  ms: Record<string, number>;
  loadHashMs: number;
  linuxBootMs: number;
  totalMs: number;
  shareLoadHash: number;
  shareLinuxBoot: number;
  d0ReadHashMiBs: number;
  sha256sumMiBs: number;
  ratioD0OverSha256sum: number;
}

/** The last boot's first ms= of each event. */
function marks(out: string): Record<string, number> {
  const m: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const e = parseD0LogLine(line);
    const ms = e?.fields.ms;
    if (!e || ms === undefined) continue;
    if (e.ev === 'boot_start') for (const k of Object.keys(m)) delete m[k];
    if (!(e.ev in m) || e.ev === 'images_loaded') m[e.ev] = Number(ms);
  }
  return m;
}

function sha256sumMiBs(file: string): number {
  execFileSync('sha256sum', [file], { stdio: 'ignore' }); // warm the page cache: D0 reads a disk too
  const t = performance.now();
  execFileSync('sha256sum', [file], { stdio: 'ignore' });
  return fs.statSync(file).size / 2 ** 20 / ((performance.now() - t) / 1000);
}

async function measure(build: string, dir: string, rootDisk: string, vmlinuz: string): Promise<Timing> {
  const boot = await bootSite({ dir, rootDisk, vmlinuz });
  if (boot.run.code !== 0 || !boot.run.out.split('\n').some((l) => parseD0LogLine(l)?.ev === 'commit')) throw new Error(`${build}: no commit:\n${boot.run.err}\n${boot.run.out}`);
  const m = marks(boot.run.out);
  for (const k of ['signature_ok', 'manifest_verified', 'images_loaded', 'vm_start', 'vm_ready', 'commit'])
    if (!(k in m)) throw new Error(`${build}: no ev=${k} with ms= in the log`);
  const rootDiskMiB = fs.statSync(rootDisk).size / 2 ** 20;
  const kernelMiB = fs.statSync(vmlinuz).size / 2 ** 20;
  // Stage 1 reads each file into memory and hashes it there, the launch uses those pages: the
  // load + hash is from the signature check to the last VM's images_loaded.
  const loadHashMs = m.images_loaded - m.signature_ok;
  const linuxBootMs = m.vm_ready - m.vm_start;
  const totalMs = m.commit;
  const d0Rate = (rootDiskMiB + kernelMiB) / (loadHashMs / 1000);
  const native = sha256sumMiBs(rootDisk);
  const r2 = (x: number) => +x.toFixed(2);
  return {
    build, rootDiskMiB: r2(rootDiskMiB), kernelMiB: r2(kernelMiB), ms: m, loadHashMs, linuxBootMs, totalMs,
    shareLoadHash: r2(loadHashMs / totalMs), shareLinuxBoot: r2(linuxBootMs / totalMs),
    d0ReadHashMiBs: r2(d0Rate), sha256sumMiBs: r2(native), ratioD0OverSha256sum: +(d0Rate / native).toFixed(4),
  };
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-boot-'));
  const vmlinuz = (await buildGuestKernel({})).bzImage;
  const init = (await buildGuestInit()).init;
  const results: Timing[] = [];
  try {
    const hello = makeBusyboxImage({
      init,
      execSpec: encodeExecSpec({ args: ['/bin/sh', '-c', 'echo hello from the hello container'], env: ['PATH=/bin'] }),
      sizeMb: 8,
    });
    try {
      results.push(await measure('hello (busybox)', path.join(work, 'hello'), hello, vmlinuz));
    } finally {
      fs.rmSync(path.dirname(hello), { recursive: true, force: true });
    }
    if (!quick) {
      const dockerd = await ensureDockerd();
      try {
        const tag = await buildRealImage(dockerd.docker, work);
        const img = path.join(work, 'real.img');
        const r = await d0(['image', 'build', `docker:${tag}`, '--out', img, '--init', init]);
        if (r.code !== 0) throw new Error(`d0 image build: ${r.err}`);
        results.push(await measure('real image (Debian + nginx)', path.join(work, 'real'), img, vmlinuz));
      } finally {
        removeRealImage();
        await dockerd.stop();
      }
    }
    console.log(JSON.stringify({ load: os.loadavg().map((x) => +x.toFixed(1)), results }, null, 2));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
