// The guests of test/hv-vmx/cr-xsetbv.test.ts: what Linux does that always or sometimes exits on
// VMX, as exact guest instructions (test/hv-svm/tiny-kernel.ts).
import { asm, Cond, Program, Reg } from '../hv-svm/tiny-kernel';

const CR0_NE = 0x20;
const CR4_VMXE = 0x2000;
const op = {
  raxFromCr0: [0x0f, 0x20, 0xc0], // mov rax, cr0
  cr0FromRax: [0x0f, 0x22, 0xc0], // mov cr0, rax
  raxFromCr4: [0x0f, 0x20, 0xe0], // mov rax, cr4
  cr4FromRax: [0x0f, 0x22, 0xe0], // mov cr4, rax
  /** and rax, imm32 (sign-extended): REX.W 25 id */
  andRax: (imm: number) => [0x48, 0x25, ...le32(imm)],
  /** or rax, imm32: REX.W 0D id */
  orRax: (imm: number) => [0x48, 0x0d, ...le32(imm)],
  xsetbv: [0x0f, 0x01, 0xd1],
  xgetbv: [0x0f, 0x01, 0xd0],
};
function le32(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return [...b];
}

/** Exit 0 and `cr-xsetbv-ok` when all holds; exit 1: NE still visible after clearing it; 2: VMXE visible; 3: XCR0 not 3; 4: NE not back. */
export const CR_EMULATED = new Program()
  .emit(op.raxFromCr0, op.andRax(~CR0_NE), op.cr0FromRax, op.raxFromCr0, asm.testEax(CR0_NE))
  .exitIf(Cond.NE, 1)
  .emit(op.raxFromCr0, op.orRax(CR0_NE), op.cr0FromRax, op.raxFromCr0, asm.testEax(CR0_NE))
  .exitIf(Cond.E, 4)
  .emit(op.raxFromCr4, asm.testEax(CR4_VMXE))
  .exitIf(Cond.NE, 2)
  .emit(op.raxFromCr4, op.orRax(1 << 18), op.cr4FromRax) // CR4.OSXSAVE
  .emit(asm.movImm32(Reg.RCX, 0), asm.movImm32(Reg.RDX, 0), asm.movImm32(Reg.RAX, 3), op.xsetbv)
  .emit(asm.movImm32(Reg.RAX, 0), asm.movImm32(Reg.RCX, 0), op.xgetbv, asm.cmpEax(3))
  .exitIf(Cond.NE, 3)
  .emit(asm.print('cr-xsetbv-ok\n'), asm.outb(0x501, 0), asm.haltLoop())
  .bytes();

export const CR_VMXE = new Program()
  .emit(asm.print('before-vmxe\n'), op.raxFromCr4, op.orRax(CR4_VMXE), op.cr4FromRax)
  .emit(asm.print('after-vmxe\n'), asm.outb(0x501, 0), asm.haltLoop())
  .bytes();
