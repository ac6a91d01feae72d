// OCI converter benchmark, all in one run on this machine:
//  1. builds a ~200 MB, 6-layer image FROM scratch in the local Docker engine (bench-image.ts);
//  2. times `d0 image build docker:IMAGE` (the CLI, cold: a fresh D0_CACHE each time) against the
//     hand-written pipeline `docker export | tar -x && mke2fs -d` (naive.ts), interleaved;
//  3. times the cache hit, in-process (buildImage) and through the CLI;
//  4. one more cold in-process build split into phases (engine + layers, stage, mke2fs +
//     debugfs, digest + cache write);
//  5. ext4 vs erofs on the flattened tree (fs-compare.ts).
// Removes its image, containers and temp dirs. Prints JSON; figures go to bench/README.md.
// Run: npx tsx bench/oci/run.ts [--reps N] [--hits N] [--scale X]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildImage } from '../../builder/image/build';
import { ensureDockerd } from '../../test/support/dockerd';
import { buildBenchImage, removeBenchImage } from './bench-image';
import { compareFilesystems } from './fs-compare';
import { naiveConvert } from './naive';

const ROOT = path.join(__dirname, '../..');
const INIT = '/bin/busybox'; // any static binary: the bench does not boot the image

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (xs: number[]) => xs.map((x) => Math.round(x));

function cliBuild(image: string, out: string, cache: string): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'cli/d0.js'), 'image', 'build', `docker:${image}`, '--out', out, '--init', INIT], {
    encoding: 'utf8',
    env: { ...process.env, D0_CACHE: cache },
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`d0 image build exited ${r.status}: ${r.stderr.trim()}`);
  return { ms, stdout: r.stdout.trim() };
}

async function phases(image: string, work: string): Promise<Record<string, number>> {
  const marks: [string, number][] = [];
  const t0 = performance.now();
  await buildImage({
    source: `docker:${image}`, out: path.join(work, 'phases.img'), init: INIT, cacheDir: path.join(work, 'cache-phases'),
    onProgress: (e) => {
      if (e.phase === 'image') marks.push([e.step, performance.now()]);
    },
  });
  const at = Object.fromEntries(marks);
  const end = performance.now();
  return {
    engineAndLayersMs: Math.round(at.stage - t0),
    stageMs: Math.round(at.mke2fs - at.stage),
    mke2fsAndDebugfsMs: Math.round(at.digest - at.mke2fs),
    digestCacheAndCleanupMs: Math.round(end - at.digest),
    totalMs: Math.round(end - t0),
  };
}

async function main(): Promise<void> {
  const reps = arg('--reps', 3);
  const hits = arg('--hits', 10);
  const scale = arg('--scale', 1);
  const tag = `d0-bench/oci:${process.pid}`;
  const dockerd = await ensureDockerd();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-bench-oci-'));
  try {
    const t0 = performance.now();
    const image = buildBenchImage(work, tag, scale);
    const dockerBuildMs = Math.round(performance.now() - t0);
    console.error(`image built in ${dockerBuildMs} ms`);

    const d0: number[] = [];
    const naive: number[] = [];
    let imgBytes = 0;
    let tree = '';
    for (let i = 0; i < reps; i++) {
      // Interleaved, so drifts in machine load hit both sides alike. Cold: a new D0_CACHE.
      const cache = path.join(work, `cache-${i}`);
      const out = path.join(work, `d0-${i}.img`);
      d0.push(cliBuild(tag, out, cache).ms);
      imgBytes = fs.statSync(out).size;
      fs.rmSync(cache, { recursive: true, force: true });
      fs.rmSync(out, { force: true });
      const n = naiveConvert(tag, work, imgBytes);
      naive.push(n.ms);
      tree = n.tree;
      console.error(`rep ${i + 1}/${reps}: d0 ${Math.round(d0[i])} ms, naive ${Math.round(naive[i])} ms`);
    }

    // Cache hit: one cold build fills the cache, then `hits` builds of the same image.
    const hitCache = path.join(work, 'cache-hit');
    const hitOut = path.join(work, 'hit.img');
    const cold = await buildImage({ source: `docker:${tag}`, out: hitOut, init: INIT, cacheDir: hitCache });
    const inProcess: number[] = [];
    const viaCli: number[] = [];
    for (let i = 0; i < hits; i++) {
      const t = performance.now();
      const r = await buildImage({ source: `docker:${tag}`, out: hitOut, init: INIT, cacheDir: hitCache });
      inProcess.push(performance.now() - t);
      if (!r.cached || r.meta.sha256 !== cold.meta.sha256) throw new Error('expected a cache hit with the same image');
    }
    for (let i = 0; i < hits; i++) {
      const r = cliBuild(tag, hitOut, hitCache);
      if (!r.stdout.endsWith('(cached)')) throw new Error(`expected a cache hit, got: ${r.stdout}`);
      viaCli.push(r.ms);
    }
    const cliStartup: number[] = [];
    for (let i = 0; i < hits; i++) {
      const t = performance.now();
      spawnSync(process.execPath, [path.join(ROOT, 'cli/d0.js'), 'help'], { encoding: 'utf8' });
      cliStartup.push(performance.now() - t);
    }
    fs.rmSync(hitCache, { recursive: true, force: true });

    const phase = await phases(tag, work);
    const fsCmp = compareFilesystems(tree, work, imgBytes, reps);

    const md0 = median(d0);
    const mnaive = median(naive);
    console.log(JSON.stringify({
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), load: os.loadavg().map((x) => +x.toFixed(1)) },
      image: { ...image, flattenedTreeBytes: fsCmp.treeBytes, d0ImageBytes: imgBytes, dockerBuildMs, scale },
      coldBuild: { reps, d0CliMs: round(d0), naiveMs: round(naive), medianD0Ms: Math.round(md0), medianNaiveMs: Math.round(mnaive), ratioD0OverNaive: +(md0 / mnaive).toFixed(2) },
      coldBuildPhasesInProcess: phase,
      cacheHit: {
        inProcessMs: inProcess.map((x) => +x.toFixed(1)), medianInProcessMs: +median(inProcess).toFixed(1),
        cliMs: round(viaCli), medianCliMs: Math.round(median(viaCli)), medianCliHelpMs: Math.round(median(cliStartup)),
      },
      filesystems: {
        treeBytes: fsCmp.treeBytes,
        ext4: { ...fsCmp.ext4, ms: round(fsCmp.ext4.ms), medianMs: Math.round(median(fsCmp.ext4.ms)) },
        erofs: { ...fsCmp.erofs, ms: round(fsCmp.erofs.ms), medianMs: Math.round(median(fsCmp.erofs.ms)) },
        erofsLz4: { ...fsCmp.erofsLz4, ms: round(fsCmp.erofsLz4.ms), medianMs: Math.round(median(fsCmp.erofsLz4.ms)) },
        timeRatioErofsOverExt4: +(median(fsCmp.erofs.ms) / median(fsCmp.ext4.ms)).toFixed(2),
        usedSizeRatioErofsOverExt4: +(fsCmp.erofs.usedBytes / fsCmp.ext4.usedBytes).toFixed(3),
        fileSizeRatioErofsOverExt4: +(fsCmp.erofs.fileBytes / fsCmp.ext4.fileBytes).toFixed(3),
      },
    }, null, 2));
  } finally {
    removeBenchImage(tag);
    fs.rmSync(work, { recursive: true, force: true });
    await dockerd.stop();
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
