// The slow caches a test run needs, made (or found) side by side at its start, while tsc and the
// pure TypeScript suites run: the guest kernel and PID1 (make: CPU), the Pulumi engine (Go module
// downloads and builds) and the builder image's debootstrapped tree (network). Each build takes
// its own lock, so a test that needs one waits for this build instead of starting another, and a
// warm cache makes this a few cache look-ups. Started by scripts/test (d0_prebuild).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { baseTarball, KERNEL_BASE } from '../builder/docker/base-image';
import { buildGuestInit } from '../builder/guest/init';
import { buildGuestKernel } from '../builder/guest/kernel';

const log = (what: string) => (line: string) => console.log(`${new Date().toISOString()} ${what}: ${line}`);
const timed = async (what: string, fn: () => Promise<unknown>) => {
  const t0 = Date.now();
  try {
    await fn();
    log(what)(`ready in ${Math.round((Date.now() - t0) / 1000)} s`);
  } catch (e) {
    // Not fatal here: the test that needs it builds it again and reports the failure itself.
    log(what)(`failed: ${(e as Error).message}`);
  }
};

async function main(): Promise<void> {
  await Promise.all([
    timed('guest kernel + PID1', async () => {
      await buildGuestKernel({ log: log('guest kernel') });
      await buildGuestInit({ log: log('guest init') });
    }),
    // Asynchronous: a synchronous child would hold the event loop, and with it the other builds,
    // for the whole engine build.
    timed('pulumi engine', () => promisify(execFile)(path.join(__dirname, 'pulumi-engine'), { maxBuffer: 64 * 2 ** 20 })),
    timed('builder base tree', () => baseTarball(KERNEL_BASE, log('builder base'))),
  ]);
}

void main();
