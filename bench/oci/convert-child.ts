// One conversion in a process of its own, so that its peak RSS is the converter's alone:
// prints {"ms", "maxRssKiB", "sha256", "cached", "via"} as JSON (via: for a docker: source, how its
// layers were read, "store" or "save"). Used by run.ts.
// Run: npx tsx bench/oci/convert-child.ts SOURCE OUT CACHE_DIR [--engine-save]
import fs from 'node:fs';
import { buildImage } from '../../builder/image/build';

async function main(): Promise<void> {
  const [source, out, cacheDir, flag] = process.argv.slice(2);
  let via: string | undefined;
  const t0 = performance.now();
  const r = await buildImage({
    source,
    out,
    init: '/bin/busybox',
    cacheDir,
    engineStore: flag !== '--engine-save',
    onEngineRead: (how) => (via = how.via),
  });
  const ms = performance.now() - t0;
  // VmHWM, not getrusage's maxRSS: Linux carries the parent's peak across fork + exec into the
  // latter, so a child of a large bench process would report the parent's size.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  console.log(
    JSON.stringify({
      ms,
      maxRssKiB: Number(hwm?.[1]),
      sha256: r.meta.sha256,
      cached: r.cached,
      via,
    }),
  );
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
