// `d0 guest build --out DIR [--jobs N]`: the micro-VM guest's two artifacts, built by builder/guest
// and cached in $D0_CACHE (the kernel takes 10-20 minutes the first time, with a count of compiled
// objects every few seconds on stderr; a cache hit takes a second):
//   DIR/vmlinuz  the guest Linux (bzImage), what `d0 manifest pack --artifacts DIR` names guest_kernel
//   DIR/init     the static PID1 that `d0 image build --init` puts at /.d0/init
// Prints the two paths on stdout, one a line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGuestInit } from '../../builder/guest/init';
import { buildGuestKernel } from '../../builder/guest/kernel';
import { badInput, parseFlags, type Command, type Io } from '../io';

const BUILD = 'guest build --out DIR [--jobs N]';

/** Copies through a temporary name so DIR never holds half a file. */
function place(from: string, to: string, mode: number): void {
  const tmp = `${to}.${process.pid}.tmp`;
  fs.copyFileSync(from, tmp);
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, to);
}

async function build(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags(args, { out: { type: 'string' }, jobs: { type: 'string' } }, BUILD);
  if (positionals.length !== 0 || !values.out) throw badInput(`usage: d0 ${BUILD}`);
  const jobs = values.jobs === undefined ? 2 : Number(values.jobs);
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 256)) throw badInput(`--jobs: ${values.jobs} is not 1..256`);
  const out = values.out;
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw badInput(`--out ${out}: not a directory`);
  fs.mkdirSync(out, { recursive: true });
  const log = (l: string) => io.err(l);
  const kernel = await buildGuestKernel({ jobs, log });
  if (kernel.cached) log(`guest kernel: cached (${kernel.key.slice(0, 12)}, built in ${kernel.buildSeconds} s)`);
  const init = await buildGuestInit({ log });
  if (init.cached) log(`guest init: cached (${init.key.slice(0, 12)})`);
  const vmlinuz = path.join(out, 'vmlinuz');
  const pid1 = path.join(out, 'init');
  place(kernel.bzImage, vmlinuz, 0o644);
  place(init.init, pid1, 0o755);
  io.out(vmlinuz);
  io.out(pid1);
  return 0;
}

export const command: Command = {
  name: 'guest',
  usage: [BUILD],
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'build') return build(rest, io);
    throw badInput(`usage: d0 ${BUILD}`);
  },
};
