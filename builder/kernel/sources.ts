// The files of kernel/ that a build reads: what is sent into the build container, and what the
// host build sees. Build outputs, host tests and editor files are left out.
import fs from 'node:fs';
import path from 'node:path';

export const KERNEL_DIR = path.resolve(__dirname, '../../kernel');

/** Top-level entries of kernel/ the Makefile uses. */
const BUILD_INPUTS = ['Makefile', 'include', 'boot', 'log', 'lib', 'crypto', 'manifest'];
const SOURCE_FILE = /(^Makefile$|\.(c|h|S|sh)$)/;

/** Relative paths ('/'-separated), sorted. */
export function kernelSourceFiles(kernelDir = KERNEL_DIR): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(kernelDir, rel);
    if (!fs.existsSync(abs)) return;
    const st = fs.statSync(abs);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(abs)) walk(rel ? `${rel}/${name}` : name);
    } else if (st.isFile() && SOURCE_FILE.test(path.basename(rel))) {
      out.push(rel);
    }
  };
  for (const entry of BUILD_INPUTS) walk(entry);
  return out.sort();
}
