// Slot write time: this tree's A/B writer (builder/disk/writer.ts) against the writer of the last
// revision that still renamed GPT partitions (BASELINE below), on the same disk, build and machine, alternating runs.
//
//   npx tsx bench/ab/write.ts [--runs 7] [--slot-mib 128] [--baseline REV]
//   npx tsx bench/ab/write.ts --quick      # CI: one run of each, 40 MiB slots
//
// The baseline is `git show REV:builder/disk/writer.ts` with its imports pointed at this tree's
// modules (so only the writer's own steps differ: the baseline renames the GPT partition at the
// start and the end of a write with `sgdisk -c`). When REV does not resolve (a shallow clone), the
// baseline is skipped and said so. Each run writes build U2 into slot B of a fresh copy of a disk
// holding U1 in slot A (--active U1), timing writeSlot from call to return. The builds carry a
// placeholder D0 binary (the writer checks manifests and digests, not the binary).
// Prints one line per writer (median and all runs, ms) and the ratio after / before.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSlotDisk } from '../../builder/disk/slots';
import { writeSlot, type WriteOptions, type WriteResult } from '../../builder/disk/writer';
import { generateKeyPair } from '../../core/sign';
import { makeBuild, type AbFixture } from '../../test/ab/support';

const ROOT = path.join(__dirname, '..', '..');
/** The last revision whose writer renamed GPT partitions on every slot write. */
const BASELINE = '19d38982f37e55487c3b598ce41f8aa7eb96d284';
type Writer = (o: WriteOptions) => Promise<WriteResult>;

/** The baseline revision's writer, loaded against this tree's modules; undefined if REV is unknown. */
function baselineWriter(rev: string, scratch: string): Writer | undefined {
  let src: string;
  try {
    src = execFileSync('git', ['show', `${rev}:builder/disk/writer.ts`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
  src = src
    .replace(/from '\.\.\/\.\.\//g, `from '${ROOT}/`)
    .replace(/from '\.\//g, `from '${ROOT}/builder/disk/`);
  const file = path.join(scratch, 'baseline-writer.ts');
  fs.writeFileSync(file, src);
  return (require(file) as { writeSlot: Writer }).writeSlot;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      'slot-mib': { type: 'string' },
      baseline: { type: 'string' },
      quick: { type: 'boolean' },
    },
  });
  const runs = Number(values.quick ? '1' : (values.runs ?? '7'));
  const slotMiB = Number(values.quick ? '40' : (values['slot-mib'] ?? '128'));
  const rev = values.baseline ?? BASELINE;
  if (!(Number.isInteger(runs) && runs >= 1) || !(Number.isInteger(slotMiB) && slotMiB >= 40)) {
    process.stderr.write('usage: npx tsx bench/ab/write.ts [--runs N>=1] [--slot-mib N>=40] [--baseline REV] | --quick\n');
    process.exit(2);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-write-'));
  try {
    const key = generateKeyPair(crypto.randomBytes(32));
    const fx: AbFixture = { dir: scratch, key, pub: key.publicKey, efi: crypto.randomBytes(256 * 1024) };
    const u1 = makeBuild(fx, 'u1');
    const u2 = makeBuild(fx, 'u2');
    const base = path.join(scratch, 'base.img');
    await buildSlotDisk(base, { a: u1.dir, sizeMiB: slotMiB });
    const writers: [string, Writer | undefined][] = [
      [`before (${rev})`, baselineWriter(rev, scratch)],
      ['after (this tree)', writeSlot],
    ];
    const times = new Map<string, number[]>(writers.map(([n]) => [n, []]));
    const disk = path.join(scratch, 'disk.img');
    for (let i = 0; i < runs; i++)
      for (const [name, w] of writers) {
        if (!w) continue;
        fs.copyFileSync(base, disk);
        const t0 = process.hrtime.bigint();
        const r = await w({ target: disk, buildDir: u2.dir, publicKey: fx.pub, active: u1.uuid });
        times.get(name)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (r.uuid !== u2.uuid || r.slot !== 'B') throw new Error(`${name}: wrote ${r.uuid} to ${r.slot}`);
      }
    const load = os.loadavg()[0].toFixed(1);
    console.log(`slot write: ${slotMiB} MiB slot, ${runs} run(s) each, load average ${load}${values.quick ? ' (--quick: figures mean nothing)' : ''}`);
    for (const [name, w] of writers) {
      if (!w) {
        console.log(`  ${name}: skipped (git show ${rev}:builder/disk/writer.ts failed)`);
        continue;
      }
      const t = times.get(name)!;
      console.log(`  ${name}: median ${median(t).toFixed(0)} ms (${t.map((x) => x.toFixed(0)).join(', ')})`);
    }
    const b = times.get(writers[0][0])!;
    const a = times.get(writers[1][0])!;
    if (b.length) console.log(`ratio after / before: ${(median(a) / median(b)).toFixed(3)}`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
