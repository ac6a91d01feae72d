// The VMX backend's emulation of what Linux does that always or sometimes exits on VMX, with
// exact guest instructions (test/hv-svm/tiny-kernel.ts) under Bochs corei7_skylake_x:
//  - MOV to CR0 clearing CR0.NE, a bit D0 owns (VMX fixed bit): emulated; the guest reads its
//    own value back through the read shadow, then sets NE again;
//  - CR4 as the guest reads it has no VMXE (D0's bit, hidden by the shadow);
//  - XSETBV (always an exit on VMX) with x87|SSE after the guest set CR4.OSXSAVE: XGETBV reads
//    it back;
//  - MOV to CR4 setting VMXE (reserved for a guest without VMX): #GP, which this guest (no IDT)
//    turns into a triple fault: that VM stops crashed and D0 carries on to its end.
import assert from 'node:assert/strict';
import { asm, Cond, Program, Reg, tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under, dump, only } from './d0-bochs';

const TIMEOUT_MS = 300_000;
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

/** Exit 1: NE still visible after clearing it; 2: VMXE visible; 3: XCR0 not 3; 4: NE not back. */
const emulated = new Program()
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

const vmxe = new Program()
  .emit(asm.print('before-vmxe\n'), op.raxFromCr4, op.orRax(CR4_VMXE), op.cr4FromRax)
  .emit(asm.print('after-vmxe\n'), asm.outb(0x501, 0), asm.haltLoop())
  .bytes();

describe('hv-vmx: CR0/CR4 writes and XSETBV emulated by the VMX backend (Bochs)', function () {
  this.timeout(2 * TIMEOUT_MS + 300_000);
  let d0: D0Under;

  before(async function () {
    this.timeout(300_000);
    d0 = await D0Under.build('d0-vmx-cr-');
  });
  after(() => d0?.dispose());

  async function run(code: number[]) {
    const esp = await d0.disk(tinyBzImage(code), Buffer.alloc(4096), { name: 'cr', memMb: 16 });
    const { events } = await d0.run(esp, { cpuModel: 'corei7_skylake_x', memMb: 256, timeoutMs: TIMEOUT_MS });
    assert.equal(only(events, 'cpu')[0]?.fields.backend, 'vmx', dump(events));
    return events;
  }

  it('CR0.NE cleared and set through the shadow, no VMXE visible, XSETBV/XGETBV round trip', async () => {
    const events = await run(emulated);
    const all = dump(events);
    assert.deepEqual(only(events, 'console').map((e) => e.fields.line), ['cr-xsetbv-ok'], all);
    assert.equal(only(events, 'vm_exit')[0]?.fields.status, '0', all);
  });

  it('setting CR4.VMXE is a #GP for the guest (here: triple fault, VM crashed), D0 carries on', async () => {
    const events = await run(vmxe);
    const all = dump(events);
    assert.deepEqual(only(events, 'console').map((e) => e.fields.line), ['before-vmxe'], all);
    assert.equal(only(events, 'vm_exit').length, 0, all);
    assert.equal(only(events, 'vm_stopped')[0]?.fields.state, 'crashed', all);
    assert.equal(events.at(-1)!.ev, 'halt', all);
  });
});
