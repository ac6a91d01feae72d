// The guest of test/hv-vmx/isolation.test.ts: it stores a byte at 96 MiB, reads it back, prints a
// line and exits 42 through the status port. 96 MiB is inside a VM of 128 MiB and outside one of
// 64 MiB, whose store must stop it.
import { asm, Cond, Program } from '../hv-svm/tiny-kernel';

export const PROBE = 0x6000000n; // 96 MiB

export const ISOLATION_GUEST = new Program()
  .emit(asm.print('start\n'), asm.storeByte(PROBE), asm.loadByte(PROBE), asm.cmpEax(1))
  .exitIf(Cond.NE, 2)
  .emit(asm.print('stored\n'), asm.outb(0x501, 42), asm.haltLoop())
  .bytes();

export const ISOLATION_VMS = [
  { name: 'good', memMb: 128, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' as const },
  { name: 'bad', memMb: 64, bootOrder: 2, health: 'HEALTH_EXIT_ZERO' as const },
];
