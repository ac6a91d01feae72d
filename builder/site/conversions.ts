// Every image conversion request of the build orchestrator and the Container resource goes
// through here. With D0_CONVERSION_LOG set, each one appends a line `<cached|converted> <source>`
// to that file: benchmarks and tests count them to prove a preview converted nothing.
import fs from 'node:fs';
import { buildImage, type BuildOptions, type BuildResult } from '../image/build';

export async function convertImage(opts: BuildOptions): Promise<BuildResult> {
  const r = await buildImage(opts);
  const log = process.env.D0_CONVERSION_LOG;
  if (log) fs.appendFileSync(log, `${r.cached ? 'cached' : 'converted'} ${opts.source}\n`);
  return r;
}
