// The guest of the bad-access tests (test/hv-svm/bad-access.test.ts under QEMU,
// test/hv-vmx/bad-access.test.ts under Bochs): one tiny kernel, VMs told apart by their RAM size
// (the e820 map in boot_params), each doing one thing D0 must not emulate, next to a benign VM:
//   walk       its own page table puts a PDPT at 0xd0000000, the virtio-blk registers, and it
//              loads through it: the fault is on the guest's page walk, never a device read
//   undecoded  `add dword [0xd0000000], 1`: an instruction the MMIO decoder refuses
//   fetch      jumps to 0xd0000000: an instruction fetch from the device window
//   outside    a load at 0x7f000000: neither RAM nor the device window
//   benign     prints `tick 1`..`tick N` between HLTs and exits 0
// Every hostile VM prints its name first and `survived` after its access (which must never
// print), then exits 1.
import { asm, Program, Reg } from './tiny-kernel';

export const DEVICE = 0xd0000000n; // LAYOUT_VIRTIO_BLK_BASE: reads "virt" at offset 0
const E820_ENTRY1_SIZE = 0x2d0 + 20 + 8; // boot_params: RAM above 1 MiB, size
const PML4 = 0x500000n; // the walk VM's own top-level table (in RAM of any VM here)
const FAR = 0x8000000000n; // 512 GiB: PML4 entry 1, PDPT entry 0

export const HOSTILE = ['walk', 'undecoded', 'fetch', 'outside'] as const;
export type Hostile = (typeof HOSTILE)[number];

/** RAM per VM (MiB): how each finds its role. */
export const RAM_MB: Record<Hostile | 'benign', number> = {
  benign: 16,
  walk: 18,
  undecoded: 20,
  fetch: 22,
  outside: 24,
};

/** What each hostile access looks like, from the VM's point of view. */
function attack(p: Program, what: Hostile): void {
  switch (what) {
    case 'walk':
      p.emit(
        asm.movImm32(Reg.RDI, Number(PML4)), asm.movImm32(Reg.RCX, 4096), [0x31, 0xc0], [0xf3, 0xaa], // zero the page
        [0x0f, 0x20, 0xd8], // mov rax, cr3
        [0x48, 0x25, 0x00, 0xf0, 0xff, 0xff], // and rax, ~0xfff
        [0x48, 0x8b, 0x10], // mov rdx, [rax]: D0's PML4 entry 0 (the identity map)
        asm.movImm32(Reg.RDI, Number(PML4)),
        [0x48, 0x89, 0x17], // mov [rdi], rdx
        asm.storeDword(PML4 + 8n, Number(DEVICE) | 3), // entry 1: PDPT at the device, P | RW
        asm.movImm64(Reg.RAX, PML4),
        [0x0f, 0x22, 0xd8], // mov cr3, rax
        asm.print('walk\n'),
        asm.loadDword(FAR), // the walk reads the "PDPT entry" at 0xd0000000
      );
      break;
    case 'undecoded':
      // mov rax, DEVICE; add dword [rax], 1 (83 /0 ib): a read-modify-write D0 never emulates
      p.emit(asm.print('undecoded\n'), asm.movImm64(Reg.RAX, DEVICE), [0x83, 0x00, 0x01]);
      break;
    case 'fetch':
      p.emit(asm.print('fetch\n'), asm.movImm64(Reg.RAX, DEVICE), [0xff, 0xe0]); // jmp rax
      break;
    case 'outside':
      p.emit(asm.print('outside\n'), asm.loadDword(0x7f000000n));
      break;
  }
  p.emit(asm.print('survived\n'), asm.outb(0x501, 1), asm.haltLoop());
}

export function badAccessGuest(ticks: number): number[] {
  const p = new Program().emit(asm.loadDwordAt(Reg.RSI, E820_ENTRY1_SIZE));
  for (const what of HOSTILE) p.emit(asm.cmpEax((RAM_MB[what] - 1) * 2 ** 20)).jcc(0x4, `.${what}`);
  p.repeat(ticks, [asm.print('tick '), asm.printDecimal(Reg.RBX), asm.print('\n'), asm.hlt()]);
  p.emit(asm.outb(0x501, 0), asm.haltLoop());
  for (const what of HOSTILE) {
    p.label(`.${what}`);
    attack(p, what);
  }
  return p.bytes();
}
