// Guest containment under Bochs with exact guest instructions (test/hv-svm/tiny-kernel.ts), on
// both backends of the one BOOTX64.EFI: corei7_skylake_x takes the VMX + EPT path, ryzen the
// SVM + NPT path (with NRIP save, which QEMU TCG lacks). A guest storing outside its RAM is
// stopped with the faulting address logged while D0 carries on to its orderly end; a
// status-port write is the VM's exit status. Hard timeouts; Bochs is always killed.
import assert from 'node:assert/strict';
import { asm, tinyBzImage } from '../hv-svm/tiny-kernel';
import { D0Under, dump, only } from './d0-bochs';

const TIMEOUT_MS = 300_000;
const MEM_MB = 16;

for (const [cpuModel, backend, nripSave] of [
  ['corei7_skylake_x', 'vmx', '0'],
  ['ryzen', 'svm', '1'],
] as const) {
  describe(`hv-vmx: guest containment under Bochs ${cpuModel} (${backend} backend)`, function () {
    this.timeout(2 * TIMEOUT_MS + 300_000);
    let d0: D0Under;

    before(async function () {
      this.timeout(300_000);
      d0 = await D0Under.build(`d0-bochs-iso-${backend}-`);
    });
    after(() => d0?.dispose());

    async function run(code: number[]) {
      const esp = await d0.disk(tinyBzImage(code), Buffer.alloc(4096), { name: 'probe', memMb: MEM_MB });
      const r = await d0.run(esp, { cpuModel, memMb: 256, timeoutMs: TIMEOUT_MS });
      const cpu = only(r.events, 'cpu')[0];
      assert.ok(cpu, dump(r.events));
      assert.equal(cpu.fields.backend, backend, dump(r.events));
      assert.equal(cpu.fields.vendor, backend === 'vmx' ? 'intel' : 'amd');
      assert.equal(cpu.fields.nrip_save, nripSave);
      console.log(`      bochs ${cpuModel}: vm_start after ${r.ms('vm_start')} ms, halt after ${r.ms('halt')} ms`);
      return r.events;
    }

    it('a write outside guest RAM stops only that VM, with the address logged; D0 stays up', async () => {
      const events = await run([
        ...asm.print('before-escape\n'),
        ...asm.storeByte(0x10000000n), // 256 MiB: far above the VM's 16 MiB, below the device hole
        ...asm.print('escaped\n'),
        ...asm.haltLoop(),
      ]);
      const all = dump(events);
      const lines = only(events, 'console').map((e) => [e.fields.vm, e.fields.line]);
      assert.deepEqual(lines, [['probe', 'before-escape']], 'the store never completed\n' + all);
      const bad = only(events, 'hv').filter((e) => e.fields.what === 'bad-access');
      assert.equal(bad.length, 2, all); // the exit, then the stop
      assert.equal(bad[0].fields.a, '0x10000000', all);
      const stopped = only(events, 'vm_stopped');
      assert.equal(stopped.length, 1, all);
      assert.equal(stopped[0].fields.state, 'crashed');
      assert.equal(only(events, 'vm_exit').length, 0);
      assert.equal(events.at(-1)!.ev, 'halt', all);
    });

    it("a status-port write is the VM's exit status; console lines carry the VM's name", async () => {
      const events = await run([...asm.print('hello from\nthe guest\n'), ...asm.outb(0x501, 42), ...asm.haltLoop()]);
      const all = dump(events);
      assert.deepEqual(
        only(events, 'console').map((e) => [e.fields.vm, e.fields.line]),
        [
          ['probe', 'hello?from'],
          ['probe', 'the?guest'],
        ],
        all,
      );
      const exit = only(events, 'vm_exit');
      assert.equal(exit.length, 1, all);
      assert.equal(exit[0].fields.status, '42');
      assert.equal(only(events, 'vm_stopped')[0].fields.state, 'exited');
      assert.equal(events.at(-1)!.ev, 'halt', all);
    });
  });
}
