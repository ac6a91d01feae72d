// Which kernel/ tree the bench builds D0 from: the working tree by default; with
// BENCH_KERNEL_REF=<git ref> that commit's kernel/ (git archive into a temp dir), so a figure can
// be tied to a commit while kernel/ has edits in progress; with BENCH_KERNEL_DIR=<dir> a kernel/
// tree elsewhere (an experiment's copy).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KERNEL_DIR } from '../../builder/d0-efi/sources';

export interface KernelSource {
  readonly dir: string;
  /** "working tree", "commit <short hash>", "<ref> (<short hash>)" or "tree at <dir>". */
  readonly label: string;
}

export function kernelSource(work: string): KernelSource {
  const ref = process.env.BENCH_KERNEL_REF;
  const dir = process.env.BENCH_KERNEL_DIR;
  if (ref && dir) throw new Error('BENCH_KERNEL_REF and BENCH_KERNEL_DIR: set one of them, not both');
  if (dir) {
    if (!fs.existsSync(path.join(dir, 'Makefile')))
      throw new Error(`BENCH_KERNEL_DIR: ${dir} has no Makefile (expected a copy of kernel/)`);
    return { dir: path.resolve(dir), label: `tree at ${path.resolve(dir)}` };
  }
  if (!ref) return { dir: KERNEL_DIR, label: 'working tree' };
  const repo = path.resolve(KERNEL_DIR, '..');
  let hash: string;
  try {
    hash = execFileSync('git', ['-C', repo, 'rev-parse', '--short', `${ref}^{commit}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    throw new Error(`BENCH_KERNEL_REF: "${ref}" is not a commit of ${repo}`);
  }
  const out = path.join(work, 'kernel-src');
  fs.mkdirSync(out);
  const tar = execFileSync('git', ['-C', repo, 'archive', hash, 'kernel'], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', out], { input: tar });
  return { dir: path.join(out, 'kernel'), label: hash.startsWith(ref) ? `commit ${hash}` : `${ref} (${hash})` };
}
