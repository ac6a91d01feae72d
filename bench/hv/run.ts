// Hypervisor benchmark: D0's micro-VM boot against plain QEMU `-M microvm`, in one run.
// The same guest kernel (builder/guest), busybox root disk, PID1 and workload (print a line,
// `sleep 0`, exit 0) boot (a) under QEMU microvm, TCG (the baseline, as bench/guest runs it) and
// (b) under D0 in QEMU TCG `-cpu EPYC` + OVMF from a signed single-ESP slot (as in
// test/hv-svm/launch.test.ts), interleaved run by run. Reports medians of: guest boot -> the
// workload's first line for both and their ratio; D0's VM exits by reason, block I/O and run time
// (ev=vm_stats); D0's own memory per VM. Run: npx tsx bench/hv/run.ts   (BENCH_RUNS=3 default;
// BENCH_KERNEL_REF=<git ref> or BENCH_KERNEL_DIR=<dir> builds D0 from that kernel/ instead (kernel-source.ts);
// BENCH_LOG_DIR=<dir> keeps each D0 boot's events with their host-clock ms; --quick: one run, CI)
// Results and how to read the two clocks: bench/hv/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk } from '../../builder/disk/esp';
import { encodeExecSpec } from '../../core/image/exec-spec';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { buildKernel } from '../../builder/d0-efi';
import { generateKeyPair } from '../../core/sign';
import { makeBusyboxImage } from '../../test/guest/support/busybox-image';
import { makeLaunchSlot, slotFiles } from '../../test/hv-svm/slot';
import { bootD0, type D0Boot } from './d0-boot';
import { kernelSource } from './kernel-source';
import { bootMicroVm, type MicroVmBoot } from './microvm-boot';
import { report } from './report';

const MARK = 'D0-BENCH-FIRST-LINE';
const VM = 'bench';
/** Guest RAM on both sides. */
const GUEST_MEM_MB = 64;
const D0_TIMEOUT_MS = 8 * 60_000;
const MICROVM_TIMEOUT_MS = 3 * 60_000;
/** RFC 8032 section 7.1 TEST 1 secret key: public, so the D0 build is reproducible and no secret
 *  is involved in a benchmark. */
const RFC8032_TEST1_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';

function hostMhz(): number | null {
  const m = /^cpu MHz\s*:\s*([0-9.]+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? Number(m[1]) : null;
}

function runsFromEnv(): number {
  if (process.argv.includes('--quick')) return 1;
  const raw = process.env.BENCH_RUNS ?? '3';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 50)
    throw new Error(`BENCH_RUNS: expected an integer from 1 to 50, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const runs = runsFromEnv();
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-hv-'));
  try {
    const log = (l: string) => console.error(l);
    const key = generateKeyPair(Buffer.from(RFC8032_TEST1_SEED, 'hex'));
    const src = kernelSource(work);
    log(`D0 built from kernel/ of the ${src.label}`);
    const efi = await buildKernel({
      publicKeyHex: Buffer.from(key.publicKey).toString('hex'),
      outFile: path.join(work, 'd0.efi'),
      mode: 'host',
      kernelDir: src.dir,
    });
    const guestKernel = (await buildGuestKernel({ log })).bzImage;
    const { init } = await buildGuestInit({ log });
    const img = makeBusyboxImage({
      init,
      execSpec: encodeExecSpec({ args: ['/bin/sh', '-c', `echo ${MARK}; sleep 0; exit 0`], env: ['PATH=/bin'] }),
      sizeMb: 16,
    });
    const rootDisk = path.join(work, 'root.img');
    fs.copyFileSync(img, rootDisk);
    fs.rmSync(path.dirname(img), { recursive: true, force: true });

    const slot = makeLaunchSlot(key.secretKey, fs.readFileSync(guestKernel), fs.readFileSync(rootDisk), {
      name: VM,
      memMb: GUEST_MEM_MB,
    });
    const esp = path.join(work, 'esp.img');
    await buildEspDisk(esp, [{ name: 'ESP_A', label: 'D0_A', files: slotFiles(slot, fs.readFileSync(efi.path)) }]);

    const micro: MicroVmBoot[] = [];
    const d0: D0Boot[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drifts in machine load hit both sides alike.
      const m = await bootMicroVm({ kernel: guestKernel, disk: rootDisk, memMb: GUEST_MEM_MB, mark: MARK, timeoutMs: MICROVM_TIMEOUT_MS });
      micro.push(m);
      const d = await bootD0({ espImage: esp, name: VM, mark: MARK, timeoutMs: D0_TIMEOUT_MS });
      if (d.exitStatus !== '0') throw new Error(`run ${i + 1}: the workload exited ${d.exitStatus} under D0, not 0`);
      d0.push(d);
      if (process.env.BENCH_LOG_DIR) {
        fs.mkdirSync(process.env.BENCH_LOG_DIR, { recursive: true });
        fs.writeFileSync(path.join(process.env.BENCH_LOG_DIR, `d0-run${i + 1}.log`), d.timeline);
      }
      console.error(
        `run ${i + 1}/${runs}: microvm spawn->line ${m.qemuToFirstLineMs} ms; ` +
          `D0 vm_start->line ${d.at.firstLine - d.at.vmStart} ms, spawn->line ${d.at.firstLine} ms, ` +
          `tsc_hz ${d.tscHz ?? '?'}, stats from ${d.stats?.source ?? 'none'}`,
      );
    }
    const r = report({ micro, d0, runs, kernel: src.label, guestMemMb: GUEST_MEM_MB, wallMs: Date.now() - started, load: os.loadavg(), hostMhz: hostMhz() });
    console.log(JSON.stringify(r.json, null, 2));
    console.log(r.markdown);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
