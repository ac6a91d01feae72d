// Guest kernels for A/B builds that must launch: tiny bzImages (test/hv-svm/tiny-kernel.ts) whose
// few instructions decide the VM's health verdict through the guest contract's ports
// (guest/README.md): 0x502 <- 1 is readiness, 0x501 <- status is the exit status. A boot with
// them takes milliseconds of guest time, so an A/B cycle costs what the firmware costs.
import { asm, tinyBzImage } from '../hv-svm/tiny-kernel';

const READY_PORT = 0x502;
const STATUS_PORT = 0x501;

export type GuestKind = 'healthy' | 'exit1' | 'never_ready' | 'ready_running';

/** The instructions of each kind of guest. */
const PROGRAMS: Record<GuestKind, number[]> = {
  /** Ready, then exit 0: healthy (an exit 0 after readiness stays healthy, kernel/hv/health.h). */
  healthy: [
    ...asm.print('guest ready\n'),
    ...asm.outb(READY_PORT, 1),
    ...asm.outb(STATUS_PORT, 0),
    ...asm.haltLoop(),
  ],
  /** Exit status 1 at once, never ready: failed (exit-nonzero). */
  exit1: [...asm.print('guest fails\n'), ...asm.outb(STATUS_PORT, 1), ...asm.haltLoop()],
  /** Halts forever without a word to D0: failed once health_timeout_s has passed (timeout). */
  never_ready: [...asm.print('guest hangs\n'), ...asm.haltLoop()],
  /** Ready, then runs on (halted, never exits): healthy once health_timeout_s has passed, and
   * the build keeps running after its commit. */
  ready_running: [
    ...asm.print('guest ready\n'),
    ...asm.outb(READY_PORT, 1),
    ...asm.haltLoop(),
  ],
};

const cache = new Map<GuestKind, Buffer>();

export function tinyGuest(kind: GuestKind): Buffer {
  let k = cache.get(kind);
  if (!k) {
    k = tinyBzImage(PROGRAMS[kind]);
    cache.set(kind, k);
  }
  return k;
}
