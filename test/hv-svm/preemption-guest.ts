// The guest of the preemption tests (test/hv-svm/preemption.test.ts under QEMU,
// test/hv-vmx/preemption.test.ts under Bochs): one tiny kernel, two VMs told apart by their RAM
// size (the e820 map in boot_params). Above 100 MiB it spins on a jump forever (with IF as
// asked); below, it prints `tick 1`..`tick 20` between HLTs and exits 0 through port 0x501.
import { asm, Cond, Program, Reg } from './tiny-kernel';

// boot_params (Linux boot protocol, zero page): e820 table at 0x2d0, 20-byte entries; entry 1
// is D0's RAM above 1 MiB, its size (u64) at +8.
const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8;

export function preemptionProgram(o: { spinWithInterruptsOn?: boolean } = {}): number[] {
  const p = new Program()
    .emit(asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE), asm.cmpEax(100 * 1024 * 1024))
    .jcc(Cond.A, 'spin')
    .repeat(20, [asm.print('tick '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.hlt()])
    .emit(asm.outb(0x501, 0), asm.haltLoop())
    .label('spin')
    .emit(o.spinWithInterruptsOn ? [0xfb] : []) // sti
    .label('spin_loop')
    .jmp('spin_loop');
  return p.bytes();
}

