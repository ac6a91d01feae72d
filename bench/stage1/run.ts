// Stage 1's own cost under QEMU + OVMF (TCG), as a ratio to its baseline measured in the same
// runs: the firmware's start-up, from QEMU's spawn to D0's first event (ev=boot_start). D0's
// part is from ev=boot_start to the end of stage 1 (ev=ready_to_launch, or ev=boot_failed),
// timed as lines arrive on the serial port. Median of RUNS runs per case:
//   no manifest - one directory listing, then boot_failed reason=no_manifest
//   small       - a signed manifest, 2 containers, ~90 KB of files to hash
//   big         - the same with a DISK_MIB MiB container disk (reading it through the firmware's
//                 FAT driver and SHA-256 dominate)
// Run: npx tsx bench/stage1/run.ts        (RUNS=3 DISK_MIB=32 by default)
//      npx tsx bench/stage1/run.ts --quick   (CI: RUNS=1 DISK_MIB=1, the three cases once)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildEspDisk, type EspFile } from '../../builder/disk/esp';
import { signManifest } from '../../core/sign';
import { encodeManifest } from '../../core/tlv/encode';
import { makeSlot, slotFiles } from '../../test/boot/slot';
import { withQemu } from '../../test/support/qemu';
import { testD0 } from '../../test/support/test-d0';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 1 : Number(process.env.RUNS ?? 3);
const DISK_MIB = QUICK ? 1 : Number(process.env.DISK_MIB ?? 32);

interface Timing {
  firmwareMs: number;
  d0Ms: number;
}

async function timeBoot(dir: string, files: EspFile[], expect: string): Promise<Timing> {
  const disk = path.join(dir, 'disk.img');
  await buildEspDisk(disk, [{ name: 'ESP_A', label: 'D0_A', files }]);
  const spawned = Date.now();
  return withQemu({ disk, timeoutMs: 300_000 }, async (vm) => {
    await vm.waitFor('boot_start');
    const started = Date.now();
    // Stage 1 ends at ready_to_launch (or at its boot_failed); the launch stage is not timed.
    const end = await vm.waitFor((e) => e.ev === 'ready_to_launch' || e.ev === 'boot_failed');
    const d0Ms = Date.now() - started;
    if (end.ev !== expect) throw new Error(`expected ev=${expect}, got: ${end.raw}`);
    return { firmwareMs: started - spawned, d0Ms };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-stage1-'));
  try {
    const { key, efi } = await testD0(); // D0 for the test key, from the D0 cache

    const small = makeSlot(key.secretKey);
    const cases: Array<[string, () => EspFile[], string]> = [
      [
        'no manifest',
        () => slotFiles(small, efi).filter((f) => !f.path.startsWith('manifest-')),
        'boot_failed',
      ],
      ['small (2 containers, ~90 KB hashed)', () => slotFiles(small, efi), 'ready_to_launch'],
      [
        `big (+${DISK_MIB} MiB disk hashed)`,
        () => slotFiles(bigSlot(key.secretKey), efi),
        'ready_to_launch',
      ],
    ];
    console.log(
      '| case | firmware ms (baseline) | D0 stage 1 ms | ratio D0 / firmware |\n|---|---|---|---|',
    );
    const d0: number[] = [];
    for (const [name, files, expect] of cases) {
      const f = files();
      const runs: Timing[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await timeBoot(dir, f, expect));
      const fw = median(runs.map((r) => r.firmwareMs));
      const own = median(runs.map((r) => r.d0Ms));
      d0.push(own);
      console.log(`| ${name} | ${fw} | ${own} | ${(own / fw).toFixed(3)} |`);
    }
    const hashMs = d0[2] - d0[1];
    console.log(
      `\n${DISK_MIB} MiB read + SHA-256 through the firmware's FAT driver under TCG: ${hashMs} ms` +
        ` (${((DISK_MIB * 1000) / hashMs).toFixed(1)} MiB/s)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The small slot with its first container's disk replaced by DISK_MIB MiB, re-signed. */
function bigSlot(secretKey: Uint8Array) {
  const slot = makeSlot(secretKey);
  const disk = crypto.randomBytes(DISK_MIB * 1024 * 1024);
  const c = slot.manifest.containers[0];
  c.disk_sha256 = crypto.createHash('sha256').update(disk).digest('hex');
  c.disk_size = String(disk.length);
  slot.payload.set(c.disk_path, disk);
  return remake(slot, secretKey);
}

function remake(slot: ReturnType<typeof makeSlot>, secretKey: Uint8Array) {
  const tlv = Buffer.from(encodeManifest(slot.manifest));
  return { ...slot, tlv, sig: Buffer.from(signManifest(tlv, secretKey)) };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
