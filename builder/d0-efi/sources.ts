// The files of kernel/ that a build reads: what is sent into the build container, and what the
// host build sees. Build outputs, host tests and editor files are left out.
import fs from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../core/package-root';

export const KERNEL_DIR = packagePath('kernel');

/**
 * Top-level entries of kernel/ that are never build inputs: outputs, and the host tests with
 * their corpora. Everything else that looks like source goes in, so a new kernel folder the
 * Makefile starts using needs no change here.
 */
const NOT_INPUTS = new Set(['build', 'tests']);
const SOURCE_FILE = /(^Makefile$|\.(c|h|S|sh|mk)$)/;

/** Relative paths ('/'-separated), sorted. */
export function kernelSourceFiles(kernelDir = KERNEL_DIR): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(kernelDir, rel);
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(abs)) {
        if (rel === '' && NOT_INPUTS.has(name)) continue;
        walk(rel ? `${rel}/${name}` : name);
      }
    } else if (st.isFile() && SOURCE_FILE.test(path.basename(rel))) {
      out.push(rel);
    }
  };
  walk('');
  return out.sort();
}
