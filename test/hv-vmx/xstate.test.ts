// The x87/MMX and SSE registers are per VM: two VMs of one build run the same tiny guest, which
// first checks that MM0 and XMM0 hold nothing (a fresh vCPU starts from the init state, not
// with what another VM or the firmware left), then puts a secret in both, halts so the other VM
// runs, and checks its secret is still there. Neither SVM nor VMX switches this state on a
// world switch; D0 does (kernel/arch/x86/xstate.c). QEMU TCG (-cpu EPYC, SVM) and Bochs
// corei7_skylake_x (VMX); hard timeouts, the emulator is always killed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { D0Event } from '../support/events';
import { buildD0, runVms, type D0Build } from '../hv-svm/two-vms-run';
import type { VmSpec } from '../hv-svm/slot';
import { asm, Cond, Program, Reg, tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under, dump, only } from './d0-bochs';

const SECRET = 0x5a17c0de;
const op = {
  /** movq rax, mm0 (REX.W 0F 7E /r, ModRM 11 000 000) */
  raxFromMm0: [0x48, 0x0f, 0x7e, 0xc0],
  /** movq mm0, rax (REX.W 0F 6E /r) */
  mm0FromRax: [0x48, 0x0f, 0x6e, 0xc0],
  /** movq rax, xmm0 (66 REX.W 0F 7E /r) */
  raxFromXmm0: [0x66, 0x48, 0x0f, 0x7e, 0xc0],
  /** movq xmm0, rax (66 REX.W 0F 6E /r) */
  xmm0FromRax: [0x66, 0x48, 0x0f, 0x6e, 0xc0],
  /** CR4.OSFXSR | OSXMMEXCPT, so SSE runs: mov rax, cr4; or rax, 0x600; mov cr4, rax */
  enableSse: [0x0f, 0x20, 0xe0, 0x48, 0x0d, 0x00, 0x06, 0x00, 0x00, 0x0f, 0x22, 0xe0],
};

/** Exit 1: MM0 not clean at start; 2: XMM0 not clean; 3/4: own secret lost; 0: all held. */
const guest = new Program()
  .emit(op.enableSse, op.raxFromMm0, asm.testEax(0xffffffff))
  .exitIf(Cond.NE, 1)
  .emit(op.raxFromXmm0, asm.testEax(0xffffffff))
  .exitIf(Cond.NE, 2)
  .emit(asm.movImm32(Reg.RAX, SECRET), op.mm0FromRax, op.xmm0FromRax, asm.print('secret-set\n'))
  .repeat(3, [asm.hlt()])
  .emit(op.raxFromMm0, asm.cmpEax(SECRET))
  .exitIf(Cond.NE, 3)
  .emit(op.raxFromXmm0, asm.cmpEax(SECRET))
  .exitIf(Cond.NE, 4)
  .emit(asm.print('secret-kept\n'), asm.outb(0x501, 0), asm.haltLoop())
  .bytes();

const VMS: VmSpec[] = [
  { name: 'one', memMb: 16, bootOrder: 1, health: 'HEALTH_EXIT_ZERO' },
  { name: 'two', memMb: 16, bootOrder: 2, health: 'HEALTH_EXIT_ZERO' },
];

function assertIsolated(events: D0Event[]): void {
  const all = dump(events);
  const exits = only(events, 'vm_exit').map((e) => [e.fields.vm, e.fields.status]);
  assert.deepEqual(exits.sort(), [
    ['one', '0'],
    ['two', '0'],
  ], all);
  for (const vm of ['one', 'two'])
    assert.deepEqual(
      only(events, 'console').filter((e) => e.fields.vm === vm).map((e) => e.fields.line),
      ['secret-set', 'secret-kept'],
      all,
    );
  // Both secrets were set before either VM checked its own: the two really interleaved.
  const lines = only(events, 'console').map((e) => e.fields.line);
  assert.ok(lines.lastIndexOf('secret-set') < lines.indexOf('secret-kept'), all);
}

describe('hv-vmx: x87/SSE state is per VM (QEMU SVM and Bochs VMX)', function () {
  this.timeout(900_000);

  it('SVM (QEMU -cpu EPYC): each VM starts clean and keeps its own MM0/XMM0', async () => {
    let b: D0Build | undefined;
    try {
      b = await buildD0('d0-xstate-svm-');
      assertIsolated(await runVms(b, guest, VMS));
    } finally {
      if (b) fs.rmSync(b.dir, { recursive: true, force: true });
    }
  });

  it('VMX (Bochs corei7_skylake_x): each VM starts clean and keeps its own MM0/XMM0', async () => {
    const d0 = await D0Under.build('d0-xstate-vmx-');
    try {
      const esp = await d0.vmsDisk(tinyBzImage(guest), VMS);
      const { events } = await d0.run(esp, { cpuModel: 'corei7_skylake_x', memMb: 256, timeoutMs: 300_000 });
      assertIsolated(events);
    } finally {
      d0.dispose();
    }
  });
});
