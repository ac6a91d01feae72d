// A/B soak: update/rollback cycles on one disk and one VARS file under QEMU + OVMF.
//
//   npx tsx bench/ab/soak.ts --cycles 20 [--seed 1]
//   npx tsx bench/ab/soak.ts --quick        # CI: one cycle
//
// Each cycle writes a new build into the inactive slot with the real writer. The build is good, or,
// chosen by a seeded PRNG, one of the bad kinds: bad signature, corrupted VM image, lower
// security_epoch, broken D0 binary. The bad ones are forced past the writer's checks, because
// refusing them is what the writer does. The cycle then boots until the end of the final boot
// (ev=halt once its VMs stopped, ev=exit if it launched nothing) and checks
// the outcome: a good build is committed, and a bad one leaves the previous build running.
// Prints boots, commits, rollbacks, refusals, failures (an outcome other than expected) and
// unbootable states (a final boot whose build did not become healthy: no build_healthy). Exits 1 unless failures
// and unbootable states are both 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSlotDisk } from '../../builder/disk/slots';
import { readAbState } from '../../builder/disk/ovmf-vars';
import { writeSlot } from '../../builder/disk/writer';
import {
  bootUntilExit,
  freshVars,
  makeBuild,
  makeFixture,
  type AbFixture,
  type BuildDefects,
} from '../../test/ab/support';

export interface SoakCounts {
  cycles: number;
  boots: number;
  commits: number;
  rollbacks: number;
  refused: number;
  failures: number;
  unbootable: number;
}

type Kind = 'good' | 'bad_signature' | 'corrupt_disk' | 'epoch_below' | 'broken_efi';
const KINDS: Kind[] = [
  'good',
  'good',
  'bad_signature',
  'corrupt_disk',
  'epoch_below',
  'broken_efi',
];

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runSoak(opts: {
  cycles: number;
  seed?: number;
  fixture?: AbFixture;
  log?: (line: string) => void;
}): Promise<SoakCounts> {
  const log = opts.log ?? (() => {});
  const fx =
    opts.fixture ?? (await makeFixture(fs.mkdtempSync(path.join(os.tmpdir(), 'd0-soak-'))));
  const dir = fs.mkdtempSync(path.join(fx.dir, 'soak-'));
  const rand = prng(opts.seed ?? 1);
  const c: SoakCounts = {
    cycles: 0,
    boots: 0,
    commits: 0,
    rollbacks: 0,
    refused: 0,
    failures: 0,
    unbootable: 0,
  };
  let epoch = 3;
  const first = makeBuild(fx, 'soak-0', { epoch });
  const disk = path.join(dir, 'disk.img');
  const vars = freshVars(path.join(dir, 'disk.img.vars.fd'));
  await buildSlotDisk(disk, { a: first.dir, sizeMiB: 40 });
  const b0 = await bootUntilExit(disk, vars);
  c.boots += b0.boots.length;
  c.commits += b0.all('commit').length;
  let running = first.uuid;
  try {
    for (let i = 1; i <= opts.cycles; i++) {
      // The first cycle is always a good update, so every run exercises a slot flip.
      const kind = i === 1 ? 'good' : KINDS[Math.floor(rand() * KINDS.length)];
      const d: BuildDefects = {
        good: { epoch: epoch + 1 },
        bad_signature: { badSignature: true, epoch },
        corrupt_disk: { corruptDisk: true, epoch },
        epoch_below: { epoch: epoch - 1 },
        broken_efi: { epoch },
      }[kind];
      const u = makeBuild(fx, `soak-${i}`, d);
      if (kind === 'broken_efi')
        fs.writeFileSync(path.join(u.dir, `EFI/BOOT/BOOTX64-${u.uuid}.EFI`), 'not a PE image');
      for (const f of fs.readdirSync(fx.dir).filter((n) => n === `soak-${i - 2}`))
        fs.rmSync(path.join(fx.dir, f), { recursive: true, force: true });
      await writeSlot({
        target: disk,
        buildDir: u.dir,
        publicKey: fx.pub,
        vars,
        unsafeSkipBuildChecks: kind !== 'good',
      });
      const b = await bootUntilExit(disk, vars);
      c.cycles++;
      c.boots += b.boots.length;
      c.commits += b.all('commit').length;
      c.rollbacks += b.all('rollback').length;
      c.refused += b
        .all('slot_bad')
        .filter((e) => !b.all('rollback').some((r) => r.fields.from === e.fields.bad)).length;
      const ready = b.last.find((e) => e.ev === 'ready_to_launch');
      if (!ready || !b.last.some((e) => e.ev === 'build_healthy')) c.unbootable++;
      const expect = kind === 'good' ? u.uuid : running;
      const state = readAbState(vars);
      const ok = ready?.fields.uuid === expect && state?.lastGood === expect && !state?.trial;
      if (!ok) {
        c.failures++;
        log(
          `cycle ${i} ${kind}: expected ${expect}, booted ${ready?.fields.uuid ?? 'nothing'}\n${b.text}`,
        );
      }
      if (kind === 'good') {
        running = u.uuid;
        epoch++;
      }
      log(
        `cycle ${i} ${kind}: ${b.boots.length} boots -> ${ready?.fields.uuid ?? 'none'} ${ok ? 'ok' : 'FAIL'}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return c;
}

if (require.main === module) {
  const { values } = parseArgs({
    options: { cycles: { type: 'string' }, seed: { type: 'string' }, quick: { type: 'boolean' } },
  });
  // --quick (CI, test/bench): one cycle, a good update with seed 1.
  const cycles = Number(values.quick ? '1' : (values.cycles ?? '20'));
  const seed = Number(values.seed ?? '1');
  if (!(Number.isInteger(cycles) && cycles >= 1) || !Number.isInteger(seed)) {
    process.stderr.write('usage: npx tsx bench/ab/soak.ts [--cycles N>=1 | --quick] [--seed S]\n');
    process.exit(2);
  }
  const t0 = Date.now();
  runSoak({ cycles, seed, log: (l) => process.stdout.write(l + '\n') }).then(
    (c) => {
      const s = ((Date.now() - t0) / 1000).toFixed(0);
      process.stdout.write(
        `cycles=${c.cycles} boots=${c.boots} commits=${c.commits} rollbacks=${c.rollbacks} refused=${c.refused} failures=${c.failures} unbootable=${c.unbootable} seconds=${s}\n`,
      );
      process.exit(c.failures === 0 && c.unbootable === 0 ? 0 : 1);
    },
    (e: Error) => {
      process.stderr.write(`soak: ${e.stack}\n`);
      process.exit(1);
    },
  );
}
