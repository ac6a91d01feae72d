// The guest of the VM placement tests (test/boot/placement.test.ts under QEMU, the Bochs VMX
// run in test/hv-vmx/smp.test.ts, bench/cpu): one tiny kernel, VMs told apart by their RAM size
// (the e820 map in boot_params, as test/hv-svm/preemption-guest.ts).
//
// - Above 100 MiB, the "spinner": forever, `spin` then SPIN_UNITS x 256 TSC ticks spinning with
//   interrupts off (it never exits on its own), then `idle` and the same time halting (IF=0: D0
//   wakes it HALT_WAIT after each HLT). Its console lines mark the phases in D0's log (ms=).
// - Below, the "worker": `units` times, a fixed CPU-bound loop timed with RDTSC inside the guest,
//   printed as `w <hex: TSC ticks / 256>`; then it exits 0 through port 0x501.
import { asm, Cond, Program, Reg } from '../hv-svm/tiny-kernel';

// boot_params (Linux boot protocol, zero page): e820 table at 0x2d0, 20-byte entries; entry 1
// is D0's RAM above 1 MiB, its size (u64) at +8.
const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8;
export const SPINNER_MEM_MB = 128;
export const WORKER_MEM_MB = 48;
/** Each spinner phase: 2^24 x 256 TSC ticks (~1.4 s at 3 GHz). */
const PHASE_UNITS = 1 << 24;

/** rdtsc; shl rdx, 32; or rax, rdx: the whole TSC in RAX (0F 31; REX.W C1 /4 ib; REX.W 09 /r). */
const tscToRax = [0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0];
/** mov rdi, rax (REX.W 89 /r, ModRM 11 000 111): the start of a measurement. */
const raxToRdi = [0x48, 0x89, 0xc7];
/** sub rax, rdi; shr rax, 8: ticks since RDI, in units of 256 (REX.W 29 /r; REX.W C1 /5 ib). */
const elapsedUnits = [0x48, 0x29, 0xf8, 0x48, 0xc1, 0xe8, 0x08];
const cli = [0xfa];

export interface PlacementGuest {
  /** Worker: how many timed units it runs before it exits 0. */
  units: number;
  /** Worker: iterations of `dec ecx; jnz` per unit. */
  loops: number;
}

export function placementProgram(o: PlacementGuest): number[] {
  const phase = (name: string, body: number[]) =>
    p
      .emit(tscToRax, raxToRdi)
      .label(name)
      .emit(body, tscToRax, elapsedUnits, asm.cmpEax(PHASE_UNITS))
      .jcc(Cond.B, name);
  const p = new Program()
    .emit(asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE), asm.cmpEax(100 * 1024 * 1024))
    .jcc(Cond.A, 'spinner')
    .repeat(o.units, [
      tscToRax,
      raxToRdi,
      asm.movImm32(Reg.RCX, o.loops),
      [0xff, 0xc9, 0x75, 0xfc], // dec ecx; jnz back to the dec
      tscToRax,
      elapsedUnits,
      asm.print('w '),
      asm.printHex32(Reg.RAX),
      asm.print('\n'),
    ])
    .emit(asm.outb(0x501, 0), asm.haltLoop())
    .label('spinner')
    .emit(cli)
    .label('cycle')
    .emit(asm.print('spin\n'));
  phase('spinning', []);
  p.emit(asm.print('idle\n'));
  phase('idling', asm.hlt());
  p.jmp('cycle');
  return p.bytes();
}
