// Building kernel/ with the host toolchain (clang-14, lld-link-14, make from Debian bookworm).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KERNEL_DIR } from './sources';

const run = promisify(execFile);

/**
 * Runs make in a private build directory and returns the EFI image's bytes. `define` is one
 * D0_SELFTEST_* switch of kernel/ for the tests' self-test builds (a release build has none).
 */
export async function buildOnHost(
  keyFileText: string,
  kernelDir = KERNEL_DIR,
  define?: string,
): Promise<Buffer> {
  if (define !== undefined && !/^D0_SELFTEST_[A-Z0-9_]+$/.test(define))
    throw new Error(`kernel host build: not a self-test switch: ${define}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'd0-kernel-'));
  try {
    const keyFile = path.join(work, 'signing.pub');
    fs.writeFileSync(keyFile, keyFileText);
    const build = path.join(work, 'build');
    try {
      const extra = define === undefined ? [] : [`EXTRA_CFLAGS=-D${define}`];
      await run('make', ['-C', kernelDir, '--no-print-directory', `PUBKEY=${keyFile}`, `BUILD=${build}`, ...extra], {
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`kernel host build failed: ${(e.stderr || e.stdout || e.message).trim().slice(-4000)}`);
    }
    return fs.readFileSync(path.join(build, 'efi', 'BOOTX64.EFI'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
